"""The console's words for the domain's codes: audit actions, timeline steps, the triage taxonomy,
interim measures and settings. The console is in English, so these are plain strings.

Each table covers every code of its vocabulary (tests/test_labels.py checks it), so a code
added in the domain without its words here fails a test.
"""

from __future__ import annotations

from collections.abc import Mapping

from redress.audit import AuditAction
from redress.cases.fields import RIGHTS
from redress.casework import taxonomy
from redress.casework.measures import MeasureKind
from redress.casework.timeline import TimelineEntry
from redress.i18n.questions import RIGHT_LABELS
from redress.store.models import Author, CaseStatus

A = AuditAction
AUDIT_LABELS: Mapping[AuditAction, str] = {
    A.CASE_RECEIVED: "Report received",
    A.ACCOUNT_CREATED: "Account created",
    A.ACCOUNT_DEACTIVATED: "Account deactivated",
    A.ACCOUNT_REACTIVATED: "Account reactivated",
    A.ACCOUNT_PASSPHRASE_CHANGED: "Passphrase changed",
    A.LOGIN: "Signed in",
    A.LOGIN_FAILED: "Sign-in failed",
    A.LOGIN_RECOVERY_CODE: "Signed in with a recovery code",
    A.PASSPHRASE_CONFIRM_FAILED: "Passphrase confirmation failed",
    A.RECOVERY_CODES_GENERATED: "Recovery codes generated",
    A.TWO_FACTOR_VIEWED: "Two-factor secret viewed",
    A.TWO_FACTOR_INTEGRITY_FAILED: "Two-factor secret failed an integrity check",
    A.CASES_LISTED: "Case list viewed",
    A.CASE_VIEWED: "Case viewed",
    A.ATTACHMENT_DOWNLOADED: "File downloaded",
    A.AUDIT_VIEWED: "Audit log viewed",
    A.CASE_STATUS_CHANGED: "Status changed",
    A.TRIAGE_SAVED: "Triage saved",
    A.MESSAGE_SENT: "Reply sent to the reporter",
    A.NOTE_ADDED: "Note added",
    A.TASK_ADDED: "Task added",
    A.TASK_COMPLETED: "Task completed",
    A.TASK_REOPENED: "Task reopened",
    A.EVIDENCE_ADDED: "Evidence added",
    A.CASE_EXPORTED: "Case exported",
    A.CASE_ASSIGNED: "Responsibility changed",
    A.CASE_GRANTED: "Access granted to a colleague",
    A.CASE_REVOKED: "Access revoked",
    A.CASE_EXCLUDED: "Colleague excluded for a conflict of interest",
    A.CASE_EXCLUSION_LIFTED: "Exclusion lifted",
    A.TEAM_MEMBER_ADDED: "Added to the receiving team",
    A.TEAM_MEMBER_REMOVED: "Removed from the receiving team",
    A.DISCLOSURE_REQUESTED: "Disclosure of the reporter's identity requested",
    A.DISCLOSURE_APPROVED: "Disclosure of the reporter's identity approved",
    A.DISCLOSURE_REJECTED: "Disclosure of the reporter's identity rejected",
    A.DISCLOSURE_QUEUE_VIEWED: "Approvals queue viewed",
    A.IDENTITY_VIEWED: "Reporter's identity viewed",
    A.MEASURE_PROPOSED: "Interim measure proposed",
    A.MEASURE_APPROVED: "Interim measure approved",
    A.MEASURE_REJECTED: "Interim measure rejected",
    A.MEASURE_RENEWED: "Interim measure renewed",
    A.MEASURE_LIFTED: "Interim measure lifted",
    A.SETTINGS_CHANGED: "Settings changed",
    A.TEMPLATE_CREATED: "Reply template created",
    A.TEMPLATE_UPDATED: "Reply template changed",
    A.TEMPLATE_DELETED: "Reply template deleted",
    A.CASE_KEY_INTEGRITY_FAILED: "A case key failed an integrity check",
    A.INDEX_KEY_INTEGRITY_FAILED: "The index key failed an integrity check",
    A.TRIAGE_INTEGRITY_FAILED: "Triage failed an integrity check",
    A.INVESTIGATION_INTEGRITY_FAILED: "Investigation items failed an integrity check",
    A.MEASURE_INTEGRITY_FAILED: "Interim measures failed an integrity check",
    A.ATTACHMENT_INTEGRITY_FAILED: "A file failed an integrity check",
}
# Messages the audit log does not record, by who wrote them.
MESSAGE_LABELS: Mapping[Author, str] = {
    Author.REPORTER: "Message from the reporter",
    Author.SYSTEM: "Automatic update to the reporter",
}
# Steps whose timeline entry says how many files came with them.
_WITH_FILES = frozenset({A.CASE_RECEIVED, A.MESSAGE_SENT, A.EVIDENCE_ADDED})


