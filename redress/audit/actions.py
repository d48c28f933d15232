"""The closed vocabulary of the audit log: every action that can be recorded, and who acts.

The values are what the log stores (and hashes), so an existing value is never renamed. A new
action is added here, labelled in :mod:`redress.i18n.console`, and then recorded; the annual
report counts by these values.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class AuditAction(enum.StrEnum):
    # Reporters (recorded in the reporter chain, at day precision: see REPORTER_ACTIONS).
    CASE_RECEIVED = "case.received"
    # Staff accounts and sign-in.
    ACCOUNT_CREATED = "account.created"
    ACCOUNT_DEACTIVATED = "account.deactivated"
    ACCOUNT_REACTIVATED = "account.reactivated"
    ACCOUNT_PASSPHRASE_CHANGED = "account.passphrase_changed"  # noqa: S105 - an action name
    LOGIN = "login"
    LOGIN_FAILED = "login.failed"
    LOGIN_RECOVERY_CODE = "login.recovery_code"
    PASSPHRASE_CONFIRM_FAILED = "passphrase.confirm_failed"  # noqa: S105 - an action name
    RECOVERY_CODES_GENERATED = "recovery_codes.generated"
    TWO_FACTOR_VIEWED = "two_factor.viewed"
    TWO_FACTOR_INTEGRITY_FAILED = "two_factor.integrity_failed"
    # Reading.
    CASES_LISTED = "cases.listed"
    CASE_VIEWED = "case.viewed"
    ATTACHMENT_DOWNLOADED = "attachment.downloaded"
    AUDIT_VIEWED = "audit.viewed"
    # Working on a case.
    CASE_STATUS_CHANGED = "case.status_changed"
    TRIAGE_SAVED = "triage.saved"
    MESSAGE_SENT = "message.sent"
    NOTE_ADDED = "note.added"
    TASK_ADDED = "task.added"
    TASK_COMPLETED = "task.completed"
    TASK_REOPENED = "task.reopened"
    EVIDENCE_ADDED = "evidence.added"
    CASE_EXPORTED = "case.exported"
    # Who holds a case.
    CASE_ASSIGNED = "case.assigned"
    CASE_GRANTED = "case.granted"
    CASE_REVOKED = "case.revoked"
    CASE_EXCLUDED = "case.excluded"
    CASE_EXCLUSION_LIFTED = "case.exclusion_lifted"
    # Who receives new cases (detail: the account added or removed).
    TEAM_MEMBER_ADDED = "team.member_added"
    TEAM_MEMBER_REMOVED = "team.member_removed"
    # Decisions that need a second person.
    DISCLOSURE_REQUESTED = "disclosure.requested"
    DISCLOSURE_APPROVED = "disclosure.approved"
    DISCLOSURE_REJECTED = "disclosure.rejected"
    DISCLOSURE_QUEUE_VIEWED = "disclosure.queue_viewed"
    IDENTITY_VIEWED = "identity.viewed"
    MEASURE_PROPOSED = "measure.proposed"
    MEASURE_APPROVED = "measure.approved"
    MEASURE_REJECTED = "measure.rejected"
    MEASURE_RENEWED = "measure.renewed"
    MEASURE_LIFTED = "measure.lifted"
    # Administration.
    SETTINGS_CHANGED = "settings.changed"
    TEMPLATE_CREATED = "template.created"
    TEMPLATE_UPDATED = "template.updated"
    TEMPLATE_DELETED = "template.deleted"
    # Integrity failures: a ciphertext that did not open (counts only, never content).
    CASE_KEY_INTEGRITY_FAILED = "case_key.integrity_failed"
    INDEX_KEY_INTEGRITY_FAILED = "index_key.integrity_failed"
    TRIAGE_INTEGRITY_FAILED = "triage.integrity_failed"
    INVESTIGATION_INTEGRITY_FAILED = "investigation.integrity_failed"
    MEASURE_INTEGRITY_FAILED = "measure.integrity_failed"
    ATTACHMENT_INTEGRITY_FAILED = "attachment.integrity_failed"


# What a reporter does: recorded in the reporter chain, with the day only.
REPORTER_ACTIONS = frozenset({AuditAction.CASE_RECEIVED})

# Actions that only read: the case timeline leaves them out (the audit log keeps them).
READS = frozenset(
    {
        AuditAction.CASES_LISTED,
        AuditAction.CASE_VIEWED,
        AuditAction.ATTACHMENT_DOWNLOADED,
        AuditAction.AUDIT_VIEWED,
        AuditAction.DISCLOSURE_QUEUE_VIEWED,
    }
)


class ActorKind(enum.StrEnum):
    CASEWORKER = "caseworker"
    REPORTER = "reporter"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who acted: a staff member (by id), the reporter, or the system (on behalf of an account,
    when `caseworker_id` is given: the account it created)."""

    kind: ActorKind
    caseworker_id: str | None = None

    @classmethod
    def staff(cls, caseworker_id: str) -> Actor:
        return cls(ActorKind.CASEWORKER, caseworker_id)


REPORTER = Actor(ActorKind.REPORTER)
SYSTEM = Actor(ActorKind.SYSTEM)
