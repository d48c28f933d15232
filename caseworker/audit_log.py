"""The auditor's view of the hash-chained audit log: paged, filtered, with both chains' state.

Staff and system entries (exact times) and reporters' entries (the day only, in a chain of their
own) are shown side by side; both chains are verified in one snapshot of the database on every
view, so work going on meanwhile is never taken for tampering.
"""

from __future__ import annotations

from flask import Blueprint, g, render_template, request
from flask.typing import ResponseReturnValue
from wtforms import (
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    Length,
)

from caseworker.auth import permission_required
from redress import audit
from redress.audit import REPORTER_ACTIONS, AuditAction
from redress.keys.permissions import Permission
from redress.staff import administration
from redress.web import commit, db
from redress.web.forms import Form

blueprint = Blueprint("audit", __name__, url_prefix="/audit")


class AuditFilterForm(Form):
    """Filters for the audit log, sent with GET (reading the log changes nothing)."""

    class Meta:
        csrf = False

    action = SelectField("Action", choices=[SelectChoice("", "Any action")], default="")
    case = StringField("Case id or reference", validators=[Length(max=32)])
    caseworker = SelectField("Staff member", choices=[SelectChoice("", "Anyone")], default="")
    submit = SubmitField("Filter")


@blueprint.get("")
@permission_required(Permission.READ_AUDIT_LOG)
def log() -> ResponseReturnValue:
    form = AuditFilterForm(formdata=request.args)
    actions = sorted({*administration.audit_actions(db()), *REPORTER_ACTIONS})
    form.action.choices = [
        SelectChoice("", "Any action"),
        *(SelectChoice(action, action) for action in actions),
    ]
    form.caseworker.choices = [
        SelectChoice("", "Anyone"),
        *(SelectChoice(worker_id, name) for worker_id, name in administration.staff_names(db())),
    ]
    valid = form.validate() if request.args else True
    filters = (
        administration.AuditFilter(
            form.action.data, (form.case.data or "").strip(), form.caseworker.data
        )
        if valid
        else administration.AuditFilter()
    )
    page_number = request.args.get("page", 1, type=int) or 1
    reporter_page_number = request.args.get("reporter_page", 1, type=int) or 1
    chains = audit.verify_chains(db())
    audit.record(
        db(),
        AuditAction.AUDIT_VIEWED,
        g.identity.actor,
        detail={**filters.as_detail(), "page": page_number, "reporter_page": reporter_page_number},
    )
    commit()
    page = administration.audit_page(db(), filters, page_number)
    # Reporters are no staff member, and do only what REPORTER_ACTIONS lists.
    reporters_match = not filters.caseworker_id and (
        not filters.action or filters.action in REPORTER_ACTIONS
    )
    reporter_page = (
        audit.reporter_events(db(), case=filters.case, page=reporter_page_number)
        if reporters_match
        else None
    )
    return render_template(
        "audit_log.html",
        form=form,
        page=page,
        reporter_page=reporter_page,
        chains=chains,
        filters=filters,
    ), (200 if valid else 400)
