"""GIF: drop comment and metadata extension blocks without touching the compressed frames.

Kept: the header, colour tables, frames, graphic-control (timing, transparency), plain-text
and looping (NETSCAPE2.0 / ANIMEXTS1.0) blocks. Dropped: comments, XMP and ICC application
blocks, unknown extensions, and anything after the trailer.
"""

from __future__ import annotations

from redress.reporting.metadata import _common as labels
from redress.reporting.metadata._common import Cleaned, Unreadable
from redress.reporting.metadata._formats import GIF_MAGICS as MAGICS

_SCREEN_END = 13  # header (6) + logical screen descriptor (7)
_EXTENSION, _IMAGE, _TRAILER = 0x21, 0x2C, 0x3B
_GRAPHIC_CONTROL, _PLAIN_TEXT, _COMMENT, _APPLICATION = 0xF9, 0x01, 0xFE, 0xFF
_LOOPING = (b"NETSCAPE2.0", b"ANIMEXTS1.0")
_APPLICATION_LABELS = {b"XMP DataXMP": labels.XMP, b"ICCRGBG1012": labels.COLOUR_PROFILE}


def clean_gif(data: bytes) -> Cleaned:
    if not data.startswith(MAGICS) or len(data) < _SCREEN_END:
        raise Unreadable("not a GIF")
    pos = _SCREEN_END + _colour_table_size(data[10])
    kept = [data[:pos]]
    removed: set[str] = set()
    while pos < len(data) and data[pos] != _TRAILER:
        if data[pos] == _IMAGE:
            end = _image_end(data, pos)
            kept.append(data[pos:end])
        elif data[pos] == _EXTENSION and pos + 1 < len(data):
            end = _sub_blocks_end(data, pos + 2)
            label = _extension_label(data[pos + 1], data[pos + 2 : end])
            if label is None:
                kept.append(data[pos:end])
            else:
                removed.add(label)
        else:
            raise Unreadable("unknown GIF block")
        pos = end
    if pos >= len(data):
        raise Unreadable("truncated GIF")
    if data[pos + 1 :]:
        removed.add(labels.HIDDEN_DATA)
    return b"".join([*kept, bytes([_TRAILER])]), removed


def _colour_table_size(flags: int) -> int:
    return 3 * (2 ** ((flags & 0x07) + 1)) if flags & 0x80 else 0


def _image_end(data: bytes, pos: int) -> int:
    """Past an image descriptor (10 bytes), its colour table, code size and data blocks."""
    if pos + 10 > len(data):
        raise Unreadable("truncated GIF")
    return _sub_blocks_end(data, pos + 10 + _colour_table_size(data[pos + 9]) + 1)


def _sub_blocks_end(data: bytes, pos: int) -> int:
    """Past a chain of length-prefixed sub-blocks ending with an empty one."""
    while pos < len(data) and data[pos]:
        pos += data[pos] + 1
    if pos >= len(data):
        raise Unreadable("truncated GIF")
    return pos + 1


def _extension_label(kind: int, blocks: bytes) -> str | None:
    """None keeps the extension; otherwise what dropping it removes."""
    if kind in (_GRAPHIC_CONTROL, _PLAIN_TEXT):
        return None
    if kind == _COMMENT:
        return labels.DESCRIPTION
    if kind == _APPLICATION:
        identifier = blocks[1:12]  # the first sub-block: 8-byte name and 3-byte code
        return None if identifier in _LOOPING else _APPLICATION_LABELS.get(identifier, labels.OTHER)
    return labels.OTHER
