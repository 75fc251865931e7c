"""Administrative counts per organisation and period, for the two falling 三升两降 targets."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.models.base import Base, UTCDateTime, str_enum, utcnow


class CountKind(enum.StrEnum):
    VIOLATIONS = "violations"  # 违纪违法问题 (new cases)
    PETITIONS = "petitions"  # 基层信访矛盾问题


class AdminCount(Base):
    __tablename__ = "admin_count"
    __table_args__ = (
        UniqueConstraint("org_id", "period", "kind"),
        CheckConstraint("count >= 0", name="count_not_negative"),
        CheckConstraint("exposure IS NULL OR exposure > 0", name="exposure_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    period: Mapped[str] = mapped_column(String(16))  # "2025", "2025-H1", "2025-Q3"
    kind: Mapped[CountKind] = mapped_column(str_enum(CountKind))
    count: Mapped[int]
    # Population at risk for a rate per 1,000 (adults or cadres); None falls back to org.adults.
    exposure: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    org = relationship("Org")
