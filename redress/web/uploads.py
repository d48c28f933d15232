"""Uploads encrypted while the multipart body is parsed: Werkzeug is handed an encrypting writer
(:class:`redress.cases.uploads.EncryptedUpload`) instead of a spooled temporary file, so no
plaintext part of a file ever reaches the disk.
"""

from __future__ import annotations

import io
from typing import IO, Any

from flask import Request, request
from werkzeug.exceptions import RequestEntityTooLarge

from redress.cases.uploads import EncryptedUpload, FileTooLarge
from redress.web.inputs import Parameters
from redress.web.services import UPLOADS_KEY, received_uploads, services

MAX_FORM_FIELDS = 200
UPLOAD_READ_BYTES = 1024 * 1024


class _ParsedUpload(EncryptedUpload):
    """An upload written by Werkzeug's parser. A file over the per-file limit is marked
    :attr:`too_large`: its encrypted blob is discarded at once and the rest of its bytes are
    read and dropped, so the form's other fields are still parsed and a page can give back what
    was typed (:func:`too_large_uploads`). Nothing of it is ever stored."""

    too_large = False

    def write(self, data: bytes) -> int:
        if self.too_large:
            return len(data)
        try:
            return super().write(data)
        except FileTooLarge:
            self.too_large = True
            self.discard()
            return len(data)

    def finish(self) -> None:
        if not self.too_large:
            super().finish()


class EncryptingRequest(Request):
    """Hands the multipart parser an encrypting writer instead of a spooled temporary file.

    Query and form parameters are parsed into :class:`redress.web.inputs.Parameters` (no NUL).
    """

    parameter_storage_class = Parameters

    def _get_stream_for_parsing(self) -> IO[bytes]:
        stream = super()._get_stream_for_parsing()
        if isinstance(stream, io.RawIOBase):
            # Werkzeug's parser reads 64 KiB at a time and gunicorn copies its whole receive
            # buffer on every read; reading from the server in 1 MiB pieces halves the CPU cost
            # of an upload (bench/bench_upload.py).
            return io.BufferedReader(stream, buffer_size=UPLOAD_READ_BYTES)
        return stream

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> Any:
        upload = _ParsedUpload(
            services().blobs,
            filename or "",
            content_type or "",
            max_bytes=services().config.max_file_bytes,
        )
        self.environ.setdefault(UPLOADS_KEY, []).append(upload)
        return upload


def too_large_uploads() -> list[EncryptedUpload]:
    """The files of this request over the per-file limit (none of them is kept)."""
    return [
        upload
        for upload in received_uploads()
        if isinstance(upload, _ParsedUpload) and upload.too_large
    ]


def uploads(field: str) -> list[EncryptedUpload]:
    """The encrypted uploads sent in a file field, leaving out empty file inputs.

    A request with a file over the per-file limit is refused (413) here, unless the view asked
    :func:`too_large_uploads` first and answered itself (the intake gives the form back filled in).
    """
    refuse_too_large_files()
    found: list[EncryptedUpload] = []
    for storage in request.files.getlist(field):
        upload = storage.stream
        if isinstance(upload, EncryptedUpload) and not upload.is_empty_field:
            found.append(upload)
    return found


def discard_uncommitted_uploads() -> None:
    for upload in received_uploads():
        upload.discard()


def refuse_too_large_files() -> None:
    """Before the view (the console's): a request carrying a file over the per-file limit gets
    the plain 413 page, as when the parser stopped at it. The intake does not use this hook: its
    views give the form back filled in instead (intake/views.py)."""
    if too_large_uploads():
        raise RequestEntityTooLarge()


def refuse_too_many_fields() -> None:
    # Werkzeug caps multipart parts, not URL-encoded fields; no form of ours has more than a few
    # dozen, so a flood of fields is refused the same way for both encodings.
    if request.method == "POST" and len(request.form) > MAX_FORM_FIELDS:
        raise RequestEntityTooLarge()
