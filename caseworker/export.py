"""The case page's "Export" section: an encrypted copy of the case for a named recipient.

A thin view over redress.export. The recipient's public key is pasted into the form; a missing or
malformed key re-renders the case page with a 400 and the field's error. The bundle is streamed
as a download (never stored, never cached).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from wtforms import (
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
)

from caseworker.auth import permission_required
from caseworker.cases import ReplyForm, render_case
from caseworker.sections import Section, register
from redress.export.recipient_keys import InvalidKeyError, parse_public_key
from redress.export.writer import MissingFileError, export_case
from redress.keys.permissions import Permission
from redress.staff.identity import StaffIdentity
from redress.web import commit, content_disposition, db, render_error, services
from redress.web.forms import Form

blueprint = Blueprint("export", __name__)


class ExportForm(Form):
    """The key is parsed by the view (redress.export.recipient_keys), which adds its error to the
    field."""

    recipient_key = TextAreaField(
        "Recipient's public key",
        description="The line beginning “redress-export-pk-1:” that the recipient got "
        "from “redress export keygen”. Only the holder of the matching private key can "
        "open the export.",
        validators=[DataRequired("Please paste the recipient's public key."), Length(max=200)],
    )
    export_case = SubmitField("Download encrypted export")


def _load(_session: Session, _case_id: str, _identity: StaffIdentity) -> dict[str, Any]:
    return {"form": g.get("export_form") or ExportForm(formdata=None)}


register(Section(name="export", template="_case_export.html", load=_load, order=90))


def _recipient_key(form: ExportForm) -> bytes | None:
    if not form.validate_on_submit():
        return None
    try:
        return parse_public_key(form.recipient_key.data)
    except InvalidKeyError as error:
        form.recipient_key.errors.append(str(error))
        return None


@blueprint.post("/cases/<case_id>/export")
@permission_required(Permission.WORK_ON_CASES)
def download(case_id: str) -> ResponseReturnValue:
    form = ExportForm()
    recipient = _recipient_key(form)
    if recipient is None:
        g.export_form = form
        return render_case(case_id, ReplyForm(formdata=None), 400)
    try:
        bundle = export_case(db(), services().blobs, case_id, g.identity, recipient)
    except MissingFileError:
        return render_error(
            500,
            "The export was not made",
            "A file of this case is missing from storage. Restore it from a backup and try again.",
        )
    commit()  # the export is audited before its first byte leaves
    response = Response(iter(bundle), mimetype="application/zip")
    response.headers["Content-Disposition"] = content_disposition(bundle.filename)
    response.headers["Cache-Control"] = "no-store"
    return response
