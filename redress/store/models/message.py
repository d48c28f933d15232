"""Messages between the reporter and caseworkers, encrypted under the case thread key."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from redress.store.models.base import Base, new_id
from redress.store.models.enums import Author, stored


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    # Order within the case; bound into the ciphertext's associated data with the author.
    seq: Mapped[int]
    author: Mapped[Author] = mapped_column(stored(Author))
    caseworker_id: Mapped[str | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), default=None
    )
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    sent_on: Mapped[date]
    read_by_reporter: Mapped[bool] = mapped_column(default=False)
    read_by_caseworkers: Mapped[bool] = mapped_column(default=False)
    # The reporter deleted their copy: no longer shown in the intake inbox.
    hidden_from_reporter: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (UniqueConstraint("case_id", "seq"),)
