"""Database plumbing under the models: the connection settings SQLite needs, the queue SQLite's
writers wait in (``writer_turn``), and, for the few statements every submission runs, a
transaction beside the ORM session (``write_transaction``) and statements run straight on the
driver (``DriverStatement``)."""

from __future__ import annotations

import collections
import fcntl
import functools
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event, orm
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
        # execution steps cost ten times SQLite's BEGIN.
        conn.connection.dbapi_connection.execute("BEGIN")


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        # A pre-ping guards against a database server that dropped the connection; a SQLite
        # file cannot, and the ping was one more statement on every request.
        options["pool_pre_ping"] = False
        if uri not in ("sqlite://", "sqlite:///:memory:"):
            # Writers wait for each other instead of failing at once under concurrent writes.
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
    lock of a killed process. The open file is per process and database (a forked worker
    shares its parent's open file, and with it the lock); a thread lock of the same scope
    orders a process's threads, which share the open file.
    """

    def __init__(self) -> None:
        self._registry = threading.Lock()
        # lock path -> (pid, open file, lock for this process's threads)
        self._entries: dict[str, tuple[int, Any, threading.Lock]] = {}

    def _entry(self, path: str) -> tuple[int, Any, threading.Lock]:
        pid = os.getpid()
        with self._registry:
            entry = self._entries.get(path)
            if entry is None or entry[0] != pid:
                # kept open for the life of the process
                entry = (pid, open(path, "a+b"), threading.Lock())  # noqa: SIM115
                self._entries[path] = entry
        return entry

    @contextmanager
    def turn(self, path: str | None) -> Iterator[None]:
        if path is None:
            yield
            return
        _, handle, threads = self._entry(path)
        with threads:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


_writers = _WriterQueue()


@functools.lru_cache(maxsize=16)
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


@contextmanager
def write_transaction(session: orm.Session) -> Iterator[sa.RootTransaction | sa.NestedTransaction]:
    """A write transaction of its own beside the ORM session, in its writer turn, for the few
    hot writes whose statements run straight on the driver (``DriverStatement``): they need
    none of the session's unit-of-work bookkeeping, which took about an eighth of a final
    submission's Python opcodes (docs/benchmarks.md, Collection, Round 6).

    The block runs its statements on ``transaction.connection`` and ends it with
    ``transaction.commit()``; whatever it leaves uncommitted is rolled back within the turn.
    The session is rolled back first, so it holds no lock or snapshot the transaction would
    wait on (and its loaded objects are expired, as a commit would leave them). A session bound
    to a connection rather than an engine (the tests' transaction, rolled back after each test)
    gets a savepoint on that connection instead, as its own commits do.
    """
    session.rollback()
    bind = session.get_bind()
    with ExitStack() as stack:
        if isinstance(bind, sa.Connection):
            connection, begin = bind, bind.begin_nested
        else:
            connection = stack.enter_context(bind.connect())
            begin = connection.begin
        stack.enter_context(writer_turn(connection.engine))
        transaction = begin()
        try:
            yield transaction
        finally:
            if transaction.is_active:
                transaction.rollback()


class _Compiled:
    """A statement compiled for one dialect, with what running it on the cursor needs."""

    def __init__(self, statement: sa.Executable, dialect: sa.Dialect,
                 keys: tuple[str, ...]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        if getattr(compiled, "insert_prefetch", None):
            names = ", ".join(column.name for column in compiled.insert_prefetch)
            raise ValueError(f"column defaults would be skipped: give {names}")
        self.sql = compiled.string
        binds = {name: bind for bind, name in compiled.bind_names.items()}
        # the parameters' names in the SQL, in the order the driver takes them
        self.names = compiled.positiontup if dialect.positional else list(binds)
        self.positional = dialect.positional
        # for each of them: its key in the caller's parameters, the bind, and the processor
        # that turns a value into what the driver stores
        self.binds = [(binds[name].key, binds[name],
                       binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                      for name in self.names]
        returned = getattr(statement, "exported_columns", ())
        self.row = collections.namedtuple("Row", [column.name for column in returned],
                                          rename=True) if returned else None
        self.results = [column.type.dialect_impl(dialect).result_processor(dialect, None)
                        for column in returned]

    def parameters(self, params: dict[str, Any]) -> Any:
        values = []
        for key, bind, process in self.binds:
            if key in params:
                value = params[key]
            elif bind.required:
                raise sa.exc.InvalidRequestError(f"a value is required for {key!r}")
            else:
                value = bind.effective_value  # a literal the statement carries (LIMIT's 0 …)
            values.append(process(value) if process is not None else value)
        return values if self.positional else dict(zip(self.names, values, strict=True))

    def rows(self, cursor: Any) -> list[Any]:
        return [self.row(*(process(value) if process else value
                           for process, value in zip(self.results, raw, strict=True)))
                for raw in cursor.fetchall()]


class DriverStatement:
    """A Core statement run straight on the DBAPI cursor of a connection, in its transaction.

    For the few statements every submission runs: SQLAlchemy's execution steps (cache lookup,
    execution context, result object) cost as much as SQLite's own work on them, and they run
    while the submission holds the write turn. The statement is compiled by SQLAlchemy once per
    dialect and set of parameter names; parameters and returned columns go through the column
    types' own bind and result processing, so values are stored and read back exactly as
    through ``Connection.execute`` (tests/models/test_driver_statements.py). An INSERT must
    give every column that has a Python-side default (compiling refuses otherwise).
    """

    def __init__(self, statement: sa.Executable) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, tuple[str, ...]], _Compiled] = {}

    def rows(self, connection: sa.Connection, params: dict[str, Any]) -> list[Any]:
        """Run it; the returned rows as named tuples (none for a statement returning none)."""
        key = (connection.dialect.name, tuple(params))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _Compiled(self.statement, connection.dialect,
                                                       tuple(params))
        dbapi_error = connection.dialect.loaded_dbapi.Error
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.execute(compiled.sql, compiled.parameters(params))
            return compiled.rows(cursor) if compiled.row is not None else []
        except dbapi_error as error:
            # As Connection.execute raises it: sqlalchemy.exc.IntegrityError and its kin.
            raise sa.exc.DBAPIError.instance(compiled.sql, params, error, dbapi_error,
                                             dialect=connection.dialect) from error
        finally:
            cursor.close()

    def first(self, connection: sa.Connection, params: dict[str, Any]) -> Any | None:
        found = self.rows(connection, params)
        return found[0] if found else None


_inserts: dict[str, DriverStatement] = {}


def driver_insert(connection: sa.Connection, table: sa.Table, values: dict[str, Any]) -> None:
    """INSERT one row of ``table`` through ``connection``'s DBAPI cursor (``DriverStatement``):
    for the rows a submission writes beside the response, which nothing reads back."""
    insert = _inserts.get(table.name)
    if insert is None:
        insert = _inserts[table.name] = DriverStatement(sa.insert(table))
    insert.rows(connection, values)
