"""Writing the audit log."""

from __future__ import annotations

from typing import Any

from surveyapp.extensions import db
from surveyapp.models import AuditEntry, User


def record(action: str, *, user: User | None = None, username: str | None = None,
           target_type: str | None = None, target: str | None = None,
           detail: dict[str, Any] | None = None) -> AuditEntry:
    """Add an audit entry to the session; the caller's commit makes it permanent with the
    change it describes, so the log never claims a change that was rolled back."""
    entry = AuditEntry(
        user_id=user.id if user else None,
        username=user.username if user else username,
        action=action,
        target_type=target_type,
        target=target,
        detail=detail,
    )
    db.session.add(entry)
    return entry
