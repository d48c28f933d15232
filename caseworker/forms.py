"""Console forms (Flask-WTF, CSRF-protected)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    MultipleFileField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from redress import taxonomy
from redress.models import CaseStatus, Role
from redress.text import clean_text
from redress.triage import RATIONALE_MAX_LENGTH, Triage


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
