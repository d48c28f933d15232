"""Server-side session records holding an unlocked private key encrypted under a cookie-held key."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from redress.store.models.base import Base
from redress.store.models.enums import SessionApp, stored


class SessionRecord(Base):
    __tablename__ = "session_records"

    # Digest of the random session id from the cookie; the id itself is not stored.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    app: Mapped[SessionApp] = mapped_column(stored(SessionApp))
    # Set for console sessions only; a reporter session names its subject only inside `payload`.
    caseworker_id: Mapped[str | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="CASCADE"), default=None, index=True
    )
    # Subject, private key and the exact idle and absolute expiry, encrypted under the session
    # key that only the cookie holds.
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    # The day from which the record has certainly expired and is deleted: a function of the day
    # the session began, so it dates a visit to the day only.
    purge_after: Mapped[date] = mapped_column(index=True)
