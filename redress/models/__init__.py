"""SQLAlchemy 2 models of the store; what each column keeps in clear is in docs/threat-model.md."""

from redress.models.access import CaseExclusion, DisclosureRequest, DisclosureStatus
from redress.models.attachment import Attachment
from redress.models.audit import AuditEvent, AuditHead
from redress.models.base import Base, new_id
from redress.models.case import Case, CaseField, CaseKey
from redress.models.caseworker import Caseworker
from redress.models.enums import (
    Author,
    CaseStatus,
    KeyKind,
    MeasureState,
    Recipient,
    Role,
    SessionApp,
)
from redress.models.investigation import Note, Task
from redress.models.measure import InterimMeasure
from redress.models.message import Message
from redress.models.organisation import BlindIndex, OrganisationKey, RecoveryCode, ReplyTemplate
from redress.models.reporter import Reporter
from redress.models.session_record import SessionRecord
from redress.models.setting import OrganisationSetting
from redress.models.submission_token import SubmissionToken

__all__ = [
    "Attachment",
    "AuditEvent",
    "AuditHead",
    "Author",
    "Base",
    "BlindIndex",
    "Case",
    "CaseExclusion",
    "CaseField",
    "CaseKey",
    "CaseStatus",
    "Caseworker",
    "DisclosureRequest",
    "DisclosureStatus",
    "InterimMeasure",
    "KeyKind",
    "MeasureState",
    "Message",
    "Note",
    "OrganisationKey",
    "OrganisationSetting",
    "Recipient",
    "RecoveryCode",
    "ReplyTemplate",
    "Reporter",
    "Role",
    "SessionApp",
    "SessionRecord",
    "SubmissionToken",
    "Task",
    "new_id",
]
