"""Configuration read once from the environment.

`DATABASE_URL` selects PostgreSQL (``postgresql+psycopg://…``); without it the app uses SQLite in
``instance/surveyapp.db``. `SECRET_KEY` comes from the environment or is generated once into the
instance folder, so no key ever lives in the code or the repository.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


def load_or_create_secret_key(instance_path: str) -> str:
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: two gunicorn workers starting at once must end up with the same key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key)
    return key


def config_from_env(instance_path: str, environ: dict[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    database_url = env.get("DATABASE_URL") or "sqlite:///" + str(
        Path(instance_path) / "surveyapp.db"
    )
    https = env.get("PREFERRED_URL_SCHEME", "http") == "https"
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or load_or_create_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": ["zh_CN", "en"],
        "QUESTIONNAIRES_DIR": env.get(
            "QUESTIONNAIRES_DIR", str(Path(__file__).resolve().parent.parent / "questionnaires")
        ),
        "MIN_CELL_SIZE": int(env.get("MIN_CELL_SIZE", "5")),
        "REDIS_URL": env.get("REDIS_URL"),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": int(env.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024,  # imports
    }
