"""The organisation tree for admins: browse, add, rename, move and retire.

Nothing is ever deleted: a retired organisation keeps its row, so responses and reports of
past waves still resolve. Every change is written to the audit log in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Org, OrgKind, User
from surveyapp.models.base import utcnow
from surveyapp.services import audit

# Which tier an organisation's parent sits on, by the tier of the organisation itself.
PARENT_LEVELS = {
    "county": (),
    "township": ("county",),
    "village": ("township",),
    "unit": ("county", "township"),
}


class OrgError(ValueError):
    """A change the tree does not allow; `reason` says which rule."""

    def __init__(self, reason: str, code: str = "") -> None:
        super().__init__(f"{reason}: {code}")
        self.reason, self.code = reason, code


def parent_allowed(kind: OrgKind, parent_kind: OrgKind | None) -> bool:
    levels = PARENT_LEVELS[kind.level]
    if parent_kind is None:
        return not levels
    return parent_kind.level in levels


def get_org(code: str) -> Org | None:
    return db.session.scalar(sa.select(Org).where(Org.code == code))


def roots() -> list[Org]:
    query = sa.select(Org).where(Org.parent_id.is_(None)).order_by(Org.code)
    return list(db.session.scalars(query))


def possible_parents(kind: OrgKind | None = None, *, excluding: Org | None = None) -> list[Org]:
    """Organisations in use that may be a parent (of `kind`, when given), never a descendant
    of `excluding`."""
    from surveyapp.services.scope import subtree_ids

    query = sa.select(Org).where(Org.retired_at.is_(None)).order_by(Org.code)
    orgs = [o for o in db.session.scalars(query) if o.kind.level != "village"]
    if kind is not None:
        orgs = [o for o in orgs if parent_allowed(kind, o.kind)]
    if excluding is not None:
        below = subtree_ids(excluding.id)
        orgs = [o for o in orgs if o.id not in below]
    return orgs


@dataclass(frozen=True, slots=True)
class OrgFields:
    code: str
    name: str
    kind: OrgKind
    parent_code: str | None
    adults: int | None = None
    households: int | None = None
    party_members: int | None = None


def _parent(code: str | None) -> Org | None:
    if not code:
        return None
    parent = get_org(code)
    if parent is None:
        raise OrgError("unknown_parent", code)
    if parent.retired_at is not None:
        raise OrgError("retired_parent", code)
    return parent


def create_org(fields: OrgFields, *, by: User) -> Org:
    if get_org(fields.code) is not None:
        raise OrgError("duplicate_code", fields.code)
    parent = _parent(fields.parent_code)
    if not parent_allowed(fields.kind, parent.kind if parent else None):
        raise OrgError("parent_kind", fields.parent_code or "")
    org = Org(code=fields.code, name=fields.name, kind=fields.kind, parent=parent,
              adults=fields.adults, households=fields.households,
              party_members=fields.party_members)
    db.session.add(org)
    db.session.flush()
    audit.record("org.create", user=by, target_type="org", target=org.code,
                 detail={"name": org.name, "kind": org.kind.value,
                         "parent": parent.code if parent else None})
    db.session.commit()
    return org


def update_org(org: Org, *, name: str, parent_code: str | None, adults: int | None,
               households: int | None, party_members: int | None, by: User) -> Org:
    """Rename, move and correct the figures of an organisation; each kind of change is its
    own audit entry so the log can be filtered by it."""
    from surveyapp.services.scope import subtree_ids

    if name != org.name:
        audit.record("org.rename", user=by, target_type="org", target=org.code,
                     detail={"from": org.name, "to": name})
        org.name = name
    current_parent = org.parent.code if org.parent else None
    if (parent_code or None) != current_parent:
        parent = _parent(parent_code)
        if not parent_allowed(org.kind, parent.kind if parent else None):
            raise OrgError("parent_kind", parent_code or "")
        if parent is not None and parent.id in subtree_ids(org.id):
            raise OrgError("cycle", parent_code or "")
        audit.record("org.move", user=by, target_type="org", target=org.code,
                     detail={"from": current_parent, "to": parent.code if parent else None})
        org.parent = parent
    figures = {"adults": adults, "households": households, "party_members": party_members}
    changed = {k: v for k, v in figures.items() if getattr(org, k) != v}
    if changed:
        audit.record("org.figures", user=by, target_type="org", target=org.code,
                     detail={k: [getattr(org, k), v] for k, v in changed.items()})
        for key, value in changed.items():
            setattr(org, key, value)
    db.session.commit()
    return org


def retire_org(org: Org, *, by: User) -> Org:
    """Retire an organisation and everything below it that is still in use; rows stay."""
    from surveyapp.services.scope import subtree_ids

    if org.retired_at is not None:
        raise OrgError("already_retired", org.code)
    now = utcnow()
    below = subtree_ids(org.id)
    retired = db.session.scalars(
        sa.select(Org.code).where(Org.id.in_(below), Org.retired_at.is_(None))
    ).all()
    db.session.execute(
        sa.update(Org).where(Org.id.in_(below), Org.retired_at.is_(None)).values(retired_at=now)
    )
    audit.record("org.retire", user=by, target_type="org", target=org.code,
                 detail={"retired": sorted(retired)})
    db.session.commit()
    db.session.refresh(org)
    return org


def restore_org(org: Org, *, by: User) -> Org:
    if org.retired_at is None:
        raise OrgError("not_retired", org.code)
    if org.parent is not None and org.parent.retired_at is not None:
        raise OrgError("retired_parent", org.parent.code)
    org.retired_at = None
    audit.record("org.restore", user=by, target_type="org", target=org.code)
    db.session.commit()
    return org
