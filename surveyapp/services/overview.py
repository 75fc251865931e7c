"""What each role's home page shows: plain data gathered with a few aggregate queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import (
    TOWNSHIP_KINDS,
    VILLAGE_KINDS,
    AuditEntry,
    Household,
    Org,
    Person,
    QuestionnaireVersion,
    Response,
    Role,
    User,
    Wave,
    WaveStatus,
)
from surveyapp.models.people import member_household
from surveyapp.services.scope import subtree_ids


@dataclass(frozen=True)
class WaveRow:
    code: str
    name: str
    questionnaire: str
    audience: str
    status: WaveStatus
    starts_on: date
    ends_on: date
    responses: int


@dataclass(frozen=True)
class OrgRow:
    code: str
    name: str
    kind: str
    villages: int
    adults: int | None
    responses: int


def _response_counts(org_ids: set[int] | None) -> dict[int, int]:
    query = sa.select(Response.wave_id, sa.func.count()).group_by(Response.wave_id)
    if org_ids is not None:
        query = query.where(Response.org_id.in_(org_ids))
    return dict(db.session.execute(query).all())


def list_waves(org_ids: set[int] | None = None, *, status: WaveStatus | None = None,
               audience: str | None = None) -> list[WaveRow]:
    """Waves with their response counts, restricted to responses from `org_ids` when given."""
    query = sa.select(Wave, QuestionnaireVersion).join(Wave.questionnaire_version)
    if status is not None:
        query = query.where(Wave.status == status)
    counts = _response_counts(org_ids)
    return [
        WaveRow(w.code, w.name, f"{q.title}（{q.version}）", q.audience, w.status, w.starts_on,
                w.ends_on, counts.get(w.id, 0))
        for w, q in db.session.execute(query.order_by(Wave.starts_on.desc(), Wave.code))
        # One instrument may serve several audiences (members and residents rate a branch).
        if audience is None or audience in q.definition.get("audience", [])
    ]


def admin_overview() -> dict[str, object]:
    def count(query: sa.Select) -> int:
        return db.session.scalar(query) or 0

    return {
        "townships": count(sa.select(sa.func.count()).where(Org.kind.in_(TOWNSHIP_KINDS))),
        "villages": count(sa.select(sa.func.count()).where(Org.kind.in_(VILLAGE_KINDS))),
        "households": count(sa.select(sa.func.count()).select_from(Household)),
        "members": count(sa.select(sa.func.count()).where(Person.is_member)),
        "cadres": count(sa.select(sa.func.count()).where(Person.is_cadre)),
        "users": dict(
            db.session.execute(sa.select(User.role, sa.func.count()).group_by(User.role)).all()
        ),
        "waves": list_waves(),
        "audit": db.session.scalars(
            sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(10)
        ).all(),
    }


def child_rows(parent: Org, visible: set[int]) -> list[OrgRow]:
    """The parent's children in scope, each with its villages, adults and responses below it."""
    rows = []
    for child in parent.children:
        if child.id not in visible or child.retired_at is not None:
            continue
        below = subtree_ids(child.id)
        villages = db.session.scalar(
            sa.select(sa.func.count()).where(Org.id.in_(below), Org.kind.in_(VILLAGE_KINDS))
        )
        adults = db.session.scalar(
            sa.select(sa.func.sum(Org.adults)).where(Org.id.in_(below), Org.kind.in_(VILLAGE_KINDS))
        )
        responses = db.session.scalar(
            sa.select(sa.func.count()).select_from(Response).where(Response.org_id.in_(below))
        )
        rows.append(OrgRow(child.code, child.name, child.kind.value, villages or 0, adults,
                           responses or 0))
    return rows


def scope_overview(user: User) -> dict[str, object]:
    """For assessors and interviewers: their organisation, its children and the waves."""
    root = user.scope_org
    visible = subtree_ids(root.id)
    return {
        "root": root,
        "children": child_rows(root, visible),
        "waves": list_waves(visible),
        "open_waves": list_waves(visible, status=WaveStatus.OPEN),
    }


AUDIENCE_OF_ROLE = {Role.CADRE: "cadre", Role.MEMBER: "member"}


def person_overview(user: User) -> dict[str, object]:
    """For cadres and members: who they are, whom they serve, and what is open to them."""
    person = user.person
    households = db.session.scalar(
        sa.select(sa.func.count()).select_from(member_household)
        .where(member_household.c.person_id == person.id)
    )
    return {
        "person": person,
        "households_served": households or 0,
        "open_waves": list_waves(
            {person.org_id}, status=WaveStatus.OPEN, audience=AUDIENCE_OF_ROLE[user.role]
        ),
    }
