"""A short-lived receipt that a draft was submitted, so a retried POST shows the thank-you page.

When a phone sends the last page twice (a double tap, or a retry on a weak network), the second
request finds the draft already deleted. The receipt, keyed by the same hash of the draft's
secret key, tells it the first one succeeded. It holds no answers, no wave, no village, and is
deleted an hour later.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from surveyapp.models.base import Base, UTCDateTime


class SubmissionReceipt(Base):
    __tablename__ = "submission_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # Where the thank-you page links back to (an entry point's home), if anywhere.
    next_url: Mapped[str | None] = mapped_column(String(200))
