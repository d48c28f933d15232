"""The append-only, hash-chained audit log: two chains, each with its head pointer.

Staff and system actions go to one chain with exact times. Reporters' actions go to a chain of
their own with the day only: in the staff chain their place between exact-time entries would
date them to the gap between their neighbours (docs/threat-model.md, "Timing of reporter
actions").
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from redress.store.models.base import Base


class AuditEvent(Base):
    """An entry of the staff chain: what a staff member or the system did, and when exactly."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # Exact. (Entries a reporter made before revision 0005 were moved to the reporter chain.)
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
    """A single row serialising appends to the staff chain: each append locks and advances it."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int]
    last_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class ReporterAuditEvent(Base):
    """An entry of the reporter chain: what a reporter did, on which day (never more exactly)."""

    __tablename__ = "reporter_audit_events"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    occurred_on: Mapped[date]
    case_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    action: Mapped[str] = mapped_column(String(64))
    # Canonical JSON of counts only (never content, never reporter metadata).
    detail: Mapped[str] = mapped_column(Text, default="{}")
    previous_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class ReporterAuditHead(Base):
    """A single row serialising appends to the reporter chain."""

    __tablename__ = "reporter_audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int]
    last_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
