"""Organisation-wide secrets sealed to staff (the blind-index key), and staff recovery codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from redress.store.models.base import Base, new_id
from redress.store.models.enums import Recipient, stored


class OrganisationKey(Base):
    """A copy of an organisation key (e.g. the blind-index key) sealed to one holder."""

    __tablename__ = "organisation_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[Recipient] = mapped_column(stored(Recipient))
    caseworker_id: Mapped[str | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="CASCADE"), default=None
    )
    sealed: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (UniqueConstraint("name", "recipient", "caseworker_id"),)


class BlindIndex(Base):
    """A keyed digest of one normalised classification value of a case, for filtering.

    Reveals which cases share a value (equality), never the value.
    """

    __tablename__ = "blind_indexes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    facet: Mapped[str] = mapped_column(String(32))
    digest: Mapped[bytes] = mapped_column(LargeBinary(32))

    __table_args__ = (Index("ix_blind_indexes_lookup", "facet", "digest"),)


class RecoveryCode(Base):
    """A one-time code that stands in for a TOTP code; only its digest is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    caseworker_id: Mapped[str] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="CASCADE"), index=True
    )
    digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class ReplyTemplate(Base):
    """A reusable reply to reporters (organisation text, not case content: kept in clear)."""

    __tablename__ = "reply_templates"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    body: Mapped[str] = mapped_column(String(20_000))
