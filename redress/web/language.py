"""The reporter's language: chosen by them, remembered in a cookie that holds nothing else."""

from __future__ import annotations

from flask import request
from flask_babel import get_locale

from redress.i18n.languages import LANGUAGES, RIGHT_TO_LEFT

LANGUAGE_COOKIE = "redress_lang"


def chosen_language() -> str:
    """The language from the reporter's own choice (a cookie holding only that), else English.

    The browser's Accept-Language is deliberately ignored: Tor Browser hides it, and honouring it
    elsewhere would make pages differ by a fingerprintable setting.
    """
    choice = request.cookies.get(LANGUAGE_COOKIE, "")
    return choice if choice in LANGUAGES else "en"


def text_direction() -> str:
    return "rtl" if get_locale().language in RIGHT_TO_LEFT else "ltr"
