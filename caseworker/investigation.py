"""The case page's "Investigation" section: notes, tasks, evidence files and the timeline.

Thin views over redress.casework.investigation. A form that fails validation (or an owner who does
not hold the case) re-renders the case page with a 400 and the typed text kept; the view leaves the
submitted form in `g` for the section loader to show instead of a fresh one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import (
    DateField,
    MultipleFileField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    Optional,
)

from caseworker.auth import carried_text, permission_required
from caseworker.cases import ReplyForm, render_case
from caseworker.forms import stripped
from caseworker.sections import Section, register
from redress.cases.deadlines import has_passed
from redress.casework import investigation
from redress.casework.access import Colleague
from redress.casework.investigation import NOTE_MAX_LENGTH, TASK_TITLE_MAX_LENGTH
from redress.i18n.console import describe_step
from redress.keys.permissions import Permission
from redress.staff.identity import StaffIdentity
from redress.store import clock
from redress.store.text import clean_text
from redress.web import commit, db, render_error, uploads
from redress.web.forms import Form

blueprint = Blueprint("investigation", __name__)


class NoteForm(Form):
    note = TextAreaField(
        "New note",
        filters=[clean_text],
        validators=[DataRequired("Please write a note."), Length(max=NOTE_MAX_LENGTH)],
        description="Internal: encrypted for the caseworkers holding this case, never shown "
        "to the reporter.",
    )
    add_note = SubmitField("Add note")


class TaskForm(Form):
    """The owner's choices (colleagues holding the case) are set by the view. Field names are
    prefixed: the case page holds many forms, and ids must stay unique."""

    task_title = StringField(
        "Task",
        filters=[clean_text, stripped],
        validators=[DataRequired("Please describe the task."), Length(max=TASK_TITLE_MAX_LENGTH)],
    )
    task_owner = SelectField(
        "Owner",
        choices=[],
        validate_choice=False,  # redress.casework.investigation checks the owner holds the case
        validators=[DataRequired("Please choose an owner.")],
    )
    task_due = DateField(
        "Due on (optional)",
        validators=[Optional()],
        description="A date as year-month-day (YYYY-MM-DD).",
    )
    add_task = SubmitField("Add task")


class EvidenceForm(Form):
    """The files are read by the view from the encrypting upload stream (redress.web.uploads)."""

    evidence = MultipleFileField(
        "Evidence files",
        description="Stored encrypted and exactly as uploaded, metadata included. Never shown "
        "to the reporter.",
    )
    add_evidence = SubmitField("Upload evidence")


NOTICES = {
    "note": "The note was added.",
    "task": "The task was added.",
    "task_overdue": "The task was added. Its due date has passed: it is listed as overdue.",
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
        "describe_step": describe_step,
    }


register(Section(name="investigation", template="_case_investigation.html", load=_load, order=50))


def _refused(case_id: str, **forms: FlaskForm) -> ResponseReturnValue:
    """The case page again with the refused form, its errors and typed text, and a 400."""
    db().rollback()
    g.investigation_forms = forms
    return render_case(case_id, ReplyForm(formdata=None), 400)


def _done(case_id: str, notice: str) -> ResponseReturnValue:
    """Commit what the view did, and show the case page at this section with a notice."""
    commit()
    return redirect(
        url_for("cases.show", case_id=case_id, investigation=notice, _anchor="investigation")
    )


@blueprint.post("/cases/<case_id>/notes")
@permission_required(Permission.WORK_ON_CASES)
def add_note(case_id: str) -> ResponseReturnValue:
    form = NoteForm()
    if not form.validate_on_submit():
        return _refused(case_id, note_form=form)
    investigation.add_note(db(), case_id, g.identity, form.note.data)
    return _done(case_id, "note")


@blueprint.post("/cases/<case_id>/tasks")
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
    except investigation.NotAnOwnerError:
        form.task_owner.errors.append("Please choose a colleague who holds this case.")
        return _refused(case_id, task_form=form)
    return _done(
        case_id, "task_overdue" if has_passed(form.task_due.data, clock.today()) else "task"
    )


@blueprint.post("/cases/<case_id>/tasks/<task_id>/<any(complete, reopen):change>")
@permission_required(Permission.WORK_ON_CASES)
def change_task(case_id: str, task_id: str, change: str) -> ResponseReturnValue:
    done = change == "complete"
    try:
        investigation.set_task_done(db(), case_id, g.identity, task_id, done=done)
    except investigation.UnknownTaskError:
        return render_error(404)
    return _done(case_id, "completed" if done else "reopened")


@blueprint.post("/cases/<case_id>/evidence")
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
    # Not cleaned of metadata: evidence is kept exactly as uploaded.
    investigation.add_evidence(db(), case_id, g.identity, files)
    return _done(case_id, "evidence")
