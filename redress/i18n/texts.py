"""Translated texts both apps show: the thread's system messages and what metadata removal did.

The thread stores only a system message's name (:mod:`redress.cases.messages`) and a file's
cleaning outcome as codes (:mod:`redress.reporting.cleaning`); these are their words, in the
reporter's language on the intake and in English on the console.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from redress.reporting import metadata
from redress.reporting.cleaning import DECLINED
from redress.reporting.metadata import _common as removable
from redress.reporting.submissions import ACKNOWLEDGEMENT_TEMPLATE

# Texts of the named system messages (the thread stores only the name); the acknowledgement,
# which names its deadline, is :func:`system_text`'s.
SYSTEM_TEXTS = {
    # Status updates (redress.casework.status_updates): plain words, nothing about the inside of the
    # case.
    "status:acknowledged": _l(
        "Your report has been acknowledged. A caseworker is now responsible for it and will "
        "keep you informed here. You can add information or ask a question at any time."
    ),
    "status:in_assessment": _l(
        "We are now assessing your report to decide on the next steps. We will tell you here "
        "when we have decided."
    ),
    "status:under_investigation": _l(
        "We have opened an investigation into what you reported. We may ask you questions "
        "here, and we will tell you when there is news."
    ),
    "status:decided": _l(
        "A decision has been taken on your report. A caseworker will explain it to you here."
    ),
    "status:remedy_in_progress": _l(
        "We are now putting in place measures to address what you reported. We will keep you "
        "informed of progress here."
    ),
    "status:closed": _l(
        "Your case is now closed. Thank you for reporting. You can still read this "
        "conversation and write to us here."
    ),
    "status:reopened": _l(
        "Your case has been reopened and is being assessed again. We will keep you informed here."
    ),
}


def system_text(template: str, acknowledgement_days: int) -> str:
    """The words of a named system message; the acknowledgement names the deadline the case was
    given (``acknowledgement_days``, from the organisation's settings when it was received)."""
    if template == ACKNOWLEDGEMENT_TEMPLATE:
        return str(
            ngettext(
                "Thank you. Your report has been received and encrypted. A caseworker will "
                "acknowledge it within %(num)d day. Come back with your receipt code to read "
                "replies.",
                "Thank you. Your report has been received and encrypted. A caseworker will "
                "acknowledge it within %(num)d days. Come back with your receipt code to read "
                "replies.",
                acknowledgement_days,
            )
        )
    return str(SYSTEM_TEXTS[template])


# Reporter-facing names of what can be removed, translated.
REMOVED_LABELS = {
    removable.GPS: _l("GPS location"),
    removable.CAMERA: _l("camera make and model"),
    removable.SERIAL: _l("camera serial number"),
    removable.DATE_TAKEN: _l("date taken"),
    removable.DATES: _l("dates created and modified"),
    removable.AUTHOR: _l("author"),
    removable.COMPUTER: _l("computer name"),
    removable.ORGANISATION: _l("company and manager"),
    removable.SOFTWARE: _l("software"),
    removable.DESCRIPTION: _l("title, description and comments"),
    removable.SETTINGS: _l("camera settings"),
    removable.MAKER_NOTES: _l("camera maker notes"),
    removable.THUMBNAIL: _l("thumbnail preview"),
    removable.XMP: _l("XMP metadata"),
    removable.IPTC: _l("IPTC and Photoshop metadata"),
    removable.COLOUR_PROFILE: _l("colour profile"),
    removable.HIDDEN_DATA: _l("hidden extra images or data"),
    removable.EDITING: _l("editing time and revision count"),
    removable.TEMPLATE: _l("template name"),
    removable.FILE_PATHS: _l("file locations"),
    removable.CUSTOM: _l("custom properties"),
    removable.DOCUMENT_ID: _l("document identifier"),
    removable.APP_DATA: _l("editing application data"),
    removable.OTHER: _l("other embedded metadata"),
}

# Why a file was stored as sent, translated.
NOT_CLEANED_REASONS = {
    DECLINED: _l("you chose to keep its metadata"),
    metadata.UNSUPPORTED: _l("this type of file cannot be cleaned"),
    metadata.UNREADABLE: _l("the file could not be read"),
    metadata.TOO_LARGE: _l("the file is too large to clean"),
    metadata.SIGNED: _l("it is digitally signed, and cleaning would break the signature"),
}
