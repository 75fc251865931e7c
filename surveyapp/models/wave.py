"""Survey waves, their target organisations, and one-time invitations."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.models.base import Base, UTCDateTime, str_enum, utcnow
from surveyapp.models.org import Org
from surveyapp.models.questionnaire import QuestionnaireVersion


class WaveStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


wave_target = Table(
    "wave_target",
    Base.metadata,
    Column("wave_id", ForeignKey("wave.id", ondelete="CASCADE"), primary_key=True),
    Column("org_id", ForeignKey("org.id"), primary_key=True),
)


class Wave(Base):
    __tablename__ = "wave"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint("target_per_village IS NULL OR target_per_village > 0",
                        name="target_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    questionnaire_version_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_version.id"), index=True
    )
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    status: Mapped[WaveStatus] = mapped_column(str_enum(WaveStatus), default=WaveStatus.DRAFT)
    target_per_village: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    targets: Mapped[list[Org]] = relationship(secondary=wave_target, order_by=Org.code)


class Invitation(Base):
    """A one-time token for someone without an account (e.g. a household rating its member).

    Only a hash of the token is stored, so a database leak does not hand out usable links.
    """

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    subject_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    wave: Mapped[Wave] = relationship()
