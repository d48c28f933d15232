"""The caseworker console: sign-in with passphrase and TOTP, cases, reading reports, replying.

A separate WSGI app from intake, on its own port with its own cookie and secret.
"""

from __future__ import annotations

from flask import Flask

from redress.config import Config, load_config
from redress.web import configure_app


def create_app(config: Config | None = None) -> Flask:
    config = config or load_config()
    app = Flask(__name__)
    configure_app(app, config, name="console", secret_key=config.secrets.console_secret_key)
    from caseworker.auth import blueprint as auth
    from caseworker.cases import blueprint as cases

    app.register_blueprint(auth)
    app.register_blueprint(cases)
    return app
