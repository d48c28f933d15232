"""Case list, case file, replies and attachment downloads: thin views over redress.casework."""

from __future__ import annotations

import re

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import SelectChoice

from caseworker.auth import carried_text, login_required, permission_required
from caseworker.forms import STATUS_LABELS, CaseFilterForm, ReplyForm
from caseworker.sections import load_sections
from crypto.errors import CryptoError
from redress import audit
from redress.cases.messages import SYSTEM_TEXTS
from redress.cases.questions import QUESTIONS_BY_ID
from redress.casework import case_file, caselist, reply_templates
from redress.keys.casekeys import NoKeyError
from redress.keys.permissions import Permission
from redress.reporting.cleaning import NOT_CLEANED_REASONS, REMOVED_LABELS
from redress.store import clock
from redress.web.app import db, render_error, send_decrypted, services, uploads

blueprint = Blueprint("cases", __name__)

CASE_ID = re.compile("[0-9a-f]{32}")
ASSIGNEE_CHOICES = (
    SelectChoice("", "Anyone"),
    SelectChoice(caselist.ME, "Me"),
    SelectChoice(caselist.UNASSIGNED, "Nobody"),
)


def _position() -> caselist.Position:
    """The page asked for by a page link; anything malformed means the first page."""
    cursors = {
        name: value
        for name in ("after", "before")
        if CASE_ID.fullmatch(value := request.args.get(name, ""))
    }
    return caselist.Position(
        number=request.args.get("page", 1, type=int) or 1,
        last=request.args.get("last") == "y",
        **cursors,
    )


@blueprint.get("/")
@login_required
@permission_required(Permission.WORK_ON_CASES)
def index() -> ResponseReturnValue:
    """The case list: filters from the query string (invalid ones ignored, with a 400)."""
    form = CaseFilterForm(formdata=request.args)
    form.assignee.choices = [
        *ASSIGNEE_CHOICES,
        *(SelectChoice(worker_id, name) for worker_id, name in caselist.colleagues(db())),
    ]
    valid = form.validate()
    filters = form.to_filter(_position()) if valid else caselist.CaseFilter()
    page = caselist.list_page(db(), g.identity, filters)
    audit.record(
        db(),
        "cases.listed",
        actor="caseworker",
        at=clock.utcnow(),
        caseworker_id=g.identity.caseworker_id,
        detail={"filters": ",".join(filters.used()), "page": page.page, "shown": len(page.rows)},
    )
    db().commit()
    query = form.query_args() if valid else {}
    return render_template(
        "cases.html",
        form=form,
        page=page,
        page_size=caselist.PAGE_SIZE,
        query=query,
        other_filters={name: value for name, value in query.items() if name != "status"},
        status_labels=STATUS_LABELS,
    ), (200 if valid else 400)


def render_case(
    case_id: str, form: ReplyForm, status: int = 200, template_id: str | None = None
) -> ResponseReturnValue:
    """The case page; with `template_id`, the reply starts from that template, filled in."""
    try:
        opened = case_file.open_case(db(), case_id, g.identity)
        sections = load_sections(db(), case_id, g.identity)
    except NoKeyError:
        return render_error(404)
    template_missing = False
    if template_id:
        try:
            template = reply_templates.get_template(db(), template_id)
        except reply_templates.UnknownTemplateError:
            template_missing = True
        else:
            form.text.data = reply_templates.fill(template.body, opened.summary)
    return (
        render_template(
            "case.html",
            case=opened,
            sections=sections,
            form=form,
            reply_templates=reply_templates.list_templates(db()),
            template_id=template_id,
            template_missing=template_missing,
            system_texts=SYSTEM_TEXTS,
            questions=QUESTIONS_BY_ID,
            removed_labels=REMOVED_LABELS,
            not_cleaned_reasons=NOT_CLEANED_REASONS,
        ),
        status,
    )


@blueprint.get("/cases/<case_id>")
@login_required
@permission_required(Permission.WORK_ON_CASES)
def show(case_id: str) -> ResponseReturnValue:
    form = ReplyForm()
    carried = carried_text("cases.reply", case_id)
    if carried is not None:  # typed before the session expired (caseworker/auth.py)
        form.text.data = carried
    return render_case(case_id, form, template_id=request.args.get("template"))


@blueprint.post("/cases/<case_id>/reply")
@login_required
@permission_required(Permission.WORK_ON_CASES)
def reply(case_id: str) -> ResponseReturnValue:
    form = ReplyForm()
    if not form.validate_on_submit():
        return render_case(case_id, form, 400)
    try:
        case_file.reply(
            db(), services().blobs, case_id, g.identity, form.text.data, uploads("attachments")
        )
    except NoKeyError:
        return render_error(404)
    return redirect(url_for("cases.show", case_id=case_id, sent=1))


@blueprint.get("/cases/<case_id>/files/<attachment_id>")
@login_required
@permission_required(Permission.WORK_ON_CASES)
def download(case_id: str, attachment_id: str) -> ResponseReturnValue:
    try:
        view, chunks = case_file.download(
            db(), services().blobs, case_id, attachment_id, g.identity
        )
    except NoKeyError:
        return render_error(404)
    except CryptoError:
        return render_error(
            500,
            "This item failed an integrity check",
            "It may have been altered in storage. The failure was recorded.",
        )
    return send_decrypted(view, chunks)
