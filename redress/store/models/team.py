"""The receiving team: the staff to whom new cases are sealed when they arrive."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from redress.store.models.base import Base, new_id


class ReceivingTeamMember(Base):
    """One member of the receiving team: its caseworkers receive each new case's thread and
    internal keys, its approvers each new confidential identity's key.

    There is one receiving team today; when intake channels come, each channel owns a team and a
    channel column joins this table (and its uniqueness).
    """

    __tablename__ = "receiving_team_members"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    caseworker_id: Mapped[str] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="CASCADE"), unique=True
    )
    # The approver who added them; None: the operator at the command line, or the upgrade that
    # put the accounts already receiving cases in the team.
    added_by: Mapped[str | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), default=None
    )
    added_on: Mapped[date]
