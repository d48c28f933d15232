"""Organisation settings changed in the console (redress/settings.py), kept in clear: policy,
not case content."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from redress.store.models.base import Base


class OrganisationSetting(Base):
    """One saved setting; a setting with no row takes its default from the configuration."""

    __tablename__ = "organisation_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int]
