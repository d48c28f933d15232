"""Who may read a case, in the console: the case page's Access section, grants, revocations,
exclusions and identity disclosure requests (decided in caseworker/approvals.py).

Thin views over redress.casework.access and redress.casework.disclosure. A refusal re-renders the
case page with the message in the Access section and the typed text kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, g, make_response, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from wtforms import (
    SelectChoice,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
)

from caseworker import cases
from caseworker.auth import permission_required
from caseworker.sections import Section, register
from redress.casework import access, disclosure
from redress.keys.permissions import Permission, allows
from redress.staff.identity import StaffIdentity
from redress.store.models import Case, KeyKind
from redress.store.text import clean_text
from redress.web import commit, db, render_error
from redress.web.forms import Form

blueprint = Blueprint("access", __name__)


class AssignForm(Form):
    """Choices are the colleagues holding the case, plus nobody; set by the view."""

    assignee = SelectField(
        "Responsible caseworker",
        choices=[],
        validate_choice=False,  # redress.casework.access checks the colleague, whatever was sent
    )
    submit = SubmitField("Assign")


class GrantForm(Form):
    """Choices are the colleagues the case can be granted to, set by the view."""

    grantee = SelectField(
        "Grant this case to",
        choices=[],
        validate_choice=False,  # redress.casework.access checks the colleague, whatever was sent
        validators=[DataRequired("Please choose a colleague.")],
    )
    submit = SubmitField("Grant access")


class ExcludeForm(Form):
    """Choices are the colleagues who can be excluded, set by the view."""

    excluded = SelectField(
        "Exclude for a conflict of interest",
        choices=[],
        validate_choice=False,  # redress.casework.access checks the colleague, whatever was sent
        validators=[DataRequired("Please choose a colleague.")],
        description="Removes their access now and blocks any grant until the exclusion is lifted.",
    )
    submit = SubmitField("Exclude")


class DisclosureRequestForm(Form):
    disclosure_reason = TextAreaField(
        "Why you need the reporter's identity",
        filters=[clean_text],
        validators=[DataRequired("Please give a reason."), Length(max=5000)],
        description="An approver other than you reads this before deciding. It is encrypted "
        "with the case's internal notes.",
    )
    submit = SubmitField("Request disclosure")


NOTICES = {
    "granted": "Access granted.",
    "assigned": "Responsibility changed.",
    "revoked": "Access revoked.",
    "excluded": "Colleague excluded from this case.",
    "lifted": "Exclusion lifted. The colleague holds nothing until granted the case again.",
    "requested": "Disclosure requested. An approver will decide.",
}


def _choices(colleagues: Iterable[access.Colleague]) -> list[SelectChoice]:
    return [SelectChoice(c.id, f"{c.username} ({c.role.value})") for c in colleagues]


def _load(db_: Session, case_id: str, identity: StaffIdentity) -> dict[str, Any]:
    holders = access.holders(db_, case_id)
    holding = {h.colleague.id for h in holders if KeyKind.THREAD in h.kinds}
    available = access.colleagues(db_, case_id)
    state: dict[str, Any] = g.get("access_state", {})
    assign_form = AssignForm(formdata=None)
    assign_form.assignee.choices = [
        SelectChoice("", "Nobody"),
        *_choices(h.colleague for h in holders if h.colleague.id in holding),
    ]
    assign_form.assignee.data = db_.get_one(Case, case_id).assignee_id or ""
    grant_form = state.get("grant_form") or GrantForm(formdata=None)
    grantable = access.grantable(db_, case_id)
    grant_form.grantee.choices = _choices(c for c in grantable if c.id not in holding)
    exclude_form = state.get("exclude_form") or ExcludeForm(formdata=None)
    exclude_form.excluded.choices = _choices(c for c in available if c.id != identity.caseworker_id)
    standing = disclosure.standing(db_, case_id, identity)
    shown = None
    if standing.disclosed and request.args.get("show_identity"):
        shown = disclosure.view_identity(db_, case_id, identity)
    return {
        "holders": [h for h in holders if h.colleague.id in holding],
        "identity_holders": [h.colleague for h in holders if h.colleague.id not in holding],
        "last_holder": len(holding) <= 1,
        "exclusions": access.exclusions(db_, case_id),
        "assign_form": assign_form,
        "grant_form": grant_form,
        "exclude_form": exclude_form,
        "disclosure_form": state.get("disclosure_form") or DisclosureRequestForm(formdata=None),
        "standing": standing,
        "show_identity": bool(request.args.get("show_identity")),
        "identity": shown,
        "error": state.get("error"),
        "error_field": state.get("error_field"),
        "notice": NOTICES.get(request.args.get("access", "")),
        "approver": allows(identity.role, Permission.APPROVE),
    }


register(Section(name="access", template="_case_access.html", load=_load, order=80))


def _refused(case_id: str, status: int, **state: Any) -> ResponseReturnValue:
    """The case page again, with the refusal (and any typed text) in the Access section."""
    db().rollback()
    g.access_state = state
    response = make_response(cases.show(case_id))
    if response.status_code == 200:
        response.status_code = status
    return response


def _invalid(case_id: str, name: str, form: Any) -> ResponseReturnValue:
    field = next(f for f in form if f.errors)
    return _refused(case_id, 400, error=field.errors[0], error_field=field.id, **{name: form})


def _done(case_id: str, colleague_id: str, notice: str) -> ResponseReturnValue:
    """Commit what the view did, and show where the actor can still go, with a notice."""
    commit()
    if colleague_id == g.identity.caseworker_id:
        # The actor gave up their own access: the case page would be a 404 now.
        return redirect(url_for("cases.index"))
    return redirect(url_for("cases.show", case_id=case_id, access=notice, _anchor="access"))


@blueprint.post("/cases/<case_id>/access/grant")
@permission_required(Permission.WORK_ON_CASES)
def grant(case_id: str) -> ResponseReturnValue:
    form = GrantForm()
    if not form.validate_on_submit():
        return _invalid(case_id, "grant_form", form)
    try:
        access.grant(db(), case_id, g.identity, form.grantee.data)
    except access.AccessError as error:
        return _refused(case_id, 409, error=str(error), grant_form=form)
    return _done(case_id, form.grantee.data, "granted")


@blueprint.post("/cases/<case_id>/access/assign")
@permission_required(Permission.WORK_ON_CASES)
def assign(case_id: str) -> ResponseReturnValue:
    form = AssignForm()
    if not form.validate_on_submit():
        return render_error(400)
    try:
        access.assign(db(), case_id, g.identity, form.assignee.data or None)
    except access.AccessError as error:
        return _refused(case_id, 409, error=str(error))
    commit()
    return redirect(url_for("cases.show", case_id=case_id, access="assigned", _anchor="access"))


@blueprint.post("/cases/<case_id>/access/revoke/<colleague_id>")
@permission_required(Permission.WORK_ON_CASES)
def revoke(case_id: str, colleague_id: str) -> ResponseReturnValue:
    try:
        access.revoke(db(), case_id, g.identity, colleague_id)
    except access.AccessError as error:
        return _refused(case_id, 409, error=str(error))
    return _done(case_id, colleague_id, "revoked")


@blueprint.post("/cases/<case_id>/access/exclude")
@permission_required(Permission.WORK_ON_CASES)
def exclude(case_id: str) -> ResponseReturnValue:
    form = ExcludeForm()
    if not form.validate_on_submit():
        return _invalid(case_id, "exclude_form", form)
    try:
        access.exclude(db(), case_id, g.identity, form.excluded.data)
    except access.AccessError as error:
        return _refused(case_id, 409, error=str(error), exclude_form=form)
    return _done(case_id, form.excluded.data, "excluded")


@blueprint.post("/cases/<case_id>/access/exclusions/<colleague_id>/lift")
@permission_required(Permission.WORK_ON_CASES)
def lift(case_id: str, colleague_id: str) -> ResponseReturnValue:
    try:
        access.lift_exclusion(db(), case_id, g.identity, colleague_id)
    except access.AccessError as error:
        return _refused(case_id, 409, error=str(error))
    return _done(case_id, colleague_id, "lifted")


@blueprint.post("/cases/<case_id>/access/disclosure")
@permission_required(Permission.WORK_ON_CASES)
def request_disclosure(case_id: str) -> ResponseReturnValue:
    form = DisclosureRequestForm()
    if not form.validate_on_submit():
        return _invalid(case_id, "disclosure_form", form)
    try:
        disclosure.request_disclosure(db(), case_id, g.identity, form.disclosure_reason.data)
    except disclosure.DisclosureError as error:
        return _refused(case_id, 409, error=str(error), disclosure_form=form)
    commit()
    return redirect(url_for("cases.show", case_id=case_id, access="requested", _anchor="access"))
