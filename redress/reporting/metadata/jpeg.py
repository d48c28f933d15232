"""JPEG: drop metadata segments without re-encoding, so not one pixel changes.

The file is walked segment by segment from start-of-image to end-of-image. Kept: the segments
needed to decode the picture (quantisation and Huffman tables, frame and scan headers, the
compressed data, restart intervals), the Adobe segment (it says how colours are encoded), a
JFIF header rewritten without its thumbnail, and the EXIF orientation alone. Everything else is
dropped: EXIF (with GPS, camera, dates, thumbnail, maker notes), XMP, IPTC/Photoshop, ICC
profiles, multi-picture (MPF) headers, comments, unknown application segments, and anything
after the end of the image (extra pictures, depth maps, motion-photo videos).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from redress.reporting.metadata import _common as labels
from redress.reporting.metadata._common import Cleaned, Unreadable
from redress.reporting.metadata._formats import JPEG_MAGIC as MAGIC
from redress.reporting.metadata.exif import EXIF_PREFIX, exif_labels, orientation, orientation_only

_EOI, _SOS, _COM, _APP0, _APP1, _APP2, _APP13, _APP14 = (
    0xD9, 0xDA, 0xFE, 0xE0, 0xE1, 0xE2, 0xED, 0xEE,
)  # fmt: skip
_STANDALONE = {0x01, *range(0xD0, 0xD8)}
_FRAME_HEADERS = {*range(0xC0, 0xC4), *range(0xC5, 0xC8), *range(0xC9, 0xCC), *range(0xCD, 0xD0)}
_XMP_PREFIXES = (b"http://ns.adobe.com/xap/1.0/\x00", b"http://ns.adobe.com/xmp/extension/\x00")


def clean_jpeg(data: bytes) -> Cleaned:
    if not data.startswith(MAGIC):
        raise Unreadable("not a JPEG")
    kept = [data[:2]]
    removed: set[str] = set()
    seen_frame = seen_scan = False
    tail = len(data)
    for marker, segment, end in _segments(data):
        tail = end
        seen_frame |= marker in _FRAME_HEADERS
        seen_scan |= marker == _SOS
        replacement = _filter(marker, segment[4:], removed)
        kept.append(segment if replacement is None else replacement)
    if not (seen_frame and seen_scan):
        raise Unreadable("no picture in this JPEG")
    if data[tail:].strip(b"\x00"):
        removed.add(labels.HIDDEN_DATA)
    return b"".join(kept), removed


def _segments(data: bytes) -> Iterator[tuple[int, bytes, int]]:
    """Each segment after SOI as (marker, bytes, end offset), up to and including EOI.

    Fill bytes (repeated 0xFF) before a marker are dropped.
    """
    pos = 2
    while True:
        if pos >= len(data) or data[pos] != 0xFF:
            raise Unreadable("JPEG segment expected")
        while pos < len(data) and data[pos] == 0xFF:
            pos += 1
        if pos >= len(data):
            raise Unreadable("truncated JPEG")
        start = pos - 1
        marker = data[pos]
        pos += 1
        if marker == _EOI:
            yield marker, data[start:pos], pos
            return
        if marker not in _STANDALONE:
            if pos + 2 > len(data):
                raise Unreadable("truncated JPEG")
            (length,) = struct.unpack_from(">H", data, pos)
            if length < 2 or pos + length > len(data):
                raise Unreadable("truncated JPEG")
            pos += length
            if marker == _SOS:
                pos = _entropy_end(data, pos)
        yield marker, data[start:pos], pos


def _entropy_end(data: bytes, pos: int) -> int:
    """Where the compressed data of a scan ends: at the next marker that is not a restart."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            raise Unreadable("truncated JPEG")
        following = data[pos + 1]
        if following == 0xFF:
            pos += 1
        elif following == 0 or 0xD0 <= following <= 0xD7:
            pos += 2
        else:
            return pos


def _filter(marker: int, payload: bytes, removed: set[str]) -> bytes | None:
    """None keeps the segment as it is; bytes replace it (b"" drops it)."""
    if marker == _APP0 and payload.startswith(b"JFIF\x00") and len(payload) >= 14:
        if payload[12:14] != b"\x00\x00":
            removed.add(labels.THUMBNAIL)
        return _segment(_APP0, payload[:12] + b"\x00\x00")
    if marker == _APP14 and payload.startswith(b"Adobe"):
        return None
    if marker == _APP1 and payload.startswith(EXIF_PREFIX):
        removed |= exif_labels(payload)
        turn = orientation(payload)
        return _segment(_APP1, EXIF_PREFIX + orientation_only(turn)) if turn != 1 else b""
    if 0xE0 <= marker <= 0xEF or marker == _COM:
        removed.add(_label(marker, payload))
        return b""
    return None


def _label(marker: int, payload: bytes) -> str:
    if marker == _COM:
        return labels.DESCRIPTION
    if marker == _APP0 and payload.startswith(b"JFXX\x00"):
        return labels.THUMBNAIL
    if marker == _APP1 and payload.startswith(_XMP_PREFIXES):
        return labels.XMP
    if marker == _APP2 and payload.startswith(b"ICC_PROFILE\x00"):
        return labels.COLOUR_PROFILE
    if marker == _APP2 and payload.startswith(b"MPF\x00"):
        return labels.HIDDEN_DATA
    if marker == _APP13:
        return labels.IPTC
    return labels.OTHER


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload
