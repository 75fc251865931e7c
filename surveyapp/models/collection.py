"""What collection needs besides the responses themselves, each kept apart from them.

None of these tables links to a `Response`: a draft is deleted when its response is stored, the
duplicate guard keeps only a hash of a browser's random cookie, "who has taken part" sits apart
from what they answered, and a drawn household's outcome is never joined to its answers.
"""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.models.base import Base, JSONType, UTCDateTime, str_enum, utcnow


class Draft(Base):
    """Answers saved between pages, found by the hash of a random id held in a cookie."""

    __tablename__ = "draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    section: Mapped[int] = mapped_column(default=0)
    # Kept only while the draft lives, to put the finished response in a duration bucket.
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # Who is answering when it is not a citizen on a poster link: an interviewer's drawn
    # household, an invitation slip, or a signed-in cadre or member (deleted with the draft).
    context: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class SubmittedBrowser(Base):
    """One row per browser that has answered a wave at a village: refuses repeat submissions.

    Holds a hash of a random per-browser cookie only, and no link to the response it sent.
    """

    __tablename__ = "submitted_browser"
    __table_args__ = (UniqueConstraint("wave_id", "org_id", "browser_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    browser_hash: Mapped[str] = mapped_column(String(64))


class RecentSubmission(Base):
    """Submission times per village over the last few minutes, for the burst flag.

    Rows older than the burst window are deleted as new ones arrive, so no lasting record of
    when anyone answered is kept.
    """

    __tablename__ = "recent_submission"
    __table_args__ = (Index("ix_recent_submission_wave_org_at", "wave_id", "org_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DurationSample(Base):
    """Seconds taken per completed questionnaire, per wave, unlinked: the too-fast flag compares
    a new submission with the median of these."""

    __tablename__ = "duration_sample"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    seconds: Mapped[int]


def participation_key() -> str:
    """A new Participation's id (see there)."""
    return secrets.token_hex(16)


class Participation(Base):
    """That a person has answered a wave (about a subject), kept apart from what they answered,
    so "has voted" or "has rated" never points at a ballot or a rating."""

    __tablename__ = "participation"
    __table_args__ = (UniqueConstraint("wave_id", "person_id", "subject_key"),)

    # A random key, not a counter: with sequential ids the n-th "has voted" row and the n-th
    # ballot of a small meeting would line up and name the voter. Rows carry no time either.
    id: Mapped[str] = mapped_column(
        String(32), primary_key=True, default=participation_key
    )
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    # "person:<code>", "org:<code>" or "-" when the questionnaire rates nobody; a string so the
    # uniqueness holds on both databases (NULLs never collide in a unique constraint).
    subject_key: Mapped[str] = mapped_column(String(80))


class Eligibility(Base):
    """Who may answer a wave that is not open to the public, e.g. the voters of a 民主测评."""

    __tablename__ = "eligibility"
    __table_args__ = (UniqueConstraint("wave_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)


class Outcome(enum.StrEnum):
    PENDING = "pending"
    COMPLETE = "complete"
    REFUSED = "refused"
    NON_CONTACT = "non_contact"
    INELIGIBLE = "ineligible"


class SampledHousehold(Base):
    """A household drawn for a wave, with its inclusion probability and the interview outcome.

    The weight travels to the response; the household's identity does not. This table says
    which households were done, for following up non-response, and nothing about answers.
    """

    __tablename__ = "sampled_household"
    __table_args__ = (
        UniqueConstraint("wave_id", "household_id"),
        CheckConstraint("inclusion_probability > 0 AND inclusion_probability <= 1",
                        name="probability_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    inclusion_probability: Mapped[float]
    draw_order: Mapped[int]  # the order of the seeded draw, for replacement rules
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome), default=Outcome.PENDING)
    outcome_on: Mapped[date | None]

    household = relationship("Household")
