"""What every ciphertext in the store is bound to: the associated data of each encrypted column.

One function per kind of ciphertext, so the binding is decided in one place and documented in
docs/crypto-format.md ("How Redress uses these formats").
"""

from __future__ import annotations

from crypto.fields import FieldContext
from redress.store.models.enums import Author, KeyKind, Recipient


def case_key(
    case_id: str, kind: KeyKind, recipient: Recipient, caseworker_id: str | None
) -> FieldContext:
    holder = f"{recipient.value}:{caseworker_id or ''}"
    return FieldContext(purpose=f"case-key:{kind.value}", case_id=case_id, record_id=holder)


def case_field(case_id: str, name: str) -> FieldContext:
    return FieldContext(purpose=f"field:{name}", case_id=case_id)


def message(case_id: str, message_id: str, seq: int, author: Author) -> FieldContext:
    # Order and author are bound too: a database writer cannot reorder the thread or pass a
    # caseworker's words off as the reporter's.
    return FieldContext(
        purpose="message", case_id=case_id, record_id=f"{message_id}:{seq}:{author.value}"
    )


def attachment_stream(attachment_id: str) -> FieldContext:
    # The case is not known yet while an upload streams in; the file key's context binds it.
    return FieldContext(purpose="attachment-stream", case_id="", record_id=attachment_id)


def attachment_file_key(case_id: str, attachment_id: str) -> FieldContext:
    return FieldContext(purpose="attachment-key", case_id=case_id, record_id=attachment_id)


def attachment_meta(case_id: str, attachment_id: str) -> FieldContext:
    return FieldContext(purpose="attachment-meta", case_id=case_id, record_id=attachment_id)


def totp_secret(caseworker_id: str) -> FieldContext:
    return FieldContext(purpose="totp-secret", case_id="", record_id=caseworker_id)


def session_payload(session_digest: str) -> FieldContext:
    return FieldContext(purpose="session", case_id="", record_id=session_digest)


def pending_receipt(token_digest: str) -> FieldContext:
    return FieldContext(purpose="pending-receipt", case_id="", record_id=token_digest)


def note(case_id: str, note_id: str, author_id: str | None) -> FieldContext:
    return FieldContext(purpose="note", case_id=case_id, record_id=f"{note_id}:{author_id or ''}")


def task(case_id: str, task_id: str) -> FieldContext:
    return FieldContext(purpose="task", case_id=case_id, record_id=task_id)


def disclosure_reason(case_id: str, request_id: str, requester_id: str) -> FieldContext:
    return FieldContext(
        purpose="disclosure-reason", case_id=case_id, record_id=f"{request_id}:{requester_id}"
    )


def interim_measure(case_id: str, measure_id: str) -> FieldContext:
    return FieldContext(purpose="interim-measure", case_id=case_id, record_id=measure_id)


def interim_measure_reviews(case_id: str, measure_id: str, version: int) -> FieldContext:
    # The version is the number of reviews the log holds (rewritten on each one): an earlier log
    # of the same measure does not pass for the current one.
    return FieldContext(
        purpose="interim-measure-reviews", case_id=case_id, record_id=f"{measure_id}:{version}"
    )


def organisation_key(name: str, recipient: Recipient, caseworker_id: str | None) -> FieldContext:
    return FieldContext(
        purpose=f"organisation-key:{name}",
        case_id="",
        record_id=f"{recipient.value}:{caseworker_id or ''}",
    )


def export_key(
    case_id: str, export_id: str, kind: KeyKind, listing: str, header: str
) -> FieldContext:
    # A case key sealed to an export's recipient, bound to the export, to the digest of the
    # bundle's list of items (redress.export.bundle_format.listing_digest) and to the digest of
    # the manifest's other members (header_digest): dropping, adding or relabelling an item, or
    # changing the reference, the date or any other member, makes the keys fail to open.
    return FieldContext(
        purpose=f"export-key:{kind.value}",
        case_id=case_id,
        record_id=f"{export_id}:{listing}:{header}",
    )
