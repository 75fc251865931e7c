"""Finding the services that some tests need, and what to do when one is missing."""

from __future__ import annotations

import os
import shutil
from typing import NoReturn
from uuid import uuid4

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def require(service: str, why: str) -> NoReturn:
    """Off CI a missing service skips with one line; in CI it fails, because CI must test it."""
    if in_ci():
        pytest.fail(f"{service} is required in CI: {why}", pytrace=False)
    pytest.skip(f"{service} unavailable: {why}")


def postgres_admin_url() -> URL:
    return make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES))


def create_postgres_database() -> URL:
    """A new, empty database for this run (the CTFd trick), so runs never collide."""
    admin = postgres_admin_url()
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    name = f"surveyapp_test_{uuid4().hex[:12]}"
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
    except sa.exc.OperationalError as error:
        require("PostgreSQL", f"cannot connect to {admin.render_as_string()}: "
                f"{str(error.orig).splitlines()[0]}")
    finally:
        engine.dispose()
    return admin.set(database=name)


def drop_postgres_database(url: URL) -> None:
    engine = sa.create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    engine.dispose()


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        require("Chromium", "Debian's chromium package is not installed (make test installs it)")
    return path
