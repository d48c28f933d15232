"""The apps' own log files in the instance's log directory (no access log: see gunicorn_conf).

No log line may quote what was typed (exception messages can: they are never written, only the
exception's type and code path). The intake's lines also must not date a reporter's request:
they carry the UTC day only, and neither the request's path, query or ids nor any address, and
the file keeps the start of the day as its modification time. Gunicorn's own log for the intake
goes through the same formatter (:mod:`redress.platform.gunicorn_conf`).
"""

from __future__ import annotations

import logging
import os
import re
import time
import traceback
from pathlib import Path
from types import TracebackType

from flask import Flask

from redress.store import clock
from redress.store.config import Config

# IPv6: eight groups, or fewer around "::" (a time of day, 12:30:45, is neither).
_HEX = r"[0-9a-fA-F]{1,4}"
_IPV6 = (
    rf"(?<![\w:])(?:(?:{_HEX}:){{7}}{_HEX}"
    rf"|(?:{_HEX}:){{0,6}}(?:{_HEX})?::(?:{_HEX}:){{0,6}}(?:{_HEX})?)(?![\w:])"
)
# Network addresses: "ip=...", IPv4 (with a port) and IPv6.
_ADDRESSES = [
    (re.compile(r"\bip=\S+"), "ip=[address]"),
    (re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?(?![\d.])"), "[address]"),
    (re.compile(_IPV6), "[address]"),
]
# What else a log line may not repeat from a request: quoted client input, URLs, paths, queries
# and ids. (Quoted text and URLs go first: they may hold the others.)
_REQUEST_DATA = [
    (re.compile(r"""(?<!\w)b?'[^']*'|(?<!\w)b?"[^"]*\""""), "[quoted]"),
    (re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://\S*"), "[url]"),
    *_ADDRESSES,
    (re.compile(r"(?<![\w.])/\S*"), "[path]"),
    (re.compile(r"\?\S*"), "[query]"),
    (re.compile(r"(?<![\d.:])\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?![\d:])"), "[time]"),
    (re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{16,}(?![0-9a-fA-F])"), "[id]"),
]
# A traceback's "  File "<source>", line N, in function" names code, not a request: kept.
_CODE_LOCATION = re.compile(r'^\s+File "[^"]+", line \d+, in [\w<>.]+$')


def _substitute(text: str, patterns: list[tuple[re.Pattern[str], str]]) -> str:
    lines = []
    for line in text.splitlines():
        if not _CODE_LOCATION.match(line):
            for pattern, replacement in patterns:
                line = pattern.sub(replacement, line)
        lines.append(line)
    return "\n".join(lines)


def scrub(text: str) -> str:
    """``text`` without anything a request could have put in it: quoted input, URLs, paths,
    queries, ids and addresses. Lines naming a source location in a traceback are kept."""
    return _substitute(text, _REQUEST_DATA)


def without_addresses(text: str) -> str:
    """``text`` without network addresses (everything else kept)."""
    return _substitute(text, _ADDRESSES)


def exception_without_message(
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None]
    | tuple[None, None, None],
) -> str:
    """A traceback's code path and the exception's type, never its message (which may quote
    user input or SQL parameters)."""
    kind, _error, trace = exc_info
    frames = "".join(traceback.format_tb(trace)).rstrip("\n")
    name = kind.__name__ if kind is not None else "exception"
    return f"Traceback (most recent call last):\n{frames}\n{name} (message not logged)"


class DayFormatter(logging.Formatter):
    """``<UTC day> <level> <logger> <message>``, the message scrubbed of request data (scrub),
    exceptions as type and code path only."""

    def __init__(self, fields: str = "{levelname} {name}") -> None:
        super().__init__()
        self.fields = fields

    def format(self, record: logging.LogRecord) -> str:
        day = time.strftime("%Y-%m-%d", time.gmtime(record.created))
        header = self.fields.format(
            levelname=record.levelname, name=record.name, process=record.process
        )
        parts = [f"{day} {header} {scrub(record.getMessage())}"]
        if record.exc_info:
            parts.append(scrub(exception_without_message(record.exc_info)))
        if record.stack_info:
            parts.append(scrub(record.stack_info))
        return "\n".join(parts)


class MessageOnlyFormatter(logging.Formatter):
    """The standard format with exact times (staff logs), but exceptions as type and code path."""

    def formatException(  # noqa: N802 - logging's name
        self,
        ei: tuple[type[BaseException], BaseException, TracebackType | None]
        | tuple[None, None, None],
    ) -> str:
        return exception_without_message(ei)


class DayStampedFileHandler(logging.FileHandler):
    """A log file whose modification and access times stay at the start of the UTC day: its
    lines carry the day only, and so does the file."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, encoding="utf-8")
        self._stamp()

    def _stamp(self) -> None:
        moment = clock.day_start_timestamp(clock.today())
        try:
            os.utime(self.baseFilename, (moment, moment))
        except OSError:
            pass

    def emit(self, record: logging.LogRecord) -> None:
        super().emit(record)
        self._stamp()


class _InstanceLogHandler(logging.FileHandler):
    """The file handler Redress adds for an instance's log directory (the console's)."""


class _InstanceDayLogHandler(DayStampedFileHandler):
    """The file handler Redress adds for an instance's log directory (the intake's)."""


def configure_logging(app: Flask, config: Config, name: str) -> None:
    # Werkzeug's development server logs client addresses; keep it quiet.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # app.logger is shared by every app of that name in the process: replace, never stack,
    # the file handler, so one instance's records never reach another instance's log.
    ours = (_InstanceLogHandler, _InstanceDayLogHandler)
    for old in [h for h in app.logger.handlers if isinstance(h, ours)]:
        app.logger.removeHandler(old)
        old.close()
    if config.log_dir is None:
        return
    config.log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = config.log_dir / f"{name}.log"
    handler: logging.FileHandler
    if name == "intake":
        handler = _InstanceDayLogHandler(path)
        handler.setFormatter(DayFormatter())
    else:
        handler = _InstanceLogHandler(path, encoding="utf-8")
        handler.setFormatter(MessageOnlyFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    app.logger.addHandler(handler)
    app.logger.setLevel(logging.INFO)
