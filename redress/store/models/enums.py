"""Enumerations stored as short strings (kept in clear: listed in docs/threat-model.md)."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


class Role(enum.StrEnum):
    ADMINISTRATOR = "administrator"
    CASEWORKER = "caseworker"
    APPROVER = "approver"
    AUDITOR = "auditor"


class CaseStatus(enum.StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    IN_ASSESSMENT = "in_assessment"
    UNDER_INVESTIGATION = "under_investigation"
    DECIDED = "decided"
    REMEDY_IN_PROGRESS = "remedy_in_progress"
    CLOSED = "closed"


class KeyKind(enum.StrEnum):
    """Which per-case key.

    The thread key is shared with the reporter; the internal key is not; the identity key guards
    an employee's confidential identity and is held by approvers until a disclosure is approved.
    """

    THREAD = "thread"
    INTERNAL = "internal"
    IDENTITY = "identity"


class Recipient(enum.StrEnum):
    CASEWORKER = "caseworker"
    REPORTER = "reporter"
    RECOVERY = "recovery"


class Author(enum.StrEnum):
    REPORTER = "reporter"
    CASEWORKER = "caseworker"
    SYSTEM = "system"


class SessionApp(enum.StrEnum):
    INTAKE = "intake"
    CONSOLE = "console"


def stored(enum_class: type[enum.StrEnum]) -> Enum:
    """A portable column type storing the enum's value (no native database enum)."""
    return Enum(
        enum_class,
        native_enum=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class MeasureState(enum.StrEnum):
    """An interim measure's workflow: proposed, then in force or rejected; in force until lifted.

    What the measure is (its kind) is encrypted with its rationale, never kept here.
    """

    PROPOSED = "proposed"
    IN_FORCE = "in_force"
    REJECTED = "rejected"
    LIFTED = "lifted"
