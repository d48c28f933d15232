"""The case page's "Status and triage" section, and the two forms it posts.

Thin views over redress.triage and redress.status_updates. A form that fails validation (or a
transition the workflow refuses) re-renders the case page with a 400, the typed text kept: the
view leaves the submitted form in `g` for the section loader to show instead of a fresh one.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, g, redirect, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from caseworker.auth import login_required, permission_required
from caseworker.cases import render_case
from caseworker.forms import ReplyForm, StatusForm, TriageForm
from caseworker.sections import Section, register
from redress.cases import settings
from redress.cases.workflow import TransitionError
from redress.casework import status_updates, taxonomy
from redress.casework.triage import CHOICES, InvalidTriageError, Triage, read_triage, save_triage
from redress.keys.casekeys import NoKeyError
from redress.keys.permissions import Permission
from redress.staff.accounts import StaffIdentity
from redress.store.models import CaseStatus
from redress.web.app import db, render_error, services

blueprint = Blueprint("triage", __name__)

S = CaseStatus
# The button for each transition, by the status it leads to.
TRANSITION_LABELS = {
    S.ACKNOWLEDGED: "Acknowledge",
    S.IN_ASSESSMENT: "Start assessment",
    S.UNDER_INVESTIGATION: "Open an investigation",
    S.DECIDED: "Record that a decision was taken",
    S.REMEDY_IN_PROGRESS: "Start remedy",
    S.CLOSED: "Close the case",
}
REOPEN_LABEL = "Reopen for assessment"


def status_name(status: CaseStatus) -> str:
    return status.value.replace("_", " ")


def transition_label(current: CaseStatus, new: CaseStatus) -> str:
    return REOPEN_LABEL if current is S.CLOSED else TRANSITION_LABELS[new]


def _summary(triage: Triage) -> list[tuple[str, str]]:
    """(label, shown value) for each part of a saved triage, in the form's order."""
    form = TriageForm(formdata=None)
    rows = []
    for name, value in asdict(triage).items():
        if name == "rights":
            shown = ", ".join(taxonomy.label(taxonomy.RIGHTS_AFFECTED, code) for code in value)
        elif name in CHOICES:
            shown = taxonomy.label(CHOICES[name], value) if value else ""
        else:
            shown = value
        rows.append((str(form[name].label.text), shown or "—"))
    return rows


def _load(session: Session, case_id: str, identity: StaffIdentity) -> dict[str, Any]:
    record = read_triage(session, case_id, identity)
    status = status_updates.case_status(session, case_id)
    stored = asdict(record.triage or Triage())
    return {
        "record": record,
        "summary": _summary(record.triage) if record.triage else [],
        "status": status_name(status),
        "transitions": [
            (new.value, transition_label(status, new))
            for new in status_updates.next_statuses(status)
        ],
        "form": g.get("triage_form") or TriageForm(formdata=None, data=stored),
        "status_form": g.get("status_form") or StatusForm(formdata=None),
        "status_error": g.get("status_error"),
    }


register(Section(name="triage", template="_case_triage.html", load=_load, order=10))


@blueprint.post("/cases/<case_id>/triage")
@login_required
@permission_required(Permission.WORK_ON_CASES)
def save(case_id: str) -> ResponseReturnValue:
    form = TriageForm()
    if not form.validate_on_submit():
        g.triage_form = form
        return render_case(case_id, ReplyForm(formdata=None), 400)
    try:
        saved = save_triage(db(), case_id, g.identity, form.to_triage())
    except NoKeyError:
        return render_error(404)
    except InvalidTriageError:
        return render_error(400, "This triage could not be saved", "Nothing was changed.")
    notice = "saved" if saved.indexed else "unindexed"
    return redirect(url_for("cases.show", case_id=case_id, triage=notice, _anchor="triage"))


@blueprint.post("/cases/<case_id>/status")
@login_required
@permission_required(Permission.WORK_ON_CASES)
def change_status(case_id: str) -> ResponseReturnValue:
    form = StatusForm()
    if not form.validate_on_submit():
        g.status_form = form
        return render_case(case_id, ReplyForm(formdata=None), 400)
    try:
        status_updates.change_case_status(
            db(),
            case_id,
            g.identity,
            CaseStatus(form.new_status.data),
            tell_reporter=form.tell_reporter.data,
            feedback_days=settings.current(db(), services().config).feedback_days,
        )
    except NoKeyError:
        return render_error(404)
    except TransitionError as error:
        db().rollback()
        g.status_form = form
        g.status_error = (
            f"A case that is {status_name(error.current)} cannot be moved to "
            f"{status_name(error.requested)}. Nothing was changed."
        )
        return render_case(case_id, ReplyForm(formdata=None), 400)
    return redirect(url_for("cases.show", case_id=case_id, status="changed", _anchor="triage"))
