"""A case, its sealed per-case keys and its encrypted fields."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from redress.store.models.base import Base, new_id
from redress.store.models.enums import CaseStatus, KeyKind, Recipient, stored


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # Short random reference caseworkers can say aloud; carries no information.
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    reporter_id: Mapped[str] = mapped_column(ForeignKey("reporters.id"), index=True)
    status: Mapped[CaseStatus] = mapped_column(stored(CaseStatus), default=CaseStatus.RECEIVED)
    # Day precision only: no exact time of a reporter's action is stored.
    received_on: Mapped[date]
    acknowledgement_due: Mapped[date]
    acknowledged_on: Mapped[date | None] = mapped_column(default=None)
    feedback_due: Mapped[date | None] = mapped_column(default=None)
    closed_on: Mapped[date | None] = mapped_column(default=None)
    # The caseworker responsible; workflow state, kept in clear.
    assignee_id: Mapped[str | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), default=None, index=True
    )

    keys: Mapped[list[CaseKey]] = relationship(
        back_populates="case", cascade="all, delete-orphan", passive_deletes=True
    )
    fields: Mapped[list[CaseField]] = relationship(
        back_populates="case", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        Index("ix_cases_status_received", "status", "received_on"),
        # The case list: date-sorted pages and per-status counts (bench/bench_caselist.py).
        Index("ix_cases_received", "received_on", "reference"),
        Index("ix_cases_status_id", "status", "id"),
    )


class CaseKey(Base):
    """One per-case key sealed to one recipient; deleting every row shreds the case."""

    __tablename__ = "case_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[KeyKind] = mapped_column(stored(KeyKind))
    recipient: Mapped[Recipient] = mapped_column(stored(Recipient))
    caseworker_id: Mapped[str | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="CASCADE"), default=None
    )
    sealed: Mapped[bytes] = mapped_column(LargeBinary)

    case: Mapped[Case] = relationship(back_populates="keys")

    __table_args__ = (
        UniqueConstraint("case_id", "kind", "recipient", "caseworker_id"),
        Index("ix_case_keys_case", "case_id", "kind"),
        # A holder's cases, answered from the index alone by the case list.
        Index("ix_case_keys_holder", "caseworker_id", "recipient", "kind", "case_id"),
    )


class CaseField(Base):
    """An encrypted, named piece of a case (the report, later triage values and identity)."""

    __tablename__ = "case_fields"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    key_kind: Mapped[KeyKind] = mapped_column(stored(KeyKind))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)

    case: Mapped[Case] = relationship(back_populates="fields")

    __table_args__ = (UniqueConstraint("case_id", "name"),)
