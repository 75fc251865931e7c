"""Writing the audit log, and reading it back for the admins' page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import AuditEntry, User

PAGE_SIZE = 50


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


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What the page asks for; empty strings and None mean "any"."""

    action: str = ""  # a prefix: "export." finds every export
    username: str = ""
    target: str = ""
    since: date | None = None
    until: date | None = None  # inclusive


@dataclass(frozen=True, slots=True)
class AuditRow:
    at: datetime
    username: str | None
    action: str
    target: str | None
    detail: list[tuple[str, str]]  # key, value as text a person reads (Chinese unescaped)


@dataclass(frozen=True, slots=True)
class AuditPage:
    rows: list[AuditRow]
    page: int
    more: bool  # a later page exists
    actions: list[str]  # every action in the log, for the filter's choices


def audit_page(filters: AuditFilter, page: int = 0) -> AuditPage:
    """One page of the log, newest first, with the actions to filter by."""
    query = sa.select(AuditEntry)
    if filters.action:
        query = query.where(AuditEntry.action.startswith(filters.action, autoescape=True))
    if filters.username:
        query = query.where(AuditEntry.username == filters.username)
    if filters.target:
        query = query.where(AuditEntry.target == filters.target)
    if filters.since:
        query = query.where(AuditEntry.at >= _midnight(filters.since))
    if filters.until:
        query = query.where(AuditEntry.at < _midnight(filters.until + timedelta(days=1)))
    page = max(0, page)
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    entries = list(db.session.scalars(query.offset(page * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    actions = db.session.scalars(
        sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    rows = [AuditRow(e.at, e.username, e.action, e.target, detail_items(e.detail))
            for e in entries[:PAGE_SIZE]]
    return AuditPage(rows, page, len(entries) > PAGE_SIZE, list(actions))


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def detail_items(detail: dict[str, Any] | None) -> list[tuple[str, str]]:
    """An entry's detail as (key, text) pairs: a list of plain values joined with 、, anything
    else nested as JSON with Chinese kept readable rather than escaped as \\uXXXX."""
    return [(str(key), _text(value)) for key, value in (detail or {}).items()]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return "、".join(str(v) for v in value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
