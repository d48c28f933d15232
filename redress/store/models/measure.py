"""Interim measures on a case (suspend updates or support, remote disable) pending a decision.

The workflow (state, review date, who proposed, decided and lifted it, on which day) is kept in
clear for deadlines and the case list; what the measure is and why are encrypted under the
case's internal key: a stolen database does not tell which case led to a remote disable.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from redress.store.models.base import Base, new_id
from redress.store.models.enums import MeasureState, stored


class InterimMeasure(Base):
    __tablename__ = "interim_measures"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # Indexed through ix_interim_measures_review, which starts with it.
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    state: Mapped[MeasureState] = mapped_column(stored(MeasureState), default=MeasureState.PROPOSED)
    # The deadline for reviewing the measure; after today when proposed or renewed.
    review_on: Mapped[date]
    proposed_by: Mapped[str | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), default=None
    )
    decided_by: Mapped[str | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), default=None
    )
    lifted_by: Mapped[str | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), default=None
    )
    # Day precision only.
    proposed_on: Mapped[date]
    decided_on: Mapped[date | None] = mapped_column(default=None)
    lifted_on: Mapped[date | None] = mapped_column(default=None)
    # Internal key: the kind and the rationale; the context binds case and measure.
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    # Internal key: the renewals and the lifting with their reasons, rewritten on each review;
    # None before the first. The context binds case, measure and review_count.
    encrypted_reviews: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    review_count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        # A case's measures, and the next review date of those in force (the case list).
        Index("ix_interim_measures_review", "case_id", "state", "review_on"),
    )
