"""Removing hidden metadata from uploaded files, in memory, before they are encrypted.

A reporter's photo or document can name them without their knowing: GPS coordinates and the
camera's serial number in a photo, the author, company and editing history of a document.
``clean`` takes a file's bytes and returns cleaned bytes plus short labels of what was removed,
for the reporter to see; or, when it cannot clean, the original bytes and the reason.

It works on bytes only and never writes to disk (invariant 1). The type is recognised from the
content; the file name and browser media type are only hints (for camera raw files).

What each cleaner removes is in its module: :mod:`.jpeg`, :mod:`.png`, :mod:`.gif`,
:mod:`.webp` (metadata dropped without re-encoding: pixels identical), :mod:`.tiff`
(re-encoded losslessly), :mod:`.pdf` (pikepdf, full rewrite) and :mod:`.office`.

Known limits, to be honest with reporters and caseworkers:

- Only metadata is removed. The content itself can still identify: faces, reflections,
  landmarks, a camera's sensor noise and JPEG quantisation tables (which narrow down the camera
  model), printer tracking dots in scans, wording, names in a document's text.
- Office documents keep the names of tracked-change and comment authors, Word's revision-save
  ids (which can link documents edited on one computer), template and mail-merge paths in
  settings, printer names in ODF settings, and embedded objects' own metadata. PDF annotations
  keep their authors, form fields their values, attached files their own metadata, and
  pictures other than plain JPEG (Flate, JPEG 2000...) whatever they carry. JPEG and PNG
  pictures inside PDF, OOXML and ODF files are cleaned.
- Colour profiles are removed (they can name the device), so wide-gamut photos may look
  slightly less saturated. Removing XMP breaks PDF/A conformance.
- HEIC/HEIF, camera raw, SVG, legacy Office (.doc/.xls), RTF, audio and video are not cleaned
  ("unsupported type"); digitally signed PDFs and office documents are not cleaned
  ("digitally signed") because that would invalidate the signature.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from redress.reporting.metadata._common import (
    Cleaned,
    NotCleaned,
    Signed,
    TooLarge,
    Unreadable,
    Unsupported,
    ordered,
)
from redress.reporting.metadata._formats import (
    GIF_MAGICS,
    JPEG_MAGIC,
    PNG_MAGIC,
    TIFF_MAGICS,
    ZIP_MAGIC,
    is_pdf,
    is_webp,
)

__all__ = [
    "MAX_CLEAN_BYTES",
    "SIGNED",
    "TOO_LARGE",
    "UNREADABLE",
    "UNSUPPORTED",
    "CleaningResult",
    "clean",
]

MAX_CLEAN_BYTES = 64 * 1024 * 1024
# An office archive may expand to this much in memory while it is rewritten.
MAX_ARCHIVE_EXPANSION = 4 * MAX_CLEAN_BYTES

# Why a file was not cleaned (CleaningResult.reason), for the reporter's message.
UNSUPPORTED = Unsupported.reason  # "unsupported type"
UNREADABLE = Unreadable.reason  # "could not be read"
TOO_LARGE = TooLarge.reason  # "too large to clean"
SIGNED = Signed.reason  # "digitally signed": cleaning would invalidate its signature


@dataclass(frozen=True)
class CleaningResult:
    data: bytes  # cleaned bytes, or the original bytes when not cleaned
    cleaned: bool  # True if ``data`` is a cleaned file
    removed: tuple[str, ...]  # labels of what was removed, only items actually present
    reason: str | None  # why not cleaned: UNSUPPORTED, UNREADABLE, TOO_LARGE or SIGNED


def clean(data: bytes, filename: str, content_type: str) -> CleaningResult:
    """Clean ``data`` if its content is a supported type; never raises for bad input."""
    if len(data) > MAX_CLEAN_BYTES:
        return _not_cleaned(data, TOO_LARGE)
    cleaner = _cleaner(data, filename, content_type)
    if cleaner is None:
        return _not_cleaned(data, UNSUPPORTED)
    try:
        cleaned, removed = cleaner(data)
    except NotCleaned as refusal:
        return _not_cleaned(data, refusal.reason)
    except Exception:  # Parsers of hostile input fail in many ways; the file is kept as sent.
        return _not_cleaned(data, UNREADABLE)
    return CleaningResult(cleaned, cleaned=True, removed=ordered(removed), reason=None)


# How each format is recognised, and the module and function that clean it. The modules load
# Pillow and pikepdf, which would add about 18 MB to every server worker; they are imported on
# first use instead.
_FORMATS: tuple[tuple[Callable[[bytes], bool], str, str], ...] = (
    (lambda data: data.startswith(JPEG_MAGIC), "jpeg", "clean_jpeg"),
    (lambda data: data.startswith(PNG_MAGIC), "png", "clean_png"),
    (lambda data: data.startswith(GIF_MAGICS), "gif", "clean_gif"),
    (is_webp, "webp", "clean_webp"),
    (lambda data: data.startswith(TIFF_MAGICS), "tiff", "clean_tiff"),
    (lambda data: data.startswith(ZIP_MAGIC), "office", "clean_office"),
    (is_pdf, "pdf", "clean_pdf"),
)


def _cleaner(data: bytes, filename: str, content_type: str) -> Callable[[bytes], Cleaned] | None:
    """The cleaner for this content, recognised by its first bytes."""
    for recognises, module, name in _FORMATS:
        if not recognises(data):
            continue
        function: Callable[..., Cleaned] = getattr(
            importlib.import_module(f"redress.reporting.metadata.{module}"), name
        )
        if module == "tiff":
            return lambda tiff: function(tiff, filename, content_type)
        if module == "office":
            return lambda archive: function(archive, MAX_ARCHIVE_EXPANSION)
        return function
    return None


def _not_cleaned(data: bytes, reason: str) -> CleaningResult:
    return CleaningResult(data, cleaned=False, removed=(), reason=reason)
