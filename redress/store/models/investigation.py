"""Investigation records: internal notes and tasks, encrypted under the case's internal key."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from redress.store.models.base import Base, new_id


class Note(Base):
    """An internal note: never visible to the reporter."""

    __tablename__ = "notes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[str | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime]
    # Internal key; the context binds case, note id and author.
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)


class Task(Base):
    """A task with an owner and a due date; its description is encrypted."""

    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[str | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), default=None, index=True
    )
    due_on: Mapped[date | None] = mapped_column(default=None)
    done_on: Mapped[date | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    # Internal key; the context binds case and task id.
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
