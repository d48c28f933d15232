"""SQLAlchemy 2 models of the store; what each column keeps in clear is in docs/threat-model.md."""

from redress.store.models.access import CaseExclusion, DisclosureRequest, DisclosureStatus
from redress.store.models.attachment import Attachment
from redress.store.models.audit import (
    AuditEvent,
    AuditHead,
    ReporterAuditEvent,
    ReporterAuditHead,
)
from redress.store.models.base import Base, new_id
from redress.store.models.case import Case, CaseField, CaseKey
from redress.store.models.caseworker import Caseworker
from redress.store.models.enums import (
    Author,
    CaseStatus,
    KeyKind,
    MeasureState,
    Recipient,
    Role,
    SessionApp,
)
from redress.store.models.investigation import Note, Task
from redress.store.models.measure import InterimMeasure
from redress.store.models.message import Message
from redress.store.models.organisation import (
    BlindIndex,
    OrganisationKey,
    RecoveryCode,
    ReplyTemplate,
)
from redress.store.models.reporter import Reporter
from redress.store.models.session_record import SessionRecord
from redress.store.models.setting import OrganisationSetting
from redress.store.models.submission_token import SubmissionToken
from redress.store.models.team import ReceivingTeamMember

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
    "ReceivingTeamMember",
    "Recipient",
    "RecoveryCode",
    "ReplyTemplate",
    "Reporter",
    "ReporterAuditEvent",
    "ReporterAuditHead",
    "Role",
    "SessionApp",
    "SessionRecord",
    "SubmissionToken",
    "Task",
    "new_id",
]
