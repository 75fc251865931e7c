"""What organisations record about members and village organisations outside the surveys:
points (党员积分), veto events (一票否决 / 清零) and exemptions (免评).

Event names and exemption reasons are stored as ``indices.yaml`` spells them; the services
check them against the file, so a county that renames an event edits YAML, not code.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.models.base import Base, UTCDateTime, str_enum, utcnow


class PointsKind(enum.StrEnum):
    """The base score and its caps come from ``indices.yaml``; only movements are recorded."""

    BONUS = "bonus"  # 加分
    DEDUCTION = "deduction"  # 扣分


class PointsEntry(Base):
    """One bonus or deduction for a member in a period (``2025``, ``2025-Q3``, ``2025-07``)."""

    __tablename__ = "points_entry"
    __table_args__ = (
        UniqueConstraint("person_id", "period", "kind", "reason"),
        CheckConstraint("points > 0 AND points <= 100", name="points_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    period: Mapped[str] = mapped_column(String(16))
    kind: Mapped[PointsKind] = mapped_column(str_enum(PointsKind))
    points: Mapped[float]
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    person = relationship("Person")


class VetoEvent(Base):
    """An event that zeroes a member's pioneer score or vetoes a village organisation's grade.

    Exactly one of ``person_id`` (a member) and ``org_id`` (a village or community) is set.
    """

    __tablename__ = "veto_event"
    __table_args__ = (
        CheckConstraint("(person_id IS NULL) <> (org_id IS NULL)", name="person_or_org"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)
    event: Mapped[str] = mapped_column(String(100))
    occurred_on: Mapped[date]
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    person = relationship("Person")
    org = relationship("Org")


class Exemption(Base):
    """A member exempt from the pioneer index (免评) for a reason ``indices.yaml`` allows."""

    __tablename__ = "exemption"
    __table_args__ = (
        UniqueConstraint("person_id", "reason", "starts_on"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    reason: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    person = relationship("Person")
