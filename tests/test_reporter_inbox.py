"""What the reporter reads in their inbox: their own report, files and case reference, the
acknowledgement with the deadline actually set, and "Delete my copy" only where it deletes
something the reporter or a caseworker wrote.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from redress.store.models import Author, Case, Message, OrganisationSetting
from tests.helpers import (
    SignedIn,
    case_ids,
    confirm_receipt,
    csrf_token,
    new_case,
)

_HIDE_ACTION = re.compile(r'action="/inbox/messages/([0-9a-f]{32})/hide"')


def _inbox(intake: FlaskClient, language: str = "en") -> str:
    intake.get(f"/language/{language}")
    return intake.get("/inbox").get_data(as_text=True)


@pytest.mark.parametrize(
    ("days", "language", "promise"),
    [
        (3, "en", "A caseworker will acknowledge it within 3 days."),
        (1, "en", "A caseworker will acknowledge it within 1 day."),
        (12, "es", "La persona responsable de su caso acusará recibo en un plazo de 12 días."),
        (12, "fr", "La personne chargée de votre dossier en accusera réception sous 12 jours."),
        (12, "ar", "سيؤكّد المسؤول عن متابعة بلاغك استلامه خلال 12 يومًا."),
    ],
)
def test_acknowledgement_names_the_configured_deadline(
    intake: FlaskClient, db: Session, days: int, language: str, promise: str
) -> None:
    db.add(OrganisationSetting(name="acknowledgement_days", value=days))
    db.commit()
    case = new_case(intake, db)
    confirm_receipt(intake, case.receipt)
    page = _inbox(intake, language)
    assert promise in page
    assert "7 days" not in page


def test_the_acknowledgement_keeps_the_deadline_the_case_was_given(
    intake: FlaskClient, console: FlaskClient, sign_in: Callable[..., SignedIn], db: Session
) -> None:
    sign_in("ana", client=console)
    db.add(OrganisationSetting(name="acknowledgement_days", value=5))
    db.commit()
    case = new_case(intake, db)
    confirm_receipt(intake, case.receipt)
    # A later change applies to later cases only (redress.cases.settings), and so do its words.
    db.merge(OrganisationSetting(name="acknowledgement_days", value=20))
    db.commit()
    assert "within 5 days" in _inbox(intake)
    assert "within 5 days" in console.get(f"/cases/{case.id}").get_data(as_text=True)


REPORT_ANSWERS = {
    "what_happened": "The tracker was sold to a ministry in March.",
    "product": "Tracker 3",
    "rights": ["privacy", "expression"],
}
# What each language shows for the question about the product and the rights chosen.
SHOWN = {
    "en": ("Which product or service was involved?", ("Privacy", "Freedom of expression")),
    "es": ("¿Qué producto o servicio estuvo implicado?", ("Privacidad", "Libertad de expresión")),
    "fr": ("Quel produit ou service était en cause\u202f?", ("Vie privée", "Liberté d’expression")),
    "ar": ("ما المنتج أو الخدمة المعنية؟", ("الخصوصية", "حرية التعبير")),
}
HEADINGS = {
    "en": ("What you reported", "Case reference"),
    "es": ("Lo que usted denunció", "Referencia del caso"),
    "fr": ("Ce que vous avez signalé", "Référence du dossier"),
    "ar": ("ما أبلغت عنه", "الرقم المرجعي للحالة"),
}


@pytest.mark.parametrize("language", ["en", "es", "fr", "ar"])
def test_the_reporter_reads_their_own_report_files_and_reference(
    intake: FlaskClient, db: Session, language: str
) -> None:
    case = new_case(
        intake,
        db,
        str(REPORT_ANSWERS["what_happened"]),
        [(b"log lines", "logs.txt")],
        product="Tracker 3",
        rights=["privacy", "expression"],  # type: ignore[arg-type]
    )
    confirm_receipt(intake, case.receipt)
    reference = db.scalar(select(Case.reference).where(Case.id == case.id))
    assert reference
    page = _inbox(intake, language)
    heading, reference_label = HEADINGS[language]
    question, rights = SHOWN[language]
    assert heading in page
    assert reference_label in page
    assert reference in page
    assert "The tracker was sold to a ministry in March." in page
    assert question in page
    assert "Tracker 3" in page
    for label in rights:
        assert f">{label}<" in page
    assert ">logs.txt</a>" in page, "the report's file, with a link to download it"


def test_delete_my_copy_only_under_messages_people_wrote(
    intake: FlaskClient, console: FlaskClient, sign_in: Callable[..., SignedIn], db: Session
) -> None:
    sign_in("ana", client=console)
    case = new_case(intake, db)
    confirm_receipt(intake, case.receipt)
    [case_id] = case_ids(console)
    console.post(
        f"/cases/{case_id}/reply",
        data={"csrf_token": csrf_token(console, f"/cases/{case_id}"), "text": "A question."},
    )
    intake.post("/inbox", data={"csrf_token": csrf_token(intake, "/inbox"), "text": "An answer."})
    authors = {message.id: message.author for message in db.scalars(select(Message))}
    assert sorted(authors.values()) == sorted([Author.SYSTEM, Author.CASEWORKER, Author.REPORTER])
    offered = _HIDE_ACTION.findall(_inbox(intake))
    assert sorted(authors[message_id] for message_id in offered) == sorted(
        [Author.CASEWORKER, Author.REPORTER]
    )
    # Nor is the system message's copy deleted by sending the form anyway.
    [system] = [message_id for message_id, author in authors.items() if author is Author.SYSTEM]
    refused = intake.post(
        f"/inbox/messages/{system}/hide", data={"csrf_token": csrf_token(intake, "/inbox")}
    )
    assert refused.status_code == 404
    assert "has been received and encrypted" in _inbox(intake)
