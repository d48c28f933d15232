"""WebP: drop metadata chunks from the RIFF container without re-encoding.

Kept: the picture (VP8, VP8L, ALPH), the extended header (VP8X, with its metadata flags
updated), animation (ANIM, ANMF) and the EXIF orientation alone. Dropped: EXIF, XMP, ICC
profiles, unknown chunks and anything after the RIFF container.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from redress.reporting.metadata import _common as labels
from redress.reporting.metadata._common import Cleaned, Unreadable
from redress.reporting.metadata._formats import is_webp
from redress.reporting.metadata.exif import exif_labels, orientation, orientation_only

_KEEP = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF"}
_LABELS = {b"XMP ": labels.XMP, b"ICCP": labels.COLOUR_PROFILE}
_ICC_FLAG, _EXIF_FLAG, _XMP_FLAG = 0x20, 0x08, 0x04


def clean_webp(data: bytes) -> Cleaned:
    if not is_webp(data):
        raise Unreadable("not a WebP")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    end = 8 + riff_size
    if end > len(data) or riff_size % 2:
        raise Unreadable("truncated WebP")
    kept: list[bytes] = []
    kinds: set[bytes] = set()
    removed: set[str] = set()
    for kind, body in _chunks(data, end):
        kinds.add(kind)
        kept.append(_filter(kind, body, removed))
    if not kinds & {b"VP8 ", b"VP8L", b"ANMF"}:
        raise Unreadable("no picture in this WebP")
    if data[end:]:
        removed.add(labels.HIDDEN_DATA)
    body = _with_flags(b"".join(kept))
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body, removed


def _chunks(data: bytes, end: int) -> Iterator[tuple[bytes, bytes]]:
    pos = 12
    while pos < end:
        if pos + 8 > end:
            raise Unreadable("truncated WebP")
        kind, size = struct.unpack_from("<4sI", data, pos)
        if pos + 8 + size > end:
            raise Unreadable("truncated WebP")
        yield kind, data[pos + 8 : pos + 8 + size]
        pos += 8 + size + size % 2


def _filter(kind: bytes, body: bytes, removed: set[str]) -> bytes:
    """The chunk to write in place of this one (b"" drops it)."""
    if kind in _KEEP:
        return _chunk(kind, body)
    if kind != b"EXIF":
        removed.add(_LABELS.get(kind, labels.OTHER))
        return b""
    removed |= exif_labels(body)
    turn = orientation(body)
    return _chunk(kind, orientation_only(turn)) if turn != 1 else b""


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack("<4sI", kind, len(body)) + body + b"\x00" * (len(body) % 2)


def _with_flags(chunks: bytes) -> bytes:
    """Clear the extended header's ICC and XMP flags, and EXIF unless an orientation is kept."""
    if chunks[:4] != b"VP8X" or len(chunks) < 9:
        return chunks
    flags = chunks[8] & ~(_ICC_FLAG | _XMP_FLAG)
    if b"EXIF" not in {kind for kind, _ in _chunks(b"RIFF....WEBP" + chunks, 12 + len(chunks))}:
        flags &= ~_EXIF_FLAG
    return chunks[:8] + bytes([flags]) + chunks[9:]
