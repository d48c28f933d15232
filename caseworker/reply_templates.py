"""Administrators' page of reply templates: list, add, edit, delete (thin views over
redress.casework.reply_templates). Caseworkers use the templates on the case page's reply form."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import (
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
)

from caseworker.auth import permission_required
from caseworker.forms import stripped
from redress.casework import reply_templates
from redress.keys.permissions import Permission
from redress.store.models import ReplyTemplate
from redress.store.text import clean_text
from redress.web import commit, db, render_error
from redress.web.forms import Form

blueprint = Blueprint("templates", __name__, url_prefix="/admin/templates")


class ReplyTemplateForm(Form):
    name = StringField(
        "Name",
        filters=[stripped],
        validators=[
            DataRequired("Please give the template a name."),
            Length(max=reply_templates.NAME_MAX_LENGTH),
        ],
    )
    body = TextAreaField(
        "Text",
        filters=[clean_text],
        validators=[
            DataRequired("Please write the text."),
            Length(max=reply_templates.BODY_MAX_LENGTH),
        ],
    )
    save_template = SubmitField("Save template")


NOTICES = {
    "created": "The template was added.",
    "updated": "The template was saved.",
    "deleted": "The template was deleted.",
}
NAME_TAKEN = "Another template already has this name."


def _page(
    form: ReplyTemplateForm, editing: ReplyTemplate | None = None, status: int = 200
) -> ResponseReturnValue:
    page = render_template(
        "reply_templates.html",
        templates=reply_templates.list_templates(db()),
        form=form,
        editing=editing,
        placeholders=reply_templates.PLACEHOLDERS,
        notice=NOTICES.get(request.args.get("done", "")),
    )
    return page, status


def _done(notice: str) -> ResponseReturnValue:
    """Commit what the view did, and show the templates with a notice."""
    commit()
    return redirect(url_for("templates.index", done=notice))


@blueprint.get("")
@permission_required(Permission.MANAGE_ACCOUNTS)
def index() -> ResponseReturnValue:
    return _page(ReplyTemplateForm())


@blueprint.post("")
@permission_required(Permission.MANAGE_ACCOUNTS)
def create() -> ResponseReturnValue:
    form = ReplyTemplateForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    try:
        reply_templates.create_template(db(), g.identity, form.name.data, form.body.data)
    except reply_templates.TemplateNameTakenError:
        form.name.errors.append(NAME_TAKEN)
        return _page(form, status=400)
    return _done("created")


@blueprint.get("/<template_id>")
@permission_required(Permission.MANAGE_ACCOUNTS)
def edit(template_id: str) -> ResponseReturnValue:
    try:
        template = reply_templates.get_template(db(), template_id)
    except reply_templates.UnknownTemplateError:
        return render_error(404)
    return _page(ReplyTemplateForm(formdata=None, obj=template), template)


@blueprint.post("/<template_id>")
@permission_required(Permission.MANAGE_ACCOUNTS)
def update(template_id: str) -> ResponseReturnValue:
    try:
        template = reply_templates.get_template(db(), template_id)
    except reply_templates.UnknownTemplateError:
        return render_error(404)
    form = ReplyTemplateForm()
    if not form.validate_on_submit():
        return _page(form, template, 400)
    try:
        reply_templates.update_template(
            db(), g.identity, template_id, form.name.data, form.body.data
        )
    except reply_templates.TemplateNameTakenError:
        form.name.errors.append(NAME_TAKEN)
        return _page(form, template, 400)
    return _done("updated")


@blueprint.post("/<template_id>/delete")
@permission_required(Permission.MANAGE_ACCOUNTS)
def delete(template_id: str) -> ResponseReturnValue:
    try:
        reply_templates.delete_template(db(), g.identity, template_id)
    except reply_templates.UnknownTemplateError:
        return render_error(404)
    return _done("deleted")
