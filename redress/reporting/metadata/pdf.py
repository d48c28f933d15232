"""PDF: remove the document information dictionary and every XMP stream, then rewrite in full.

Removed: the /Info dictionary (author, creator and producer software, title, subject,
keywords, dates, custom keys), XMP /Metadata streams wherever they hang (document, pages,
images, fonts...), /PieceInfo private application data and /LastModified dates, and EXIF and
other metadata segments of JPEG pictures stored as-is in the file. The permanent document
identifier (trailer /ID) is replaced by one derived from the content. The file is written out
whole, which also drops earlier revisions kept by incremental updates and unreferenced objects.
Digitally signed PDFs are not cleaned: the rewrite would break the signature.
"""

from __future__ import annotations

import io

import pikepdf
from pikepdf import Dictionary, Name, Pdf, Stream

from redress.reporting.metadata import _common as labels
from redress.reporting.metadata._common import Cleaned, Signed, Unreadable
from redress.reporting.metadata._formats import JPEG_MAGIC
from redress.reporting.metadata.jpeg import clean_jpeg

_INFO_LABELS = {
    "/Author": labels.AUTHOR,
    "/Creator": labels.SOFTWARE,
    "/Producer": labels.SOFTWARE,
    "/Title": labels.DESCRIPTION,
    "/Subject": labels.DESCRIPTION,
    "/Keywords": labels.DESCRIPTION,
    "/CreationDate": labels.DATES,
    "/ModDate": labels.DATES,
    "/Trapped": None,
}
_PRIVATE_KEYS = {"/PieceInfo": labels.APP_DATA, "/LastModified": labels.DATES}


def clean_pdf(data: bytes) -> Cleaned:
    """Raises pikepdf.PdfError (password-protected, damaged beyond repair) for ``clean``."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        removed = _strip(pdf)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, fix_metadata_version=False, preserve_pdfa=False)
    return out.getvalue(), removed


def _strip(pdf: Pdf) -> set[str]:
    removed = _strip_info(pdf)
    if "/ID" in pdf.trailer:
        removed.add(labels.DOCUMENT_ID)
    for obj in pdf.objects:
        if isinstance(obj, Dictionary | Stream):
            if Name.ByteRange in obj:
                raise Signed("signed PDF")
            removed |= _strip_object(obj)
    return removed


def _strip_info(pdf: Pdf) -> set[str]:
    if "/Info" not in pdf.trailer:
        return set()
    info = pdf.trailer.Info
    found = {_INFO_LABELS.get(str(key), labels.CUSTOM) for key in info.keys()}
    del pdf.trailer.Info
    return {label for label in found if label is not None}


def _strip_object(obj: Dictionary | Stream) -> set[str]:
    removed = set()
    if isinstance(obj.get(Name.Metadata), Stream):
        del obj[Name.Metadata]
        removed.add(labels.XMP)
    for key, label in _PRIVATE_KEYS.items():
        if key in obj:
            del obj[key]
            removed.add(label)
    if isinstance(obj, Stream) and obj.get(Name.Filter) == Name.DCTDecode:
        removed |= _strip_jpeg(obj)
    return removed


def _strip_jpeg(image: Stream) -> set[str]:
    """A JPEG picture is stored whole, metadata segments included: clean it like a photo."""
    raw = image.read_raw_bytes()
    if not raw.startswith(JPEG_MAGIC):
        return set()
    try:
        cleaned, removed = clean_jpeg(raw)
    except Unreadable:
        return set()  # The viewer copes with it as it is; leave it alone.
    if cleaned != raw:
        parms = image.get(Name.DecodeParms)
        image.write(
            cleaned,
            filter=Name.DCTDecode,
            decode_parms=parms if isinstance(parms, Dictionary) else None,
        )
    return removed
