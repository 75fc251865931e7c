"""Which organisations an account may see. Every scope decision in the app is made here."""

from __future__ import annotations

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Org, Role, User


class OutOfScope(Exception):
    """The account asked for an organisation outside its subtree."""


def subtree_ids(root_id: int) -> set[int]:
    """Ids of an organisation and everything below it (one recursive query)."""
    tree = sa.select(Org.id).where(Org.id == root_id).cte("tree", recursive=True)
    tree = tree.union_all(sa.select(Org.id).where(Org.parent_id == tree.c.id))
    return set(db.session.scalars(sa.select(tree.c.id)))


def visible_org_ids(user: User) -> set[int] | None:
    """The organisations the user may see; None means all of them (admins)."""
    if user.role is Role.ADMIN:
        return None
    if user.scope_org_id is not None:
        return subtree_ids(user.scope_org_id)
    if user.person is not None:
        return {user.person.org_id}
    return set()


def can_see(user: User, org: Org) -> bool:
    visible = visible_org_ids(user)
    return visible is None or org.id in visible


def require_visible(user: User, org: Org) -> Org:
    if not can_see(user, org):
        raise OutOfScope(org.code)
    return org


def ancestors(org: Org) -> list[Org]:
    """From the root down to the organisation's parent, for breadcrumbs."""
    chain: list[Org] = []
    node = org.parent
    while node is not None:
        chain.append(node)
        node = node.parent
    return list(reversed(chain))
