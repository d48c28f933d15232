"""PNG (and animated PNG): drop metadata chunks without touching the compressed picture.

Kept: the chunks needed to draw the picture (header, palette, image data, transparency,
gamma, chromaticities, sRGB intent, significant bits, background, physical pixel size,
histogram, suggested palettes, animation control, HDR colour information) and the EXIF
orientation alone. Dropped: text chunks (author, comments, software, creation time, XMP),
EXIF, modification time, ICC profiles, signatures, unknown ancillary chunks (including
content-credential manifests) and anything after the end chunk. Every chunk's CRC is checked.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

from redress.reporting.metadata import _common as labels
from redress.reporting.metadata._common import Cleaned, Unreadable
from redress.reporting.metadata._formats import PNG_MAGIC as MAGIC
from redress.reporting.metadata.exif import exif_labels, orientation, orientation_only

_KEEP = {
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"bKGD",
    b"pHYs", b"hIST", b"sPLT", b"acTL", b"fcTL", b"fdAT", b"cICP", b"mDCv", b"cLLi",
}  # fmt: skip
_CHUNK_LABELS = {
    b"tIME": labels.DATES,
    b"iCCP": labels.COLOUR_PROFILE,
}
_TEXT = {b"tEXt", b"zTXt", b"iTXt"}
_KEYWORD_LABELS = {
    b"author": labels.AUTHOR,
    b"copyright": labels.AUTHOR,
    b"software": labels.SOFTWARE,
    b"source": labels.CAMERA,
    b"creation time": labels.DATES,
    b"title": labels.DESCRIPTION,
    b"description": labels.DESCRIPTION,
    b"comment": labels.DESCRIPTION,
    b"disclaimer": labels.DESCRIPTION,
    b"warning": labels.DESCRIPTION,
    b"xml:com.adobe.xmp": labels.XMP,
}


def clean_png(data: bytes) -> Cleaned:
    if not data.startswith(MAGIC):
        raise Unreadable("not a PNG")
    kept = [MAGIC]
    removed: set[str] = set()
    types: list[bytes] = []
    tail = len(data)
    for kind, body, chunk, end in _chunks(data):
        tail = end
        types.append(kind)
        if kind in _KEEP:
            kept.append(chunk)
        elif kind[0:1].isupper():
            raise Unreadable("unknown critical PNG chunk")
        else:
            kept.append(_filter(kind, body, removed))
    if types[0] != b"IHDR" or b"IDAT" not in types:
        raise Unreadable("no picture in this PNG")
    if data[tail:]:
        removed.add(labels.HIDDEN_DATA)
    return b"".join(kept), removed


def _chunks(data: bytes) -> Iterator[tuple[bytes, bytes, bytes, int]]:
    """Each chunk as (type, body, whole chunk, end offset), up to and including IEND."""
    pos = len(MAGIC)
    while True:
        if pos + 12 > len(data):
            raise Unreadable("truncated PNG")
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if end > len(data):
            raise Unreadable("truncated PNG")
        body = data[pos + 8 : end - 4]
        (crc,) = struct.unpack_from(">I", data, end - 4)
        if zlib.crc32(kind + body) != crc:
            raise Unreadable("damaged PNG chunk")
        yield kind, body, data[pos:end], end
        if kind == b"IEND":
            return
        pos = end


def _filter(kind: bytes, body: bytes, removed: set[str]) -> bytes:
    """The replacement for a dropped chunk: the orientation for EXIF, else nothing."""
    if kind == b"eXIf":
        removed |= exif_labels(body)
        turn = orientation(body)
        return _chunk(b"eXIf", orientation_only(turn)) if turn != 1 else b""
    if kind in _TEXT:
        keyword = body.split(b"\x00", 1)[0].lower()
        removed.add(_KEYWORD_LABELS.get(keyword, labels.OTHER))
    else:
        removed.add(_CHUNK_LABELS.get(kind, labels.OTHER))
    return b""


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", len(body), kind) + body + struct.pack(">I", zlib.crc32(kind + body))
