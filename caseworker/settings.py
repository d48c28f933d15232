"""Administrators' settings page: the deadlines of the grievance process
(redress.cases.settings)."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import (
    IntegerField,
    SubmitField,
)
from wtforms.validators import (
    InputRequired,
    NumberRange,
)

from caseworker.auth import permission_required
from redress.cases import settings
from redress.cases.settings import SETTINGS_BY_NAME
from redress.i18n.console import (
    SETTING_LABELS,
)
from redress.keys.permissions import Permission
from redress.web import commit, db, services
from redress.web.forms import Form

blueprint = Blueprint("settings", __name__, url_prefix="/admin")


def _setting_field(name: str) -> IntegerField:
    setting = SETTINGS_BY_NAME[name]
    label, description = SETTING_LABELS[name]
    allowed = f"Please give a whole number of days from {setting.minimum} to {setting.maximum}."
    return IntegerField(
        label,
        description=description,
        validators=[InputRequired(allowed), NumberRange(setting.minimum, setting.maximum, allowed)],
    )


class SettingsForm(Form):
    """One field per setting of redress.cases.settings.SETTINGS, named after it."""

    acknowledgement_days = _setting_field("acknowledgement_days")
    feedback_days = _setting_field("feedback_days")
    save_settings = SubmitField("Save settings")


def _render(form: SettingsForm, status: int = 200) -> ResponseReturnValue:
    saved = request.args.get("saved")
    return render_template("admin_settings.html", form=form, saved=saved is not None), status


@blueprint.get("/settings")
@permission_required(Permission.MANAGE_SETTINGS)
def edit() -> ResponseReturnValue:
    in_force = settings.current(db(), services().config)
    return _render(SettingsForm(formdata=None, obj=in_force))


@blueprint.post("/settings")
@permission_required(Permission.MANAGE_SETTINGS)
def save() -> ResponseReturnValue:
    form = SettingsForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    values = {setting.name: form[setting.name].data for setting in settings.SETTINGS}
    settings.change(db(), services().config, g.identity, values)
    commit()
    return redirect(url_for("settings.edit", saved=1))
