"""Looking for secrets where they must never be: files, directories, open descriptors, writes.

The canary tests (tests/test_canary.py) plant unique strings in reports, files and messages, then
use this module to prove none of them reached the disk in any form someone could read back:

* :func:`encodings` lists the forms a secret may take once some layer has re-encoded it (raw
  UTF-8, UTF-16 and UTF-32, base64 and URL-safe base64 at every byte alignment, hex, percent
  and quoted-printable encodings, JSON and HTML escapes, letter-case variants).
* :class:`Scanner` searches bytes, files (in overlapping chunks, so a needle that straddles a
  chunk boundary is still found), directory trees and the open files of running processes.
  Forms whose letter case is not meaningful are matched case-insensitively, so an upper- or
  lower-cased copy is found too; base64 forms are matched exactly.
* :class:`WriteRecorder` records, through a Python audit hook, every file this process opens for
  writing while it is active, including unlinked temporary files that a later scan of the file
  system could never see (``tempfile.TemporaryFile``, a ``SpooledTemporaryFile`` rolling over).
"""

from __future__ import annotations

import base64
import html
import json
import os
import quopri
import re
import stat
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO
from urllib.parse import quote, quote_plus

CHUNK_SIZE = 1024 * 1024
# Needles shorter than this could turn up by chance in megabytes of ciphertext.
MIN_NEEDLE_LENGTH = 16

Secret = str | bytes


