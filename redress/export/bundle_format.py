"""The case export bundle, format version 2: what the writer (redress.export) and the reader
(redress.export.reader) agree on.

A bundle is a ZIP archive (stored, not compressed: every entry is ciphertext) holding
``manifest.json`` and ``files/<attachment id>``, the attachments' encrypted streams exactly as
the blob store keeps them. The manifest lists every encrypted item of the case as stored (each
field ciphertext in base64) and the case's thread and internal keys sealed to the recipient.

Each item's associated data is derived from the item's own ids by the rules of
docs/crypto-format.md §13, here in :func:`item_context`; the sealed keys are bound to the
export id, to :func:`listing_digest`, a digest of every item's and file's associated data in
manifest order, and to :func:`header_digest`, a digest of every other member of the manifest
(format, version, ids, reference, date, recipient). So a bundle whose list of items or whose
reference, date or any other member was changed does not open at all, and an item whose
ciphertext was altered fails alone and is named. The manifest has exactly the members in
:data:`MANIFEST_MEMBERS`, and the archive exactly the entries the manifest lists (a reader
refuses anything else: nothing unauthenticated is read). Format 1 (before the header was bound)
is refused.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from typing import Any

from crypto.digests import digest
from crypto.fields import FieldContext, associated_data
from redress.keys import contexts
from redress.store.models import Author

FORMAT_NAME = "redress-case-export"
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
FILES_DIR = "files/"
LISTING_DOMAIN = b"redress/export-listing/v1"
HEADER_DOMAIN = b"redress/export-header/v2"
# The manifest's members, in the order the header digest takes the first seven of them.
HEADER_MEMBERS = (
    "format",
    "version",
    "export_id",
    "case_id",
    "reference",
    "exported_on",
    "recipient",
)
MANIFEST_MEMBERS = frozenset((*HEADER_MEMBERS, "keys", "items", "files"))

# Item kinds and the table each comes from.
CASE_FIELD = "case-field"
MESSAGE = "message"
ATTACHMENT_KEY = "attachment-key"
ATTACHMENT_META = "attachment-meta"
NOTE = "note"
TASK = "task"
DISCLOSURE_REASON = "disclosure-reason"
MEASURE = "interim-measure"
MEASURE_REVIEWS = "interim-measure-reviews"
TABLES = {
    CASE_FIELD: "case_fields",
    MESSAGE: "messages",
    ATTACHMENT_KEY: "attachments",
    ATTACHMENT_META: "attachments",
    NOTE: "notes",
    TASK: "tasks",
    DISCLOSURE_REASON: "disclosure_requests",
    MEASURE: "interim_measures",
    MEASURE_REVIEWS: "interim_measures",
}


class MalformedItemError(ValueError):
    """An item of the manifest lacks what its kind needs."""


def _text(item: Mapping[str, Any], key: str) -> str:
    value = item[key]
    if not isinstance(value, str):
        raise TypeError(key)
    return value


def _optional_text(item: Mapping[str, Any], key: str) -> str | None:
    return None if item[key] is None else _text(item, key)


def _number(item: Mapping[str, Any], key: str) -> int:
    value = item[key]
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(key)
    return value


def item_context(case_id: str, item: Mapping[str, Any]) -> FieldContext:
    """The context the item's ciphertext was made with, from the item's own ids."""
    try:
        kind = item["kind"]
        if kind == CASE_FIELD:
            return contexts.case_field(case_id, _text(item, "name"))
        if kind == MESSAGE:
            author = Author(_text(item, "author"))
            return contexts.message(case_id, _text(item, "id"), _number(item, "seq"), author)
        if kind == ATTACHMENT_KEY:
            return contexts.attachment_file_key(case_id, _text(item, "id"))
        if kind == ATTACHMENT_META:
            return contexts.attachment_meta(case_id, _text(item, "id"))
        if kind == NOTE:
            return contexts.note(case_id, _text(item, "id"), _optional_text(item, "author_id"))
        if kind == TASK:
            return contexts.task(case_id, _text(item, "id"))
        if kind == DISCLOSURE_REASON:
            requester = _text(item, "requester_id")
            return contexts.disclosure_reason(case_id, _text(item, "id"), requester)
        if kind == MEASURE:
            return contexts.interim_measure(case_id, _text(item, "id"))
        if kind == MEASURE_REVIEWS:
            reviews = _number(item, "review_count")
            return contexts.interim_measure_reviews(case_id, _text(item, "id"), reviews)
    except (KeyError, TypeError, ValueError):
        raise MalformedItemError(item_name(item)) from None
    raise MalformedItemError(item_name(item))


def file_context(attachment_id: str) -> FieldContext:
    return contexts.attachment_stream(attachment_id)


def item_name(item: Mapping[str, Any]) -> str:
    """How a reader names an item in a report: ``<kind>:<name or id>``."""
    return f"{item.get('kind', 'item')}:{item.get('name') or item.get('id') or '?'}"


def listing_digest(bound: Iterable[FieldContext]) -> str:
    """Hex BLAKE2b-256 of the concatenated associated data of every item, then every file."""
    data = b"".join(associated_data(context) for context in bound)
    return digest(data, domain=LISTING_DOMAIN).hex()


def header_digest(manifest: Mapping[str, Any]) -> str:
    """Hex BLAKE2b-256 of the manifest's header members (HEADER_MEMBERS, in that order), each as
    u16be length | UTF-8; the version as decimal text. TypeError if one is missing or of the
    wrong type."""
    data = b""
    for name in HEADER_MEMBERS:
        value = manifest[name] if name in manifest else None
        if name == "version":
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(name)
            value = str(value)
        if not isinstance(value, str):
            raise TypeError(name)
        raw = value.encode("utf-8")
        data += struct.pack(">H", len(raw)) + raw
    return digest(data, domain=HEADER_DOMAIN).hex()


def file_path(attachment_id: str) -> str:
    return FILES_DIR + attachment_id
