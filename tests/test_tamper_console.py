"""Tampering with any encrypted column the console shows: one byte flipped in the database.

Each case flips one byte of one stored ciphertext, sealed key or blob, then opens the page that
decrypts it. The page must say the item failed an integrity check (or, for a damaged copy of a
key, treat the case as not held), never crash with the generic error page, never show a stack
trace or the plaintext, and, where the feature audits it, an audit entry records the failure.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session
from werkzeug.test import TestResponse

from redress.cases.fields import IDENTITY_FIELD, REPORT_FIELD
from redress.casework.triage import TRIAGE_FIELD
from redress.staff import totp
from redress.store.models import (
    Attachment,
    AuditEvent,
    CaseField,
    CaseKey,
    Caseworker,
    DisclosureRequest,
    InterimMeasure,
    KeyKind,
    Message,
    Note,
    OrganisationKey,
    Recipient,
    Task,
)
from redress.web import services
from tests.helpers import NEW_PASSPHRASE, SignedIn, Staff, console_login, csrf_token
from tests.support.case_scene import (
    EVIDENCE_FILE,
    IDENTITY_NAME,
    NOTE,
    RATIONALE,
    RENEWAL,
    REPLY,
    REPLY_FILE,
    REPORT,
    TASK,
    Actor,
    Scene,
    build_scene,
    renew_form,
    send,
)

INTEGRITY = "failed an integrity check"
CRASH = "Something went wrong"  # the page of an unhandled exception (redress/web.py)
NOT_HELD = "Not found"
# (status, text on the page): any one of them is the right answer.
Expect = tuple[tuple[int, str], ...]
SHOWN: Expect = ((200, INTEGRITY),)
# The console answers a damaged download or two-factor secret with its integrity page and a
# 500 (caseworker/cases.py download, caseworker/account.py reveal).
INTEGRITY_PAGE: Expect = ((500, INTEGRITY),)
# A damaged copy of a key: as if not held, or the items it opens marked as failed.
KEY_DAMAGED: Expect = ((404, NOT_HELD), (200, INTEGRITY))


def flip_middle_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


def holder(scene: Scene) -> FlaskClient:
    return scene.clients[Actor.HOLDER]


def approve_disclosure(scene: Scene) -> None:
    """The approver approves the holder's request, so the holder may see the identity."""
    decide = f"/cases/{scene.ids['case']}/approvals/disclosure/{scene.ids['request']}/approve"
    assert send(scene.clients[Actor.APPROVER], decide, {}, "/approvals") == 302


def renew_measure(scene: Scene) -> None:
    """The holder renews the measure in force, so it has a review log."""
    renew = f"/cases/{scene.ids['case']}/measures/{scene.ids['in_force']}/review"
    assert send(holder(scene), renew, renew_form(scene), "/account/two-factor") == 302


def case_page(scene: Scene) -> TestResponse:
    return holder(scene).get(f"/cases/{scene.ids['case']}")


def identity_page(scene: Scene) -> TestResponse:
    return holder(scene).get(f"/cases/{scene.ids['case']}?show_identity=1")


def approvals_page(scene: Scene) -> TestResponse:
    return scene.clients[Actor.APPROVER].get("/approvals")


def two_factor_secret(scene: Scene) -> TestResponse:
    client = holder(scene)
    token = csrf_token(client, "/account/two-factor")
    return client.post(
        "/account/two-factor/secret",
        data={"csrf_token": token, "reveal-passphrase": NEW_PASSPHRASE},
    )


def download(name: str) -> Callable[[Scene], TestResponse]:
    def look(scene: Scene) -> TestResponse:
        return holder(scene).get(f"/cases/{scene.ids['case']}/files/{scene.ids[name]}")

    return look


def case_list(scene: Scene) -> TestResponse:
    return holder(scene).get("/")


def sign_in_again(scene: Scene) -> TestResponse:
    """The holder signs in from a second browser, with the code of the next time step (the
    current ones may be spent)."""
    staff: Staff = scene.staff[Actor.HOLDER]
    next_step = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=30)
    code = totp.current_code(staff.account.totp_secret, next_step)
    client = holder(scene).application.test_client()
    return console_login(client, staff.account.username, NEW_PASSPHRASE, code)


