"""Reporters are known only by a lookup token and a public key, both derived from the receipt."""

from __future__ import annotations

from datetime import date

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from redress.store.models.base import Base, new_id


class Reporter(Base):
    __tablename__ = "reporters"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    lookup_token: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_on: Mapped[date]
