"""A reporter's typed text survives an expired form or session, with JavaScript off.

Nothing is stored: the text travels back in the page the reporter receives and nowhere else (no
cookie, no row, no log), because before the reporter signs in again there is no key to encrypt
it with. Files cannot travel that way; the page names them so they can be chosen again.

- A report form sent after its CSRF token expired (or after the browser lost its cookie) comes
  back filled in as it was sent, with a fresh token: 400, as any refused form.
- A reply sent after the session ended (401), or with an expired form (400), gets the receipt
  login page with the reply in a hidden field of that page; after a correct receipt the inbox
  shows it in the message box, and the reporter sends it themselves. A receipt form that itself
  expired while carrying a reply comes back (400) still carrying it.

Only a form sent from the intake's own pages is carried: a browser that says a POST came from
another site (``Sec-Fetch-Site``) gets the plain "form expired" page, so no other site can put
words in a reporter's message box or report form.
"""

from __future__ import annotations

from flask import render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from intake.forms import MAX_MESSAGE_CHARS, ReceiptForm, ReportForm
from redress.i18n.questions import QUESTIONS
from redress.reporting import submission_tokens
from redress.store.text import clean_text
from redress.web.errors import csrf_error
from redress.web.services import received_uploads
from redress.web.uploads import discard_uncommitted_uploads

# The receipt login form's hidden field holding a carried reply (login.html).
CARRIED_REPLY = "carried_reply"


def expired_form(error: CSRFError) -> ResponseReturnValue:
    """The intake's answer to a form whose CSRF check failed."""
    if not _from_our_pages():
        return csrf_error(error)
    if request.endpoint == "intake.report":
        return _report_again()
    if request.endpoint in ("intake.reply", "intake.login"):
        # A reply sent from the inbox, or carried by a receipt form left open too long.
        return ask_receipt_keeping_reply(
            400,
            _("This form has expired"),
            _(
                "For your safety, forms expire and your session was cleared. Please enter your "
                "receipt code again."
            ),
        )
    return csrf_error(error)


def session_ended() -> ResponseReturnValue:
    """A reply sent after the session ended: 401, and the reply kept."""
    return ask_receipt_keeping_reply(
        401,
        _("Your session has ended"),
        _(
            "For your safety, sessions end after a period of inactivity. Please enter your "
            "receipt code again."
        ),
    )


def ask_receipt_keeping_reply(status: int, title: str, explanation: str) -> ResponseReturnValue:
    """The receipt login page, carrying the reply that was sent (if any) in a hidden field."""
    dropped = _files_not_kept()
    field = CARRIED_REPLY if request.endpoint == "intake.login" else "text"
    carried = kept_reply(request.form.get(field))
    session.clear()
    page = render_template(
        "login.html",
        form=ReceiptForm(formdata=None),
        title=title,
        explanation=explanation,
        carried=carried,
        dropped=dropped,
    )
    return page, status


def kept_reply(sent: object) -> str | None:
    """A reply worth carrying: text, not blank, no longer than a message may be."""
    if not isinstance(sent, str):
        return None
    text = clean_text(sent) or ""
    return text if text.strip() and len(text) <= MAX_MESSAGE_CHARS else None


def _report_again() -> ResponseReturnValue:
    dropped = _files_not_kept()
    session.clear()  # as after any failed CSRF check; the page gets a fresh token
    form = ReportForm()  # filled in from what was sent
    # A well-formed one-time token is kept: if this very form was stored before, sending it
    # again still shows that receipt instead of storing a second report.
    try:
        submission_tokens.token_id(form.submission_token.data or "")
    except submission_tokens.InvalidTokenError:
        form.submission_token.data = submission_tokens.new_token()
    page = render_template(
        "report.html", form=form, questions=QUESTIONS, expired=True, dropped=dropped
    )
    return page, 400


def _files_not_kept() -> list[str]:
    """The names of the files the request brought, whose encrypted copies are now discarded."""
    names = [upload.filename for upload in received_uploads() if not upload.is_empty_field]
    discard_uncommitted_uploads()
    return names


def _from_our_pages() -> bool:
    """False only when the browser says the form was sent from another site."""
    return request.headers.get("Sec-Fetch-Site", "same-origin") == "same-origin"
