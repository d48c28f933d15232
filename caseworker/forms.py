"""Console forms (Flask-WTF, CSRF-protected)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import MultipleFileField, PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length

from redress.text import clean_text


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Passphrase", validators=[DataRequired(), Length(max=1024)])
    code = StringField(
        "Authentication code",
        validators=[DataRequired(), Length(max=10)],
        description="The 6-digit code from your authenticator app.",
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
