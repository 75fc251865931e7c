"""Fixtures: `app`, `client`, `runner`, `db`, `demo_county`, `login_as`.

Every app-level test runs on SQLite and on PostgreSQL. Each database is built once per run with
the real migrations and given the small demo county; each test then runs inside a transaction
that is rolled back at its end, so tests see the county and never each other's changes.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy import orm

from surveyapp import create_app
from surveyapp.extensions import db as _db
from tests.services import create_postgres_database, drop_postgres_database

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


class IsolatedClient(FlaskClient):
    """A test client whose requests each get their own app context, as in production.

    Flask reuses an app context that is already pushed, and the `app` fixture keeps one pushed
    for the test's own database work; without this, `g` (the signed-in user, the CSRF token,
    the locale) would leak from one request into the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return contextvars.Context().run(super().open, *args, **kwargs)


def make_app(database_url: str, instance: Path, **overrides: Any) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "tests-only",
        "SQLALCHEMY_DATABASE_URI": database_url,
    }
    config.update(overrides)
    app = create_app(config)
    app.instance_path = str(instance)
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[str]:
    """An empty database of each kind, made for this run and removed after it."""
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path_factory.mktemp("sqlite") / "surveyapp.db")
        return
    url = create_postgres_database()
    yield url.render_as_string(hide_password=False)
    drop_postgres_database(url)


@pytest.fixture(scope="session")
def _county_app(database_url: str, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[tuple[Flask, Any]]:
    from surveyapp.demo import load_demo_county

    app = make_app(database_url, tmp_path_factory.mktemp("instance"))
    with app.app_context():
        upgrade()
        summary = load_demo_county(_db.session, seed=1, size="small")
        _db.session.commit()
    yield app, summary
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def app(_county_app: tuple[Flask, Any]) -> Iterator[Flask]:
    """The migrated app with the demo county, inside a transaction rolled back after the test."""
    flask_app, _ = _county_app
    with flask_app.app_context():
        connection = _db.engine.connect()
        outer = connection.begin()
        original = _db.session
        # A plain Session honours `bind`; commits inside the test become savepoints.
        _db.session = orm.scoped_session(
            orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=original.registry.scopefunc,
        )
        try:
            yield flask_app
        finally:
            _db.session.remove()
            _db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def db(app: Flask) -> Any:
    return _db


@pytest.fixture
def demo_county(_county_app: tuple[Flask, Any], app: Flask) -> Any:
    return _county_app[1]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def login_as(client: FlaskClient, db: Any) -> Callable[[str], Any]:
    """Sign the test client in as the demo user with this username (no password round trip)."""
    from surveyapp.models import User

    def sign_in(username: str) -> Any:
        user = db.session.scalar(sa.select(User).where(User.username == username))
        assert user is not None, f"no demo user {username!r}"
        with client.session_transaction() as session:
            session["user_id"] = user.id
        return user

    return sign_in


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
