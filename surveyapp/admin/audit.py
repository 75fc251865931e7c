"""The audit log for admins: every change and download, filtered by action, user, target, day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import render_template, request

from surveyapp.admin import bp
from surveyapp.auth.access import role_required
from surveyapp.extensions import db
from surveyapp.models import AuditEntry, Role

PAGE_SIZE = 50


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _entries(action: str, username: str, target: str, since: date | None,
             until: date | None, page: int) -> tuple[list[AuditEntry], bool]:
    # A read-only filter over one table; services/audit.py only writes the log.
    query = sa.select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if username:
        query = query.where(AuditEntry.username == username)
    if target:
        query = query.where(AuditEntry.target == target)
    if since:
        query = query.where(AuditEntry.at >= datetime(since.year, since.month, since.day,
                                                      tzinfo=UTC))
    if until:
        end = until + timedelta(days=1)
        query = query.where(AuditEntry.at < datetime(end.year, end.month, end.day, tzinfo=UTC))
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    rows = list(db.session.scalars(query.offset(page * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


@bp.route("/audit")
@role_required(Role.ADMIN)
def audit_index() -> str:
    args = request.args
    filters = {"action": args.get("action", "").strip(), "user": args.get("user", "").strip(),
               "target": args.get("target", "").strip(), "since": args.get("since", ""),
               "until": args.get("until", "")}
    page = max(0, args.get("page", 0, type=int))
    entries, more = _entries(filters["action"], filters["user"], filters["target"],
                             _day(filters["since"]), _day(filters["until"]), page)
    actions = db.session.scalars(sa.select(AuditEntry.action).distinct().order_by(
        AuditEntry.action)).all()
    return render_template("admin/audit.html", entries=entries, filters=filters, page=page,
                           more=more, actions=actions)
