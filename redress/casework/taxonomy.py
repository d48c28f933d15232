"""The triage taxonomy, declared in one place so an organisation can adapt it.

Each closed list is a tuple of codes. Codes are what the encrypted triage record and the blind
indexes hold; their words live in :mod:`redress.i18n.console`, so relabelling is safe, and
removing a code leaves older records showing the bare code. The rights affected reuse the
report form's list (:data:`redress.cases.fields.RIGHTS`).
"""

from __future__ import annotations

from collections.abc import Mapping

from redress.cases.fields import RIGHTS

Codes = tuple[str, ...]

CATEGORIES: Codes = (
    "targeted_surveillance",
    "mass_surveillance",
    "unlawful_interception",
    "sanctioned_end_user",
    "other",
)
SEVERITIES: Codes = ("low", "medium", "high", "critical")
CREDIBILITY: Codes = ("credible", "not_credible", "undetermined")
SIGNIFICANCE: Codes = ("low", "medium", "high")
RETALIATION_RISK: Codes = ("low", "medium", "high", "unknown")
RIGHTS_AFFECTED: Codes = RIGHTS

# Every closed list, by the triage field it fills.
LISTS: Mapping[str, Codes] = {
    "credibility": CREDIBILITY,
    "significance": SIGNIFICANCE,
    "category": CATEGORIES,
    "severity": SEVERITIES,
    "retaliation_risk": RETALIATION_RISK,
    "rights": RIGHTS_AFFECTED,
}

# Free-text facets: "product or service", "customer / deployment" and "country" are typed, and
# match across spellings through the blind index's normalisation (case, width and spacing).
FREE_TEXT_MAX_LENGTH = 200

# The facets a case can be filtered on, through blind indexes only.
INDEXED_FACETS = ("category", "product", "customer", "country", "severity", "rights")
