"""Organisation settings an administrator changes in the console: the process deadlines.

Each setting takes its default from the configuration file (redress/config.py); a value saved in
the console overrides it. Values are policy, not case content, and are kept in clear. A change
applies from then on: deadlines already set on cases stay as they were. Every change is audited
as `settings.changed`, with the old and new value of each setting that changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from redress import audit
from redress.audit import AuditAction
from redress.staff.identity import StaffIdentity
from redress.store.config import Config
from redress.store.models import OrganisationSetting


@dataclass(frozen=True)
class Setting:
    """A setting and its allowed range (its words: redress.i18n.console.SETTING_LABELS)."""

    name: str
    minimum: int
    maximum: int


SETTINGS = (
    # Days from receipt until the reporter is told the report was received.
    Setting("acknowledgement_days", 1, 90),
    # Days from acknowledgement until the reporter hears what was done about the report.
    Setting("feedback_days", 1, 365),
)
SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True)
class Deadlines:
    acknowledgement_days: int
    feedback_days: int


class SettingError(ValueError):
    """A value refused; the message names the setting and the allowed range."""


def current(db: Session, config: Config) -> Deadlines:
    """The settings in force: saved values, else the configuration's defaults."""
    saved = {row.name: row.value for row in db.scalars(select(OrganisationSetting))}
    return Deadlines(
        **{
            setting.name: saved.get(setting.name, getattr(config, setting.name))
            for setting in SETTINGS
        }
    )


def change(
    db: Session, config: Config, admin: StaffIdentity, values: Mapping[str, int]
) -> list[str]:
    """Save the values given and audit what changed; the names that changed."""
    for name, value in values.items():
        setting = SETTINGS_BY_NAME.get(name)
        if setting is None:
            raise SettingError(f"{name} is not a setting")
        if not setting.minimum <= value <= setting.maximum:
            raise SettingError(
                f"{setting.name} must be from {setting.minimum} to {setting.maximum}."
            )
    before = current(db, config)
    changes = {
        name: f"{getattr(before, name)} -> {value}"
        for name, value in values.items()
        if getattr(before, name) != value
    }
    for name in changes:
        db.merge(OrganisationSetting(name=name, value=values[name]))
    if changes:
        audit.record(db, AuditAction.SETTINGS_CHANGED, admin.actor, detail=changes)
    return list(changes)
