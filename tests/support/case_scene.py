"""The permission matrix's case, and everything around it, made through intake and the console.

A report with a file and a confidential identity, a reply with a file, a note, a task, an
evidence file, a triage, a pending disclosure request, two interim measures (one put in force by
an approver), reply templates, and a signed-in console client for each :class:`Actor`. Shared by
tests/test_permission_matrix.py (every route for every actor) and tests/test_tamper_console.py
(every encrypted column tampered with).
"""

from __future__ import annotations

import enum
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from redress.store import clock
from redress.store.models import (
    Attachment,
    DisclosureRequest,
    InterimMeasure,
    KeyKind,
    MeasureState,
    Message,
    Note,
    ReplyTemplate,
    Role,
    Task,
)
from tests.helpers import SignedIn, Staff, csrf_token, new_case

REPORT = "The tracker was sold to a ministry and used on journalists."
IDENTITY_NAME = "Dana Reporter"
REPLY = "Thank you; could you send the invoice?"
NOTE = "The invoice dates match the shipment."
TASK = "Ask the reseller for the deployment logs"
REASON = "We need to call the reporter about the invoice."
RATIONALE = "The tracker keeps receiving updates while we investigate."
RENEWAL = "The reseller has not answered yet."
REPORT_FILE = b"report attachment bytes " * 40
REPLY_FILE = b"reply attachment bytes " * 40
EVIDENCE_FILE = b"evidence bytes " * 40


class Actor(enum.StrEnum):
    ANONYMOUS = "anonymous"
    ADMINISTRATOR = "administrator"
    HOLDER = "caseworker holding the case"
    OUTSIDER = "caseworker not granted the case"
    APPROVER = "approver granted the case"
    OTHER_APPROVER = "approver not granted the case"
    AUDITOR = "auditor"


@dataclass
class Scene:
    """Real ids of everything the routes name, and each actor's signed-in client."""

    ids: dict[str, str]
    staff: dict[Actor, Staff]
    clients: dict[Actor, FlaskClient] = field(default_factory=dict)

    def path(self, template: str) -> str:
        """``template`` (a route's path) with the scene's ids filled in."""
        return template.format(**self.ids)


def evidence_form(_scene: Scene) -> dict[str, object]:
    return {"evidence": [(io.BytesIO(EVIDENCE_FILE), "evidence.txt")]}


def reply_form(_scene: Scene) -> dict[str, object]:
    return {"text": REPLY, "attachments": [(io.BytesIO(REPLY_FILE), "reply.txt")]}


def in_a_month() -> str:
    return (clock.today() + timedelta(days=30)).isoformat()


def measure_form(_scene: Scene) -> dict[str, object]:
    kind, text, review_on = "suspend_updates", RATIONALE, in_a_month()
    return {"measure_kind": kind, "measure_rationale": text, "measure_review_on": review_on}


def renew_form(scene: Scene) -> dict[str, object]:
    """Renewing the measure in force (its form's fields carry the measure's prefix)."""
    prefix = f"review-{scene.ids['in_force']}-"
    return {prefix + "review_on": in_a_month(), prefix + "reason": RENEWAL, prefix + "renew": "y"}


def send(client: FlaskClient, path: str, data: Mapping[str, object], token_page: str) -> int:
    """POST `data` with a CSRF token from `token_page`; the status."""
    form = {"csrf_token": csrf_token(client, token_page), **data}
    return client.post(path, data=form, content_type="multipart/form-data").status_code


def state_is(state: MeasureState) -> ColumnElement[bool]:
    return InterimMeasure.state == state


def one(db: Session, query: Select[str]) -> str:
    db.expire_all()
    found = db.scalar(query)
    assert isinstance(found, str), f"nothing found for {query}"
    return found


