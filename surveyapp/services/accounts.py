"""Signing in and out."""

from __future__ import annotations

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import User
from surveyapp.models.base import utcnow
from surveyapp.services import audit


def authenticate(username: str, password: str) -> User | None:
    """Return the active user with these credentials, logging the attempt either way."""
    user = db.session.scalar(sa.select(User).where(User.username == username.strip()))
    if user is None or not user.is_active or not user.check_password(password):
        audit.record("login.failed", username=username.strip()[:64])
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
