"""The triage taxonomy, declared in one place so an organisation can adapt it.

Each closed list is a tuple of (code, label) pairs. Codes are what the encrypted triage record and
the blind indexes hold, so relabelling is safe; removing a code leaves older records showing the
bare code. Labels are for the console, which is in English (the reporter never sees them; the
rights affected reuse the reporter-facing, translated list of the report form).
"""

from __future__ import annotations

from collections.abc import Sequence

from redress.cases.questions import RIGHTS

Choices = Sequence[tuple[str, str]]

CATEGORIES: Choices = (
    ("targeted_surveillance", "Targeted surveillance of journalists or human-rights defenders"),
    ("mass_surveillance", "Mass surveillance"),
    ("unlawful_interception", "Unlawful interception"),
    ("sanctioned_end_user", "Export to a sanctioned end user"),
    ("other", "Other misuse"),
)

SEVERITIES: Choices = (
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
    ("critical", "Critical"),
)

CREDIBILITY: Choices = (
    ("credible", "Credible"),
    ("not_credible", "Not credible"),
    ("undetermined", "Undetermined"),
)

SIGNIFICANCE: Choices = (
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
)

RETALIATION_RISK: Choices = (
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
    ("unknown", "Unknown"),
)

RIGHTS_AFFECTED: Choices = RIGHTS

# Free-text facets: "product or service", "customer / deployment" and "country" are typed, and
# match across spellings through the blind index's normalisation (case, width and spacing).
FREE_TEXT_MAX_LENGTH = 200

# The facets a case can be filtered on, through blind indexes only.
INDEXED_FACETS = ("category", "product", "customer", "country", "severity", "rights")


def codes(choices: Choices) -> frozenset[str]:
    return frozenset(code for code, _label in choices)


def label(choices: Choices, code: str) -> str:
    """The label of `code`, or the code itself when the taxonomy no longer has it."""
    return str(dict(choices).get(code, code))
