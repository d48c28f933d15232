"""The case page's "Investigation" section: notes, tasks, evidence files and the timeline.

Thin views over redress.investigation. A form that fails validation (or an owner who does not
hold the case) re-renders the case page with a 400 and the typed text kept; the view leaves the
submitted form in `g` for the section loader to show instead of a fresh one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import SelectChoice

from caseworker.auth import carried_text, login_required, permission_required
from caseworker.cases import render_case
from caseworker.forms import EvidenceForm, NoteForm, ReplyForm, TaskForm
from caseworker.sections import Section, register
from redress.casework import investigation
from redress.casework.access import Colleague
from redress.keys.casekeys import NoKeyError
from redress.keys.permissions import Permission
from redress.staff.accounts import StaffIdentity
from redress.web.app import db, render_error, services, uploads

blueprint = Blueprint("investigation", __name__)

NOTICES = {
    "note": "The note was added.",
    "task": "The task was added.",
    "completed": "The task was marked as done.",
    "reopened": "The task was reopened.",
    "evidence": "The evidence was stored.",
}


def _owners(colleagues: Iterable[Colleague]) -> list[SelectChoice]:
    return [SelectChoice(c.id, f"{c.username} ({c.role.value})") for c in colleagues]


def _load(session: Session, case_id: str, identity: StaffIdentity) -> dict[str, Any]:
    found = investigation.open_investigation(session, case_id, identity)
    state: dict[str, FlaskForm] = g.get("investigation_forms", {})
    carried = carried_text("investigation.add_note", case_id)
    task_form = state.get("task_form") or TaskForm(formdata=None, task_owner=identity.caseworker_id)
    task_form.task_owner.choices = _owners(found.owners)
    return {
        "investigation": found,
        "note_form": state.get("note_form") or NoteForm(formdata=None, note=carried),
        "task_form": task_form,
        "evidence_form": state.get("evidence_form") or EvidenceForm(formdata=None),
        "carried": carried is not None,
        "notice": NOTICES.get(request.args.get("investigation", "")),
    }


register(Section(name="investigation", template="_case_investigation.html", load=_load, order=50))


def _refused(case_id: str, **forms: FlaskForm) -> ResponseReturnValue:
    """The case page again with the refused form, its errors and typed text, and a 400."""
    db().rollback()
    g.investigation_forms = forms
    return render_case(case_id, ReplyForm(formdata=None), 400)


def _done(case_id: str, notice: str) -> ResponseReturnValue:
    return redirect(
        url_for("cases.show", case_id=case_id, investigation=notice, _anchor="investigation")
    )


@blueprint.post("/cases/<case_id>/notes")
@login_required
@permission_required(Permission.WORK_ON_CASES)
def add_note(case_id: str) -> ResponseReturnValue:
    form = NoteForm()
    if not form.validate_on_submit():
        return _refused(case_id, note_form=form)
    try:
        investigation.add_note(db(), case_id, g.identity, form.note.data)
    except NoKeyError:
        return render_error(404)
    return _done(case_id, "note")


@blueprint.post("/cases/<case_id>/tasks")
@login_required
@permission_required(Permission.WORK_ON_CASES)
def add_task(case_id: str) -> ResponseReturnValue:
    form = TaskForm()
    if not form.validate_on_submit():
        return _refused(case_id, task_form=form)
    try:
        investigation.add_task(
            db(),
            case_id,
            g.identity,
            form.task_title.data,
            form.task_owner.data,
            form.task_due.data,
        )
    except NoKeyError:
        return render_error(404)
    except investigation.NotAnOwnerError:
        form.task_owner.errors.append("Please choose a colleague who holds this case.")
        return _refused(case_id, task_form=form)
    return _done(case_id, "task")


@blueprint.post("/cases/<case_id>/tasks/<task_id>/<any(complete, reopen):change>")
@login_required
@permission_required(Permission.WORK_ON_CASES)
def change_task(case_id: str, task_id: str, change: str) -> ResponseReturnValue:
    done = change == "complete"
    try:
        investigation.set_task_done(db(), case_id, g.identity, task_id, done=done)
    except (NoKeyError, investigation.UnknownTaskError):
        return render_error(404)
    return _done(case_id, "completed" if done else "reopened")


@blueprint.post("/cases/<case_id>/evidence")
@login_required
@permission_required(Permission.WORK_ON_CASES)
def add_evidence(case_id: str) -> ResponseReturnValue:
    form = EvidenceForm()
    files = uploads("evidence")
    valid = form.validate_on_submit()
    if valid and not files:
        form.evidence.errors.append("Please choose at least one file.")
        valid = False
    if not valid:
        return _refused(case_id, evidence_form=form)
    try:
        # Not cleaned of metadata: evidence is kept exactly as uploaded.
        investigation.add_evidence(db(), services().blobs, case_id, g.identity, files)
    except NoKeyError:
        return render_error(404)
    return _done(case_id, "evidence")
