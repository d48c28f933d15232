"""What both Flask apps share: services, per-request store session, encrypted uploads, security
headers, cookies, error pages and key-holding sessions.

The apps stay separate (two factories, two cookie names and secrets, two template folders); this
module only keeps the common mechanics in one place.
"""

from __future__ import annotations

import io
import logging
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from flask import Flask, Request, current_app, g, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import Babel, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response

from redress.cases.attachments import AttachmentView
from redress.cases.uploads import EncryptedUpload
from redress.keys import sessions
from redress.store.blobs import STALE_UPLOAD, LocalBlobStore
from redress.store.config import Config
from redress.store.db import Database
from redress.store.models import SessionApp

_UPLOADS_KEY = "redress.uploads"

MAX_FORM_FIELDS = 200
UPLOAD_READ_BYTES = 1024 * 1024
_COOKIE_TOKEN = "k"  # noqa: S105 - the name of a cookie field, not a secret

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": ", ".join(
        f"{feature}=()"
        for feature in (
            "accelerometer",
            "camera",
            "geolocation",
            "gyroscope",
            "magnetometer",
            "microphone",
            "payment",
            "usb",
            "interest-cohort",
            "browsing-topics",
        )
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}

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


@dataclass(frozen=True)
class Services:
    config: Config
    database: Database
    blobs: LocalBlobStore


def services() -> Services:
    found: Services = current_app.extensions["redress"]
    return found


def db() -> Session:
    """The request's store session, opened on first use and closed at teardown."""
    if "db" not in g:
        g.db = services().database.session()
    session_: Session = g.db
    return session_


class EncryptingRequest(Request):
    """Hands the multipart parser an encrypting writer instead of a spooled temporary file."""

    def _get_stream_for_parsing(self) -> IO[bytes]:
        stream = super()._get_stream_for_parsing()
        if isinstance(stream, io.RawIOBase):
            # Werkzeug's parser reads 64 KiB at a time and gunicorn copies its whole receive
            # buffer on every read; reading from the server in 1 MiB pieces halves the CPU cost
            # of an upload (bench/bench_upload.py).
            return io.BufferedReader(stream, buffer_size=UPLOAD_READ_BYTES)
        return stream

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> Any:
        upload = EncryptedUpload(
            services().blobs,
            filename or "",
            content_type or "",
            max_bytes=services().config.max_file_bytes,
        )
        self.environ.setdefault(_UPLOADS_KEY, []).append(upload)
        return upload


def uploads(field: str) -> list[EncryptedUpload]:
    """The encrypted uploads sent in a file field, leaving out empty file inputs."""
    found: list[EncryptedUpload] = []
    for storage in request.files.getlist(field):
        upload = storage.stream
        if isinstance(upload, EncryptedUpload) and not upload.is_empty_field:
            found.append(upload)
    return found


def _discard_uncommitted_uploads() -> None:
    pending: Sequence[EncryptedUpload] = request.environ.get(_UPLOADS_KEY, [])
    for upload in pending:
        upload.discard()


def _refuse_too_many_fields() -> None:
    # Werkzeug caps multipart parts, not URL-encoded fields; no form of ours has more than a few
    # dozen, so a flood of fields is refused the same way for both encodings.
    if request.method == "POST" and len(request.form) > MAX_FORM_FIELDS:
        raise RequestEntityTooLarge()


def _close_db(_error: BaseException | None) -> None:
    store_session: Session | None = g.pop("db", None)
    if store_session is not None:
        store_session.close()


def _set_security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def send_decrypted(view: AttachmentView, chunks: Iterator[bytes]) -> Response:
    """Stream a decrypted attachment as a download (never rendered inline by the browser).

    Content-Length is the exact plaintext size, so if a chunk fails its integrity check part-way
    the connection ends short and the client sees an incomplete download, not a whole file.
    """
    response = Response(chunks, mimetype="application/octet-stream")
    response.headers["Content-Length"] = str(view.size)
    response.headers["Content-Disposition"] = content_disposition(view.filename or "file")
    return response


def content_disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def render_error(
    status: int, title: str | None = None, message: str | None = None
) -> tuple[str, int]:
    default_title, default_message = ERROR_MESSAGES.get(status, ERROR_MESSAGES[500])
    page = render_template(
        "error.html", title=title or str(default_title), message=message or str(default_message)
    )
    return page, status


def _http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    if status == 413:
        _discard_uncommitted_uploads()
    return render_error(status)


def _csrf_error(_error: CSRFError) -> ResponseReturnValue:
    _discard_uncommitted_uploads()
    session.clear()
    return render_error(
        400,
        _("This form has expired"),
        _(
            "For your safety, forms expire and your session was cleared. Nothing was stored. "
            "Please open the page again and resend."
        ),
    )


def _unexpected_error(error: Exception) -> ResponseReturnValue:
    _discard_uncommitted_uploads()
    if isinstance(error, HTTPException):
        return _http_error(error)
    # Log the type and the code path only: exception messages may quote user input or SQL
    # parameters.
    current_app.logger.error(
        "unhandled %s in %s\n%s",
        type(error).__name__,
        request.endpoint,
        "".join(traceback.format_tb(error.__traceback__)),
    )
    return render_error(500)


