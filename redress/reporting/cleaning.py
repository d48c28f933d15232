"""Applying metadata removal (redress.metadata) to uploads before they are stored.

Uploads arrive already encrypted. A file small enough to clean is decrypted into memory,
cleaned, and re-encrypted under a fresh key; larger ones are stored as sent. The outcome travels
with the upload: the reporter is told, and caseworkers see it in the file's encrypted metadata
(a cleaned file is no longer byte-identical to what the reporter had, which matters for evidence).
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l

from redress.cases.uploads import EncryptedUpload
from redress.reporting import metadata
from redress.reporting.metadata import _common as labels

DECLINED = "declined"

# Reporter-facing names of what can be removed, translated.
REMOVED_LABELS = {
    labels.GPS: _l("GPS location"),
    labels.CAMERA: _l("camera make and model"),
    labels.SERIAL: _l("camera serial number"),
    labels.DATE_TAKEN: _l("date taken"),
    labels.DATES: _l("dates created and modified"),
    labels.AUTHOR: _l("author"),
    labels.COMPUTER: _l("computer name"),
    labels.ORGANISATION: _l("company and manager"),
    labels.SOFTWARE: _l("software"),
    labels.DESCRIPTION: _l("title, description and comments"),
    labels.SETTINGS: _l("camera settings"),
    labels.MAKER_NOTES: _l("camera maker notes"),
    labels.THUMBNAIL: _l("thumbnail preview"),
    labels.XMP: _l("XMP metadata"),
    labels.IPTC: _l("IPTC and Photoshop metadata"),
    labels.COLOUR_PROFILE: _l("colour profile"),
    labels.HIDDEN_DATA: _l("hidden extra images or data"),
    labels.EDITING: _l("editing time and revision count"),
    labels.TEMPLATE: _l("template name"),
    labels.FILE_PATHS: _l("file locations"),
    labels.CUSTOM: _l("custom properties"),
    labels.DOCUMENT_ID: _l("document identifier"),
    labels.APP_DATA: _l("editing application data"),
    labels.OTHER: _l("other embedded metadata"),
}

# Why a file was stored as sent, translated.
NOT_CLEANED_REASONS = {
    DECLINED: _l("you chose to keep its metadata"),
    metadata.UNSUPPORTED: _l("this type of file cannot be cleaned"),
    metadata.UNREADABLE: _l("the file could not be read"),
    metadata.TOO_LARGE: _l("the file is too large to clean"),
    metadata.SIGNED: _l("it is digitally signed, and cleaning would break the signature"),
}


def clean_uploads(uploads: Sequence[EncryptedUpload], *, enabled: bool) -> None:
    """Clean each upload's metadata if enabled; record the outcome on the upload."""
    for upload in uploads:
        if not enabled:
            upload.cleaning = {"cleaned": False, "removed": [], "reason": DECLINED}
            continue
        if upload.size > metadata.MAX_CLEAN_BYTES:
            upload.cleaning = {"cleaned": False, "removed": [], "reason": metadata.TOO_LARGE}
            continue
        result = metadata.clean(upload.plaintext(), upload.filename, upload.content_type)
        if result.cleaned and result.removed:
            upload.replace_content(result.data)
        upload.cleaning = {
            "cleaned": result.cleaned,
            "removed": list(result.removed) if result.cleaned else [],
            "reason": result.reason,
        }
