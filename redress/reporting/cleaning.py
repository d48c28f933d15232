"""Applying metadata removal (redress.reporting.metadata) to uploads before they are stored.

Uploads arrive already encrypted. A file small enough to clean is decrypted into memory,
cleaned, and re-encrypted under a fresh key; larger ones are stored as sent. The outcome travels
with the upload: the reporter is told, and caseworkers see it in the file's encrypted metadata
(a cleaned file is no longer byte-identical to what the reporter had, which matters for evidence).
"""

from __future__ import annotations

from collections.abc import Sequence

from redress.cases.uploads import EncryptedUpload
from redress.reporting import metadata

DECLINED = "declined"


def clean_uploads(uploads: Sequence[EncryptedUpload], *, enabled: bool) -> None:
    """Clean each upload's metadata if enabled; record the outcome on the upload."""
    for upload in uploads:
        if not enabled:
            upload.cleaning = {"cleaned": False, "removed": [], "reason": DECLINED}
            continue
        if upload.size > metadata.MAX_CLEAN_BYTES:
            upload.cleaning = {"cleaned": False, "removed": [], "reason": metadata.TOO_LARGE}
            continue
        result = metadata.clean(upload.plaintext(), upload.filename, upload.content_type)
        if result.cleaned and result.removed:
            upload.replace_content(result.data)
        upload.cleaning = {
            "cleaned": result.cleaned,
            "removed": list(result.removed) if result.cleaned else [],
            "reason": result.reason,
        }
