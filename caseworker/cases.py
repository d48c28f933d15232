"""Case list, case file, replies and attachment downloads: thin views over redress.casework."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from caseworker.auth import login_required, permission_required
from caseworker.forms import ReplyForm
from caseworker.sections import load_sections
from crypto.errors import CryptoError
from redress import casework
from redress.casekeys import NoKeyError
from redress.cleaning import NOT_CLEANED_REASONS, REMOVED_LABELS
from redress.messages import SYSTEM_TEXTS
from redress.permissions import Permission
from redress.questions import QUESTIONS_BY_ID
from redress.web import db, render_error, send_decrypted, services, uploads

blueprint = Blueprint("cases", __name__)


@blueprint.get("/")
@login_required
@permission_required(Permission.WORK_ON_CASES)
def index() -> ResponseReturnValue:
    return render_template("cases.html", cases=casework.list_cases(db(), g.identity))


def _render_case(case_id: str, form: ReplyForm, status: int = 200) -> ResponseReturnValue:
    try:
        case_file = casework.open_case(db(), case_id, g.identity)
    except NoKeyError:
        return render_error(404)
    return (
        render_template(
            "case.html",
            case=case_file,
            sections=load_sections(db(), case_id, g.identity),
            form=form,
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
    return _render_case(case_id, ReplyForm())


@blueprint.post("/cases/<case_id>/reply")
@login_required
@permission_required(Permission.WORK_ON_CASES)
def reply(case_id: str) -> ResponseReturnValue:
    form = ReplyForm()
    if not form.validate_on_submit():
        return _render_case(case_id, form, 400)
    try:
        casework.reply(
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
        view, chunks = casework.download(db(), services().blobs, case_id, attachment_id, g.identity)
    except NoKeyError:
        return render_error(404)
    except CryptoError:
        return render_error(
            500,
            "This item failed an integrity check",
            "It may have been altered in storage. The failure was recorded.",
        )
    return send_decrypted(view, chunks)
