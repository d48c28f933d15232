"""Sending a decrypted file as a download, never rendered inline by the browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

from werkzeug.wrappers import Response

from redress.cases.attachments import AttachmentView
from redress.cases.uploads import clean_filename

# Left out of the quoted ASCII fallback name: anything but visible ASCII, the quoted-string's
# own quote and escape, and "%" (which some browsers decode there).
_NOT_IN_FALLBACK = re.compile(r'[^\x20-\x7e]|["\\%]')


def send_decrypted(view: AttachmentView, chunks: Iterator[bytes]) -> Response:
    """Stream a decrypted attachment as a download.

    Content-Length is the exact plaintext size, so if a chunk fails its integrity check part-way
    the connection ends short and the client sees an incomplete download, not a whole file.
    """
    response = Response(chunks, mimetype="application/octet-stream")
    response.headers["Content-Length"] = str(view.size)
    response.headers["Content-Disposition"] = content_disposition(view.filename or "")
    return response


def content_disposition(filename: str) -> str:
    """An attachment header naming the file (RFC 6266): a plain ASCII fallback, and the full name
    percent-encoded as UTF-8 (RFC 8187). Whatever the name holds (one stored before names were
    cleaned on arrival, say), the header holds only visible ASCII."""
    name = clean_filename(filename)
    fallback = _NOT_IN_FALLBACK.sub("_", name)
    encoded = quote(name.encode("utf-8", "replace"), safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
