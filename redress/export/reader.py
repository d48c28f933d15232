"""Opening a case export bundle with the recipient's private key (``redress export open``).

Every ciphertext is checked before anything of it is written: an item or file that fails its
integrity check is named in the result and left out (a file is decrypted into a temporary name
and renamed only once its final chunk has authenticated). A bundle made for another key, or
whose list of items was changed, does not open at all (:class:`BundleError`).

What is written into the output directory (created with mode 0700, must not exist or be empty):
``case.json``, ``fields/<name>.json`` (the report and other case fields), ``messages.json``,
``attachments.json``, ``notes.json``, ``tasks.json``, ``disclosure-reasons.json``, the files
under ``attachments/`` (thread files) and ``evidence/`` (internal files) by their decrypted
names, made safe, and ``integrity-failures.txt`` when something failed.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, cast

from crypto.errors import CryptoError
from crypto.fields import decrypt_field
from crypto.keys import KeyPair
from crypto.sealing import open_sealed
from crypto.streams import decrypt_stream
from redress.cases.uploads import hides_text, shown_filename
from redress.export import bundle_format as fmt
from redress.export.recipient_keys import fingerprint
from redress.keys import contexts
from redress.keys.sealed import UnreadableRecordError, read_record
from redress.store.models import KeyKind

_OUTPUTS = {
    fmt.MESSAGE: "messages.json",
    fmt.ATTACHMENT_META: "attachments.json",
    fmt.NOTE: "notes.json",
    fmt.TASK: "tasks.json",
    fmt.DISCLOSURE_REASON: "disclosure-reasons.json",
    fmt.MEASURE: "interim-measures.json",
    fmt.MEASURE_REVIEWS: "interim-measure-reviews.json",
}
_FILE_DIRS = {KeyKind.THREAD.value: "attachments", KeyKind.INTERNAL.value: "evidence"}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
NAME_MAX = 120


class BundleError(Exception):
    """The bundle cannot be opened at all; the message says why."""


@dataclass
class OpenedBundle:
    case_id: str
    reference: str
    written: list[str] = field(default_factory=list)
    # Names of items and files that failed their integrity check (not written).
    failures: list[str] = field(default_factory=list)


def safe_name(name: str, fallback: str) -> str:
    """A file name that stays inside its directory: no path, no control or reserved characters,
    nothing that reorders or hides text in a listing (a right-to-left override...), no leading
    dot, at most NAME_MAX characters."""
    base = PurePosixPath(unicodedata.normalize("NFC", name).replace("\\", "/")).name
    visible = "".join("_" if hides_text(char) else char for char in base)
    cleaned = _UNSAFE.sub("_", visible).strip().lstrip(".").strip()
    if len(cleaned) > NAME_MAX:
        suffix = PurePosixPath(cleaned).suffix[:16]
        cleaned = cleaned[: NAME_MAX - len(suffix)] + suffix
    return cleaned or fallback


def _manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(fmt.MANIFEST))
    except (KeyError, ValueError, zipfile.BadZipFile):
        raise BundleError("This is not a Redress case export: its manifest is missing.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != fmt.FORMAT_NAME:
        raise BundleError("This is not a Redress case export.")
    if manifest.get("version") == 1:
        raise BundleError(
            "This bundle is in export format 1, whose reference and date are not authenticated. "
            "Ask the sender for a new export."
        )
    if manifest.get("version") != fmt.FORMAT_VERSION:
        raise BundleError(f"Unsupported export version {manifest.get('version')!r}.")
    unknown = sorted(set(manifest) - fmt.MANIFEST_MEMBERS)
    if unknown:
        raise BundleError(
            "The bundle's manifest has members that are not part of the format: "
            + ", ".join(shown_filename(str(name)) for name in unknown)
            + "."
        )
    for name, kind in (("items", list), ("files", list), ("keys", dict), ("case_id", str)):
        if not isinstance(manifest.get(name), kind):
            raise BundleError(f"The bundle's manifest is damaged ({name}).")
    return manifest


def _check_entries(archive: zipfile.ZipFile, manifest: Mapping[str, Any]) -> None:
    """The archive holds exactly the manifest and the files it lists, each once, each at
    ``files/<id>``: an entry nothing authenticates is refused, not skipped."""
    listed = [fmt.MANIFEST]
    for entry in manifest["files"]:
        if not isinstance(entry, dict) or set(entry) != {"id", "path"}:
            raise BundleError("The bundle's manifest is damaged (files).")
        if entry["path"] != fmt.file_path(str(entry["id"])):
            raise BundleError("The bundle's manifest is damaged (files).")
        listed.append(entry["path"])
    names = archive.namelist()
    if len(set(names)) != len(names) or len(set(listed)) != len(listed):
        raise BundleError("The bundle holds an entry twice.")
    unlisted = sorted(set(names) - set(listed))
    if unlisted:
        raise BundleError(
            "The bundle holds entries not listed in its manifest: "
            + ", ".join(shown_filename(name) for name in unlisted)
            + ". It was altered: ask the sender for a new export."
        )


def _open_keys(manifest: Mapping[str, Any], keypair: KeyPair) -> dict[str, bytes]:
    mine = fingerprint(keypair.public)
    if manifest.get("recipient") != mine:
        raise BundleError(
            f"This bundle was sealed to the key with fingerprint {manifest.get('recipient')}; "
            f"the key given has fingerprint {mine}. Use the private key made for this export."
        )
    case_id = manifest["case_id"]
    try:
        listing = fmt.listing_digest(
            [fmt.item_context(case_id, item) for item in manifest["items"]]
            + [fmt.file_context(entry["id"]) for entry in manifest["files"]]
        )
        header = fmt.header_digest(manifest)
        keys = {}
        for kind in (KeyKind.THREAD, KeyKind.INTERNAL):
            export_id = str(manifest["export_id"])
            context = contexts.export_key(case_id, export_id, kind, listing, header)
            sealed = base64.b64decode(manifest["keys"][kind.value], validate=True)
            keys[kind.value] = open_sealed(sealed, keypair, context)
    except (CryptoError, KeyError, TypeError, ValueError, AttributeError):
        raise BundleError(
            "The bundle's keys do not open: its list of items, its reference, its date or "
            "another member of its manifest was altered, or it is damaged."
        ) from None
    return keys


def _decrypt(item: Mapping[str, Any], case_id: str, keys: Mapping[str, bytes]) -> bytes | None:
    try:
        ciphertext = base64.b64decode(item["ciphertext"], validate=True)
        return decrypt_field(keys[item["key"]], ciphertext, fmt.item_context(case_id, item))
    except (CryptoError, KeyError, TypeError, ValueError, binascii.Error):
        return None


def _record(item: Mapping[str, Any], plaintext: bytes) -> dict[str, Any]:
    """The item's clear labels with its decrypted record in place of the ciphertext."""
    try:
        content = read_record(plaintext)
    except UnreadableRecordError as error:
        raise ValueError(str(error)) from None
    labels = {k: v for k, v in item.items() if k not in {"ciphertext", "table"}}
    return {**labels, **content}