def _base64_forms(data: bytes, *, urlsafe: bool) -> dict[str, bytes]:
    """The base64 characters of ``data`` that do not depend on its neighbours, per alignment.

    Base64 encodes 3-byte groups counted from the start of the encoded stream, so the same bytes
    encode differently at offsets 0, 1 and 2 (mod 3). For each alignment ``k`` this encodes
    ``k`` filler bytes + ``data`` and keeps only the characters made entirely of ``data``'s bits:
    character ``i`` covers bits ``6i .. 6i+5``, the filler covers bits ``0 .. 8k-1`` and the
    data ends at bit ``8(k + len(data))``.
    """
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    name = "URL-safe base64" if urlsafe else "base64"
    forms = {}
    for alignment in range(3):
        encoded = encode(b"\0" * alignment + data)
        first = -(-8 * alignment // 6)
        end = 8 * (alignment + len(data)) // 6
        forms[f"{name} at offset {alignment} mod 3"] = encoded[first:end]
    return forms


def _percent_lower(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda match: match.group(0).lower(), text)


def text_encodings(text: str) -> dict[str, bytes]:
    """Forms of a text secret whose letters may have been upper- or lower-cased (see module)."""
    raw = text.encode()
    forms = {
        "raw UTF-8": raw,
        "lower-case UTF-8": text.lower().encode(),
        "upper-case UTF-8": text.upper().encode(),
        "UTF-16-LE": text.encode("utf-16-le"),
        "UTF-16-BE": text.encode("utf-16-be"),
        "UTF-32-LE": text.encode("utf-32-le"),
        "UTF-32-BE": text.encode("utf-32-be"),
        "hex (lower case)": raw.hex().encode(),
        "hex (upper case)": raw.hex().upper().encode(),
        "percent-encoded": quote(text, safe="").encode(),
        "percent-encoded (lower-case hex)": _percent_lower(quote(text, safe="")).encode(),
        "form-urlencoded": quote_plus(text).encode(),
        "quoted-printable": quopri.encodestring(raw).rstrip(b"\r\n"),
        "quoted-printable (header)": quopri.encodestring(raw, header=True).rstrip(b"\r\n"),
        "JSON-escaped (ASCII)": json.dumps(text)[1:-1].encode(),
        "HTML-escaped": html.escape(text).encode(),
    }
    forms.update(_base64_forms(raw, urlsafe=False))
    forms.update(_base64_forms(raw, urlsafe=True))
    return forms


def bytes_encodings(data: bytes) -> dict[str, bytes]:
    """Forms of a binary secret (file content is not text, so no text encodings apply)."""
    forms = {
        "raw bytes": data,
        "hex (lower case)": data.hex().encode(),
        "hex (upper case)": data.hex().upper().encode(),
    }
    forms.update(_base64_forms(data, urlsafe=False))
    forms.update(_base64_forms(data, urlsafe=True))
    return forms


def encodings(secret: Secret) -> dict[str, bytes]:
    """Every form of ``secret`` to look for, by name; forms equal to an earlier one are dropped."""
    forms = text_encodings(secret) if isinstance(secret, str) else bytes_encodings(secret)
    unique: dict[str, bytes] = {}
    for name, pattern in forms.items():
        if pattern not in unique.values():
            unique[name] = pattern
    return unique


def _case_insensitive(encoding: str) -> bool:
    # Base64 is case-sensitive; every other form is matched whatever the case of its letters.
    return "base64" not in encoding


# UTF-16 and UTF-32 forms of Latin-1 text are searched through strided views of the data.
_WIDE = {
    "UTF-16-LE": (2, False),
    "UTF-16-BE": (2, True),
    "UTF-32-LE": (4, False),
    "UTF-32-BE": (4, True),
}


@dataclass(frozen=True)
class Needle:
    """One form of one secret.

    A UTF-16 or UTF-32 form of Latin-1 text is half or three quarters NUL bytes, and
    ``bytes.find`` crawls byte by byte through the zero-filled pages databases are full of when
    the needle holds a NUL. Such a needle is therefore looked for as its Latin-1 ``anchor`` in
    every ``stride``-th byte of the data, and each hit is confirmed against the whole pattern.
    """

    secret: str
    encoding: str
    # What is searched for: lower-cased when the match ignores letter case.
    pattern: bytes = field(repr=False)
    case_insensitive: bool
    stride: int = 1
    anchor: bytes = field(default=b"", repr=False)
    # Where the anchor's first byte sits inside the pattern (UTF-16-BE: 1, UTF-32-BE: 3).
    anchor_shift: int = 0


@dataclass(frozen=True)
class Finding:
    where: str
    offset: int
    needle: Needle

    def __str__(self) -> str:
        case = " (any letter case)" if self.needle.case_insensitive else ""
        return (
            f"{self.needle.secret} found as {self.needle.encoding}{case} "
            f"in {self.where} at byte {self.offset}"
        )


def describe(findings: Iterable[Finding]) -> str:
    """One line per finding, for assertion messages (never the secret itself)."""
    lines = [str(finding) for finding in findings]
    return f"{len(lines)} secret(s) readable at rest:\n  " + "\n  ".join(lines)


def build_needles(secrets: Mapping[str, Secret]) -> list[Needle]:
    """The needles for named secrets, without duplicates; rejects needles too short to be safe."""
    needles: list[Needle] = []
    seen: set[tuple[bytes, bool]] = set()
    for name, secret in secrets.items():
        for encoding, pattern in encodings(secret).items():
            insensitive = _case_insensitive(encoding)
            searched = pattern.lower() if insensitive else pattern
            if len(searched) < MIN_NEEDLE_LENGTH:
                raise ValueError(f"the {encoding} form of {name} is too short to search for")
            if (searched, insensitive) in seen:
                continue
            seen.add((searched, insensitive))
            needles.append(_needle(name, secret, encoding, searched, insensitive))
    return needles


def _needle(name: str, secret: Secret, encoding: str, searched: bytes, insensitive: bool) -> Needle:
    if encoding in _WIDE and isinstance(secret, str):
        stride, big_endian = _WIDE[encoding]
        try:
            anchor = secret.encode("latin-1").lower()
        except UnicodeEncodeError:
            anchor = b""
        if anchor:
            shift = stride - 1 if big_endian else 0
            return Needle(name, encoding, searched, insensitive, stride, anchor, shift)
    return Needle(name, encoding, searched, insensitive)


def _open_quietly(path: Path) -> BinaryIO:
    """Open for reading without updating the access time (O_NOATIME), where allowed."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOATIME", 0))
    except PermissionError:
        descriptor = os.open(path, os.O_RDONLY)
    return os.fdopen(descriptor, "rb")


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _changed_since(path: Path, since: float | None) -> bool:
    if since is None:
        return True
    try:
        status = path.lstat()
    except OSError:
        return False
    # ctime cannot be set back from user space, so a rewritten file cannot hide behind its mtime.
    return max(status.st_mtime, status.st_ctime) >= since


def walk_files(root: Path, *, since: float | None = None) -> Iterator[Path]:
    """Regular files under ``root`` (symlinks not followed), optionally only those changed since
    ``since`` (a time.time() value). Directories that vanish or cannot be read are skipped."""
    if _is_regular(root):
        if _changed_since(root, since):
            yield root
        return
    for directory, _subdirs, names in os.walk(root, onerror=lambda _error: None):
        for name in names:
            path = Path(directory, name)
            if _is_regular(path) and _changed_since(path, since):
                yield path


class Scanner:
    """Searches data for every needle of a set of named secrets."""

    def __init__(self, secrets: Mapping[str, Secret], chunk_size: int = CHUNK_SIZE) -> None:
        self.needles = build_needles(secrets)
        self.chunk_size = chunk_size
        self.overlap = max(len(needle.pattern) for needle in self.needles) - 1
        self.scanned_files = 0
        self.scanned_bytes = 0

    def _search(
        self, buffer: bytes, where: str, base: int, skip_before: int, found: set[Needle]
    ) -> Iterator[Finding]:
        """Matches in ``buffer`` that end after ``skip_before`` (earlier ones were reported)."""
        folded = buffer.lower()
        strided: dict[tuple[int, int], bytes] = {}
        for needle in self.needles:
            if needle in found:
                continue
            haystack = folded if needle.case_insensitive else buffer
            first = max(0, skip_before - len(needle.pattern) + 1)
            if needle.stride == 1:
                position = haystack.find(needle.pattern, first)
            else:
                position = self._find_wide(needle, haystack, strided, first)
            if position >= 0:
                found.add(needle)
                yield Finding(where, base + position, needle)

    @staticmethod
    def _find_wide(
        needle: Needle, haystack: bytes, strided: dict[tuple[int, int], bytes], first: int
    ) -> int:
        """The first position >= ``first`` of a wide needle, found through its anchor."""
        size = len(needle.pattern)
        for phase in range(needle.stride):
            view = strided.get((needle.stride, phase))
            if view is None:
                view = strided[needle.stride, phase] = haystack[phase :: needle.stride]
            hit = view.find(needle.anchor)
            while hit >= 0:
                start = phase + hit * needle.stride - needle.anchor_shift
                if start >= first and haystack[start : start + size] == needle.pattern:
                    return start
                hit = view.find(needle.anchor, hit + 1)
        return -1

    def scan_bytes(self, data: bytes, where: str) -> list[Finding]:
        self.scanned_bytes += len(data)
        return list(self._search(data, where, 0, 0, set()))

    def scan_stream(self, read: Any, where: str) -> list[Finding]:
        """Scan what ``read(size)`` returns until it returns nothing; first match per needle."""
        findings: list[Finding] = []
        found: set[Needle] = set()
        tail = b""
        offset = 0  # file offset of the start of `tail`
        while chunk := read(self.chunk_size):
            self.scanned_bytes += len(chunk)
            buffer = tail + chunk
            findings += self._search(buffer, where, offset, len(tail), found)
            tail = buffer[-self.overlap :] if self.overlap else b""
            offset += len(buffer) - len(tail)
        return findings

    def scan_file(self, path: Path, label: str | None = None) -> list[Finding]:
        """Scan one file; files that vanish or cannot be read are skipped. The file's access
        time is left as it was where the system allows (the timing checks read it too)."""
        try:
            with _open_quietly(path) as handle:
                self.scanned_files += 1
                return self.scan_stream(handle.read, label or str(path))
        except (FileNotFoundError, PermissionError, IsADirectoryError):
            return []

    def scan_paths(self, paths: Iterable[Path]) -> list[Finding]:
        """Scan each distinct file once, whichever root it was found under."""
        findings: list[Finding] = []
        seen: set[Path] = set()
        for path in paths:
            resolved = path.resolve()
            if resolved not in seen:
                seen.add(resolved)
                findings += self.scan_file(path)
        return findings

    def scan_trees(self, roots: Iterable[Path], *, since: float | None = None) -> list[Finding]:
        return self.scan_paths(
            path for root in roots if root.exists() for path in walk_files(root, since=since)
        )


# Open files of running processes, read through /proc (this works for unlinked files too).


@dataclass(frozen=True)
class OpenFile:
    pid: int
    descriptor: int
    target: str

    @property
    def proc_path(self) -> Path:
        return Path(f"/proc/{self.pid}/fd/{self.descriptor}")


def session_processes(session_id: int) -> list[int]:
    """Ids of the live processes in a session (a server started with start_new_session=True)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state, ppid, pgrp, session.
        if int(fields[3]) == session_id:
            found.append(int(entry.name))
    return found


def open_regular_files(pids: Iterable[int]) -> list[OpenFile]:
    """The regular files the processes hold open, with the path each points to (or had)."""
    files = []
    for pid in pids:
        try:
            descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for link in descriptors:
            try:
                if not stat.S_ISREG(link.stat().st_mode):
                    continue
                target = os.readlink(link)
            except OSError:
                continue
            files.append(OpenFile(pid, int(link.name), target))
    return files


# Files opened for writing by this process, seen through an audit hook.

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_hook_lock = threading.Lock()
_hook_installed = False
_active: list[WriteRecorder] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # Audit hooks run inside every open(); they must be cheap and must never raise.
    if event != "open" or not _active:
        return
    try:
        path, mode, flags = args
        writing = (isinstance(flags, int) and flags & _WRITE_FLAGS) or (
            isinstance(mode, str) and any(letter in mode for letter in "wax+")
        )
        if writing and isinstance(path, str | bytes | os.PathLike):
            for recorder in list(_active):
                recorder.paths.append(os.fsdecode(path))
    except Exception:  # noqa: S110 - an audit hook that raised would break the open() it saw
        pass


class WriteRecorder:
    """Context manager listing the paths this process opens for writing while it is active.

    A temporary file created with O_TMPFILE is reported by its directory, as open() saw it.
    Python cannot remove an audit hook, so one hook is installed for the process and does
    nothing while no recorder is active.
    """

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __enter__(self) -> WriteRecorder:
        global _hook_installed
        with _hook_lock:
            if not _hook_installed:
                sys.addaudithook(_audit)
                _hook_installed = True
            _active.append(self)
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        with _hook_lock:
            _active.remove(self)

    def outside(self, *allowed: Path) -> list[str]:
        """Recorded paths that are not inside any of the ``allowed`` directories."""
        roots = [root.resolve() for root in allowed]
        return [
            path
            for path in self.paths
            if not any(Path(path).resolve().is_relative_to(root) for root in roots)
        ]
