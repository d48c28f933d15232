"""The caseworker console: sign-in with passphrase and TOTP, cases, reading reports, replying.

A separate WSGI app from intake, on its own port with its own cookie and secret.
"""

from __future__ import annotations

from flask import Flask

from redress.keys.casekeys import NoKeyError
from redress.store.config import Config, load_config
from redress.web.app import configure_app


def create_app(config: Config | None = None) -> Flask:
    config = config or load_config()
    app = Flask(__name__)
    configure_app(app, config, name="console", secret_key=config.secrets.console_secret_key)
    from caseworker.auth import case_not_held, require_sign_in

    app.before_request(require_sign_in)
    app.register_error_handler(NoKeyError, case_not_held)
    from caseworker.access import blueprint as access
    from caseworker.account import blueprint as account
    from caseworker.admin import blueprint as admin
    from caseworker.approvals import blueprint as approvals
    from caseworker.audit_log import blueprint as audit_log
    from caseworker.auth import blueprint as auth
    from caseworker.cases import blueprint as cases
    from caseworker.export import blueprint as export
    from caseworker.investigation import blueprint as investigation
    from caseworker.measures import blueprint as measures
    from caseworker.reply_templates import blueprint as reply_templates
    from caseworker.settings import blueprint as settings
    from caseworker.team import blueprint as team
    from caseworker.triage import blueprint as triage

    app.register_blueprint(auth)
    app.register_blueprint(cases)
    app.register_blueprint(access)
    app.register_blueprint(triage)
    app.register_blueprint(investigation)
    app.register_blueprint(export)
    app.register_blueprint(measures)
    app.register_blueprint(approvals)
    app.register_blueprint(team)
    app.register_blueprint(reply_templates)
    app.register_blueprint(admin)
    app.register_blueprint(settings)
    app.register_blueprint(account)
    app.register_blueprint(audit_log)
    return app