def build_scene(
    console_app: Flask,
    intake: FlaskClient,
    db: Session,
    make_caseworker: Callable[..., Staff],
    sign_in: Callable[..., SignedIn],
) -> Scene:
    """The case and everything around it, created through intake and the console."""
    accounts = {
        Actor.HOLDER: make_caseworker("holder"),
        # An approver present at submission holds the identity key; the holder grants the rest.
        Actor.APPROVER: make_caseworker("approver", Role.APPROVER),
        Actor.ADMINISTRATOR: make_caseworker("admin", Role.ADMINISTRATOR),
        Actor.AUDITOR: make_caseworker("auditor", Role.AUDITOR),
    }
    case_id = new_case(
        intake, db, REPORT, [(REPORT_FILE, "report.txt")], identity_name=IDENTITY_NAME
    ).id
    # Joined after the case arrived: they hold no copy of any of its keys.
    accounts[Actor.OUTSIDER] = make_caseworker("outsider")
    accounts[Actor.OTHER_APPROVER] = make_caseworker("other-approver", Role.APPROVER)
    spare = make_caseworker("spare")
    scene = Scene(
        ids={
            "case": case_id,
            "spare": spare.account.caseworker_id,
            "holder": accounts[Actor.HOLDER].account.caseworker_id,
            "approver": accounts[Actor.APPROVER].account.caseworker_id,
        },
        staff=accounts,
        clients={actor: sign_in(staff).client for actor, staff in accounts.items()},
    )
    scene.clients[Actor.ANONYMOUS] = console_app.test_client()
    holder, admin = scene.clients[Actor.HOLDER], scene.clients[Actor.ADMINISTRATOR]
    case_page = f"/cases/{case_id}"
    for path, data in (
        ("/reply", reply_form(scene)),
        ("/notes", {"note": NOTE}),
        ("/tasks", {"task_title": TASK, "task_owner": scene.ids["holder"]}),
        ("/evidence", evidence_form(scene)),
        ("/triage", {"credibility": "credible", "credibility_rationale": "Consistent dates."}),
        ("/access/grant", {"grantee": scene.ids["approver"]}),
        ("/access/disclosure", {"disclosure_reason": REASON}),
        ("/measures", measure_form(scene)),
        ("/measures", measure_form(scene)),
    ):
        assert send(holder, case_page + path, data, "/account/two-factor") == 302, path
    # The approver puts one of the two proposed measures in force.
    first = one(db, select(InterimMeasure.id).order_by(InterimMeasure.id))
    approve = f"{case_page}/approvals/measure/{first}/approve"
    assert send(scene.clients[Actor.APPROVER], approve, {}, "/approvals") == 302
    for name in ("Acknowledgement", "To be deleted"):
        form = {"name": name, "body": "We received {reference}."}
        assert send(admin, "/admin/templates", form, "/admin/templates") == 302
    thread_file = select(Attachment.id).where(
        Attachment.case_id == case_id, Attachment.key_kind == KeyKind.THREAD
    )
    scene.ids.update(
        attachment=one(db, thread_file.where(Attachment.message_id.is_(None))),
        reply_attachment=one(db, thread_file.where(Attachment.message_id.is_not(None))),
        evidence=one(
            db,
            select(Attachment.id).where(
                Attachment.case_id == case_id, Attachment.key_kind == KeyKind.INTERNAL
            ),
        ),
        message=one(db, select(Message.id).where(Message.caseworker_id.is_not(None))),
        note=one(db, select(Note.id)),
        task=one(db, select(Task.id)),
        request=one(db, select(DisclosureRequest.id)),
        measure=one(db, select(InterimMeasure.id).where(state_is(MeasureState.PROPOSED))),
        in_force=one(db, select(InterimMeasure.id).where(state_is(MeasureState.IN_FORCE))),
        template=one(db, select(ReplyTemplate.id).where(ReplyTemplate.name == "Acknowledgement")),
        doomed=one(db, select(ReplyTemplate.id).where(ReplyTemplate.name == "To be deleted")),
    )
    return scene
