"""Statements run straight on the driver (surveyapp.database.DriverStatement) store, return
and fail exactly as through SQLAlchemy's Connection.execute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from surveyapp.database import DriverStatement, driver_insert
from surveyapp.models import (
    Draft,
    Org,
    Participation,
    Person,
    RecentSubmission,
    SubmissionReceipt,
    Wave,
)


def _stored(db: Any, table: sa.Table, row_id: int) -> tuple:
    """The row as the database holds it, without SQLAlchemy's result processing."""
    columns = ", ".join(c.name for c in table.columns if c.name != "id")
    return db.session.connection().exec_driver_sql(
        f"SELECT {columns} FROM {table.name} WHERE id = {int(row_id)}").one()


def _last_id(db: Any, table: sa.Table) -> int:
    return db.session.scalar(sa.select(sa.func.max(table.c.id)))


def test_a_driver_insert_stores_what_a_core_insert_stores(db: Any, demo_county: Any) -> None:
    wave = db.session.scalars(sa.select(Wave).limit(1)).one()
    org_id = db.session.scalar(sa.select(Org.id).limit(1))
    moment = datetime(2026, 11, 26, 3, 4, 5, 678901, tzinfo=UTC)
    cases = [
        (RecentSubmission.__table__, {"wave_id": wave.id, "org_id": org_id, "at": moment}),
        (SubmissionReceipt.__table__, {"key_hash": "a" * 64, "expires_at": moment,
                                       "next_url": None}),
        (SubmissionReceipt.__table__, {"key_hash": "b" * 64,
                                       "expires_at": moment + timedelta(hours=1),
                                       "next_url": "/cadre/"}),
    ]
    for table, values in cases:
        db.session.execute(sa.insert(table), values)
        by_core = _stored(db, table, _last_id(db, table))
        db.session.execute(sa.delete(table).where(table.c.id == _last_id(db, table)))
        driver_insert(db.session.connection(), table, values)
        by_driver = _stored(db, table, _last_id(db, table))
        assert by_driver == by_core, table.name
        read_back = db.session.execute(
            sa.select(table).where(table.c.id == _last_id(db, table))).one()
        for name, value in values.items():
            assert getattr(read_back, name) == value


def test_rows_come_back_as_connection_execute_returns_them(db: Any, demo_county: Any) -> None:
    wave = db.session.scalars(sa.select(Wave).limit(1)).one()
    org_id = db.session.scalar(sa.select(Org.id).limit(1))
    moment = datetime(2026, 11, 26, 3, 4, 5, 678901, tzinfo=UTC)
    db.session.execute(sa.insert(Draft.__table__), [
        {"key_hash": f"{n}" * 64, "wave_id": wave.id, "org_id": org_id, "section": 2,
         "answers": {"q": "满意", "n": [1, 2]}, "started_at": moment,
         "expires_at": moment + timedelta(days=7), "context": {"mode": "self"}}
        for n in (1, 2)])
    columns = [Draft.__table__.c[name] for name in
               ("id", "section", "answers", "started_at", "expires_at", "context")]
    statement = sa.delete(Draft.__table__).where(
        Draft.__table__.c.key_hash == sa.bindparam("key_hash")).returning(*columns)
    by_core = db.session.connection().execute(statement, {"key_hash": "1" * 64}).one()
    by_driver = DriverStatement(statement).first(db.session.connection(),
                                                 {"key_hash": "2" * 64})
    assert by_driver._asdict() | {"id": None} == by_core._asdict() | {"id": None}
    assert by_driver.started_at == moment and by_driver.answers == {"q": "满意", "n": [1, 2]}
    assert DriverStatement(statement).first(db.session.connection(),
                                            {"key_hash": "2" * 64}) is None


def test_a_broken_constraint_raises_sqlalchemys_integrity_error(db: Any, demo_county: Any
                                                                 ) -> None:
    values = {"key_hash": "c" * 64, "expires_at": datetime.now(UTC), "next_url": None}
    driver_insert(db.session.connection(), SubmissionReceipt.__table__, values)
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            driver_insert(db.session.connection(), SubmissionReceipt.__table__, values)


def test_an_insert_that_would_skip_a_column_default_is_refused(db: Any, demo_county: Any
                                                               ) -> None:
    wave = db.session.scalars(sa.select(Wave).limit(1)).one()
    person_id = db.session.scalar(sa.select(Person.id).limit(1))
    with pytest.raises(ValueError, match="give id"):
        driver_insert(db.session.connection(), Participation.__table__,
                      {"wave_id": wave.id, "person_id": person_id, "subject_key": "-"})


def test_a_missing_parameter_is_refused_before_the_driver_sees_it(db: Any) -> None:
    statement = DriverStatement(sa.text("SELECT :wanted AS wanted"))
    with pytest.raises(sa.exc.InvalidRequestError, match="wanted"):
        statement.rows(db.session.connection(), {"other": 1})
