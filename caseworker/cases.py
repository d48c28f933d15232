"""Case list, case file, replies and attachment downloads: thin views over redress.casework."""

from __future__ import annotations

import re

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import (
    BooleanField,
    MultipleFileField,
    SelectChoice,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
)

from caseworker.auth import carried_text, permission_required
from caseworker.forms import choices, free_text
from caseworker.sections import load_sections
from redress import audit
from redress.audit import AuditAction
from redress.cases.attachments import DamagedFileError
from redress.cases.deadlines import DUE_SOON_DAYS, Urgency
from redress.casework import case_file, caselist, reply_templates
from redress.casework.caselist import (
    FILTER_FACETS,
    CaseFilter,
    Position,
    Sort,
)
from redress.i18n.console import (
    STATUS_LABELS,
    taxonomy_choices,
)
from redress.i18n.questions import QUESTIONS_BY_ID
from redress.i18n.texts import NOT_CLEANED_REASONS, REMOVED_LABELS, system_text
from redress.keys.permissions import Permission
from redress.staff import team
from redress.store.models import CaseStatus
from redress.store.text import clean_text
from redress.web import commit, db, render_error, send_decrypted, services, uploads
from redress.web.forms import Form

blueprint = Blueprint("cases", __name__)


class ReplyForm(Form):
    text = TextAreaField(
        "Reply to the reporter",
        filters=[clean_text],
        validators=[DataRequired("Please write a reply."), Length(max=50_000)],
    )
    attachments = MultipleFileField("Files (optional)")
    submit = SubmitField("Send reply")


class CaseFilterForm(Form):
    """Filters and sort for the case list, sent with GET (listing changes nothing).

    The assignee's choices (colleagues) are set by the view.
    """

    class Meta:
        csrf = False

    status = SelectField(
        "Status", choices=choices([("", "Any status"), *STATUS_LABELS.items()]), default=""
    )
    assignee = SelectField("Assigned to", choices=[], default="")
    category = SelectField(
        "Category of misuse",
        choices=choices([("", "Any category"), *taxonomy_choices("category")]),
        default="",
    )
    product = free_text("Product or service", "")
    customer = free_text("Customer or deployment", "")
    country = free_text("Country", "")
    urgency = SelectField(
        "Deadline",
        choices=choices(
            [
                ("", "Any"),
                (Urgency.OVERDUE.value, "Overdue"),
                (Urgency.DUE_SOON.value, f"Due within {DUE_SOON_DAYS} days"),
            ]
        ),
        default="",
    )
    unread = BooleanField("Only cases with unread messages from the reporter")
    sort = SelectField(
        "Sort by",
        choices=choices(
            [
                (Sort.NEWEST.value, "Received, newest first"),
                (Sort.OLDEST.value, "Received, oldest first"),
                (Sort.DEADLINE.value, "Next deadline, soonest first"),
                (Sort.ACKNOWLEDGEMENT_DUE.value, "Acknowledgement due, soonest first"),
                (Sort.FEEDBACK_DUE.value, "Feedback due, soonest first"),
                (Sort.REFERENCE.value, "Reference"),
            ]
        ),
        default=Sort.NEWEST.value,
    )
    submit = SubmitField("Show cases")

    def to_filter(self, position: Position) -> CaseFilter:
        return CaseFilter(
            status=CaseStatus(self.status.data) if self.status.data else None,
            assignee=self.assignee.data,
            facets={name: self[name].data or "" for name in FILTER_FACETS},
            urgency=Urgency(self.urgency.data) if self.urgency.data else None,
            unread=self.unread.data,
            sort=Sort(self.sort.data),
            position=position,
        )

    def query_args(self) -> dict[str, str]:
        """The filters and sort chosen, as query-string arguments (for links that keep them)."""
        return {
            name: "y" if field.data is True else str(field.data)
            for name, field in self._fields.items()
            if name != "submit" and field.data and field.data != field.default
        }


CASE_ID = re.compile("[0-9a-f]{32}")
ASSIGNEE_CHOICES = (
    SelectChoice("", "Anyone"),
    SelectChoice(caselist.ME, "Me"),
    SelectChoice(caselist.UNASSIGNED, "Nobody"),
)


