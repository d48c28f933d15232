"""Reporter routes: thin views over redress.reporting.submissions and
redress.reporting.reporters."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms import MultipleFileField

from intake.expired import CARRIED_REPLY, kept_reply, session_ended
from intake.forms import (
    ConfirmReceiptForm,
    HideMessageForm,
    LogoutForm,
    ReceiptForm,
    ReplyForm,
    ReportForm,
    megabytes,
)
from intake.limits import kdf_slot, limits, login_attempt, new_challenge
from redress.cases.attachments import DamagedFileError
from redress.cases.uploads import shown_filename
from redress.i18n.languages import LANGUAGES
from redress.i18n.questions import QUESTIONS, QUESTIONS_BY_ID
from redress.i18n.texts import NOT_CLEANED_REASONS, REMOVED_LABELS, system_text
from redress.keys.casekeys import NoKeyError
from redress.keys.sessions import SessionPolicy
from redress.reporting import receipts, reporters, submission_tokens, submissions
from redress.reporting.cleaning import clean_uploads
from redress.reporting.submission_tokens import AlreadySubmittedError
from redress.reporting.throttle import Busy
from redress.store.models import CaseStatus, SessionApp
from redress.web import (
    begin_key_session,
    commit,
    current_key_session,
    db,
    end_key_session,
    render_error,
    send_decrypted,
    services,
    too_large_uploads,
    uploads,
)
from redress.web.headers import allow_own_scripts
from redress.web.language import LANGUAGE_COOKIE
from redress.web.services import received_uploads

blueprint = Blueprint("intake", __name__)

STATUS_TEXTS = {
    CaseStatus.RECEIVED: _l("Received"),
    CaseStatus.ACKNOWLEDGED: _l("Received and acknowledged"),
    CaseStatus.IN_ASSESSMENT: _l("Being assessed"),
    CaseStatus.UNDER_INVESTIGATION: _l("Under investigation"),
    CaseStatus.DECIDED: _l("Decision taken"),
    CaseStatus.REMEDY_IN_PROGRESS: _l("Remedy in progress"),
    CaseStatus.CLOSED: _l("Closed"),
}

RECEIPT_PROBLEMS = {
    "length": _l(
        "A receipt code has 20 letters and digits. Please check that you typed all of it."
    ),
    "character": _l(
        "That code contains a character that never appears in receipt codes. Please check it."
    ),
    "checksum": _l(
        "That code has a typo: one of its characters is wrong or two are swapped. "
        "Please check it carefully."
    ),
}
WRONG_RECEIPT = _l("We could not find a report for that code. Please check it and try again.")
# Set between showing a receipt and the reporter confirming they saved it.
_PENDING_CONFIRMATION = "confirm"
_FORM_TOKEN = "form"  # noqa: S105 - a session key name, not a secret


def _policy() -> SessionPolicy:
    return SessionPolicy.for_app(SessionApp.INTAKE, services().config)


def _identity() -> reporters.ReporterIdentity | None:
    data = current_key_session(_policy())
    if data is None:
        return None
    return reporters.ReporterIdentity(
        reporter_id=data.subject["reporter"],
        case_id=data.subject["case"],
        keypair=data.keypair,
    )


def _log_in(identity: reporters.ReporterIdentity) -> None:
    begin_key_session(
        _policy(),
        {"reporter": identity.reporter_id, "case": identity.case_id},
        identity.keypair.private,
    )


def _session_ended() -> tuple[str, int]:
    return render_error(
        401,
        _("Your session has ended"),
        _(
            "For your safety, sessions end after a period of inactivity. Please enter your "
            "receipt code again."
        ),
    )


@blueprint.get("/")
def index() -> ResponseReturnValue:
    return render_template("index.html")


@blueprint.get("/before-you-start")
def guidance() -> ResponseReturnValue:
    return render_template("guidance.html")


# The pages the language selector may return to (base.html sends the page's own path).
RETURN_PAGES = (
    "intake.index",
    "intake.guidance",
    "intake.report",
    "intake.confirm_receipt",
    "intake.login",
    "intake.inbox",
)


def _return_page(sent: str | None) -> str:
    """The intake page whose path was sent, else the home page: never the sent value itself,
    so nothing a link carries (another site, a line break, a look-alike) reaches Location."""
    for endpoint in RETURN_PAGES:
        if sent == url_for(endpoint, _external=False).removeprefix(request.script_root):
            return url_for(endpoint)
    return url_for("intake.index")


@blueprint.get("/language/<code>")
def language(code: str) -> ResponseReturnValue:
    """Remember a language choice in a cookie that holds nothing else; back to the same page."""
    response = redirect(_return_page(request.args.get("next")))
    if code in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Strict",
            secure=services().config.https,
        )
    return response


def _refuse_too_large_files(field: MultipleFileField) -> list[str] | None:
    """When a file sent is over the per-file limit: an error on the form's file field, naming
    each such file and the limit in MB, and the names of every file sent (none is kept, so all
    must be chosen again); the form keeps what was typed. None when every file is within it."""
    too_large = too_large_uploads()
    if not too_large:
        return None
    limit = megabytes(services().config.max_file_bytes)
    for upload in too_large:
        field.errors.append(
            _(
                "%(name)s is larger than %(limit)s MB, the most one file may be.",
                name=shown_filename(upload.filename),
                limit=limit,
            )
        )
    field.errors.append(
        _(
            "Nothing was sent. What you typed is kept: choose your files again, each smaller "
            "than %(limit)s MB, and send again.",
            limit=limit,
        )
    )
    return [upload.filename for upload in received_uploads() if not upload.is_empty_field]


@blueprint.route("/report", methods=["GET", "POST"])
def report() -> ResponseReturnValue:
    form = ReportForm()
    if not form.is_submitted():
        form.submission_token.data = submission_tokens.new_token()
    valid = form.validate_on_submit()
    dropped = _refuse_too_large_files(form.attachments) if form.is_submitted() else None
    if dropped is not None:
        page = render_template("report.html", form=form, questions=QUESTIONS, dropped=dropped)
        return page, 413
    if not valid:
        status = 400 if form.is_submitted() else 200
        return render_template("report.html", form=form, questions=QUESTIONS), status
    files = uploads("attachments")
    clean_uploads(files, enabled=form.clean_metadata.data)
    try:
        with kdf_slot():
            submission = submissions.submit_report(
                db(),
                services().config,
                form.answers(),
                files,
                form.identity(),
                form_token=form.submission_token.data,
            )
    except AlreadySubmittedError as earlier:
        if earlier.receipt is None:
            return render_error(
                409,
                _("This report was already sent"),
                _(
                    "It was stored once and you confirmed its receipt code. Use that code to "
                    "follow up."
                ),
            )
        return _show_earlier_receipt(earlier.receipt)
    commit()
    limits().submissions.spend()
    return _show_receipt(
        submission.reporter,
        submission.receipt,
        form.submission_token.data,
        201,
        [(upload.filename, upload.cleaning) for upload in files],
    )


def _show_receipt(
    identity: reporters.ReporterIdentity,
    receipt: str,
    form_token: str,
    status: int,
    cleaning: list[tuple[str, dict[str, object] | None]] | None = None,
) -> ResponseReturnValue:
    _log_in(identity)
    server_key = services().config.secrets.intake_secret_key
    session[_PENDING_CONFIRMATION] = receipts.confirmation_tag(server_key, receipt)
    session[_FORM_TOKEN] = submission_tokens.token_id(form_token)
    # Rendered in the response to the POST, never stored in clear, never shown after confirmation.
    page = render_template(
        "receipt.html",
        receipt=receipt,
        form=ConfirmReceiptForm(),
        repeated=status == 200,
        cleaning=cleaning or [],
        removed_labels=REMOVED_LABELS,
        not_cleaned_reasons=NOT_CLEANED_REASONS,
    )
    return page, status


def _show_earlier_receipt(receipt: str) -> ResponseReturnValue:
    """The same form arrived again (double click, reload): nothing new stored, same receipt."""
    with kdf_slot():
        identity = reporters.find_reporter(db(), services().config, receipts.checked(receipt))
    if identity is None:
        return render_error(500)
    return _show_receipt(identity, receipt, request.form["submission_token"], 200)


@blueprint.route("/report/confirm", methods=["GET", "POST"])
def confirm_receipt() -> ResponseReturnValue:
    expected = session.get(_PENDING_CONFIRMATION)
    if expected is None:
        return redirect(url_for("intake.inbox"))
    form = ConfirmReceiptForm()
    if form.validate_on_submit():
        server_key = services().config.secrets.intake_secret_key
        if receipts.confirms(server_key, expected, form.last_group.data):
            session.pop(_PENDING_CONFIRMATION)
            form_token_id = session.pop(_FORM_TOKEN, None)
            if form_token_id:
                submission_tokens.mark_confirmed(db(), form_token_id)
                commit()
            return redirect(url_for("intake.inbox"))
        form.last_group.errors.append(
            _("That does not match the end of your code. Please look at what you wrote down.")
        )
    status = 400 if form.is_submitted() else 200
    return render_template("confirm.html", form=form), status


def _login_page(
    form: ReceiptForm, status: int, busy: Busy | None = None, carried: str | None = None
) -> ResponseReturnValue:
    """The login form, with a fresh proof-of-work challenge and its script when one is offered;
    when busy, with the typed code kept so that pressing Continue again is enough; with a reply
    carried over an ended session (intake/expired.py), kept in the page."""
    form.challenge.data, form.proof.data = new_challenge(), ""
    if form.challenge.data:
        allow_own_scripts()
    page = render_template("login.html", form=form, busy=busy is not None, carried=carried)
    return page, status, {"Retry-After": str(busy.retry_after)} if busy else {}


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = ReceiptForm()
    # A reply typed before the session ended, carried in this page only (intake/expired.py).
    carried = kept_reply(request.form.get(CARRIED_REPLY))

    def again(status: int, busy: Busy | None = None) -> ResponseReturnValue:
        return _login_page(form, status, busy, carried)

    if not form.validate_on_submit():
        return again(400 if form.is_submitted() else 200)
    try:
        normalised = receipts.checked(form.receipt.data)
    except receipts.MistypedReceiptError as error:
        form.receipt.errors.append(RECEIPT_PROBLEMS[error.reason])
        return again(400)
    try:
        # The proof (if any) is checked before any Argon2id work: one HMAC and one SHA-256.
        with login_attempt(form.proof_of_work()) as attempt:
            identity = reporters.find_reporter(db(), services().config, normalised)
            attempt.failed = identity is None
    except Busy as busy:
        return again(503, busy)
    if identity is None:
        form.receipt.errors.append(WRONG_RECEIPT)
        return again(401)
    _log_in(identity)
    if carried is not None:
        # The inbox straight from this POST, the reply back in its box, unsent.
        return _render_inbox(identity, ReplyForm(formdata=None, text=carried), carried=True)
    return redirect(url_for("intake.inbox"))


def _signed_in() -> reporters.ReporterIdentity | Response:
    identity = _identity()
    if identity is None:
        return redirect(url_for("intake.login"))
    if _PENDING_CONFIRMATION in session:
        return redirect(url_for("intake.confirm_receipt"))
    return identity


@blueprint.get("/inbox")
def inbox() -> ResponseReturnValue:
    identity = _signed_in()
    if isinstance(identity, Response):
        return identity
    return _render_inbox(identity, ReplyForm())


def _render_inbox(
    identity: reporters.ReporterIdentity,
    form: ReplyForm,
    status: int = 200,
    *,
    carried: bool = False,
) -> ResponseReturnValue:
    box = reporters.open_inbox(db(), identity)
    commit()
    return (
        render_template(
            "inbox.html",
            box=box,
            status_text=STATUS_TEXTS[box.status],
            system_text=system_text,
            questions=QUESTIONS_BY_ID,
            form=form,
            hide=HideMessageForm(),
            removed_labels=REMOVED_LABELS,
            not_cleaned_reasons=NOT_CLEANED_REASONS,
            logout=LogoutForm(),
            carried=carried,
        ),
        status,
    )


@blueprint.post("/inbox")
def reply() -> ResponseReturnValue:
    identity = _identity()
    if identity is None:  # the reply is kept in the receipt login page
        return session_ended()
    form = ReplyForm()
    valid = form.validate_on_submit()
    if _refuse_too_large_files(form.attachments) is not None:
        return _render_inbox(identity, form, 413)
    files = uploads("attachments")
    if valid and not (form.text.data or "").strip() and not files:
        form.text.errors.append(_("Please write a message or choose files to send."))
        valid = False
    if not valid:
        return _render_inbox(identity, form, 400)
    clean_uploads(files, enabled=form.clean_metadata.data)
    reporters.send_reply(db(), identity, form.text.data or "", files)
    commit()
    return redirect(url_for("intake.inbox", sent=1))


@blueprint.post("/inbox/messages/<message_id>/hide")
def hide_message(message_id: str) -> ResponseReturnValue:
    identity = _identity()
    if identity is None:
        return _session_ended()
    if not reporters.hide_message(db(), identity, message_id):
        return render_error(404)
    commit()
    return redirect(url_for("intake.inbox", deleted=1))


@blueprint.get("/inbox/files/<attachment_id>")
def download(attachment_id: str) -> ResponseReturnValue:
    identity = _signed_in()
    if isinstance(identity, Response):
        return identity
    try:
        view, chunks = reporters.download(db(), services().blobs, identity, attachment_id)
    except NoKeyError:
        return render_error(404)
    except DamagedFileError:
        return render_error(
            500,
            _("This file failed an integrity check"),
            _("It cannot be shown. Please tell us in a message."),
        )
    return send_decrypted(view, chunks)


@blueprint.post("/logout")
def logout() -> ResponseReturnValue:
    end_key_session()
    return redirect(url_for("intake.index"))
