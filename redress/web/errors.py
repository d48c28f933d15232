"""Error pages: every failure answers with a clear, translated page and never a stack trace.

A refused request discards the files it brought; an unexpected error is logged by its type and
code path only (never its message, which may quote what was typed).
"""

from __future__ import annotations

import traceback

from flask import current_app, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from redress.web.uploads import discard_uncommitted_uploads

ERROR_MESSAGES = {
    400: (_l("The request could not be understood"), _l("Please go back and try again.")),
    403: (_l("Not allowed"), _l("You do not have access to this page.")),
    404: (_l("Not found"), _l("There is nothing at this address.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (
        _l("Too large"),
        _l(
            "What you sent is larger than this service accepts. Nothing was stored. "
            "Please send fewer or smaller files."
        ),
    ),
    500: (_l("Something went wrong"), _l("Nothing was stored. Please try again later.")),
}


def render_error(
    status: int, title: str | None = None, message: str | None = None
) -> tuple[str, int]:
    default_title, default_message = ERROR_MESSAGES.get(status, ERROR_MESSAGES[500])
    page = render_template(
        "error.html", title=title or str(default_title), message=message or str(default_message)
    )
    return page, status


def http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    if status == 413:
        discard_uncommitted_uploads()
    return render_error(status)


def csrf_error(_error: CSRFError) -> ResponseReturnValue:
    discard_uncommitted_uploads()
    session.clear()
    return render_error(
        400,
        _("This form has expired"),
        _(
            "For your safety, forms expire and your session was cleared. Nothing was stored. "
            "Please open the page again and resend."
        ),
    )


def unexpected_error(error: Exception) -> ResponseReturnValue:
    discard_uncommitted_uploads()
    if isinstance(error, HTTPException):
        return http_error(error)
    # Log the type and the code path only: exception messages may quote user input or SQL
    # parameters.
    current_app.logger.error(
        "unhandled %s in %s\n%s",
        type(error).__name__,
        request.endpoint,
        "".join(traceback.format_tb(error.__traceback__)),
    )
    return render_error(500)
