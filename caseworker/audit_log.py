"""The auditor's view of the hash-chained audit log: paged, filtered, with the chain's state."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request
from flask.typing import ResponseReturnValue
from wtforms import SelectChoice

from caseworker.auth import login_required, permission_required
from caseworker.forms import AuditFilterForm
from redress import audit
from redress.keys.permissions import Permission
from redress.staff import administration
from redress.store import clock
from redress.web.app import db

blueprint = Blueprint("audit", __name__, url_prefix="/audit")


@blueprint.get("")
@login_required
@permission_required(Permission.READ_AUDIT_LOG)
def log() -> ResponseReturnValue:
    form = AuditFilterForm(formdata=request.args)
    form.action.choices = [
        SelectChoice("", "Any action"),
        *(SelectChoice(action, action) for action in administration.audit_actions(db())),
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
    problem = audit.verify_chain(db())
    audit.record(
        db(),
        "audit.viewed",
        actor="caseworker",
        at=clock.utcnow(),
        caseworker_id=g.identity.caseworker_id,
        detail={**filters.as_detail(), "page": page_number},
    )
    db().commit()
    page = administration.audit_page(db(), filters, page_number)
    return render_template(
        "audit_log.html", form=form, page=page, problem=problem, filters=filters
    ), (200 if valid else 400)
