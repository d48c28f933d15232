"""Console sign-in, passphrase change and sign-out, and the guard every other view uses."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import (
    PasswordField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    Length,
)

from redress.keys.blind_index import distribute_index_key
from redress.keys.casekeys import DamagedKeyError, NoKeyError
from redress.keys.permissions import Permission, allows, home_endpoint
from redress.keys.sessions import SessionPolicy
from redress.staff import accounts
from redress.staff.identity import StaffIdentity
from redress.store.models import Caseworker, SessionApp
from redress.web import (
    begin_key_session,
    commit,
    current_key_session,
    db,
    end_key_session,
    render_error,
    services,
)
from redress.web.forms import Form

blueprint = Blueprint("auth", __name__)


class LoginForm(Form):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Passphrase", validators=[DataRequired(), Length(max=1024)])
    code = StringField(
        "Authentication code",
        validators=[DataRequired(), Length(max=32)],
        description="The 6-digit code from your authenticator app, or one of your recovery codes.",
    )
    submit = SubmitField("Sign in")


class PassphraseForm(Form):
    current = PasswordField("Current passphrase", validators=[DataRequired(), Length(max=1024)])
    new = PasswordField(
        "New passphrase",
        validators=[DataRequired(), Length(min=12, max=1024)],
        description="At least 12 characters; a few random words work well.",
    )
    confirm = PasswordField(
        "New passphrase again",
        validators=[DataRequired(), EqualTo("new", message="The two new passphrases differ.")],
    )
    submit = SubmitField("Change passphrase")


class LogoutForm(Form):
    submit = SubmitField("Sign out")


# The console's sections: (label, endpoint, permission needed; None: every signed-in user).
NAVIGATION: tuple[tuple[str, str, Permission | None], ...] = (
    ("Cases", "cases.index", Permission.WORK_ON_CASES),
    ("Approvals", "approvals.queue", Permission.APPROVE),
    ("Team", "team.index", Permission.WORK_ON_CASES),
    ("Accounts", "admin.accounts", Permission.MANAGE_ACCOUNTS),
    ("Reply templates", "templates.index", Permission.MANAGE_ACCOUNTS),
    ("Settings", "settings.edit", Permission.MANAGE_SETTINGS),
    ("Audit log", "audit.log", Permission.READ_AUDIT_LOG),
    ("Two-factor", "account.two_factor", None),
)

P = ParamSpec("P")
R = TypeVar("R")

# Endpoints anyone may open: signing in and out, and the stylesheet.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.logout", "static"})
# Forms whose typed text survives an expired session (endpoint: the field holding the text).
CARRIED_FIELDS = {"investigation.add_note": "note", "cases.reply": "text"}
CARRY_MAX_LENGTH = 50_000
_CASE_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Carry:
    """Text posted after the session expired, carried through sign-in in hidden fields of the
    sign-in page and shown again in its form afterwards: kept in the page only, never stored
    (there is no key to encrypt it with until the caseworker signs in again)."""

    endpoint: str
    case_id: str
    text: str = field(repr=False)

    @classmethod
    def parse(cls, endpoint: object, case_id: object, text: object) -> Carry | None:
        """A carry from untrusted values, or None unless each is well-formed."""
        if (
            isinstance(endpoint, str)
            and endpoint in CARRIED_FIELDS
            and isinstance(case_id, str)
            and _CASE_ID.fullmatch(case_id)
            and isinstance(text, str)
            and text.strip()
            and len(text) <= CARRY_MAX_LENGTH
        ):
            return cls(endpoint, case_id, text)
        return None


def _carry_from_expired_post() -> Carry | None:
    if request.method != "POST" or request.endpoint not in CARRIED_FIELDS:
        return None
    text = request.form.get(CARRIED_FIELDS[request.endpoint])
    return Carry.parse(request.endpoint, (request.view_args or {}).get("case_id"), text)


def _carry_from_sign_in() -> Carry | None:
    """The carry in the sign-in form's hidden fields (login.html), if any."""
    sent = request.form
    return Carry.parse(sent.get("carry_endpoint"), sent.get("carry_case"), sent.get("carry_text"))


def carried_text(endpoint: str, case_id: str) -> str | None:
    """The text carried through sign-in for this form of this case, if any."""
    carry: Carry | None = g.get("carry")
    if carry is None or (carry.endpoint, carry.case_id) != (endpoint, case_id):
        return None
    return carry.text


def _policy() -> SessionPolicy:
    return SessionPolicy.for_app(SessionApp.CONSOLE, services().config)


def current_identity() -> StaffIdentity | None:
    data = current_key_session(_policy())
    if data is None:
        return None
    worker = db().get(Caseworker, data.subject["caseworker"])
    if worker is None or not worker.active:
        end_key_session()
        return None
    return StaffIdentity(
        worker.id,
        worker.username,
        worker.role,
        data.keypair,
        worker.must_change_password,
    )


