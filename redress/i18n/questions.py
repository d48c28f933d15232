"""The report's questions, declared in one place so an organisation can adapt them.

The intake builds its form from :data:`QUESTIONS` and the console shows answers with the same
labels. Question ids are stored (inside the encrypted report, :mod:`redress.cases.fields`) with
each answer, so renaming a label is safe, while removing a question only hides old answers'
label (they show by id). A question is mostly its words, so the declaration lives here, beside
the translations: labels and help texts are marked for translation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l

from redress.cases import fields


class Kind(StrEnum):
    LINE = "line"
    TEXT = "text"
    CHOICES = "choices"


@dataclass(frozen=True)
class Question:
    id: str
    label: str
    help: str
    kind: Kind
    required: bool = False
    required_message: str = ""
    max_length: int = 10_000
    choices: tuple[tuple[str, str], ...] = ()


RIGHT_LABELS = {
    "privacy": _l("Privacy"),
    "expression": _l("Freedom of expression"),
    "assembly": _l("Freedom of peaceful assembly"),
    "association": _l("Freedom of association"),
    "religion": _l("Freedom of religion or belief"),
    "other": _l("Another right"),
}
# In the order of the codes (redress.cases.fields.RIGHTS): a code without a label fails here.
RIGHTS = tuple((code, RIGHT_LABELS[code]) for code in fields.RIGHTS)

QUESTIONS: tuple[Question, ...] = (
    Question(
        "what_happened",
        _l("What happened?"),
        _l("Describe the misuse as precisely as you can: who did what, to whom, and how."),
        Kind.TEXT,
        required=True,
        required_message=_l("Please describe what happened."),
        max_length=100_000,
    ),
    Question(
        "product",
        _l("Which product or service was involved?"),
        _l("Its name, version or anything you know about it. Leave empty if you do not know."),
        Kind.LINE,
        max_length=500,
    ),
    Question(
        "where",
        _l("Where did it happen?"),
        _l("Country, region or city — only as precisely as you feel safe giving."),
        Kind.LINE,
        max_length=500,
    ),
    Question(
        "when",
        _l("When did it happen?"),
        _l("An approximate date or period is enough, for example “spring 2025”."),
        Kind.LINE,
        max_length=200,
    ),
    Question(
        "who_affected",
        _l("Who was affected, and how?"),
        _l("For example journalists, activists, a community. You do not need to give names."),
        Kind.TEXT,
    ),
    Question(
        "rights",
        _l("Which rights were affected?"),
        _l("Choose all that apply."),
        Kind.CHOICES,
        choices=RIGHTS,
    ),
    Question(
        "how_known",
        _l("How do you know about this?"),
        _l("For example: it happened to you, you saw documents, you work on the product."),
        Kind.TEXT,
    ),
    Question(
        "hopes",
        _l("What would you like to happen?"),
        _l("For example: the misuse stops, an apology, compensation, changes to the product."),
        Kind.TEXT,
    ),
)

QUESTIONS_BY_ID = {question.id: question for question in QUESTIONS}
