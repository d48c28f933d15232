"""Reporter-facing forms (Flask-WTF, CSRF-protected); file fields are read as encrypted uploads."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import MultipleFileField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

MAX_REPORT_CHARS = 100_000
MAX_MESSAGE_CHARS = 50_000


class ReportForm(FlaskForm):  # type: ignore[misc]
    what_happened = TextAreaField(
        "What happened?",
        validators=[
            DataRequired("Please describe what happened."),
            Length(
                max=MAX_REPORT_CHARS, message="Please keep the report under 100,000 characters."
            ),
        ],
        description="Describe the misuse as precisely as you can: who, what, where and when.",
    )
    attachments = MultipleFileField(
        "Files (optional)", description="Documents, images or recordings that support your report."
    )
    submit = SubmitField("Send report")


class ReceiptForm(FlaskForm):  # type: ignore[misc]
    receipt = StringField(
        "Your receipt code",
        validators=[DataRequired("Please enter your receipt code."), Length(max=100)],
        description="The code you were given when you sent your report, like ABCD-EFGH-…",
    )
    submit = SubmitField("Continue")


class ReplyForm(FlaskForm):  # type: ignore[misc]
    text = TextAreaField(
        "Your message",
        validators=[
            DataRequired("Please write a message."),
            Length(max=MAX_MESSAGE_CHARS, message="Please keep messages under 50,000 characters."),
        ],
    )
    attachments = MultipleFileField("Files (optional)")
    submit = SubmitField("Send")


class LogoutForm(FlaskForm):  # type: ignore[misc]
    submit = SubmitField("Log out")
