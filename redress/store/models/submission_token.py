"""One-time tokens of the report form, so a double-submitted form stores one report."""

from __future__ import annotations

from datetime import date

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from redress.store.models.base import Base


class SubmissionToken(Base):
    __tablename__ = "submission_tokens"

    # Digest of the random token embedded in the form; the token itself is never stored.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The receipt and the exact expiry, encrypted under a key derived from the token (which only
    # the reporter's page holds), so a second copy of the same submission can show the same
    # receipt. Emptied once the reporter confirms the receipt: the form is then spent.
    encrypted_receipt: Mapped[bytes] = mapped_column(LargeBinary)
    # The day from which the row has certainly expired and is deleted (a function of the day
    # the form was stored, so it dates the submission to the day only).
    purge_after: Mapped[date] = mapped_column(index=True)
