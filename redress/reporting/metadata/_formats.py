"""Recognising a file's format from its first bytes (no parsing library needed)."""

from __future__ import annotations

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
GIF_MAGICS = (b"GIF87a", b"GIF89a")
TIFF_MAGICS = (b"II*\x00", b"MM\x00*")
ZIP_MAGIC = b"PK\x03\x04"


def is_pdf(data: bytes) -> bool:
    """PDF readers accept a header anywhere in the first kilobyte."""
    return b"%PDF-" in data[:1024]


def is_webp(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
