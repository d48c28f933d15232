"""Reporter-facing forms (Flask-WTF, CSRF-protected); file fields are read as encrypted uploads.

The report form is built from the declarative questions in redress.cases.questions.
"""

from __future__ import annotations

from typing import Any

from flask_babel import format_decimal, format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    MultipleFileField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from redress.cases.fields import Answer
from redress.i18n.questions import QUESTIONS, Kind, Question
from redress.store.config import MIB
from redress.store.text import clean_text
from redress.web import services
from redress.web.forms import CheckboxesField, Form

MAX_MESSAGE_CHARS = 50_000
INCOMPLETE_FORM = _l("This form is incomplete. Please open it again.")


def megabytes(size: int) -> str:
    """A size in bytes as MB (MiB) the reader's way, to one decimal where needed: "2", "1,5"."""
    return str(format_decimal(round(size / MIB, 1)))


def upload_limits() -> str:
    """The size limits of this instance, said before the reporter chooses files."""
    config = services().config
    return str(
        _(
            "Each file may be up to %(file)s MB, and all files together up to %(total)s MB.",
            file=megabytes(config.max_file_bytes),
            total=megabytes(config.max_submission_bytes),
        )
    )


def _supporting_files_hint() -> str:
    return f"{_('Documents, images or recordings that support your report.')} {upload_limits()}"


def _too_long(limit: int) -> LazyString:
    """Our own (translated) length message: WTForms' default has no Arabic translation."""
    # The limit is written the reader's way (100,000 / 100 000 / 100.000) when shown.
    return _l("Please keep this under %(max)s characters.", max=LazyString(format_number, limit))


def _field(question: Question) -> Field:
    validators: list[Any] = [
        DataRequired(question.required_message or _l("Please answer this question."))
        if question.required
        else Optional(),
    ]
    if question.kind is Kind.CHOICES:
        return CheckboxesField(
            question.label,
            choices=[SelectChoice(value, label) for value, label in question.choices],
            validators=[Optional()],
            description=question.help,
        )
    validators.append(Length(max=question.max_length, message=_too_long(question.max_length)))
    field_class = TextAreaField if question.kind is Kind.TEXT else StringField
    return field_class(
        question.label, validators=validators, description=question.help, filters=[clean_text]
    )


def _clean_metadata_field() -> BooleanField:
    return BooleanField(
        _l("Remove hidden metadata from my files (recommended)"),
        default=True,
        description=_l(
            "Photos and documents can hide a location, a device, an author name. Untick this "
            "only if that information is itself the evidence."
        ),
    )


class _ReportFormBase(Form):
    # One-time token: a second copy of the same form stores nothing and shows the same receipt.
    submission_token = HiddenField(
        validators=[
            DataRequired(_l("This form is incomplete. Please open it again.")),
            Regexp(
                r"\A[0-9a-f]{64}\Z", message=_l("This form is incomplete. Please open it again.")
            ),
        ],
    )
    attachments = MultipleFileField(
        _l("Files (optional)"),
        # Read when the form is shown: the limits are the instance's, in the reader's language.
        description=LazyString(_supporting_files_hint),
    )
    clean_metadata = _clean_metadata_field()
    identity_name = StringField(
        _l("Your name (optional)"),
        filters=[clean_text],
        validators=[Optional(), Length(max=500, message=_too_long(500))],
        description=_l(
            "Only if you want to give it. It is encrypted separately and shown to a caseworker "
            "only after a second person approves a written reason."
        ),
    )
    identity_contact = StringField(
        _l("How to reach you (optional)"),
        filters=[clean_text],
        validators=[Optional(), Length(max=500, message=_too_long(500))],
        description=_l("An e-mail address, phone number or other contact, if you want one used."),
    )
    submit = SubmitField(_l("Send report"))

    def answers(self) -> dict[str, Answer]:
        """The answers given, by question id (empty ones left out)."""
        found: dict[str, Answer] = {}
        for question in QUESTIONS:
            value = self[question.id].data
            if value:
                found[question.id] = list(value) if isinstance(value, list) else str(value)
        return found

    def identity(self) -> dict[str, str]:
        given = {"name": self.identity_name.data, "contact": self.identity_contact.data}
        return {key: value.strip() for key, value in given.items() if value and value.strip()}


ReportForm = type(
    "ReportForm", (_ReportFormBase,), {question.id: _field(question) for question in QUESTIONS}
)


class ConfirmReceiptForm(Form):
    last_group = StringField(
        _l("The last four characters of your receipt code"),
        validators=[
            DataRequired(_l("Please type the last four characters.")),
            Length(max=20, message=_too_long(20)),
        ],
        description=_l("This shows you have written the whole code down."),
    )
    submit = SubmitField(_l("I have saved my code"))


class ReceiptForm(Form):
    receipt = StringField(
        _l("Your receipt code"),
        validators=[
            DataRequired(_l("Please enter your receipt code.")),
            Length(max=100, message=_too_long(100)),
        ],
        description=_l("The code you were given when you sent your report, like ABCD-EFGH-…"),
    )
    # The optional proof of work (redress.reporting.challenges): the page's script fills `proof`;
    # with JavaScript off it stays empty and the login is served without priority.
    challenge = HiddenField()
    proof = HiddenField()
    submit = SubmitField(_l("Continue"))

    def proof_of_work(self) -> tuple[str, str] | None:
        """(challenge, counter) when the browser sent a proof, unchecked."""
        challenge, proof = self.challenge.data, self.proof.data
        if isinstance(challenge, str) and isinstance(proof, str) and challenge and proof:
            return challenge, proof
        return None


class ReplyForm(Form):
    text = TextAreaField(
        _l("Your message"),
        filters=[clean_text],
        description=_l("You can also send only files."),
        validators=[
            Optional(),
            Length(
                max=MAX_MESSAGE_CHARS,
                message=_l(
                    "Please keep messages under %(max)s characters.",
                    max=LazyString(format_number, MAX_MESSAGE_CHARS),
                ),
            ),
        ],
    )
    attachments = MultipleFileField(_l("Files (optional)"), description=LazyString(upload_limits))
    clean_metadata = _clean_metadata_field()
    submit = SubmitField(_l("Send"))


class HideMessageForm(Form):
    submit = SubmitField(_l("Delete my copy"))


class LogoutForm(Form):
    submit = SubmitField(_l("Log out"))
