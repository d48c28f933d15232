"""The append-only, hash-chained audit log and its head pointer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from redress.store.models.base import Base


class AuditEvent(Base):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # Exact for staff actions; midnight UTC of the day for anything a reporter did.
    occurred_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(32))
    # No foreign keys: the log outlives the accounts and cases it mentions.
    caseworker_id: Mapped[str | None] = mapped_column(String(32), default=None)
    case_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    action: Mapped[str] = mapped_column(String(64))
    # Canonical JSON of non-sensitive details (never content, never reporter metadata).
    detail: Mapped[str] = mapped_column(Text, default="{}")
    previous_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditHead(Base):
    """A single row serialising appends: each append locks and advances it."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int]
    last_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
