"""The store on SQLite and PostgreSQL: migrations, audit chain, tamper detection, shredding."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from crypto.errors import IntegrityError
from crypto.fields import decrypt_field
from crypto.keys import KeyPair
from crypto.sealing import open_sealed
from redress import audit
from redress.audit import SYSTEM, AuditAction
from redress.keys import contexts
from redress.store.db import Database
from redress.store.models import (
    Attachment,
    AuditEvent,
    Base,
    CaseField,
    CaseKey,
    KeyKind,
    Message,
    Recipient,
)
from tests.helpers import (
    SignedIn,
    csrf_token,
    submit_report,
)

INTEGRITY = "failed an integrity check"


@pytest.mark.migrations
def test_migrations_match_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def open_only_case(console: FlaskClient, db: Session) -> str:
    case_id = db.scalar(select(CaseField.case_id))
    assert case_id is not None
    return console.get(f"/cases/{case_id}").get_data(as_text=True)


def flip_last_byte(blob: bytes) -> bytes:
    return blob[:-1] + bytes([blob[-1] ^ 1])


def test_tampered_report_is_shown_as_an_integrity_failure(
    intake: FlaskClient, console: FlaskClient, sign_in: Callable[..., SignedIn], db: Session
) -> None:
    sign_in("kim", client=console)
    submit_report(intake, "original words")
    field = db.scalar(select(CaseField))
    assert field is not None
    db.execute(
        update(CaseField)
        .where(CaseField.id == field.id)
        .values(ciphertext=flip_last_byte(field.ciphertext))
    )
    db.commit()
    page = open_only_case(console, db)
    assert "original words" not in page
    assert INTEGRITY in page
    db.expire_all()
    viewed = db.scalar(select(AuditEvent.detail).where(AuditEvent.action == "case.viewed"))
    assert viewed == '{"integrity_failures":1}'


def test_messages_swapped_between_rows_are_detected(
    intake: FlaskClient, console: FlaskClient, sign_in: Callable[..., SignedIn], db: Session
) -> None:
    sign_in("kim", client=console)
    submit_report(intake, "report")
    case_id = db.scalar(select(CaseField.case_id))
    console.post(
        f"/cases/{case_id}/reply",
        data={"csrf_token": csrf_token(console, f"/cases/{case_id}"), "text": "second"},
    )
    first, second = db.scalars(select(Message).order_by(Message.seq)).all()
    first_ciphertext, second_ciphertext = first.ciphertext, second.ciphertext
    db.execute(update(Message).where(Message.id == first.id).values(ciphertext=second_ciphertext))
    db.execute(update(Message).where(Message.id == second.id).values(ciphertext=first_ciphertext))
    db.commit()
    page = open_only_case(console, db)
    assert page.count("This item failed an integrity check.") == 2
    assert "second" not in page.split("Conversation")[1].split("Reply")[0]


def test_report_moved_to_another_case_is_detected(
    intake: FlaskClient, console: FlaskClient, sign_in: Callable[..., SignedIn], db: Session
) -> None:
    sign_in("kim", client=console)
    submit_report(intake, "report one")
    submit_report(intake, "report two")
    one, two = db.scalars(select(CaseField)).all()
    db.execute(update(CaseField).where(CaseField.id == one.id).values(ciphertext=two.ciphertext))
    db.commit()
    page = console.get(f"/cases/{one.case_id}").get_data(as_text=True)
    assert "report two" not in page
    assert INTEGRITY in page


def test_tampered_attachment_download_fails_loudly(
    intake: FlaskClient, console: FlaskClient, sign_in: Callable[..., SignedIn], db: Session, config
) -> None:
    sign_in("kim", client=console)
    submit_report(intake, "with file", [(b"A" * 200_000, "a.bin")])
    attachment = db.scalar(select(Attachment))
    assert attachment is not None
    blob = config.blob_dir / attachment.blob_id[:2] / attachment.blob_id
    data = bytearray(blob.read_bytes())
    data[100_000] ^= 1
    blob.write_bytes(bytes(data))
    response = console.get(f"/cases/{attachment.case_id}/files/{attachment.id}", buffered=False)
    assert response.headers["Content-Length"] == "200000"
    # The first chunks are authentic and stream out; the altered one ends the response short.
    with pytest.raises(IntegrityError):
        b"".join(response.response)
    response.close()


def test_audit_chain_detects_edits_insertions_and_deletions(db: Session) -> None:
    for number in range(5):
        audit.record(db, AuditAction.CASE_VIEWED, SYSTEM, detail={"n": number})
    db.commit()
    assert audit.verify_chain(db) is None

    db.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(detail='{"n":99}'))
    db.commit()
    problem = audit.verify_chain(db)
    assert problem is not None
    assert (problem.seq, problem.reason) == (3, "was altered")
    db.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(detail='{"n":2}'))
    db.commit()
    assert audit.verify_chain(db) is None

    db.execute(delete(AuditEvent).where(AuditEvent.seq == 2))
    db.commit()
    problem = audit.verify_chain(db)
    assert problem is not None
    assert problem.seq == 2


def test_audit_chain_detects_a_truncated_tail(db: Session) -> None:
    for number in range(3):
        audit.record(db, AuditAction.CASE_VIEWED, SYSTEM, detail={"n": number})
    db.commit()
    db.execute(delete(AuditEvent).where(AuditEvent.seq == 3))
    db.commit()
    problem = audit.verify_chain(db)
    assert problem is not None
    assert problem.reason == "entries at the end were deleted"


def test_recovery_key_opens_every_case_and_shredding_closes_it(
    intake: FlaskClient,
    console: FlaskClient,
    sign_in: Callable[..., SignedIn],
    db: Session,
    recovery_keypair: KeyPair,
) -> None:
    sign_in("kim", client=console)
    submit_report(intake, "recoverable words")
    field = db.scalar(select(CaseField))
    assert field is not None
    sealed = db.scalar(
        select(CaseKey.sealed).where(
            CaseKey.case_id == field.case_id,
            CaseKey.kind == KeyKind.THREAD,
            CaseKey.recipient == Recipient.RECOVERY,
        )
    )
    assert sealed is not None
    thread_key = open_sealed(
        sealed,
        recovery_keypair,
        contexts.case_key(field.case_id, KeyKind.THREAD, Recipient.RECOVERY, None),
    )
    report = json.loads(
        decrypt_field(thread_key, field.ciphertext, contexts.case_field(field.case_id, "report"))
    )
    assert report["answers"]["what_happened"] == "recoverable words"

    db.execute(delete(CaseKey).where(CaseKey.case_id == field.case_id))
    db.commit()
    assert console.get(f"/cases/{field.case_id}").status_code == 404
