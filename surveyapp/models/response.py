"""Submitted answers, pinned to the questionnaire version they answered."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.models.base import Base, JSONType, str_enum
from surveyapp.models.questionnaire import QuestionnaireVersion


class Recruitment(enum.StrEnum):
    """How the respondent came to answer: decides whether the response is a probability sample."""

    POSTER = "poster"  # self-selected, via a village's QR poster or link
    DRAWN_HOUSEHOLD = "drawn_household"  # drawn from the roster, interviewed
    HOUSEHOLD_SLIP = "household_slip"  # a one-time token on a slip (联户)
    ACCOUNT = "account"  # a cadre or member who logged in


class Mode(enum.StrEnum):
    SELF = "self"
    FACE_TO_FACE = "face_to_face"
    PHONE = "phone"


class DurationBucket(enum.StrEnum):
    """Coarse time taken; exact durations and times could help re-identify a respondent."""

    UNDER_1M = "lt1m"
    M1_3 = "1-3m"
    M3_5 = "3-5m"
    M5_10 = "5-10m"
    OVER_10M = "gt10m"


class Response(Base):
    """One questionnaire answered.

    A citizen's response is anonymous by construction: there is no column for an IP address, a
    browser header, an account or a time of day, and `respondent_person_id` must stay empty when
    `is_anonymous` holds. Named respondents exist only for instruments taken under one's own
    account, such as a cadre's self-assessment.
    """

    __tablename__ = "response"
    __table_args__ = (
        CheckConstraint(
            "NOT is_anonymous OR respondent_person_id IS NULL", name="anonymous_has_no_person"
        ),
        CheckConstraint("weight IS NULL OR weight > 0", name="weight_positive"),
        Index("ix_response_wave_org", "wave_id", "org_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"))
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))  # the sampled organisation
    subject_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    subject_org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)
    is_anonymous: Mapped[bool] = mapped_column(default=True)
    respondent_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)  # keyed by item id of that version
    submitted_on: Mapped[date]  # the day only
    duration_bucket: Mapped[DurationBucket | None] = mapped_column(str_enum(DurationBucket))
    recruitment: Mapped[Recruitment] = mapped_column(str_enum(Recruitment))
    mode: Mapped[Mode] = mapped_column(str_enum(Mode))
    weight: Mapped[float | None]  # inverse inclusion probability, for drawn households
    flag_too_fast: Mapped[bool] = mapped_column(default=False)
    flag_straightline: Mapped[bool] = mapped_column(default=False)
    flag_burst: Mapped[bool] = mapped_column(default=False)

    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
