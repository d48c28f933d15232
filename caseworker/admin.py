"""Administrators' account pages: list, create (credentials shown once), deactivate, reactivate."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from wtforms import (
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    Regexp,
)

from caseworker.auth import permission_required
from redress.keys.permissions import CASE_HOLDING_ROLES, Permission
from redress.staff import administration
from redress.store.models import Role
from redress.web import commit, db, render_error, services
from redress.web.forms import Form

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


class NewAccountForm(Form):
    username = StringField(
        "Username",
        filters=[lambda value: value.strip() if value else value],
        validators=[
            DataRequired("Please give a username."),
            Length(max=64),
            Regexp(
                r"^[A-Za-z0-9._-]+$",
                message="Use only letters, digits, dots, dashes and underscores.",
            ),
        ],
    )
    role = SelectField(
        "Role",
        choices=[SelectChoice(role.value, role.value.capitalize()) for role in Role],
        default=Role.CASEWORKER.value,
    )
    submit = SubmitField("Create account")


class AccountStateForm(Form):
    """Deactivate or reactivate one account: the button is the whole form."""

    submit = SubmitField("Change")


def _render_accounts(
    form: NewAccountForm, status: int = 200, problem: str | None = None
) -> ResponseReturnValue:
    page = render_template(
        "admin_accounts.html",
        accounts=administration.list_accounts(db()),
        form=form,
        state_form=AccountStateForm(),
        problem=problem,
    )
    return page, status


@blueprint.get("/accounts")
@permission_required(Permission.MANAGE_ACCOUNTS)
def accounts() -> ResponseReturnValue:
    return _render_accounts(NewAccountForm())


@blueprint.post("/accounts")
@permission_required(Permission.MANAGE_ACCOUNTS)
def create() -> ResponseReturnValue:
    form = NewAccountForm()
    if not form.validate_on_submit():
        return _render_accounts(form, 400)
    try:
        account = administration.create_account(
            db(), g.identity, form.username.data, Role(form.role.data), kdf=services().config.kdf
        )
    except administration.UsernameTaken:
        form.username.errors.append("Another account already has this username.")
        return _render_accounts(form, 400)
    commit()
    # Rendered straight from the POST, never stored: the credentials appear on this page only.
    return render_template(
        "admin_created.html",
        account=account,
        role=Role(form.role.data),
        joins_team=Role(form.role.data) in CASE_HOLDING_ROLES,
        enrolment=administration.Enrolment(account.username, account.totp_secret),
    )


def _set_active(account_id: str, active: bool) -> ResponseReturnValue:
    if not AccountStateForm().validate_on_submit():
        return render_error(400)
    try:
        administration.set_active(db(), g.identity, account_id, active)
    except administration.AccountNotFound:
        return render_error(404)
    except administration.SelfDeactivation:
        return _render_accounts(NewAccountForm(), 400, "You cannot deactivate your own account.")
    commit()
    return redirect(url_for("admin.accounts"))


@blueprint.post("/accounts/<account_id>/deactivate")
@permission_required(Permission.MANAGE_ACCOUNTS)
def deactivate(account_id: str) -> ResponseReturnValue:
    return _set_active(account_id, active=False)


@blueprint.post("/accounts/<account_id>/reactivate")
@permission_required(Permission.MANAGE_ACCOUNTS)
def reactivate(account_id: str) -> ResponseReturnValue:
    return _set_active(account_id, active=True)
