"""Console forms (Flask-WTF, CSRF-protected)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    MultipleFileField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)
from wtforms.widgets import CheckboxInput, ListWidget

from redress.cases.settings import SETTINGS_BY_NAME
from redress.casework import reply_templates, taxonomy
from redress.casework.caselist import (
    DUE_SOON_DAYS,
    FILTER_FACETS,
    CaseFilter,
    Position,
    Sort,
    Urgency,
)
from redress.casework.investigation import NOTE_MAX_LENGTH, TASK_TITLE_MAX_LENGTH
from redress.casework.measures import KIND_LABELS, TEXT_MAX_LENGTH
from redress.casework.triage import RATIONALE_MAX_LENGTH, Triage
from redress.store.models import CaseStatus, Role
from redress.store.text import clean_text


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Passphrase", validators=[DataRequired(), Length(max=1024)])
    code = StringField(
        "Authentication code",
        validators=[DataRequired(), Length(max=32)],
        description="The 6-digit code from your authenticator app, or one of your recovery codes.",
    )
    submit = SubmitField("Sign in")


class PassphraseForm(FlaskForm):  # type: ignore[misc]
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


class ReplyForm(FlaskForm):  # type: ignore[misc]
    text = TextAreaField(
        "Reply to the reporter",
        filters=[clean_text],
        validators=[DataRequired("Please write a reply."), Length(max=50_000)],
    )
    attachments = MultipleFileField("Files (optional)")
    submit = SubmitField("Send reply")


class LogoutForm(FlaskForm):  # type: ignore[misc]
    submit = SubmitField("Sign out")


class NewAccountForm(FlaskForm):  # type: ignore[misc]
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


class AccountStateForm(FlaskForm):  # type: ignore[misc]
    """Deactivate or reactivate one account: the button is the whole form."""

    submit = SubmitField("Change")


class ConfirmPassphraseForm(FlaskForm):  # type: ignore[misc]
    """Re-enter the passphrase before something sensitive (give each use its own prefix)."""

    passphrase = PasswordField(
        "Your passphrase",
        validators=[DataRequired("Please enter your passphrase."), Length(max=1024)],
    )
    submit = SubmitField("Continue")


class AuditFilterForm(FlaskForm):  # type: ignore[misc]
    """Filters for the audit log, sent with GET (reading the log changes nothing)."""

    class Meta:
        csrf = False

    action = SelectField("Action", choices=[SelectChoice("", "Any action")], default="")
    case = StringField("Case id or reference", validators=[Length(max=32)])
    caseworker = SelectField("Staff member", choices=[SelectChoice("", "Anyone")], default="")
    submit = SubmitField("Filter")


class AssignForm(FlaskForm):  # type: ignore[misc]
    """Choices are the colleagues holding the case, plus nobody; set by the view."""

    assignee = SelectField(
        "Responsible caseworker",
        choices=[],
        validate_choice=False,  # redress.access checks the colleague, whatever was sent
    )
    submit = SubmitField("Assign")


class GrantForm(FlaskForm):  # type: ignore[misc]
    """Choices are the colleagues the case can be granted to, set by the view."""

    grantee = SelectField(
        "Grant this case to",
        choices=[],
        validate_choice=False,  # redress.access checks the colleague, whatever was sent
        validators=[DataRequired("Please choose a colleague.")],
    )
    submit = SubmitField("Grant access")


class ExcludeForm(FlaskForm):  # type: ignore[misc]
    """Choices are the colleagues who can be excluded, set by the view."""

    excluded = SelectField(
        "Exclude for a conflict of interest",
        choices=[],
        validate_choice=False,  # redress.access checks the colleague, whatever was sent
        validators=[DataRequired("Please choose a colleague.")],
        description="Removes their access now and blocks any grant until the exclusion is lifted.",
    )
    submit = SubmitField("Exclude")


class DisclosureRequestForm(FlaskForm):  # type: ignore[misc]
    disclosure_reason = TextAreaField(
        "Why you need the reporter's identity",
        filters=[clean_text],
        validators=[DataRequired("Please give a reason."), Length(max=5000)],
        description="An approver other than you reads this before deciding. It is encrypted "
        "with the case's internal notes.",
    )
    submit = SubmitField("Request disclosure")


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _stripped(value: str | None) -> str | None:
    return value.strip() if value else value


def _choices(pairs: taxonomy.Choices) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _assessment(label: str, choices: taxonomy.Choices) -> SelectField:
    return SelectField(label, choices=_choices([("", "Not assessed yet"), *choices]), default="")


def _free_text(label: str, description: str) -> StringField:
    return StringField(
        label,
        description=description,
        filters=[clean_text, _stripped],
        validators=[Length(max=taxonomy.FREE_TEXT_MAX_LENGTH)],
    )


def _rationale(label: str) -> TextAreaField:
    return TextAreaField(label, filters=[clean_text], validators=[Length(max=RATIONALE_MAX_LENGTH)])


class TriageForm(FlaskForm):  # type: ignore[misc]
    """Assessment and classification; every choice comes from redress.taxonomy."""

    credibility = _assessment("Credibility", taxonomy.CREDIBILITY)
    credibility_rationale = _rationale("Rationale for the credibility assessment")
    significance = _assessment("Significance", taxonomy.SIGNIFICANCE)
    significance_rationale = _rationale("Rationale for the significance assessment")
    category = _assessment("Category of misuse", taxonomy.CATEGORIES)
    product = _free_text("Product or service", "Name and version, as the organisation knows it.")
    customer = _free_text("Customer or deployment", "The customer or the deployment concerned.")
    country = _free_text("Country", "Where the misuse took place.")
    rights = CheckboxesField("Rights affected", choices=_choices(taxonomy.RIGHTS_AFFECTED))
    severity = _assessment("Severity", taxonomy.SEVERITIES)
    retaliation_risk = _assessment(
        "Risk of retaliation against the reporter", taxonomy.RETALIATION_RISK
    )
    retaliation_mitigation = _rationale("How the reporter is protected (mitigation)")
    save_triage = SubmitField("Save triage")

    def to_triage(self) -> Triage:
        return Triage(
            credibility=self.credibility.data,
            credibility_rationale=self.credibility_rationale.data or "",
            significance=self.significance.data,
            significance_rationale=self.significance_rationale.data or "",
            category=self.category.data,
            product=self.product.data or "",
            customer=self.customer.data or "",
            country=self.country.data or "",
            rights=tuple(self.rights.data or ()),
            severity=self.severity.data,
            retaliation_risk=self.retaliation_risk.data,
            retaliation_mitigation=self.retaliation_mitigation.data or "",
        )


class StatusForm(FlaskForm):  # type: ignore[misc]
    """A status change: each allowed transition is a submit button carrying `new_status`."""

    new_status = SelectField(
        "New status", choices=_choices([(status.value, status.value) for status in CaseStatus])
    )
    tell_reporter = BooleanField(
        "Tell the reporter",
        default=True,
        description="Posts a short, translated status update to the reporter's inbox; "
        "it says nothing about the content of the case.",
    )


STATUS_LABELS: dict[CaseStatus, str] = {
    status: status.value.replace("_", " ").capitalize() for status in CaseStatus
}


class CaseFilterForm(FlaskForm):  # type: ignore[misc]
    """Filters and sort for the case list, sent with GET (listing changes nothing).

    The assignee's choices (colleagues) are set by the view.
    """

    class Meta:
        csrf = False

    status = SelectField(
        "Status", choices=_choices([("", "Any status"), *STATUS_LABELS.items()]), default=""
    )
    assignee = SelectField("Assigned to", choices=[], default="")
    category = SelectField(
        "Category of misuse",
        choices=_choices([("", "Any category"), *taxonomy.CATEGORIES]),
        default="",
    )
    product = _free_text("Product or service", "")
    customer = _free_text("Customer or deployment", "")
    country = _free_text("Country", "")
    urgency = SelectField(
        "Deadline",
        choices=_choices(
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
        choices=_choices(
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


def _setting_field(name: str) -> IntegerField:
    setting = SETTINGS_BY_NAME[name]
    allowed = f"Please give a whole number of days from {setting.minimum} to {setting.maximum}."
    return IntegerField(
        setting.label,
        description=setting.description,
        validators=[InputRequired(allowed), NumberRange(setting.minimum, setting.maximum, allowed)],
    )


class SettingsForm(FlaskForm):  # type: ignore[misc]
    """One field per setting of redress.settings.SETTINGS, named after it."""

    acknowledgement_days = _setting_field("acknowledgement_days")
    feedback_days = _setting_field("feedback_days")
    save_settings = SubmitField("Save settings")


class NoteForm(FlaskForm):  # type: ignore[misc]
    note = TextAreaField(
        "New note",
        filters=[clean_text],
        validators=[DataRequired("Please write a note."), Length(max=NOTE_MAX_LENGTH)],
        description="Internal: encrypted for the caseworkers holding this case, never shown "
        "to the reporter.",
    )
    add_note = SubmitField("Add note")


class TaskForm(FlaskForm):  # type: ignore[misc]
    """The owner's choices (colleagues holding the case) are set by the view. Field names are
    prefixed: the case page holds many forms, and ids must stay unique."""

    task_title = StringField(
        "Task",
        filters=[clean_text, _stripped],
        validators=[DataRequired("Please describe the task."), Length(max=TASK_TITLE_MAX_LENGTH)],
    )
    task_owner = SelectField(
        "Owner",
        choices=[],
        validate_choice=False,  # redress.investigation checks the owner holds the case
        validators=[DataRequired("Please choose an owner.")],
    )
    task_due = DateField(
        "Due on (optional)",
        validators=[Optional()],
        description="A date as year-month-day (YYYY-MM-DD).",
    )
    add_task = SubmitField("Add task")


class EvidenceForm(FlaskForm):  # type: ignore[misc]
    """The files are read by the view from the encrypting upload stream (redress.web.uploads)."""

    evidence = MultipleFileField(
        "Evidence files",
        description="Stored encrypted and exactly as uploaded, metadata included. Never shown "
        "to the reporter.",
    )
    add_evidence = SubmitField("Upload evidence")


class ReplyTemplateForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        "Name",
        filters=[_stripped],
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


def _measure_text(label: str, message: str, description: str = "") -> TextAreaField:
    return TextAreaField(
        label,
        description=description,
        filters=[clean_text],
        validators=[DataRequired(message), Length(max=TEXT_MAX_LENGTH)],
    )


class ProposeMeasureForm(FlaskForm):  # type: ignore[misc]
    """An interim measure proposed for a second person's approval. Field names are prefixed:
    the case page holds many forms, and ids must stay unique."""

    measure_kind = SelectField(
        "Measure", choices=_choices([(kind.value, label) for kind, label in KIND_LABELS.items()])
    )
    measure_rationale = _measure_text(
        "Rationale",
        "Please give a rationale.",
        "An approver other than you reads this before deciding. The measure and its rationale "
        "are encrypted with the case's internal notes.",
    )
    measure_review_on = DateField(
        "Review by",
        validators=[DataRequired("Please give a review date as year-month-day (YYYY-MM-DD).")],
        description="A date after today by which the measure is reviewed.",
    )
    propose_measure = SubmitField("Propose measure")


class ReviewMeasureForm(FlaskForm):  # type: ignore[misc]
    """Renew or lift one measure in force; the view gives each measure its own prefix."""

    review_on = DateField(
        "New review date (to renew)",
        validators=[Optional()],
        description="A date after today, as year-month-day (YYYY-MM-DD); needed to renew, "
        "not to lift.",
    )
    reason = _measure_text("Reason", "Please give a reason.")
    renew = SubmitField("Renew")
    lift = SubmitField("Lift")


class ExportForm(FlaskForm):  # type: ignore[misc]
    """The key is parsed by the view (redress.export_keys), which adds its error to the field."""

    recipient_key = TextAreaField(
        "Recipient's public key",
        description="The line beginning “redress-export-pk-1:” that the recipient got "
        "from “redress export keygen”. Only the holder of the matching private key can "
        "open the export.",
        validators=[DataRequired("Please paste the recipient's public key."), Length(max=200)],
    )
    export_case = SubmitField("Download encrypted export")
