"""Sending a decrypted file as a download, never rendered inline by the browser."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from werkzeug.wrappers import Response

from redress.cases.attachments import AttachmentView


def send_decrypted(view: AttachmentView, chunks: Iterator[bytes]) -> Response:
    """Stream a decrypted attachment as a download.

    Content-Length is the exact plaintext size, so if a chunk fails its integrity check part-way
    the connection ends short and the client sees an incomplete download, not a whole file.
    """
    response = Response(chunks, mimetype="application/octet-stream")
    response.headers["Content-Length"] = str(view.size)
    response.headers["Content-Disposition"] = content_disposition(view.filename or "file")
    return response


def content_disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
