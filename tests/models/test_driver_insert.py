"""Rows written straight through the driver are stored exactly as SQLAlchemy stores them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from surveyapp.database import driver_insert
from surveyapp.models import Org, RecentSubmission, SubmissionReceipt, Wave


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
