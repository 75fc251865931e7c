"""Signing in and out."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import AuditEntry, User
from surveyapp.models.base import utcnow
from surveyapp.services import audit

# Guessing passwords: after this many failures for one username within the window, further
# attempts are refused until the window has passed. The audit log is the counter, so the limit
# holds across gunicorn workers on SQLite as well as PostgreSQL, with no Redis needed.
MAX_FAILED_LOGINS = 5
FAILED_LOGIN_WINDOW = timedelta(minutes=15)


class TooManyAttempts(Exception):
    """Too many failed logins for this username recently."""


def is_locked_out(username: str) -> bool:
    since = utcnow() - FAILED_LOGIN_WINDOW
    failures = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "login.failed",
            AuditEntry.username == username[:64],
            AuditEntry.at >= since,
        )
    )
    return (failures or 0) >= MAX_FAILED_LOGINS


def authenticate(username: str, password: str) -> User | None:
    """Return the active user with these credentials, logging the attempt either way.

    Raises
    ------
    TooManyAttempts
        When the username has failed too often in the last minutes; the password is not checked.
    """
    username = username.strip()
    if is_locked_out(username):
        raise TooManyAttempts(username)
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None or not user.is_active or not user.check_password(password):
        audit.record("login.failed", username=username[:64])
        db.session.commit()
        return None
    user.last_login_at = utcnow()
    audit.record("login", user=user)
    db.session.commit()
    return user


def record_logout(user: User) -> None:
    audit.record("logout", user=user)
    db.session.commit()


def get_active_user(user_id: int) -> User | None:
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_active else None
