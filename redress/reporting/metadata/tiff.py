"""TIFF (scans, single or multi-page): re-encode each page with Pillow, losslessly.

In a TIFF the metadata are tags in the same directories as the picture's layout, so the pages
are decoded and written afresh with only layout tags. Orientation is applied to the pixels
before the tag is dropped. Compressed input is written with lossless Deflate, uncompressed
input uncompressed. Camera raw files (DNG, CR2, NEF, ARW... are TIFF inside) are not
re-encoded: that would throw the raw sensor data away, so they are refused as unsupported.
"""

from __future__ import annotations

import io
from pathlib import PurePosixPath

from PIL import Image, ImageOps

from redress.reporting.metadata._common import Cleaned, TooLarge, Unsupported
from redress.reporting.metadata.exif import exif_labels

# Pixels, summed over all pages, that one file may decode to (about 200 MB of 24-bit RGB).
MAX_IMAGE_PIXELS = 64_000_000
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

_SUB_IFDS, _DNG_VERSION = 330, 50706
_RAW_SUFFIXES = {".dng", ".cr2", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".orf", ".pef", ".rw2"}


def clean_tiff(data: bytes, filename: str, content_type: str) -> Cleaned:
    """The file name and media type are only consulted to spot camera raw files."""
    if _looks_raw(filename, content_type):
        raise Unsupported("camera raw")
    try:
        with Image.open(io.BytesIO(data), formats=["TIFF"]) as image:
            return _reencode(image), exif_labels(data)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise TooLarge("too many pixels") from error


def _looks_raw(filename: str, content_type: str) -> bool:
    return PurePosixPath(filename.replace("\\", "/")).suffix.lower() in _RAW_SUFFIXES or any(
        suffix[1:] in content_type.lower() for suffix in _RAW_SUFFIXES
    )


def _reencode(image: Image.Image) -> bytes:
    pages = _pages(image)
    compression = "raw" if image.info.get("compression", "raw") == "raw" else "tiff_adobe_deflate"
    out = io.BytesIO()
    pages[0].save(
        out, format="TIFF", save_all=True, append_images=pages[1:], compression=compression
    )
    return out.getvalue()


def _pages(image: Image.Image) -> list[Image.Image]:
    """Every page, upright, with no tags or info carried over."""
    frames = getattr(image, "n_frames", 1)
    total = 0
    for index in range(frames):
        image.seek(index)
        tags = getattr(image, "tag_v2", {})
        if _SUB_IFDS in tags or _DNG_VERSION in tags:
            raise Unsupported("camera raw")
        total += image.width * image.height
    if total > MAX_IMAGE_PIXELS:
        raise TooLarge("too many pixels")
    pages = []
    for index in range(frames):
        image.seek(index)
        page = ImageOps.exif_transpose(image)  # a plain copy: no TIFF tags come with it
        page.info = {}
        pages.append(page)
    return pages