def _configure_logging(app: Flask, config: Config, name: str) -> None:
    # Werkzeug's development server logs client addresses; keep it quiet.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # app.logger is shared by every app of that name in the process: replace, never stack,
    # the file handler, so one instance's records never reach another instance's log.
    for old in [h for h in app.logger.handlers if isinstance(h, _InstanceLogHandler)]:
        app.logger.removeHandler(old)
        old.close()
    if config.log_dir is None:
        return
    config.log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    handler = _InstanceLogHandler(config.log_dir / f"{name}.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    app.logger.addHandler(handler)
    app.logger.setLevel(logging.INFO)


class _InstanceLogHandler(logging.FileHandler):
    """The file handler Redress adds for an instance's log directory."""


# Languages the reporter-facing pages are translated into; right-to-left ones are marked.
LANGUAGES = {"en": "English", "es": "Español", "fr": "Français", "ar": "العربية"}
RIGHT_TO_LEFT = frozenset({"ar"})
LANGUAGE_COOKIE = "redress_lang"


def chosen_language() -> str:
    """The language from the reporter's own choice (a cookie holding only that), else English.

    The browser's Accept-Language is deliberately ignored: Tor Browser hides it, and honouring it
    elsewhere would make pages differ by a fingerprintable setting.
    """
    choice = request.cookies.get(LANGUAGE_COOKIE, "")
    return choice if choice in LANGUAGES else "en"


def text_direction() -> str:
    return "rtl" if get_locale().language in RIGHT_TO_LEFT else "ltr"


def configure_app(app: Flask, config: Config, *, name: str, secret_key: bytes) -> None:
    """Apply everything the two apps share; `name` is "intake" or "console"."""
    cookie_name = f"redress_{name}"
    app.config.update(
        SECRET_KEY=secret_key,
        SESSION_COOKIE_NAME=f"__Host-{cookie_name}" if config.https else cookie_name,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=config.https,
        SESSION_COOKIE_PATH="/",
        MAX_CONTENT_LENGTH=config.max_submission_bytes,
        # Text fields are parsed in memory (files are streamed): room for the longest answer
        # so an over-long one gets a validation message with the text kept, not a 413.
        MAX_FORM_MEMORY_SIZE=2 * 1024 * 1024,
        MAX_FORM_PARTS=MAX_FORM_FIELDS,
        WTF_CSRF_TIME_LIMIT=config.session_idle_minutes * 60 * 4,
        TESTING=config.testing,
    )
    app.extensions["redress"] = Services(
        config=config,
        database=Database(config.database_url),
        blobs=LocalBlobStore(config.blob_dir),
    )
    # Temporary files left by a worker that was killed mid-upload (ciphertext, but still litter).
    app.extensions["redress"].blobs.sweep_pending(older_than=STALE_UPLOAD)
    app.request_class = EncryptingRequest
    app.before_request(_refuse_too_many_fields)
    Babel(
        app,
        # The staff console is in English for now; only the reporter's pages are translated.
        locale_selector=chosen_language if name == "intake" else lambda: "en",
        default_translation_directories=str(Path(__file__).parents[1] / "i18n" / "translations"),
    )
    app.jinja_env.globals.update(
        languages=LANGUAGES, text_direction=text_direction, get_locale=get_locale
    )
    CSRFProtect(app)
    # The app's own templates first, then the macros both apps share.
    app.jinja_loader = ChoiceLoader(
        [FileSystemLoader(Path(app.root_path) / "templates"), PackageLoader("redress.web")]
    )
    app.jinja_env.globals.pop("config", None)
    app.after_request(_set_security_headers)
    app.teardown_request(lambda _error: _discard_uncommitted_uploads())
    app.teardown_appcontext(_close_db)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    _configure_logging(app, config, name)


# Key-holding sessions, as seen from a view.


def begin_key_session(
    policy: sessions.SessionPolicy,
    subject: dict[str, str],
    private_key: bytes,
    caseworker_id: str | None = None,
) -> None:
    """Start a key-holding session in a fresh cookie session (no fixation of the session id).

    Staff sessions also get a new CSRF secret. A reporter's keeps it, so that a report form
    sent twice (a double click, a reload of the receipt page) still passes CSRF and can be
    answered with the same receipt instead of "this form has expired".
    """
    token = sessions.start_session(db(), policy, subject, private_key, caseworker_id=caseworker_id)
    csrf_field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    csrf_secret = session.get(csrf_field)
    session.clear()
    if policy.app is SessionApp.INTAKE and csrf_secret is not None:
        session[csrf_field] = csrf_secret
    else:
        # Flask-WTF cached a token signed for the old secret in this request: drop it.
        g.pop(csrf_field, None)
    session[_COOKIE_TOKEN] = token.encode()


def current_key_session(policy: sessions.SessionPolicy) -> sessions.SessionData | None:
    if "key_session" not in g:
        token = sessions.SessionToken.decode(session.get(_COOKIE_TOKEN))
        g.key_session = sessions.load_session(db(), policy, token) if token else None
        if g.key_session is None and token is not None:
            session.clear()
    found: sessions.SessionData | None = g.key_session
    return found


def end_key_session() -> None:
    token = sessions.SessionToken.decode(session.get(_COOKIE_TOKEN))
    if token is not None:
        sessions.end_session(db(), token)
    session.clear()
    g.pop("key_session", None)
