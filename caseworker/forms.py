"""Field builders the console's forms share; each form lives beside the views that use it."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms import (
    SelectChoice,
    StringField,
)
from wtforms.validators import (
    Length,
)

from redress.casework import taxonomy
from redress.store.text import clean_text


def stripped(value: str | None) -> str | None:
    return value.strip() if value else value


def choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def free_text(label: str, description: str) -> StringField:
    return StringField(
        label,
        description=description,
        filters=[clean_text, stripped],
        validators=[Length(max=taxonomy.FREE_TEXT_MAX_LENGTH)],
    )
