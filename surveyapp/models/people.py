"""Households, party members and cadres, and the links of the 三个全覆盖 that decide who rates
whom."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.models.base import Base, UTCDateTime, str_enum, utcnow


class Household(Base):
    """A household on a village's roster: the frame that citizen samples are drawn from.

    Contact details (head's name, phone, address) are personal data shown to admins only.
    """

    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    head_name: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int | None]
    adults: Mapped[int | None]

    village = relationship("Org")


class MemberStatus(enum.StrEnum):
    """Classes of party member that local points rules treat differently (DOMAIN §4)."""

    RESIDENT = "resident"  # 长驻
    MOBILE = "mobile"  # 流动
    EMPLOYED = "employed"  # 在职
    RETIRED = "retired"  # 离退


member_household = Table(
    "member_household",
    Base.metadata,
    Column("person_id", ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
    Column("household_id", ForeignKey("household.id", ondelete="CASCADE"), primary_key=True),
)

team_member = Table(
    "team_member",
    Base.metadata,
    Column("team_id", ForeignKey("team.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
)

team_village = Table(
    "team_village",
    Base.metadata,
    Column("team_id", ForeignKey("team.id", ondelete="CASCADE"), primary_key=True),
    Column("village_id", ForeignKey("org.id", ondelete="CASCADE"), primary_key=True),
)


class GridBranch(Base):
    """A grid party branch (网格支部) inside a village or community."""

    __tablename__ = "grid_branch"
    __table_args__ = (UniqueConstraint("village_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    village_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)

    village = relationship("Org")
    members: Mapped[list[Person]] = relationship(back_populates="grid_branch")


class Person(Base):
    """A party member, a cadre, or both, attached to the organisation they belong to."""

    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint("is_member OR is_cadre", name="member_or_cadre"),
        CheckConstraint("birth_year IS NULL OR birth_year > 1900", name="birth_year_plausible"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    sex: Mapped[str | None] = mapped_column(String(8))
    birth_year: Mapped[int | None]
    phone: Mapped[str | None] = mapped_column(String(20))
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    is_member: Mapped[bool] = mapped_column(default=False)
    is_cadre: Mapped[bool] = mapped_column(default=False)
    post: Mapped[str | None] = mapped_column(String(50))  # 职务, e.g. 村党支部书记
    member_status: Mapped[MemberStatus | None] = mapped_column(str_enum(MemberStatus))
    grid_branch_id: Mapped[int | None] = mapped_column(ForeignKey("grid_branch.id"), index=True)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    org = relationship("Org")
    grid_branch: Mapped[GridBranch | None] = relationship(back_populates="members")
    households_served: Mapped[list[Household]] = relationship(secondary=member_household)
    teams: Mapped[list[Team]] = relationship(secondary=team_member, back_populates="members")


class Team(Base):
    """A team of cadres linked to villages (组团联村), usually formed by a township."""

    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    township_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)

    township = relationship("Org")
    members: Mapped[list[Person]] = relationship(secondary=team_member, back_populates="teams")
    villages = relationship("Org", secondary=team_village)