class _Writer:
    def __init__(self, out_dir: Path, opened: OpenedBundle) -> None:
        self.out_dir = out_dir
        self.opened = opened

    def unique(self, directory: str, name: str) -> Path:
        folder = self.out_dir / directory
        folder.mkdir(mode=0o700, exist_ok=True)
        candidate, number = folder / name, 1
        while candidate.exists():
            number += 1
            path = PurePosixPath(name)
            candidate = folder / f"{path.stem} ({number}){path.suffix}"
        return candidate

    def json(self, relative: str, value: object) -> None:
        directory, _, name = relative.rpartition("/")
        path = self.unique(directory, name) if directory else self.out_dir / name
        with path.open("x", encoding="utf-8") as handle:
            json.dump(value, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        self.opened.written.append(str(path.relative_to(self.out_dir)))


def _write_file(
    archive: zipfile.ZipFile, entry: Mapping[str, Any], key: bytes, target: Path
) -> bool:
    """Decrypt one file into ``target``; False (and nothing left) if it fails its check."""
    temporary = target.parent / f".partial-{secrets.token_hex(8)}"
    try:
        with archive.open(fmt.FILES_DIR + entry["id"]) as member, temporary.open("xb") as dst:
            # A ZIP member is a readable binary file; zipfile types it as the wider IO[bytes].
            src = cast(BinaryIO, member)
            for block in decrypt_stream(key, src, fmt.file_context(entry["id"])):
                dst.write(block)
        os.rename(temporary, target)
    except (CryptoError, KeyError, ValueError, zipfile.BadZipFile):
        temporary.unlink(missing_ok=True)
        return False
    return True


def _files(
    archive: zipfile.ZipFile,
    manifest: Mapping[str, Any],
    file_keys: Mapping[str, bytes],
    metas: Mapping[str, dict[str, Any]],
    writer: _Writer,
) -> None:
    for entry in manifest["files"]:
        attachment_id = str(entry.get("id")) if isinstance(entry, dict) else "?"
        meta = metas.get(attachment_id, {})
        key = file_keys.get(attachment_id)
        directory = _FILE_DIRS.get(str(meta.get("key")), "attachments")
        fallback = safe_name(attachment_id, "file")
        target = writer.unique(directory, safe_name(str(meta.get("name", "")), fallback))
        if key is None or not _write_file(archive, entry, key, target):
            writer.opened.failures.append(f"file:{attachment_id}")
            continue
        meta["saved_as"] = str(target.relative_to(writer.out_dir))
        writer.opened.written.append(meta["saved_as"])


def open_bundle(bundle: Path, keypair: KeyPair, out_dir: Path) -> OpenedBundle:
    """Decrypt ``bundle`` into ``out_dir``. BundleError if it cannot be opened at all."""
    if out_dir.exists() and any(out_dir.iterdir()):
        raise BundleError(f"{out_dir} is not empty: choose a new directory.")
    try:
        archive = zipfile.ZipFile(bundle)
    except (OSError, zipfile.BadZipFile) as error:
        raise BundleError(f"Cannot read the bundle: {error}") from None
    with archive:
        manifest = _manifest(archive)
        _check_entries(archive, manifest)
        keys = _open_keys(manifest, keypair)
        case_id = manifest["case_id"]
        opened = OpenedBundle(case_id, str(manifest.get("reference", "")))
        out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        writer = _Writer(out_dir, opened)
        grouped: dict[str, list[dict[str, Any]]] = {name: [] for name in _OUTPUTS.values()}
        file_keys: dict[str, bytes] = {}
        metas: dict[str, dict[str, Any]] = {}
        for item in manifest["items"]:
            plaintext = _decrypt(item, case_id, keys)
            try:
                if plaintext is None:
                    raise ValueError("failed its integrity check")
                if item["kind"] == fmt.ATTACHMENT_KEY:
                    file_keys[item["id"]] = plaintext
                    continue
                record = _record(item, plaintext)
            except ValueError:
                opened.failures.append(fmt.item_name(item))
                continue
            if item["kind"] == fmt.CASE_FIELD:
                writer.json(f"fields/{safe_name(item['name'], 'field')}.json", record)
            else:
                grouped[_OUTPUTS[item["kind"]]].append(record)
                if item["kind"] == fmt.ATTACHMENT_META:
                    metas[item["id"]] = record
        _files(archive, manifest, file_keys, metas, writer)
    labels = ("format", "version", "export_id", "case_id", "reference", "exported_on", "recipient")
    writer.json("case.json", {name: manifest.get(name) for name in labels})
    for name, records in grouped.items():
        writer.json(name, records)
    if opened.failures:
        failures = out_dir / "integrity-failures.txt"
        failures.write_text("".join(f"{name}\n" for name in opened.failures), encoding="utf-8")
        opened.written.append(failures.name)
    return opened
