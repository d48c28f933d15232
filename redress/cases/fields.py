"""The named encrypted fields of a case, and the shape of the answers a report holds.

Both sides use these names: the reporter's side writes the fields, the staff side reads them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from redress.keys import contexts
from redress.keys.sealed import UnreadableRecordError, open_record
from redress.store.models import CaseField

# The report itself (the answers to the questions), under the case's thread key.
REPORT_FIELD = "report"
# A reporter's confidential identity (employees may give one), under the case's identity key.
IDENTITY_FIELD = "identity"

# An answer as stored in the encrypted report: text, or the codes of the options chosen.
Answer = str | list[str]

# The rights a report can say were affected, by code (their words: redress.i18n.questions).
RIGHTS = ("privacy", "expression", "assembly", "association", "religion", "other")


def _answer(value: object) -> Answer:
    return [str(item) for item in value] if isinstance(value, list) else str(value)


def read_report(db: Session, case_id: str, thread_key: bytes) -> dict[str, Answer] | None:
    """The report's answers by question id, decrypted with the case's thread key (caseworkers
    and the reporter hold it); None when the report failed its integrity check."""
    field = db.scalar(
        select(CaseField).where(CaseField.case_id == case_id, CaseField.name == REPORT_FIELD)
    )
    if field is None:
        return None
    try:
        context = contexts.case_field(case_id, REPORT_FIELD)
        report = open_record(thread_key, field.ciphertext, context)
        return {str(key): _answer(value) for key, value in report["answers"].items()}
    except (UnreadableRecordError, KeyError, TypeError, AttributeError):
        return None
