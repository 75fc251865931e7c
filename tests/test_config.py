"""Configuration comes from the environment; secrets never from the code."""

from __future__ import annotations

from pathlib import Path

from surveyapp.config import config_from_env


def test_sqlite_in_the_instance_folder_is_the_default(tmp_path: Path) -> None:
    config = config_from_env(str(tmp_path), environ={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/surveyapp.db"


def test_database_url_selects_postgresql(tmp_path: Path) -> None:
    url = "postgresql+psycopg://u@db.example/surveyapp"
    assert config_from_env(str(tmp_path), environ={"DATABASE_URL": url})[
        "SQLALCHEMY_DATABASE_URI"] == url


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path: Path) -> None:
    first = config_from_env(str(tmp_path), environ={})["SECRET_KEY"]
    second = config_from_env(str(tmp_path), environ={})["SECRET_KEY"]
    assert first == second and len(first) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_secret_key_from_the_environment_wins(tmp_path: Path) -> None:
    config = config_from_env(str(tmp_path), environ={"SECRET_KEY": "from-env"})
    assert config["SECRET_KEY"] == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_session_cookie_is_httponly_lax_and_secure_only_under_https(tmp_path: Path) -> None:
    plain = config_from_env(str(tmp_path), environ={"SECRET_KEY": "k"})
    https = config_from_env(str(tmp_path), environ={"SECRET_KEY": "k",
                                                     "PREFERRED_URL_SCHEME": "https"})
    assert plain["SESSION_COOKIE_HTTPONLY"] and plain["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert plain["SESSION_COOKIE_SECURE"] is False
    assert https["SESSION_COOKIE_SECURE"] is True
