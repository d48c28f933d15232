"""One-time tokens of the report form, so a double-submitted form stores one report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from redress.store.models.base import Base


class SubmissionToken(Base):
    __tablename__ = "submission_tokens"

    # Digest of the random token embedded in the form; the token itself is never stored.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The receipt, encrypted under a key derived from the token (which only the reporter's
    # page holds), so a second copy of the same submission can show the same receipt.
    encrypted_receipt: Mapped[bytes] = mapped_column(LargeBinary)
    # Rounded up to a 5-minute slot; the row is deleted after confirmation or expiry.
    expires_at: Mapped[datetime] = mapped_column(index=True)
