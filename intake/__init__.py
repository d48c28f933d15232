"""The public reporter app: submit a report with files, receive a receipt, follow up.

Works fully without JavaScript and loads nothing from third parties. Runs as its own WSGI app on
its own port with its own cookie and secret; it has no route into the caseworker console.
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFError

from intake.expired import expired_form
from intake.limits import init_limits
from redress.store.config import Config, load_config
from redress.web.app import configure_app


def create_app(config: Config | None = None) -> Flask:
    config = config or load_config()
    app = Flask(__name__)
    init_limits(app, config)
    configure_app(app, config, name="intake", secret_key=config.secrets.intake_secret_key)
    from intake.views import blueprint

    app.register_blueprint(blueprint)
    # In place of the shared "form expired" page: typed text comes back (intake/expired.py).
    app.register_error_handler(CSRFError, expired_form)
    return app
