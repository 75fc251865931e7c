"""The audit log for admins: every change and download, filtered by action, user, target, day."""

from __future__ import annotations

from datetime import date

from flask import render_template, request

from surveyapp.admin import bp
from surveyapp.auth.access import role_required
from surveyapp.models import Role
from surveyapp.services.audit import AuditFilter, audit_page


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@bp.route("/audit")
@role_required(Role.ADMIN)
def audit_index() -> str:
    args = request.args
    filters = {"action": args.get("action", "").strip(), "user": args.get("user", "").strip(),
               "target": args.get("target", "").strip(), "since": args.get("since", ""),
               "until": args.get("until", "")}
    result = audit_page(AuditFilter(action=filters["action"], username=filters["user"],
                                    target=filters["target"], since=_day(filters["since"]),
                                    until=_day(filters["until"])),
                        args.get("page", 0, type=int))
    return render_template("admin/audit.html", entries=result.rows, filters=filters,
                           page=result.page, more=result.more, actions=result.actions)
