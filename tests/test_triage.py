"""Triage and the status workflow through the console: encrypted triage, blind indexes, status
updates the reporter reads in their language, refusals and tampering."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from crypto.keys import KeyPair
from crypto.sealing import open_sealed
from redress.cases.workflow import ALLOWED_TRANSITIONS
from redress.casework.status_updates import update_template
from redress.casework.triage import TRIAGE_FIELD, cases_matching
from redress.i18n.texts import SYSTEM_TEXTS
from redress.keys import contexts
from redress.keys.blind_index import INDEX_KEY
from redress.store.models import (
    Base,
    BlindIndex,
    Case,
    CaseField,
    CaseStatus,
    KeyKind,
    Message,
    OrganisationKey,
    Recipient,
    Role,
)
from tests.helpers import (
    SignedIn,
    Staff,
    audited,
    case_ids,
    confirm_receipt,
    csrf_token,
    receipt_from,
    submit_report,
)

TRIAGE = {
    "credibility": "credible",
    "credibility_rationale": "Matches three leaked invoices word for word",
    "significance": "high",
    "significance_rationale": "Dozens of reporters exposed at once",
    "category": "mass_surveillance",
    "product": "Zebracorp Listening Suite",
    "customer": "Ministry of Quokkas",
    "country": "Freedonia",
    "rights": ["privacy", "assembly"],
    "severity": "critical",
    "retaliation_risk": "high",
    "retaliation_mitigation": "Relocation offered through a partner shelter",
}
# Values long enough not to turn up by chance in random bytes.
CLEAR_VALUES = [
    value
    for name, value in TRIAGE.items()
    if name not in ("rights", "credibility", "significance", "retaliation_risk")
]
INTEGRITY_FAILURE = "This item failed an integrity check"


def test_every_reachable_status_update_has_a_text() -> None:
    for current, targets in ALLOWED_TRANSITIONS.items():
        for new in targets:
            assert update_template(current, new) in SYSTEM_TEXTS, (current, new)


@pytest.fixture
def case_id(
    intake: FlaskClient,
    console: FlaskClient,
    make_caseworker: Callable[..., Staff],
    sign_in: Callable[..., SignedIn],
) -> str:
    """One report, granted to alice, who is signed in on `console`."""
    staff = make_caseworker("alice")
    assert submit_report(intake, "Phones of four journalists were infected.").status_code == 201
    sign_in(staff, client=console)
    [found] = case_ids(console)
    return found


def post(console: FlaskClient, case_id: str, action: str, data: dict[str, object]) -> TestResponse:
    token = csrf_token(console, f"/cases/{case_id}")
    return console.post(f"/cases/{case_id}/{action}", data={"csrf_token": token, **data})


def page(console: FlaskClient, case_id: str) -> str:
    response = console.get(f"/cases/{case_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def dump(db: Session) -> list[object]:
    """Every value of every column of every table."""
    db.expire_all()
    return [
        value
        for table in Base.metadata.sorted_tables
        for row in db.execute(select(table))
        for value in row
    ]


def in_dump(text: str, values: list[object]) -> bool:
    needles = {text, text.lower(), text.upper()}
    for value in values:
        haystack = value if isinstance(value, bytes) else str(value).encode()
        if any(needle.encode() in haystack for needle in needles):
            return True
    return False


def test_triage_is_saved_encrypted_indexed_and_shown(
    console: FlaskClient, case_id: str, db: Session
) -> None:
    saved = post(console, case_id, "triage", TRIAGE)
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"/cases/{case_id}?triage=saved#triage")
    shown = page(console, case_id + "?triage=saved")
    assert "The triage was saved." in shown
    for expected in (
        "Mass surveillance",
        "Zebracorp Listening Suite",
        "Ministry of Quokkas",
        "Freedonia",
        "Privacy, Freedom of peaceful assembly",
        "Critical",
        "Relocation offered through a partner shelter",
        '<option selected value="mass_surveillance">',
    ):
        assert expected in shown

    values = dump(db)
    for text in [*CLEAR_VALUES, "Mass surveillance"]:
        assert not in_dump(text, values), text
    field = db.scalar(select(CaseField).where(CaseField.name == TRIAGE_FIELD))
    assert field is not None
    assert field.key_kind is KeyKind.INTERNAL
    rows = db.scalars(select(BlindIndex).where(BlindIndex.case_id == case_id)).all()
    assert sorted(row.facet for row in rows) == sorted(
        ["category", "product", "customer", "country", "severity", "rights", "rights"]
    )
    assert all(len(row.digest) == 32 for row in rows)

    [first] = audited(db, "triage.saved")
    assert first["indexed"] is True
    assert set(str(first["changed"]).split(",")) == set(TRIAGE)
    assert post(console, case_id, "triage", {**TRIAGE, "country": "Sylvania"}).status_code == 302
    assert audited(db, "triage.saved")[1] == {"changed": "country", "indexed": True}


def test_equal_values_give_equal_digests_and_filter_together(
    intake: FlaskClient,
    console: FlaskClient,
    case_id: str,
    db: Session,
    recovery_keypair: KeyPair,
) -> None:
    submit_report(intake, "A second report about the same customer.")
    [other] = [found for found in case_ids(console) if found != case_id]
    post(console, case_id, "triage", TRIAGE)
    post(console, other, "triage", {**TRIAGE, "country": "  freedonia ", "customer": "Acme"})

    def digest(case: str, facet: str) -> bytes:
        return db.scalars(
            select(BlindIndex.digest).where(BlindIndex.case_id == case, BlindIndex.facet == facet)
        ).one()

    assert digest(case_id, "country") == digest(other, "country")
    assert digest(case_id, "customer") != digest(other, "customer")

    sealed = db.scalar(
        select(OrganisationKey.sealed).where(
            OrganisationKey.name == INDEX_KEY, OrganisationKey.recipient == Recipient.RECOVERY
        )
    )
    assert sealed is not None
    key = open_sealed(
        sealed, recovery_keypair, contexts.organisation_key(INDEX_KEY, Recipient.RECOVERY, None)
    )
    matching = set(db.scalars(cases_matching(db, key, "country", "FREEDONIA")))
    assert matching == {case_id, other}
    assert set(db.scalars(cases_matching(db, key, "customer", "acme"))) == {other}
    assert set(db.scalars(cases_matching(db, key, "rights", "privacy"))) == {case_id, other}


def test_without_an_index_key_triage_saves_and_stale_digests_go(
    console: FlaskClient, case_id: str, db: Session
) -> None:
    post(console, case_id, "triage", TRIAGE)
    db.execute(delete(OrganisationKey).where(OrganisationKey.recipient == Recipient.CASEWORKER))
    db.commit()
    saved = post(console, case_id, "triage", {**TRIAGE, "country": "Sylvania"})
    assert saved.headers["Location"].endswith("?triage=unindexed#triage")
    assert "Sylvania" in page(console, case_id)
    assert db.scalars(select(BlindIndex).where(BlindIndex.case_id == case_id)).all() == []
    assert audited(db, "triage.saved")[-1] == {"changed": "country", "indexed": False}


def test_an_invalid_triage_keeps_the_typed_text(
    console: FlaskClient, case_id: str, db: Session
) -> None:
    response = post(console, case_id, "triage", {**TRIAGE, "severity": "apocalyptic"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Not a valid choice" in body
    assert "Matches three leaked invoices word for word" in body
    assert db.scalar(select(CaseField).where(CaseField.name == TRIAGE_FIELD)) is None


def test_status_changes_follow_the_workflow_and_tell_the_reporter_in_spanish(
    intake: FlaskClient,
    console: FlaskClient,
    make_caseworker: Callable[..., Staff],
    sign_in: Callable[..., SignedIn],
    db: Session,
) -> None:
    staff = make_caseworker("alice")
    intake.get("/language/es")
    sent = submit_report(intake, "Infectaron los teléfonos de cuatro periodistas.")
    confirm_receipt(intake, receipt_from(sent))
    sign_in(staff, client=console)
    [case_id] = case_ids(console)

    shown = page(console, case_id)
    assert 'value="acknowledged">Acknowledge</button>' in shown
    assert 'value="closed"' not in shown
    refused = post(console, case_id, "status", {"new_status": "closed", "tell_reporter": "y"})
    assert refused.status_code == 400
    assert "A case that is received cannot be moved to closed. Nothing was changed." in (
        refused.get_data(as_text=True)
    )
    forged = post(console, case_id, "status", {"new_status": "vanished", "tell_reporter": "y"})
    assert forged.status_code == 400

    acknowledged = post(
        console, case_id, "status", {"new_status": "acknowledged", "tell_reporter": "y"}
    )
    assert acknowledged.status_code == 302
    # Without the box ticked the reporter is not told.
    post(console, case_id, "status", {"new_status": "in_assessment"})
    db.expire_all()
    case = db.get_one(Case, case_id)
    assert case.status is CaseStatus.IN_ASSESSMENT
    assert case.acknowledged_on is not None
    assert case.feedback_due is not None
    messages = db.scalars(select(Message).where(Message.case_id == case_id)).all()
    assert len(messages) == 2  # "received" and "acknowledged"

    inbox = intake.get("/inbox").get_data(as_text=True)
    assert "Hemos acusado recibo de su denuncia." in inbox
    assert "Your report has been acknowledged" not in inbox
    assert audited(db, "case.status_changed") == [
        {"from": "received", "to": "acknowledged", "reporter_told": True},
        {"from": "acknowledged", "to": "in_assessment", "reporter_told": False},
    ]
    assert 'value="under_investigation">Open an investigation</button>' in page(console, case_id)


def test_other_caseworkers_case_is_not_found(
    case_id: str, sign_in: Callable[..., SignedIn], db: Session
) -> None:
    other = sign_in("bob").client
    token = csrf_token(other, "/")
    for action, data in (("triage", TRIAGE), ("status", {"new_status": "acknowledged"})):
        response = other.post(f"/cases/{case_id}/{action}", data={"csrf_token": token, **data})
        assert response.status_code == 404, action
    assert db.get_one(Case, case_id).status is CaseStatus.RECEIVED
    assert db.scalar(select(CaseField).where(CaseField.name == TRIAGE_FIELD)) is None


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMINISTRATOR])
def test_roles_without_case_work_are_refused(
    case_id: str, sign_in: Callable[..., SignedIn], role: Role
) -> None:
    client = sign_in("other", role).client
    token = csrf_token(client, "/passphrase")
    for action in ("triage", "status"):
        response = client.post(f"/cases/{case_id}/{action}", data={"csrf_token": token})
        assert response.status_code == 403, action


def test_tampered_triage_shows_the_integrity_failure(
    console: FlaskClient, case_id: str, db: Session
) -> None:
    post(console, case_id, "triage", TRIAGE)
    field = db.scalars(select(CaseField).where(CaseField.name == TRIAGE_FIELD)).one()
    flipped = bytearray(field.ciphertext)
    flipped[-5] ^= 0x01
    db.execute(update(CaseField).where(CaseField.id == field.id).values(ciphertext=bytes(flipped)))
    db.commit()
    shown = page(console, case_id)
    assert INTEGRITY_FAILURE in shown
    assert "Ministry of Quokkas" not in shown
    assert audited(db, "triage.integrity_failed") == [{"integrity_failures": 1}]
