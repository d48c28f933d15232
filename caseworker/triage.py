"""The case page's "Status and triage" section, and the two forms it posts.

Thin views over redress.casework.triage and redress.casework.status_updates. A form that fails
validation (or a transition the workflow refuses) re-renders the case page with a 400, the typed
text kept: the view leaves the submitted form in `g` for the section loader to show instead of a
fresh one.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, g, redirect, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    Length,
)

from caseworker.auth import permission_required
from caseworker.cases import ReplyForm, render_case
from caseworker.forms import choices, free_text
from caseworker.sections import Section, register
from redress.cases import settings
from redress.cases.workflow import TransitionError
from redress.casework import status_updates
from redress.casework.triage import (
    CHOICES,
    RATIONALE_MAX_LENGTH,
    InvalidTriageError,
    Triage,
    read_triage,
    save_triage,
)
from redress.i18n.console import (
    status_name,
    taxonomy_choices,
    taxonomy_label,
)
from redress.keys.permissions import Permission
from redress.staff.identity import StaffIdentity
from redress.store.models import CaseStatus
from redress.store.text import clean_text
from redress.web import commit, db, render_error, services
from redress.web.forms import CheckboxesField, Form

blueprint = Blueprint("triage", __name__)


def _assessment(label: str, name: str) -> SelectField:
    options = [("", "Not assessed yet"), *taxonomy_choices(name)]
    return SelectField(label, choices=choices(options), default="")


def _rationale(label: str) -> TextAreaField:
    return TextAreaField(label, filters=[clean_text], validators=[Length(max=RATIONALE_MAX_LENGTH)])


class TriageForm(Form):
    """Assessment and classification; every choice comes from redress.casework.taxonomy."""

    credibility = _assessment("Credibility", "credibility")
    credibility_rationale = _rationale("Rationale for the credibility assessment")
    significance = _assessment("Significance", "significance")
    significance_rationale = _rationale("Rationale for the significance assessment")
    category = _assessment("Category of misuse", "category")
    product = free_text("Product or service", "Name and version, as the organisation knows it.")
    customer = free_text("Customer or deployment", "The customer or the deployment concerned.")
    country = free_text("Country", "Where the misuse took place.")
    rights = CheckboxesField("Rights affected", choices=choices(taxonomy_choices("rights")))
    severity = _assessment("Severity", "severity")
    retaliation_risk = _assessment("Risk of retaliation against the reporter", "retaliation_risk")
    retaliation_mitigation = _rationale("How the reporter is protected (mitigation)")
    save_triage = SubmitField("Save triage")

    def to_triage(self) -> Triage:
        return Triage(
            credibility=self.credibility.data,
            credibility_rationale=self.credibility_rationale.data or "",
            significance=self.significance.data,
            significance_rationale=self.significance_rationale.data or "",
            category=self.category.data,
            product=self.product.data or "",
            customer=self.customer.data or "",
            country=self.country.data or "",
            rights=tuple(self.rights.data or ()),
            severity=self.severity.data,
            retaliation_risk=self.retaliation_risk.data,
            retaliation_mitigation=self.retaliation_mitigation.data or "",
        )


class StatusForm(Form):
    """A status change: each allowed transition is a submit button carrying `new_status`."""

    new_status = SelectField(
        "New status", choices=choices([(status.value, status.value) for status in CaseStatus])
    )
    tell_reporter = BooleanField(
        "Tell the reporter",
        default=True,
        description="Posts a short, translated status update to the reporter's inbox; "
        "it says nothing about the content of the case.",
    )


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


def transition_label(current: CaseStatus, new: CaseStatus) -> str:
    return REOPEN_LABEL if current is S.CLOSED else TRANSITION_LABELS[new]


def _summary(triage: Triage) -> list[tuple[str, str]]:
    """(label, shown value) for each part of a saved triage, in the form's order."""
    form = TriageForm(formdata=None)
    rows = []
    for name, value in asdict(triage).items():
        if name == "rights":
            shown = ", ".join(taxonomy_label("rights", code) for code in value)
        elif name in CHOICES:
            shown = taxonomy_label(name, value) if value else ""
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
@permission_required(Permission.WORK_ON_CASES)
def save(case_id: str) -> ResponseReturnValue:
    form = TriageForm()
    if not form.validate_on_submit():
        g.triage_form = form
        return render_case(case_id, ReplyForm(formdata=None), 400)
    try:
        saved = save_triage(db(), case_id, g.identity, form.to_triage())
    except InvalidTriageError:
        return render_error(400, "This triage could not be saved", "Nothing was changed.")
    commit()
    notice = "saved" if saved.indexed else "unindexed"
    return redirect(url_for("cases.show", case_id=case_id, triage=notice, _anchor="triage"))


@blueprint.post("/cases/<case_id>/status")
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
    except TransitionError as error:
        db().rollback()
        g.status_form = form
        g.status_error = (
            f"A case that is {status_name(error.current)} cannot be moved to "
            f"{status_name(error.requested)}. Nothing was changed."
        )
        return render_case(case_id, ReplyForm(formdata=None), 400)
    commit()
    return redirect(url_for("cases.show", case_id=case_id, status="changed", _anchor="triage"))
