"""Setting up an app: what the intake and the console share, applied by each one's factory.

The apps stay separate (two factories, two cookie names and secrets, two template folders);
this only keeps the common mechanics in one place.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_babel import Babel, get_locale
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader
from werkzeug.exceptions import HTTPException

from redress.cases.uploads import shown_filename
from redress.i18n.languages import LANGUAGES, TRANSLATIONS
from redress.store.blobs import STALE_UPLOAD, LocalBlobStore
from redress.store.config import Config
from redress.store.db import Database
from redress.web.errors import csrf_error, http_error, unexpected_error
from redress.web.headers import set_security_headers
from redress.web.inputs import refuse_malformed_ids
from redress.web.language import chosen_language, text_direction
from redress.web.logs import configure_logging
from redress.web.services import Services, close_db
from redress.web.uploads import (
    MAX_FORM_FIELDS,
    EncryptingRequest,
    discard_uncommitted_uploads,
    refuse_too_large_files,
    refuse_too_many_fields,
)


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
    app.before_request(refuse_too_many_fields)  # parses the form, files included
    if name != "intake":
        # The intake's views answer a file over the size limit with the form filled in.
        app.before_request(refuse_too_large_files)
    app.url_value_preprocessor(refuse_malformed_ids)
    Babel(
        app,
        # The staff console is in English for now; only the reporter's pages are translated.
        locale_selector=chosen_language if name == "intake" else lambda: "en",
        default_translation_directories=str(TRANSLATIONS),
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
    # Every stored file name is shown through this filter: what could reorder or hide text in
    # it (a right-to-left override...) is shown escaped.
    app.jinja_env.filters["filename"] = shown_filename
    app.after_request(set_security_headers)
    app.teardown_request(lambda _error: discard_uncommitted_uploads())
    app.teardown_appcontext(close_db)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)
    configure_logging(app, config, name)
