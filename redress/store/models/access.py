"""Access beyond sealed keys: conflict-of-interest exclusions and identity disclosure requests."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from redress.store.models.base import Base, new_id
from redress.store.models.enums import stored


class CaseExclusion(Base):
    """A caseworker excluded from a case (conflict of interest): never granted while it stands."""

    __tablename__ = "case_exclusions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    caseworker_id: Mapped[str] = mapped_column(ForeignKey("caseworkers.id", ondelete="CASCADE"))
    created_by: Mapped[str | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("case_id", "caseworker_id"),)


class DisclosureStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class DisclosureRequest(Base):
    """A caseworker's request to see the reporter's confidential identity, decided by an approver
    other than the requester; on approval the identity key is re-sealed to the requester."""

    __tablename__ = "disclosure_requests"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    requester_id: Mapped[str] = mapped_column(ForeignKey("caseworkers.id", ondelete="CASCADE"))
    # The written reason, under the case's internal key.
    encrypted_reason: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[DisclosureStatus] = mapped_column(
        stored(DisclosureStatus), default=DisclosureStatus.PENDING
    )
    decided_by: Mapped[str | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
