"""The one base of every form of both apps: Flask-WTF's form (CSRF-protected, filled from the
request), typed for mypy in this one place."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class Form(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints: typed here, once
    """A CSRF-protected form; the methods the views call are typed here."""

    def is_submitted(self) -> bool:
        return bool(super().is_submitted())

    def validate_on_submit(self, extra_validators: Any = None) -> bool:
        return bool(super().validate_on_submit(extra_validators))

    def validate(self, extra_validators: Any = None) -> bool:
        return bool(super().validate(extra_validators))


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]  # WTForms is untyped too
    """Several choices as a group of checkboxes, each beside its label."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