def _position() -> caselist.Position:
    """The page asked for by a page link; anything malformed means the first page."""
    cursors = {
        name: value
        for name in ("after", "before")
        if CASE_ID.fullmatch(value := request.args.get(name, ""))
    }
    return caselist.Position(
        number=request.args.get("page", 1, type=int) or 1,
        last=request.args.get("last") == "y",
        **cursors,
    )


@blueprint.get("/")
@permission_required(Permission.WORK_ON_CASES)
def index() -> ResponseReturnValue:
    """The case list: filters from the query string (invalid ones ignored, with a 400)."""
    form = CaseFilterForm(formdata=request.args)
    form.assignee.choices = [
        *ASSIGNEE_CHOICES,
        *(SelectChoice(worker_id, name) for worker_id, name in caselist.colleagues(db())),
    ]
    valid = form.validate()
    filters = form.to_filter(_position()) if valid else caselist.CaseFilter()
    page = caselist.list_page(db(), g.identity, filters)
    audit.record(
        db(),
        AuditAction.CASES_LISTED,
        g.identity.actor,
        detail={"filters": ",".join(filters.used()), "page": page.page, "shown": len(page.rows)},
    )
    commit()
    query = form.query_args() if valid else {}
    return render_template(
        "cases.html",
        form=form,
        page=page,
        page_size=caselist.PAGE_SIZE,
        query=query,
        other_filters={name: value for name, value in query.items() if name != "status"},
        status_labels=STATUS_LABELS,
        in_team=team.is_member(db(), g.identity.caseworker_id),
    ), (200 if valid else 400)


def render_case(
    case_id: str, form: ReplyForm, status: int = 200, template_id: str | None = None
) -> ResponseReturnValue:
    """The case page; with `template_id`, the reply starts from that template, filled in."""
    opened = case_file.open_case(db(), case_id, g.identity)
    sections = load_sections(db(), case_id, g.identity)
    commit()
    template_missing = False
    if template_id:
        try:
            template = reply_templates.get_template(db(), template_id)
        except reply_templates.UnknownTemplateError:
            template_missing = True
        else:
            form.text.data = reply_templates.fill(template.body, opened.summary)
    return (
        render_template(
            "case.html",
            case=opened,
            sections=sections,
            form=form,
            reply_templates=reply_templates.list_templates(db()),
            template_id=template_id,
            template_missing=template_missing,
            system_text=system_text,
            questions=QUESTIONS_BY_ID,
            removed_labels=REMOVED_LABELS,
            not_cleaned_reasons=NOT_CLEANED_REASONS,
        ),
        status,
    )


@blueprint.get("/cases/<case_id>")
@permission_required(Permission.WORK_ON_CASES)
def show(case_id: str) -> ResponseReturnValue:
    form = ReplyForm()
    carried = carried_text("cases.reply", case_id)
    if carried is not None:  # typed before the session expired (caseworker/auth.py)
        form.text.data = carried
    return render_case(case_id, form, template_id=request.args.get("template"))


@blueprint.post("/cases/<case_id>/reply")
@permission_required(Permission.WORK_ON_CASES)
def reply(case_id: str) -> ResponseReturnValue:
    form = ReplyForm()
    if not form.validate_on_submit():
        return render_case(case_id, form, 400)
    case_file.reply(db(), case_id, g.identity, form.text.data, uploads("attachments"))
    commit()
    return redirect(url_for("cases.show", case_id=case_id, sent=1))


@blueprint.get("/cases/<case_id>/files/<attachment_id>")
@permission_required(Permission.WORK_ON_CASES)
def download(case_id: str, attachment_id: str) -> ResponseReturnValue:
    try:
        view, chunks = case_file.download(
            db(), services().blobs, case_id, attachment_id, g.identity
        )
    except DamagedFileError:
        commit()  # the failure was recorded
        return render_error(
            500,
            "This item failed an integrity check",
            "It may have been altered in storage. The failure was recorded.",
        )
    commit()
    return send_decrypted(view, chunks)
