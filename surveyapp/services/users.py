"""Accounts for admins: create, change role and scope, reset a password, deactivate."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Org, Person, Role, User
from surveyapp.services import audit

MIN_PASSWORD_LENGTH = 8
SCOPED_ROLES = (Role.ASSESSOR, Role.INTERVIEWER)
PERSON_ROLES = (Role.CADRE, Role.MEMBER)


class UserError(ValueError):
    """An account change that is not allowed; `reason` says which rule."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Access:
    """Role and what it is tied to, resolved from codes."""

    role: Role
    scope: Org | None
    person: Person | None


def resolve_access(role: Role, scope_code: str | None, person_code: str | None,
                   *, user: User | None = None) -> Access:
    scope = person = None
    if role in SCOPED_ROLES:
        if not scope_code:
            raise UserError("scope_required")
        scope = db.session.scalar(sa.select(Org).where(Org.code == scope_code))
        if scope is None:
            raise UserError("unknown_scope")
    if role in PERSON_ROLES:
        if not person_code:
            raise UserError("person_required")
        person = db.session.scalar(sa.select(Person).where(Person.code == person_code))
        if person is None:
            raise UserError("unknown_person")
        holder = db.session.scalar(sa.select(User).where(User.person_id == person.id))
        if holder is not None and holder is not user:
            raise UserError("person_taken")
    return Access(role, scope, person)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError("password_short")


def list_users(role: Role | None = None) -> list[User]:
    query = sa.select(User).order_by(User.role, User.username)
    if role is not None:
        query = query.where(User.role == role)
    return list(db.session.scalars(query))


def get_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username))


def create_user(username: str, display_name: str, password: str, access: Access,
                *, by: User) -> User:
    if get_user(username) is not None:
        raise UserError("duplicate_username")
    check_password(password)
    user = User(username=username, display_name=display_name, role=access.role,
                scope_org=access.scope, person=access.person)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", user=by, target_type="user", target=username,
                 detail=_access_detail(access))
    db.session.commit()
    return user


def update_user(user: User, display_name: str, access: Access, is_active: bool,
                *, by: User) -> User:
    if user.id == by.id and (access.role is not Role.ADMIN or not is_active):
        raise UserError("own_admin")  # an admin must not lock themselves out
    before = {"role": user.role.value, "scope": user.scope_org.code if user.scope_org else None,
              "person": user.person.code if user.person else None,
              "display_name": user.display_name, "is_active": user.is_active}
    user.display_name = display_name
    user.role, user.scope_org, user.person = access.role, access.scope, access.person
    user.is_active = is_active
    after = {**_access_detail(access), "display_name": display_name, "is_active": is_active}
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changed:
        audit.record("user.update", user=by, target_type="user", target=user.username,
                     detail=changed)
    db.session.commit()
    return user


def reset_password(user: User, password: str, *, by: User) -> None:
    check_password(password)
    user.set_password(password)
    # The log says that a reset happened, never the password.
    audit.record("user.reset_password", user=by, target_type="user", target=user.username)
    db.session.commit()


def _access_detail(access: Access) -> dict[str, str | None]:
    return {"role": access.role.value, "scope": access.scope.code if access.scope else None,
            "person": access.person.code if access.person else None}
