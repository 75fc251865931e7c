"""A write transaction beside the ORM session (surveyapp.database.write_transaction): what the
block commits is stored, what it leaves uncommitted or abandons by raising is not, and the
session's own uncommitted changes are dropped first."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from surveyapp.database import driver_insert, write_transaction
from surveyapp.models import SubmissionReceipt

RECEIPTS = SubmissionReceipt.__table__


def receipt(key: str) -> dict[str, Any]:
    return {"key_hash": key * 64, "expires_at": datetime.now(UTC) + timedelta(hours=1),
            "next_url": None}


def stored_keys(connectable: sa.Engine | sa.Connection, *keys: str) -> set[str]:
    """Which of the receipts ``keys`` name are stored, as a new connection of the engine (or
    the connection itself) sees them."""
    with (connectable.connect() if isinstance(connectable, sa.Engine)
          else nullcontext(connectable)) as connection:
        found = connection.scalars(sa.select(RECEIPTS.c.key_hash)
                                   .where(RECEIPTS.c.key_hash.in_([k * 64 for k in keys])))
        return {key_hash[0] for key_hash in found}


@pytest.fixture
def engine_session(_county_app: Any) -> Iterator[orm.Session]:
    """A session bound to an engine of the migrated test database, as the app's is; the
    receipts the test stores are deleted afterwards."""
    flask_app, _ = _county_app
    engine = sa.create_engine(flask_app.config["SQLALCHEMY_DATABASE_URI"])
    session = orm.Session(bind=engine)
    try:
        yield session
    finally:
        session.close()
        with engine.begin() as connection:
            connection.execute(sa.delete(RECEIPTS).where(
                RECEIPTS.c.key_hash.in_([key * 64 for key in "vwxy"])))
        engine.dispose()


def test_what_the_block_commits_is_stored_for_everyone(engine_session: orm.Session) -> None:
    with write_transaction(engine_session) as transaction:
        driver_insert(transaction.connection, RECEIPTS, receipt("w"))
        transaction.commit()
    assert stored_keys(engine_session.get_bind(), "w") == {"w"}


def test_what_the_block_leaves_uncommitted_or_raises_out_of_is_not_stored(
        engine_session: orm.Session) -> None:
    with write_transaction(engine_session) as transaction:
        driver_insert(transaction.connection, RECEIPTS, receipt("x"))
    with pytest.raises(RuntimeError), write_transaction(engine_session) as transaction:
        driver_insert(transaction.connection, RECEIPTS, receipt("y"))
        raise RuntimeError("abandoned")
    assert stored_keys(engine_session.get_bind(), "x", "y") == set()


def test_the_sessions_uncommitted_changes_are_dropped_first(engine_session: orm.Session
                                                             ) -> None:
    engine_session.add(SubmissionReceipt(**receipt("v")))
    engine_session.flush()
    with write_transaction(engine_session) as transaction:
        driver_insert(transaction.connection, RECEIPTS, receipt("w"))
        transaction.commit()
    engine_session.commit()
    assert stored_keys(engine_session.get_bind(), "v", "w") == {"w"}


def test_a_session_bound_to_one_connection_gets_a_savepoint_on_it(db: Any) -> None:
    connection = db.session.get_bind()
    with write_transaction(db.session) as transaction:
        assert transaction.connection is connection
        assert isinstance(transaction, sa.NestedTransaction)
        driver_insert(transaction.connection, RECEIPTS, receipt("a"))
        transaction.commit()
    with pytest.raises(RuntimeError), write_transaction(db.session) as transaction:
        driver_insert(transaction.connection, RECEIPTS, receipt("b"))
        raise RuntimeError("abandoned")
    assert stored_keys(connection, "a", "b") == {"a"}
