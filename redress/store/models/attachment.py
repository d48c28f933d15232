"""Attachments: an encrypted blob plus its file key and metadata encrypted under a case key."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from redress.store.models.base import Base
from redress.store.models.enums import KeyKind, stored


class Attachment(Base):
    __tablename__ = "attachments"

    # Chosen while the upload streams in, before the case exists; bound into the blob's stream.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[str | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), default=None, index=True
    )
    key_kind: Mapped[KeyKind] = mapped_column(stored(KeyKind))
    blob_id: Mapped[str] = mapped_column(String(64), unique=True)
    # The random file key, encrypted under the case key named by key_kind.
    encrypted_file_key: Mapped[bytes] = mapped_column(LargeBinary)
    # File name, media type and exact size, encrypted under the same case key.
    encrypted_meta: Mapped[bytes] = mapped_column(LargeBinary)
    size_bucket: Mapped[str] = mapped_column(String(16))
    added_on: Mapped[date]
