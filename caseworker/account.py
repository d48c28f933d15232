"""The signed-in user's own two-factor page: view the TOTP secret again, and recovery codes.

Both actions ask for the passphrase again, so an unattended signed-in browser is not enough to
take over the second factor.
"""

from __future__ import annotations

from flask import Blueprint, g, render_template
from flask.typing import ResponseReturnValue
from wtforms import (
    PasswordField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    Length,
)

from redress.staff import accounts, administration, recovery_codes
from redress.web import commit, db, render_error
from redress.web.forms import Form

blueprint = Blueprint("account", __name__, url_prefix="/account")


class ConfirmPassphraseForm(Form):
    """Re-enter the passphrase before something sensitive (give each use its own prefix)."""

    passphrase = PasswordField(
        "Your passphrase",
        validators=[DataRequired("Please enter your passphrase."), Length(max=1024)],
    )
    submit = SubmitField("Continue")


def _forms() -> tuple[ConfirmPassphraseForm, ConfirmPassphraseForm]:
    return ConfirmPassphraseForm(prefix="reveal"), ConfirmPassphraseForm(prefix="codes")


def _render(
    reveal: ConfirmPassphraseForm,
    codes: ConfirmPassphraseForm,
    status: int = 200,
    enrolment: administration.Enrolment | None = None,
) -> ResponseReturnValue:
    page = render_template(
        "account_two_factor.html",
        reveal_form=reveal,
        codes_form=codes,
        enrolment=enrolment,
        unused_codes=recovery_codes.unused_count(db(), g.identity.caseworker_id),
    )
    return page, status


def _confirmed(form: ConfirmPassphraseForm, purpose: str) -> bool:
    if not form.validate_on_submit():
        return False
    try:
        accounts.confirm_passphrase(db(), g.identity, form.passphrase.data, purpose)
    except accounts.PassphraseError as error:
        commit()  # the failed confirmation is audited
        form.passphrase.errors.append(str(error))
        return False
    return True


@blueprint.get("/two-factor")
def two_factor() -> ResponseReturnValue:
    return _render(*_forms())


@blueprint.post("/two-factor/secret")
def reveal() -> ResponseReturnValue:
    reveal_form, codes_form = _forms()
    if not _confirmed(reveal_form, "two_factor.viewed"):
        return _render(reveal_form, codes_form, 400)
    try:
        enrolment = administration.own_enrolment(db(), g.identity)
    except administration.DamagedSecretError:
        commit()  # the failure was recorded
        return render_error(
            500,
            "This item failed an integrity check",
            "Your two-factor secret may have been altered in storage. The failure was recorded.",
        )
    commit()
    return _render(reveal_form, codes_form, enrolment=enrolment)


@blueprint.post("/two-factor/recovery-codes")
def generate_codes() -> ResponseReturnValue:
    reveal_form, codes_form = _forms()
    if not _confirmed(codes_form, "recovery_codes.generated"):
        return _render(reveal_form, codes_form, 400)
    codes = recovery_codes.replace_codes(db(), g.identity.caseworker_id)
    commit()
    # Rendered straight from the POST: the codes are never shown again.
    return render_template("account_recovery_codes.html", codes=codes)
