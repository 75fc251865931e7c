"""Accounts, roles and the organisation subtree an account may see."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from surveyapp.models.base import Base, UTCDateTime, str_enum, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    ASSESSOR = "assessor"
    INTERVIEWER = "interviewer"
    CADRE = "cadre"
    MEMBER = "member"


class User(Base):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL
    __table_args__ = (
        # An assessor without a scope would either see nothing or, worse, be read as "all".
        CheckConstraint(
            "role NOT IN ('assessor', 'interviewer') OR scope_org_id IS NOT NULL",
            name="scoped_roles_have_scope",
        ),
        CheckConstraint(
            "role NOT IN ('cadre', 'member') OR person_id IS NOT NULL",
            name="people_roles_have_person",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    scope_org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    scope_org = relationship("Org")
    person = relationship("Person")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
