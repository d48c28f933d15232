"""A reporter's submission: a new reporter identity, a case, its keys, the report and its files."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crypto.receipts import RECEIPT_ALPHABET, derive_reporter_keys, new_receipt, normalise_receipt
from redress import audit
from redress.audit import REPORTER, AuditAction
from redress.cases import deadlines, settings
from redress.cases.attachments import attach_upload
from redress.cases.fields import IDENTITY_FIELD, REPORT_FIELD, Answer
from redress.cases.messages import append_message
from redress.cases.uploads import EncryptedUpload
from redress.keys import casekeys, contexts
from redress.keys.sealed import seal_record
from redress.reporting import submission_tokens
from redress.reporting.reporters import ReporterIdentity
from redress.staff import team
from redress.store import clock
from redress.store.config import Config
from redress.store.models import (
    Author,
    Case,
    CaseField,
    KeyKind,
    Reporter,
    Role,
    new_id,
)

ACKNOWLEDGEMENT_TEMPLATE = "received"


@dataclass(frozen=True)
class Submission:
    case_id: str
    reference: str
    # Shown to the reporter once and never stored.
    receipt: str = field(repr=False)
    # The keys derived from the receipt, so the reporter is logged in without deriving twice.
    reporter: ReporterIdentity = field(repr=False)


def new_reference() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))


def _encrypted_field(
    case_id: str, name: str, kind: KeyKind, key: bytes, value: Mapping[str, object]
) -> CaseField:
    return CaseField(
        case_id=case_id,
        name=name,
        key_kind=kind,
        ciphertext=seal_record(key, value, contexts.case_field(case_id, name)),
    )


def submit_report(
    db: Session,
    config: Config,
    answers: Mapping[str, Answer],
    uploads: Sequence[EncryptedUpload],
    identity: Mapping[str, str] | None = None,
    *,
    form_token: str,
) -> Submission:
    """Store a new report, encrypted at once, in the caller's transaction: the caller commits
    the rows with the uploads (redress.cases.uploads.commit_with_uploads), or nothing is kept.

    Raises AlreadySubmittedError (with the receipt it got) when this form was stored before.
    """
    submission_tokens.check_unused(db, form_token)
    submission_tokens.purge_expired(db)
    today = clock.today()
    receipt = new_receipt()
    reporter_keys = derive_reporter_keys(
        normalise_receipt(receipt), config.secrets.receipt_salt, config.receipt_kdf
    )
    reporter = Reporter(
        id=new_id(),
        lookup_token=reporter_keys.lookup_token,
        public_key=reporter_keys.keypair.public,
        created_on=today,
    )
    case = Case(
        id=new_id(),
        reference=new_reference(),
        reporter_id=reporter.id,
        received_on=today,
        acknowledgement_due=deadlines.acknowledgement_due(
            today, settings.current(db, config).acknowledgement_days
        ),
    )
    secrets_ = casekeys.new_case_secrets()
    # No ORM relationship links these tables, so flush in foreign-key order.
    db.add(reporter)
    db.flush()
    db.add(case)
    db.flush()
    db.add_all(
        casekeys.seal_new_case(
            case.id,
            secrets_,
            # The receiving team only: an account nobody in the team added gets no copy.
            caseworkers=team.receiving(db, Role.CASEWORKER),
            approvers=team.receiving(db, Role.APPROVER),
            reporter_public=reporter.public_key,
            recovery_public=config.recovery_public_key,
            with_identity=bool(identity),
        )
    )
    report = {"answers": dict(answers)}
    db.add(_encrypted_field(case.id, REPORT_FIELD, KeyKind.THREAD, secrets_.thread_key, report))
    if identity:
        db.add(
            _encrypted_field(
                case.id, IDENTITY_FIELD, KeyKind.IDENTITY, secrets_.identity_key, dict(identity)
            )
        )
    for upload in uploads:
        attach_upload(
            db, case.id, secrets_.thread_key, KeyKind.THREAD, upload, message_id=None, today=today
        )
    append_message(
        db,
        case.id,
        secrets_.thread_key,
        Author.SYSTEM,
        template=ACKNOWLEDGEMENT_TEMPLATE,
        today=today,
    )
    audit.record(
        db,
        AuditAction.CASE_RECEIVED,
        REPORTER,
        case_id=case.id,
        detail={"attachments": len(uploads), "identity_given": bool(identity)},
    )
    submission_tokens.remember_receipt(db, form_token, receipt)
    try:
        db.flush()
    except IntegrityError:
        # Another copy of the same form was stored while this one was processed.
        db.rollback()
        submission_tokens.check_unused(db, form_token)
        raise
    reporter_identity = ReporterIdentity(reporter.id, case.id, reporter_keys.keypair)
    return Submission(case.id, case.reference, receipt, reporter_identity)
