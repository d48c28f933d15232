"""Where the tests keep their temporary files: in memory when the machine offers room for it.

Every test writes databases, blob stores and logs to its own temporary directory, and the
throwaway PostgreSQL cluster lives in one too. On a disk, SQLite's fsync at each commit and
PostgreSQL's file copies for CREATE DATABASE wait for the disk (measured on a two-core CI
machine: the same SQLite tests in half the time, CREATE DATABASE ... TEMPLATE 0.03 s instead of
0.3-0.9 s while another run used the disk). So when /dev/shm is a tmpfs with room to spare,
pytest's temporary directories (through PYTEST_DEBUG_TEMPROOT, which keeps pytest's numbering,
locking and retention of the last three runs) and the clusters go there; otherwise, as on a
container with the default 64 MiB /dev/shm, they stay in the system temporary directory.

Nothing a test checks depends on where these directories are: the system temporary directory
(``tempfile.gettempdir()``, where Redress would spool files) is not changed.
"""

from __future__ import annotations

import os
from pathlib import Path

MEMORY_ROOT = Path("/dev/shm")  # noqa: S108 - a tmpfs on Linux; checked before use
# Room for a session's directories (a 50 MB upload kept per language, 5 MB canary files, two
# PostgreSQL clusters), for three retained sessions, and for another run at the same time.
MIN_FREE_BYTES = 4 * 1024**3
TEMPROOT_ENV = "PYTEST_DEBUG_TEMPROOT"


def memory_temp_root() -> Path | None:
    """MEMORY_ROOT if it is a writable directory with MIN_FREE_BYTES free, else None."""
    try:
        if not (MEMORY_ROOT.is_dir() and os.access(MEMORY_ROOT, os.W_OK | os.X_OK)):
            return None
        status = os.statvfs(MEMORY_ROOT)
    except OSError:
        return None
    free = status.f_bavail * status.f_frsize
    return MEMORY_ROOT if free >= MIN_FREE_BYTES else None


def use_memory_for_pytest_temp() -> None:
    """Point pytest's temporary directories at memory_temp_root(), unless the caller chose a
    root already (PYTEST_DEBUG_TEMPROOT set)."""
    root = memory_temp_root()
    if root is not None:
        os.environ.setdefault(TEMPROOT_ENV, str(root))