Row = Callable[[Scene], ColumnElement[bool]]


def field_row(name: str) -> Row:
    return lambda s: (CaseField.case_id == s.ids["case"]) & (CaseField.name == name)


def attachment_row(name: str) -> Row:
    return lambda s: Attachment.id == s.ids[name]


def holder_key_row(kind: KeyKind) -> Row:
    return lambda s: (
        (CaseKey.case_id == s.ids["case"])
        & (CaseKey.kind == kind)
        & (CaseKey.recipient == Recipient.CASEWORKER)
        & (CaseKey.caseworker_id == s.ids["holder"])
    )


def holder_index_key(s: Scene) -> ColumnElement[bool]:
    return (OrganisationKey.recipient == Recipient.CASEWORKER) & (
        OrganisationKey.caseworker_id == s.ids["holder"]
    )


@dataclass(frozen=True)
class Tamper:
    name: str
    column: InstrumentedAttribute[bytes]
    row: Row
    look: Callable[[Scene], TestResponse]
    expect: Expect = SHOWN
    # The feature records integrity failures in the audit log.
    audited: bool = True
    # Plaintext that must not appear on the page.
    secret: str = ""
    # Done before the page is first looked at (and before tampering).
    prepare: Callable[[Scene], None] | None = None
    # Look at the page once before tampering, as a control (a sign-in cannot be replayed).
    control: bool = True


TAMPERS = [
    Tamper("report", CaseField.ciphertext, field_row(REPORT_FIELD), case_page, secret=REPORT),
    Tamper("triage", CaseField.ciphertext, field_row(TRIAGE_FIELD), case_page),
    Tamper(
        "identity",
        CaseField.ciphertext,
        field_row(IDENTITY_FIELD),
        identity_page,
        secret=IDENTITY_NAME,
        prepare=approve_disclosure,
    ),
    Tamper(
        "message",
        Message.ciphertext,
        lambda s: Message.id == s.ids["message"],
        case_page,
        secret=REPLY,
    ),
    Tamper("report file meta", Attachment.encrypted_meta, attachment_row("attachment"), case_page),
    Tamper(
        "reply file meta", Attachment.encrypted_meta, attachment_row("reply_attachment"), case_page
    ),
    Tamper("evidence meta", Attachment.encrypted_meta, attachment_row("evidence"), case_page),
    Tamper(
        "report file meta, download",
        Attachment.encrypted_meta,
        attachment_row("attachment"),
        download("attachment"),
        INTEGRITY_PAGE,
    ),
    Tamper(
        "file key, download",
        Attachment.encrypted_file_key,
        attachment_row("attachment"),
        download("attachment"),
        INTEGRITY_PAGE,
    ),
    Tamper("note", Note.ciphertext, lambda s: Note.id == s.ids["note"], case_page, secret=NOTE),
    Tamper("task", Task.ciphertext, lambda s: Task.id == s.ids["task"], case_page, secret=TASK),
    Tamper(
        "disclosure reason",
        DisclosureRequest.encrypted_reason,
        lambda s: DisclosureRequest.id == s.ids["request"],
        approvals_page,
    ),
    # The measure in force has the same rationale and stays readable on the case page.
    Tamper(
        "measure",
        InterimMeasure.ciphertext,
        lambda s: InterimMeasure.id == s.ids["measure"],
        case_page,
    ),
    Tamper(
        "measure, approvals queue",
        InterimMeasure.ciphertext,
        lambda s: InterimMeasure.id == s.ids["measure"],
        approvals_page,
        secret=RATIONALE,
    ),
    Tamper(
        "measure reviews",
        # Set once the measure has been reviewed (prepare), never None then.
        InterimMeasure.encrypted_reviews,  # type: ignore[arg-type]
        lambda s: InterimMeasure.id == s.ids["in_force"],
        case_page,
        secret=RENEWAL,
        prepare=renew_measure,
    ),
    Tamper(
        "totp secret",
        Caseworker.sealed_totp_secret,
        lambda s: Caseworker.id == s.ids["holder"],
        two_factor_secret,
        INTEGRITY_PAGE,
    ),
    Tamper(
        "thread key copy",
        CaseKey.sealed,
        holder_key_row(KeyKind.THREAD),
        case_page,
        KEY_DAMAGED,
        audited=False,
    ),
    Tamper(
        "internal key copy",
        CaseKey.sealed,
        holder_key_row(KeyKind.INTERNAL),
        case_page,
        KEY_DAMAGED,
        audited=False,
    ),
    Tamper(
        "identity key copy",
        CaseKey.sealed,
        holder_key_row(KeyKind.IDENTITY),
        identity_page,
        KEY_DAMAGED,
        audited=False,
        secret=IDENTITY_NAME,
        prepare=approve_disclosure,
    ),
    Tamper(
        "index key copy, case list",
        OrganisationKey.sealed,
        holder_index_key,
        case_list,
        ((200, ""),),
        audited=False,
    ),
    Tamper(
        "index key copy, sign-in",
        OrganisationKey.sealed,
        holder_index_key,
        sign_in_again,
        ((302, ""),),
        audited=False,
        control=False,
    ),
]