def status_name(code: object) -> str:
    """A case status code in words, lower case ("under investigation")."""
    return str(code).replace("_", " ")


def describe_step(entry: TimelineEntry) -> str:
    """A timeline entry in words: what happened, with its file count, task or statuses."""
    if entry.action is None:
        return MESSAGE_LABELS.get(entry.author or Author.SYSTEM, "Message")
    detail = entry.detail
    if entry.action is A.CASE_STATUS_CHANGED:
        was, now = status_name(detail.get("from")), status_name(detail.get("to"))
        return f"Status changed from {was} to {now}"
    label = AUDIT_LABELS[entry.action]
    files = detail.get("files", detail.get("attachments"))
    if entry.action in _WITH_FILES and files:
        return f"{label} ({files} file{'' if files == 1 else 's'})"
    if entry.task is not None:
        due = f", due {entry.task.due_on.isoformat()}" if entry.task.due_on else ""
        return f"{label} (owner {entry.task.owner or 'a former colleague'}{due})"
    return label


# The triage taxonomy's codes in words, by triage field (the rights reuse the report form's).
TAXONOMY_LABELS: Mapping[str, Mapping[str, str]] = {
    "credibility": {
        "credible": "Credible",
        "not_credible": "Not credible",
        "undetermined": "Undetermined",
    },
    "significance": {"low": "Low", "medium": "Medium", "high": "High"},
    "category": {
        "targeted_surveillance": "Targeted surveillance of journalists or human-rights defenders",
        "mass_surveillance": "Mass surveillance",
        "unlawful_interception": "Unlawful interception",
        "sanctioned_end_user": "Export to a sanctioned end user",
        "other": "Other misuse",
    },
    "severity": {"low": "Low", "medium": "Medium", "high": "High", "critical": "Critical"},
    "retaliation_risk": {"low": "Low", "medium": "Medium", "high": "High", "unknown": "Unknown"},
    "rights": {code: str(RIGHT_LABELS[code]) for code in RIGHTS},
}


def taxonomy_choices(name: str) -> list[tuple[str, str]]:
    """(code, label) for each code of one of the taxonomy's lists, in its order."""
    return [(code, TAXONOMY_LABELS[name][code]) for code in taxonomy.LISTS[name]]


def taxonomy_label(name: str, code: str) -> str:
    """The label of `code`, or the code itself when the taxonomy no longer has it."""
    return TAXONOMY_LABELS[name].get(code, code)


MEASURE_KIND_LABELS: Mapping[MeasureKind, str] = {
    MeasureKind.SUSPEND_UPDATES: "Suspend updates",
    MeasureKind.SUSPEND_SUPPORT: "Suspend support",
    MeasureKind.REMOTE_DISABLE: "Remote disable",
}

# Each organisation setting's label and help text, by setting name.
SETTING_LABELS: Mapping[str, tuple[str, str]] = {
    "acknowledgement_days": (
        "Acknowledgement deadline, in days after receipt",
        "The reporter is told within this many days that their report was received.",
    ),
    "feedback_days": (
        "Feedback deadline, in days after acknowledgement",
        "The reporter hears what was done about the report within this many days.",
    ),
}

# Case statuses in words, capitalised ("Under investigation").
STATUS_LABELS: Mapping[CaseStatus, str] = {
    status: status_name(status.value).capitalize() for status in CaseStatus
}
