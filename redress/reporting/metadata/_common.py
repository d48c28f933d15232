"""What every format cleaner shares: the labels it reports and the ways it can give up."""

from __future__ import annotations

from collections.abc import Iterable

# Short, human-readable names of what was removed, shown to the reporter (translated later).
GPS = "GPS location"
CAMERA = "camera make and model"
SERIAL = "camera serial number"
DATE_TAKEN = "date taken"
DATES = "dates created and modified"
AUTHOR = "author"
COMPUTER = "computer name"
ORGANISATION = "company and manager"
SOFTWARE = "software"
DESCRIPTION = "title, description and comments"
SETTINGS = "camera settings"
MAKER_NOTES = "camera maker notes"
THUMBNAIL = "thumbnail preview"
XMP = "XMP metadata"
IPTC = "IPTC and Photoshop metadata"
COLOUR_PROFILE = "colour profile"
HIDDEN_DATA = "hidden extra images or data"
EDITING = "editing time and revision count"
TEMPLATE = "template name"
FILE_PATHS = "file locations"
CUSTOM = "custom properties"
DOCUMENT_ID = "document identifier"
APP_DATA = "editing application data"
OTHER = "other embedded metadata"

_ORDER = (
    GPS, CAMERA, SERIAL, DATE_TAKEN, DATES, AUTHOR, COMPUTER, ORGANISATION, SOFTWARE,
    DESCRIPTION, SETTINGS, MAKER_NOTES, THUMBNAIL, XMP, IPTC, COLOUR_PROFILE, HIDDEN_DATA,
    EDITING, TEMPLATE, FILE_PATHS, CUSTOM, DOCUMENT_ID, APP_DATA, OTHER,
)  # fmt: skip


def ordered(labels: Iterable[str]) -> tuple[str, ...]:
    """The labels in one stable order, each once."""
    return tuple(sorted(set(labels), key=_ORDER.index))


class NotCleaned(Exception):
    """A cleaner gives up; the file is stored as sent and the reporter is told ``reason``."""

    reason: str


class Unreadable(NotCleaned):
    reason = "could not be read"


class Unsupported(NotCleaned):
    reason = "unsupported type"


class TooLarge(NotCleaned):
    reason = "too large to clean"


class Signed(NotCleaned):
    """Cleaning would break a digital signature, which may be what proves the file genuine."""

    reason = "digitally signed"


# A cleaner's output: the cleaned bytes and the labels of what it removed.
Cleaned = tuple[bytes, set[str]]
