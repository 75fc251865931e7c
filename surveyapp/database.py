"""Connection settings that SQLite needs and PostgreSQL does not."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # pysqlite's own transaction handling starts transactions late and breaks SAVEPOINTs;
    # let SQLAlchemy emit BEGIN itself (the recipe in SQLAlchemy's SQLite notes).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(conn: Any) -> None:
    if conn.dialect.name == "sqlite":
        # Straight to the driver: every transaction begins here, and exec_driver_sql's
        # execution steps cost ten times SQLite's BEGIN (a submission runs two transactions).
        conn.connection.dbapi_connection.execute("BEGIN")


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite") and uri not in ("sqlite://", "sqlite:///:memory:"):
        # Writers wait for each other instead of failing at once under concurrent submissions.
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        options.setdefault("connect_args", {"timeout": 10})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


class _WriterQueue:
    """Hands SQLite's single write lock from one submission to the next without sleeping.

    A writer that finds SQLite's lock taken waits in its busy handler, which sleeps 1, 2, 5,
    10 … ms between tries, while the holder needs well under a millisecond: under a burst of
    submissions the workers spent more time asleep than writing (docs/benchmarks.md,
    "Collection"). Writers on the hot paths first take a blocking ``flock`` on a file beside
    the database, which the kernel hands to the next waiter the moment it is released; SQLite's
    own locking is unchanged underneath, so a writer that does not queue (an admin page, the
    CLI) still works, and merely waits on the busy timeout as before. The kernel drops the
    lock of a killed process. The open file is per process (a forked worker shares its
    parent's open file, and with it the lock), the thread lock orders a process's threads.
    """

    def __init__(self) -> None:
        self._threads = threading.Lock()
        self._files: dict[str, tuple[int, Any]] = {}  # lock path -> (pid, open file)

    def _file(self, path: str) -> Any:
        pid = os.getpid()
        entry = self._files.get(path)
        if entry is None or entry[0] != pid:
            entry = (pid, open(path, "a+b"))  # noqa: SIM115 (kept open for the process)
            self._files[path] = entry
        return entry[1]

    @contextmanager
    def turn(self, path: str | None) -> Iterator[None]:
        if path is None:
            yield
            return
        with self._threads:
            handle = self._file(path)
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


_writers = _WriterQueue()


def _lock_path(engine: Engine) -> str | None:
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return f"{url.database}-writers.lock"


@contextmanager
def writer_turn(engine: Engine) -> Iterator[None]:
    """Run a write transaction in its turn among this database's writers (SQLite files only;
    PostgreSQL orders writers by row locks, so this is a no-op there). The transaction must
    begin and end inside the block."""
    with _writers.turn(_lock_path(engine)):
        yield


class _DriverInsert:
    """One table's INSERT of given columns, compiled once for a dialect, with the columns' own
    bind processing (UTC datetimes, enums, JSON), run straight on the DBAPI cursor."""

    def __init__(self, table: sa.Table, columns: tuple[str, ...], dialect: sa.Dialect) -> None:
        compiled = sa.insert(table).values(
            {name: sa.bindparam(name) for name in columns}).compile(dialect=dialect)
        self.sql = compiled.string
        self.names = compiled.positiontup if dialect.positional else None
        self.processors = {name: table.c[name].type.dialect_impl(dialect)
                           .bind_processor(dialect) for name in columns}

    def parameters(self, values: dict[str, Any]) -> Any:
        processed = {name: (process(value) if (process := self.processors[name]) else value)
                     for name, value in values.items()}
        return [processed[name] for name in self.names] if self.names is not None else processed


_driver_inserts: dict[tuple[str, str, tuple[str, ...]], _DriverInsert] = {}


def driver_insert(connection: sa.Connection, table: sa.Table, values: dict[str, Any]) -> None:
    """INSERT one row through ``connection``'s DBAPI cursor, in its transaction.

    For the rows a submission writes beside the response, which nothing reads back: there
    SQLAlchemy's execution steps cost more than SQLite's insert itself. The values are bound
    exactly as SQLAlchemy binds them (each column type's processor), but column defaults are
    not applied: give every column except an autoincrement key.
    """
    key = (connection.dialect.name, table.name, tuple(values))
    insert = _driver_inserts.get(key)
    if insert is None:
        insert = _driver_inserts[key] = _DriverInsert(table, tuple(values), connection.dialect)
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(insert.sql, insert.parameters(values))
    finally:
        cursor.close()