def _signed_in(identity: StaffIdentity) -> None:
    g.identity = identity
    g.logout_form = LogoutForm()


def require_sign_in() -> ResponseReturnValue | None:
    """Before every console request but signing in and out: load the unlocked identity into
    g.identity, or send the visitor to sign in (an unknown address stays a 404)."""
    if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    identity = current_identity()
    if identity is None:
        carry = _carry_from_expired_post()
        if carry is not None:
            page = render_template("login.html", form=LoginForm(formdata=None), carry=carry)
            return page, 401
        return redirect(url_for("auth.login"))
    if identity.must_change_password and request.endpoint != "auth.passphrase":
        return redirect(url_for("auth.passphrase"))
    _signed_in(identity)
    return None


def case_not_held(error: NoKeyError) -> ResponseReturnValue:
    """A case the signed-in person does not hold answers 404, as if it did not exist.

    A damaged key copy was recorded in place of the request's work (redress.keys.casekeys):
    that record is kept; anything else the request began is dropped.
    """
    if isinstance(error, DamagedKeyError):
        commit()
    else:
        db().rollback()
    return render_error(404)


def permission_required(
    permission: Permission,
) -> Callable[[Callable[P, R]], Callable[P, R | ResponseReturnValue]]:
    """A 403 page unless the signed-in role has `permission`."""

    def decorate(view: Callable[P, R]) -> Callable[P, R | ResponseReturnValue]:
        @wraps(view)
        def checked(*args: P.args, **kwargs: P.kwargs) -> R | ResponseReturnValue:
            if not allows(g.identity.role, permission):
                return render_error(403)
            return view(*args, **kwargs)

        return checked

    return decorate


def _current(endpoint: str) -> str | None:
    """aria-current for a section's link: "page" on its page, "true" elsewhere in it."""
    if request.endpoint == endpoint:
        return "page"
    return "true" if request.blueprint == endpoint.split(".")[0] else None


@blueprint.app_context_processor
def navigation() -> dict[str, object]:
    """The signed-in user's home and the sections their role may open, the current one marked."""
    identity: StaffIdentity | None = g.get("identity")
    if identity is None:
        return {"home": "auth.login", "navigation": []}
    links = [
        (label, endpoint, _current(endpoint))
        for label, endpoint, permission in NAVIGATION
        if permission is None or allows(identity.role, permission)
    ]
    return {"home": home_endpoint(identity.role), "navigation": links}


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    carry = _carry_from_sign_in()
    if not form.validate_on_submit():
        page = render_template("login.html", form=form, carry=carry)
        return page, 400 if form.is_submitted() else 200
    # The attempt counts as failed, committed, before anything is checked: parallel guesses
    # cannot outrun the back-off, and no lock is held while the passphrase is hashed.
    claim = accounts.claim_sign_in(db(), form.username.data)
    commit()
    try:
        identity = accounts.check_sign_in(db(), claim, form.password.data, form.code.data)
    except accounts.LoginError:
        commit()  # the failure is audited
        form.password.data = ""
        return render_template("login.html", form=form, failed=True, carry=carry), 401
    distribute_index_key(
        db(), identity.caseworker_id, identity.keypair, services().config.recovery_public_key
    )
    commit()
    begin_key_session(
        _policy(),
        {"caseworker": identity.caseworker_id},
        identity.keypair.private,
        caseworker_id=identity.caseworker_id,
    )
    if identity.must_change_password:
        return redirect(url_for("auth.passphrase"))
    if carry is not None:
        return _resume(carry, identity)
    return redirect(url_for(home_endpoint(identity.role)))


def _resume(carry: Carry, identity: StaffIdentity) -> ResponseReturnValue:
    """The case page straight from the sign-in POST, the carried text back in its form.

    Nothing was stored: the caseworker reads the text again and sends it themselves. The case
    view applies its own checks (permission, a grant of the case) as on any request.
    """
    g.carry = carry
    _signed_in(identity)
    show = current_app.ensure_sync(current_app.view_functions["cases.show"])
    page: ResponseReturnValue = show(case_id=carry.case_id)
    return page


@blueprint.route("/passphrase", methods=["GET", "POST"])
def passphrase() -> ResponseReturnValue:
    form = PassphraseForm()
    if form.validate_on_submit():
        try:
            accounts.change_passphrase(
                db(), g.identity, form.current.data, form.new.data, kdf=services().config.kdf
            )
        except accounts.PassphraseError as error:
            form.current.errors.append(str(error))
        else:
            commit()
            return redirect(url_for(home_endpoint(g.identity.role)))
    status = 400 if form.is_submitted() else 200
    return render_template("passphrase.html", form=form), status


@blueprint.post("/logout")
def logout() -> ResponseReturnValue:
    end_key_session()
    return redirect(url_for("auth.login"))
