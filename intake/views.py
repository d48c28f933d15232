"""Reporter routes: thin views over redress.submissions and redress.reporters."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from crypto.errors import CryptoError, ReceiptError
from crypto.keys import keypair_from_private
from crypto.receipts import normalise_receipt
from intake.forms import LogoutForm, ReceiptForm, ReplyForm, ReportForm
from intake.limits import kdf_slot, limits
from redress import reporters, submissions
from redress.casekeys import NoKeyError
from redress.messages import SYSTEM_TEXTS
from redress.models import CaseStatus, SessionApp
from redress.sessions import SessionPolicy
from redress.web import (
    begin_key_session,
    current_key_session,
    db,
    end_key_session,
    render_error,
    send_decrypted,
    services,
    uploads,
)

blueprint = Blueprint("intake", __name__)

STATUS_TEXTS = {
    CaseStatus.RECEIVED: "Received",
    CaseStatus.ACKNOWLEDGED: "Received and acknowledged",
    CaseStatus.IN_ASSESSMENT: "Being assessed",
    CaseStatus.UNDER_INVESTIGATION: "Under investigation",
    CaseStatus.DECIDED: "Decision taken",
    CaseStatus.REMEDY_IN_PROGRESS: "Remedy in progress",
    CaseStatus.CLOSED: "Closed",
}

RECEIPT_PROBLEMS = {
    "length": "A receipt code has 20 letters and digits. Please check that you typed all of it.",
    "character": "That code contains a character that never appears in receipt codes. "
    "Please check it.",
    "checksum": "That code has a typo: one of its characters is wrong or two are swapped. "
    "Please check it carefully.",
}
WRONG_RECEIPT = "We could not find a report for that code. Please check it and try again."


def _policy() -> SessionPolicy:
    return SessionPolicy.for_app(SessionApp.INTAKE, services().config)


def _identity() -> reporters.ReporterIdentity | None:
    data = current_key_session(_policy())
    if data is None:
        return None
    return reporters.ReporterIdentity(
        reporter_id=data.subject["reporter"],
        case_id=data.subject["case"],
        keypair=keypair_from_private(data.private_key),
    )


def _log_in(identity: reporters.ReporterIdentity) -> None:
    begin_key_session(
        _policy(),
        {"reporter": identity.reporter_id, "case": identity.case_id},
        identity.keypair.private,
    )


@blueprint.get("/")
def index() -> ResponseReturnValue:
    return render_template("index.html")


@blueprint.get("/before-you-start")
def guidance() -> ResponseReturnValue:
    return render_template("guidance.html")


@blueprint.route("/report", methods=["GET", "POST"])
def report() -> ResponseReturnValue:
    form = ReportForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("report.html", form=form), status
    with kdf_slot():
        submission = submissions.submit_report(
            db(),
            services().blobs,
            services().config,
            {"what_happened": form.what_happened.data},
            uploads("attachments"),
        )
    limits().submissions.spend()
    _log_in(submission.reporter)
    # Rendered in the response to the POST, never stored, never shown again.
    return render_template("receipt.html", receipt=submission.receipt), 201


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = ReceiptForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("login.html", form=form), status
    try:
        normalised = normalise_receipt(form.receipt.data)
    except ReceiptError as error:
        form.receipt.errors.append(RECEIPT_PROBLEMS[error.reason])
        return render_template("login.html", form=form), 400
    budget = limits().failed_receipts
    budget.check()
    with kdf_slot():
        identity = reporters.find_reporter(db(), services().config, normalised)
    if identity is None:
        budget.spend()
        form.receipt.errors.append(WRONG_RECEIPT)
        return render_template("login.html", form=form), 401
    _log_in(identity)
    return redirect(url_for("intake.inbox"))


@blueprint.get("/inbox")
def inbox() -> ResponseReturnValue:
    identity = _identity()
    if identity is None:
        return redirect(url_for("intake.login"))
    return _render_inbox(identity, ReplyForm())


def _render_inbox(
    identity: reporters.ReporterIdentity, form: ReplyForm, status: int = 200
) -> ResponseReturnValue:
    box = reporters.open_inbox(db(), identity)
    return (
        render_template(
            "inbox.html",
            box=box,
            status_text=STATUS_TEXTS[box.status],
            system_texts=SYSTEM_TEXTS,
            form=form,
            logout=LogoutForm(),
        ),
        status,
    )


@blueprint.post("/inbox")
def reply() -> ResponseReturnValue:
    identity = _identity()
    if identity is None:
        return render_error(
            401,
            "Your session has ended",
            "For your safety, sessions end after a period of inactivity. Please enter your "
            "receipt code again.",
        )
    form = ReplyForm()
    if not form.validate_on_submit():
        return _render_inbox(identity, form, 400)
    reporters.send_reply(db(), services().blobs, identity, form.text.data, uploads("attachments"))
    return redirect(url_for("intake.inbox", sent=1))


@blueprint.post("/logout")
def logout() -> ResponseReturnValue:
    end_key_session()
    return redirect(url_for("intake.index"))


@blueprint.get("/inbox/files/<attachment_id>")
def download(attachment_id: str) -> ResponseReturnValue:
    identity = _identity()
    if identity is None:
        return redirect(url_for("intake.login"))
    try:
        view, chunks = reporters.download(db(), services().blobs, identity, attachment_id)
    except NoKeyError:
        return render_error(404)
    except CryptoError:
        return render_error(
            500, "This file failed an integrity check", "It cannot be shown. Please tell us."
        )
    return send_decrypted(view, chunks)
