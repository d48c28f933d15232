"""The case page's "Interim measures" section: proposals, decisions, renewals and lifting.

Thin views over redress.casework.measures. Proposals are decided from the approvals queue
(caseworker/access.py), which lists them beside disclosure requests. A refused form re-renders
the case page with a 400 (invalid input) or 409 (the service refused) and the typed text kept.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from wtforms import (
    DateField,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    Optional,
)

from caseworker.auth import permission_required
from caseworker.cases import ReplyForm, render_case
from caseworker.forms import choices
from caseworker.sections import Section, register
from redress.cases.deadlines import urgency_of
from redress.casework import measures
from redress.casework.investigation import task_owners
from redress.casework.measures import TEXT_MAX_LENGTH
from redress.i18n.console import MEASURE_KIND_LABELS
from redress.keys.permissions import Permission, allows
from redress.staff.identity import StaffIdentity
from redress.store import clock
from redress.store.models import MeasureState, Role
from redress.store.text import clean_text
from redress.web import commit, db, render_error
from redress.web.forms import Form

blueprint = Blueprint("measures", __name__)


def _measure_text(label: str, message: str, description: str = "") -> TextAreaField:
    return TextAreaField(
        label,
        description=description,
        filters=[clean_text],
        validators=[DataRequired(message), Length(max=TEXT_MAX_LENGTH)],
    )


class ProposeMeasureForm(Form):
    """An interim measure proposed for a second person's approval. Field names are prefixed:
    the case page holds many forms, and ids must stay unique."""

    measure_kind = SelectField(
        "Measure",
        choices=choices([(kind.value, label) for kind, label in MEASURE_KIND_LABELS.items()]),
    )
    measure_rationale = _measure_text(
        "Rationale",
        "Please give a rationale.",
        "An approver other than you reads this before deciding. The measure and its rationale "
        "are encrypted with the case's internal notes.",
    )
    measure_review_on = DateField(
        "Review by",
        validators=[DataRequired("Please give a review date as year-month-day (YYYY-MM-DD).")],
        description="A date after today by which the measure is reviewed.",
    )
    propose_measure = SubmitField("Propose measure")


class ReviewMeasureForm(Form):
    """Renew or lift one measure in force; the view gives each measure its own prefix."""

    review_on = DateField(
        "New review date (to renew)",
        validators=[Optional()],
        description="A date after today, as year-month-day (YYYY-MM-DD); needed to renew, "
        "not to lift.",
    )
    reason = _measure_text("Reason", "Please give a reason.")
    renew = SubmitField("Renew")
    lift = SubmitField("Lift")


NOTICES = {
    "proposed": "The measure was proposed. An approver other than you decides.",
    "renewed": "The measure was renewed.",
    "lifted": "The measure was lifted.",
}
STATE_LABELS = {
    MeasureState.PROPOSED: "proposed",
    MeasureState.IN_FORCE: "in force",
    MeasureState.REJECTED: "rejected",
    MeasureState.LIFTED: "lifted",
}


def _review_form(measure_id: str, formdata: Any = None) -> ReviewMeasureForm:
    # Each measure in force has its own form on the page: the prefix keeps the ids unique.
    return ReviewMeasureForm(formdata=formdata, prefix=f"review-{measure_id}")


def _load(session: Session, case_id: str, identity: StaffIdentity) -> dict[str, Any]:
    found = measures.list_for_case(session, case_id, identity)
    state: dict[str, Any] = g.get("measure_state", {})
    in_force = [m for m in found if m.state is MeasureState.IN_FORCE]
    today = clock.today()
    return {
        "measures": found,
        "labels": MEASURE_KIND_LABELS,
        "states": STATE_LABELS,
        "urgency": {m.id: urgency_of(m.review_on, today) for m in in_force},
        "review_forms": {
            m.id: state.get("review_forms", {}).get(m.id) or _review_form(m.id) for m in in_force
        },
        "propose_form": state.get("propose_form") or ProposeMeasureForm(formdata=None),
        "error": state.get("error"),
        "notice": NOTICES.get(request.args.get("measures", "")),
        "approver": allows(identity.role, Permission.APPROVE),
        # Someone who could approve this caseworker's proposal holds the case.
        "second_person": any(
            c.role is Role.APPROVER and c.id != identity.caseworker_id
            for c in task_owners(session, case_id)
        ),
    }


register(Section(name="measures", template="_case_measures.html", load=_load, order=60))


def _refused(case_id: str, status: int, **state: Any) -> ResponseReturnValue:
    """The case page again, with the refused form (errors, typed text) or the refusal."""
    db().rollback()
    g.measure_state = state
    return render_case(case_id, ReplyForm(formdata=None), status)


def _done(case_id: str, notice: str) -> ResponseReturnValue:
    """Commit what the view did, and show the case page at this section with a notice."""
    commit()
    return redirect(url_for("cases.show", case_id=case_id, measures=notice, _anchor="measures"))


def _field_refused(
    case_id: str, field: Any, error: measures.MeasureError, **state: Any
) -> ResponseReturnValue:
    """A date or text the service refused: shown on its field, as a validation error."""
    field.errors.append(str(error))
    return _refused(case_id, 400, **state)


@blueprint.post("/cases/<case_id>/measures")
@permission_required(Permission.WORK_ON_CASES)
def propose(case_id: str) -> ResponseReturnValue:
    form = ProposeMeasureForm()
    if not form.validate_on_submit():
        return _refused(case_id, 400, propose_form=form)
    try:
        measures.propose(
            db(),
            case_id,
            g.identity,
            measures.MeasureKind(form.measure_kind.data),
            form.measure_rationale.data,
            form.measure_review_on.data,
        )
    except measures.ReviewDateError as error:
        return _field_refused(case_id, form.measure_review_on, error, propose_form=form)
    except measures.MeasureTextError as error:
        return _field_refused(case_id, form.measure_rationale, error, propose_form=form)
    return _done(case_id, "proposed")


@blueprint.post("/cases/<case_id>/measures/<measure_id>/review")
@permission_required(Permission.WORK_ON_CASES)
def review(case_id: str, measure_id: str) -> ResponseReturnValue:
    form = _review_form(measure_id, request.form)
    valid = form.validate_on_submit()
    if valid and not (form.renew.data or form.lift.data):
        # Never lift by default: the button pressed says which.
        form.form_errors.append("Please choose Renew or Lift.")
        valid = False
    if valid and form.renew.data and form.review_on.data is None:
        form.review_on.errors.append("Please give the new review date.")
        valid = False
    if not valid:
        return _refused(case_id, 400, review_forms={measure_id: form})
    renew_to = form.review_on.data if form.renew.data else None
    try:
        measures.review(db(), case_id, measure_id, g.identity, form.reason.data, renew_to=renew_to)
    except measures.UnknownMeasureError:
        return render_error(404)
    except measures.ReviewDateError as error:
        return _field_refused(case_id, form.review_on, error, review_forms={measure_id: form})
    except measures.MeasureTextError as error:
        return _field_refused(case_id, form.reason, error, review_forms={measure_id: form})
    except measures.MeasureError as error:
        return _refused(case_id, 409, error=str(error))
    return _done(case_id, "renewed" if renew_to else "lifted")
