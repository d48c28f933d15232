"""Cleaning text typed by people before it is stored: no control characters, one newline style.

Tabs and newlines are kept; every other control character (C0, DEL, C1) and the Unicode
"noncharacters" are removed; Windows and old Mac line endings become "\\n"; the result is in NFC so
the same words always encrypt from the same bytes.
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")


def clean_text(value: str | None) -> str | None:
    """For use as a WTForms filter: leaves None alone."""
    if value is None:
        return None
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _CONTROL.sub("", value))
