"""Administrative counts per organisation and period, entered by admins or imported."""

from __future__ import annotations

import re

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import AdminCount, CountKind, Org, User
from surveyapp.services import audit

KIND_NAMES = {"违纪违法": CountKind.VIOLATIONS, "信访": CountKind.PETITIONS}
KIND_TEXT = {kind: name for name, kind in KIND_NAMES.items()}
PERIOD = re.compile(r"^(\d{4})(-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$")


def parse_period(text: str) -> str:
    """A year, half year, quarter or month: ``2025``, ``2025-H1``, ``2025-Q3``, ``2025-07``."""
    cleaned = text.strip().upper()
    if not PERIOD.match(cleaned):
        raise ValueError(f"period {text!r}: write 2025, 2025-H1, 2025-Q3 or 2025-07")
    return cleaned


def periods() -> list[str]:
    return list(db.session.scalars(
        sa.select(AdminCount.period).distinct().order_by(AdminCount.period.desc())))


def counts_for(period: str) -> list[tuple[AdminCount, Org]]:
    query = (sa.select(AdminCount, Org).join(Org, AdminCount.org_id == Org.id)
             .where(AdminCount.period == period).order_by(Org.code, AdminCount.kind))
    return [(a, o) for a, o in db.session.execute(query)]


def record_count(org: Org, period: str, kind: CountKind, count: int, exposure: int | None,
                 *, by: User) -> AdminCount:
    """Create or correct the count of `kind` for `org` in `period`; audit-logged."""
    period = parse_period(period)
    if count < 0 or (exposure is not None and exposure <= 0):
        raise ValueError("count must be >= 0 and exposure > 0")
    row = db.session.scalar(sa.select(AdminCount).where(
        AdminCount.org_id == org.id, AdminCount.period == period, AdminCount.kind == kind))
    before = None if row is None else {"count": row.count, "exposure": row.exposure}
    if row is None:
        row = AdminCount(org_id=org.id, period=period, kind=kind, count=count,
                         exposure=exposure)
        db.session.add(row)
    else:
        row.count, row.exposure = count, exposure
    audit.record("count.set", user=by, target_type="org", target=org.code,
                 detail={"period": period, "kind": kind.value, "before": before,
                         "after": {"count": count, "exposure": exposure}})
    db.session.commit()
    return row
