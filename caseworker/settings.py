"""Administrators' settings page: the deadlines of the grievance process (redress.settings)."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from caseworker.auth import login_required, permission_required
from caseworker.forms import SettingsForm
from redress.cases import settings
from redress.keys.permissions import Permission
from redress.web.app import db, services

blueprint = Blueprint("settings", __name__, url_prefix="/admin")


def _render(form: SettingsForm, status: int = 200) -> ResponseReturnValue:
    saved = request.args.get("saved")
    return render_template("admin_settings.html", form=form, saved=saved is not None), status


@blueprint.get("/settings")
@login_required
@permission_required(Permission.MANAGE_SETTINGS)
def edit() -> ResponseReturnValue:
    in_force = settings.current(db(), services().config)
    return _render(SettingsForm(formdata=None, obj=in_force))


@blueprint.post("/settings")
@login_required
@permission_required(Permission.MANAGE_SETTINGS)
def save() -> ResponseReturnValue:
    form = SettingsForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    values = {setting.name: form[setting.name].data for setting in settings.SETTINGS}
    settings.change(db(), services().config, g.identity, values)
    return redirect(url_for("settings.edit", saved=1))
