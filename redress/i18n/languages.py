"""The languages the reporter-facing pages are translated into; right-to-left ones are marked."""

from __future__ import annotations

from pathlib import Path

LANGUAGES = {"en": "English", "es": "Español", "fr": "Français", "ar": "العربية"}
RIGHT_TO_LEFT = frozenset({"ar"})
# The compiled catalogs (`make translations` writes them).
TRANSLATIONS = Path(__file__).parent / "translations"