def failures_recorded(db: Session, after: int) -> int:
    """Integrity failures in the audit entries after sequence number `after`."""
    db.expire_all()
    count = 0
    for action, detail in db.execute(
        select(AuditEvent.action, AuditEvent.detail).where(AuditEvent.seq > after)
    ):
        counted = int(json.loads(detail).get("integrity_failures", 0))
        count += max(counted, int(action.endswith("integrity_failed")))
    return count


def last_seq(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.max(AuditEvent.seq))) or 0


@pytest.fixture
def scene(
    console_app: Flask,
    intake: FlaskClient,
    db: Session,
    make_caseworker: Callable[..., Staff],
    sign_in: Callable[..., SignedIn],
) -> Scene:
    """The permission matrix's case: a report with a file and an identity, a reply with a file,
    a note, a task, evidence, a triage and a pending disclosure request."""
    return build_scene(console_app, intake, db, make_caseworker, sign_in)


def tamper_with(db: Session, scene: Scene, tamper: Tamper) -> None:
    where = tamper.row(scene)
    [stored] = db.scalars(select(tamper.column).where(where)).all()
    table = tamper.column.class_
    db.execute(update(table).where(where).values({tamper.column.key: flip_middle_byte(stored)}))
    db.commit()


@pytest.mark.parametrize("tamper", [pytest.param(t, id=t.name) for t in TAMPERS])
def test_a_tampered_column_shows_the_integrity_failure(
    scene: Scene, db: Session, tamper: Tamper
) -> None:
    if tamper.prepare:
        tamper.prepare(scene)
    if tamper.control:
        before = tamper.look(scene)
        assert before.status_code == 200, f"the page works before tampering: {before.status}"
    tamper_with(db, scene, tamper)
    seq = last_seq(db)
    response = tamper.look(scene)
    page = response.get_data(as_text=True)
    response.close()
    assert CRASH not in page
    assert "Traceback" not in page
    assert any(response.status_code == status and text in page for status, text in tamper.expect), (
        f"{response.status_code}: expected one of {tamper.expect}"
    )
    if tamper.secret:
        assert tamper.secret not in page
    if tamper.audited:
        assert failures_recorded(db, seq) >= 1


def blob_of(scene: Scene, db: Session, name: str) -> str:
    db.expire_all()
    return db.get_one(Attachment, scene.ids[name]).blob_id


@pytest.mark.parametrize(
    ("name", "plaintext"), [("evidence", EVIDENCE_FILE), ("reply_attachment", REPLY_FILE)]
)
def test_a_tampered_blob_aborts_the_download(
    scene: Scene, db: Session, console_app: Flask, name: str, plaintext: bytes
) -> None:
    path = f"/cases/{scene.ids['case']}/files/{scene.ids[name]}"
    assert holder(scene).get(path).get_data() == plaintext  # the control
    with console_app.app_context():
        blob = services().blobs.path_for(blob_of(scene, db, name))
    blob.write_bytes(flip_middle_byte(blob.read_bytes()))
    seq = last_seq(db)
    # The file is one chunk: its failure is found before the response starts, so the caseworker
    # gets the integrity page and the failure is audited; no byte of the file is sent.
    response = holder(scene).get(path)
    assert response.status_code == 500
    page = response.get_data()
    assert INTEGRITY.encode() in page
    assert plaintext not in page
    assert failures_recorded(db, seq) == 1
