"""Immutable questionnaire versions loaded from the files in `questionnaires/`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from surveyapp.models.base import Base, JSONType, UTCDateTime, utcnow


class QuestionnaireVersion(Base):
    """One version of one instrument. Never edited: a changed file is loaded as a new row,
    so a wave and its responses always point at the exact wording people answered."""

    __tablename__ = "questionnaire_version"
    __table_args__ = (
        UniqueConstraint("questionnaire_id", "content_hash"),
        UniqueConstraint("questionnaire_id", "version", "content_hash", name="id_version_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the file's bytes
    title: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(32))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
