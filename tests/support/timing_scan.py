"""Looking for anything on disk that dates a reporter's action more precisely than the day.

The design records reporter events at day precision. A copy of the disk must not undo that
through what surrounds them, so the canary tests (tests/test_canary.py) also check, after reporter
actions, with the functions here:

* :func:`file_time_findings`: files and directories whose modification time is not the start
  of a UTC day (the blob store, the intake's log files), and blob files whose access time is not
  (a reporter's download reads a blob; nothing a reporter does reads a log file or lists a
  directory, and whoever else reads them, a backup or an operator, sets their access time to
  when they did). Inode change and creation times cannot be set from user space at all
  (docs/threat-model.md, "Timing of reporter actions").
* :func:`log_line_findings`: log lines with a time of day, an address, a request path, a query
  or an id.
* :func:`clear_time_findings`: clear date-time values of the tables reporters write to that are
  not midnight, read through the database (so PostgreSQL and SQLite alike).
* :func:`audit_order_findings`: reporter events kept in the staff audit chain, where their place
  between exact-time staff events would date them.

Each returns a list of findings (empty: nothing found), described so a failure says what and
where, never a secret.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import MetaData, create_engine, select
from sqlalchemy.pool import NullPool

DAY_SECONDS = 86400
# Tables holding what reporters do, or rows written while they do it.
REPORTER_TABLES = (
    "cases",
    "reporters",
    "messages",
    "attachments",
    "case_fields",
    "session_records",
    "submission_tokens",
    "reporter_audit_events",
    "reporter_audit_head",
)
_TIME_OF_DAY = re.compile(r"(?<![\d.])\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?![\d.])")
_IPV4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")
_HEX = r"[0-9a-fA-F]{1,4}"
_IPV6 = re.compile(
    rf"(?<![\w:])(?:(?:{_HEX}:){{7}}{_HEX}|(?:{_HEX}:){{0,6}}(?:{_HEX})?::(?:{_HEX}:){{0,6}}(?:{_HEX})?)"
    r"(?![\w:])"
)
_REQUEST_PATH = re.compile(
    r"(?:^|[\s'\"(=\[])/(?:report|inbox|login|logout|language|static|cases|audit)\b"
)
_QUERY = re.compile(r"\?[\w%.-]+=")
_ID = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{32}(?:[0-9a-fA-F]{32})?(?![0-9a-fA-F])")
_TRACEBACK_FILE = re.compile(r'^\s+File "[^"]+", line \d+, in \S+$')


def is_start_of_day(timestamp: float) -> bool:
    return timestamp % DAY_SECONDS == 0


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def file_time_findings(paths: Iterable[Path], *, access_times: bool = True) -> list[str]:
    """Files and directories among and under ``paths`` whose modification time, or (for files,
    with ``access_times``) access time, is not the start of a UTC day."""
    found: list[str] = []

    def check(path: Path) -> None:
        try:
            status = path.lstat()
        except FileNotFoundError:
            return
        times = [("modified", status.st_mtime)]
        if access_times and not path.is_dir():
            times.append(("accessed", status.st_atime))
        for label, value in times:
            if not is_start_of_day(value):
                found.append(f"{path} {label} at {_iso(value)}")

    for root in paths:
        if not root.exists():
            continue
        check(root)
        if root.is_dir():
            for directory, subdirectories, names in os.walk(root):
                for name in [*subdirectories, *names]:
                    check(Path(directory, name))
    return found


def log_line_findings(text: str, where: str) -> list[str]:
    """Lines of a log with a time of day, a network address, a request path, a query or an id.

    Traceback lines naming a source file (``  File "...", line N, in f``) are code locations, not
    request data, and are left out of the path check.
    """
    found = []
    checks = [
        ("a time of day", _TIME_OF_DAY),
        ("an IPv4 address", _IPV4),
        ("an IPv6 address", _IPV6),
        ("a query", _QUERY),
        ("an id", _ID),
    ]
    for number, line in enumerate(text.splitlines(), start=1):
        for what, pattern in checks:
            if pattern.search(line):
                found.append(f"{where} line {number} holds {what}: {line[:120]!r}")
        if not _TRACEBACK_FILE.match(line) and _REQUEST_PATH.search(line):
            found.append(f"{where} line {number} holds a request path: {line[:120]!r}")
    return found


def read_quietly(path: Path) -> str:
    """A file's text, read without updating its access time (O_NOATIME) where allowed."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOATIME", 0))
    except PermissionError:
        descriptor = os.open(path, os.O_RDONLY)
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read().decode("utf-8", errors="replace")


def log_file_findings(paths: Iterable[Path]) -> list[str]:
    """:func:`file_time_findings` (modification times) and :func:`log_line_findings` for log
    files that exist."""
    existing = [path for path in paths if path.exists()]
    found = file_time_findings(existing, access_times=False)
    for path in existing:
        found += log_line_findings(read_quietly(path), str(path))
    return found


def _sub_day(value: object) -> bool:
    if isinstance(value, datetime):
        return value.time() != datetime.min.time()
    return False


def clear_time_findings(database_url: str, tables: Iterable[str] = REPORTER_TABLES) -> list[str]:
    """Date-time values in ``tables`` (those that exist) that are not midnight: times of day
    kept in clear beside what reporters do."""
    engine = create_engine(database_url, poolclass=NullPool)
    found = []
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            for name in tables:
                table = metadata.tables.get(name)
                if table is None:
                    continue
                for row in connection.execute(select(table)):
                    for column, value in zip(table.columns, row, strict=True):
                        if _sub_day(value):
                            found.append(f"{name}.{column.name} = {value}")
                        elif isinstance(value, str) and _looks_like_a_timestamp(value):
                            found.append(f"{name}.{column.name} = {value!r}")
    finally:
        engine.dispose()
    return found


def _looks_like_a_timestamp(value: str) -> bool:
    """SQLite keeps date-times as text: a reflected column of another type may still hold one."""
    match = re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T](\d{2}:\d{2}:\d{2})(\.\d+)?", value)
    return match is not None and match[1] != "00:00:00"


def audit_order_findings(database_url: str) -> list[str]:
    """Reporter events in the staff audit chain: ordered among staff events with exact times,
    their sequence number dates them to the gap between their neighbours."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        metadata = MetaData()
        metadata.reflect(engine, only=["audit_events"])
        events = metadata.tables["audit_events"]
        with engine.connect() as connection:
            rows = connection.execute(
                select(events.c.seq, events.c.action).where(events.c.actor == "reporter")
            ).all()
    finally:
        engine.dispose()
    return [
        f"audit_events entry {seq} ({action}) is a reporter's, among staff's"
        for seq, action in rows
    ]
