"""Canary tests for the design's security invariant 1: nothing readable at rest.

Each test plants unique canaries (``CANARY-`` + 32 random hex digits) in everything a reporter
or caseworker types or sends: the report text, a 5 MB attachment (canaries at its start, across
a 64 KiB stream-chunk boundary in its middle, and at its end), the attachment's file name, the
replies both ways and their files. It then looks for them, and for the receipt code, the
caseworker's one-time password, new passphrase and TOTP secret, the report form's one-time
submission token, and (under a real server) the recovery shares printed by `redress init`, in
every encoding tests/support/disk_scan.py knows, in:

* every file of the instance directory (blob store with ``pending/``, logs, SQLite files);
* the SQLite database file and its -journal/-wal/-shm, wherever the URL puts them;
* a logical dump of every table and column (PostgreSQL compresses large values, which would hide
  a plaintext column from a byte scan);
* PostgreSQL's data directory, WAL included, after a CHECKPOINT;
* every file changed since the test started in the system temp directory, /var/tmp and
  /dev/shm (a file holding a canary cannot be older than the canary);
* under a real server: its captured stdout and stderr, and, while an upload is half received,
  every file its processes hold open, read through /proc (which also shows unlinked temporary
  files a directory scan cannot see).

After reporter actions the same tests also check invariant 2 at rest, with
tests/support/timing_scan.py: no blob file or directory time, no line of the intake's logs, no
clear date-time beside what reporters wrote and no place in the staff audit chain dates a
reporter's action more precisely than the day.

In-process tests also record, with an audit hook, every file the process opens for writing while
it handles requests: nothing may be written outside the blob store, so plaintext cannot have been
spooled to a temporary file that was unlinked before anyone could scan for it.

Inputs are built in memory and sent as request bodies: the tests write no canary to disk
themselves, so whatever a scan finds was written by Redress.
"""

from __future__ import annotations

import html
import http.client
import io
import itertools
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from sqlalchemy import MetaData, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from werkzeug.test import TestResponse

from crypto.receipts import normalise_receipt
from crypto.streams import STREAM_CHUNK_SIZE
from redress.i18n.questions import QUESTIONS, Kind
from redress.store.blobs import LocalBlobStore
from redress.store.config import Config
from redress.store.db import Database
from redress.store.models import Attachment, Case, Message, Reporter
from tests.helpers import (
    Authenticator,
    case_ids,
    change_passphrase,
    console_login,
    csrf_token,
    reporter_login,
)
from tests.support.disk_scan import (
    MIN_NEEDLE_LENGTH,
    Finding,
    OpenFile,
    Scanner,
    Secret,
    WriteRecorder,
    bytes_encodings,
    describe,
    encodings,
    open_regular_files,
    session_processes,
    walk_files,
)
from tests.support.timing_scan import (
    audit_order_findings,
    clear_time_findings,
    file_time_findings,
    log_file_findings,
)

MIB = 1024 * 1024
ATTACHMENT_SIZE = 5 * MIB
SMALL_FILE_SIZE = 200 * 1024
# File timestamps come from a coarse kernel clock that may lag time.time() by a tick (a few ms):
# scan files changed a little before the test started too.
CLOCK_SLACK_S = 0.1
TEMP_DIRS = [Path(tempfile.gettempdir()), Path("/var/tmp"), Path("/dev/shm")]  # noqa: S108
SERVER_START_TIMEOUT_S = 30.0
REPO_ROOT = Path(__file__).resolve().parents[1]
_INPUT = re.compile(r"<input\b[^>]*>")
_NAME = re.compile(r'\bname="([^"]*)"')
_VALUE = re.compile(r'\bvalue="([^"]*)"')
_RECEIPT = re.compile(r'id="receipt"[^>]*>\s*([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})\s*<')
_SHARE = re.compile(r"^\s+share \d+: (.+)$", re.MULTILINE)


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of a page (CSRF token, one-time submission token...), as a browser
    would send them back."""
    found = {}
    for tag in _INPUT.findall(page):
        name, value = _NAME.search(tag), _VALUE.search(tag)
        if 'type="hidden"' in tag and name:
            found[html.unescape(name.group(1))] = html.unescape(value.group(1) if value else "")
    assert "csrf_token" in found, "no CSRF token on the page"
    return found


def receipt_in(page: str) -> str:
    match = _RECEIPT.search(page)
    assert match, "no receipt code on the page"
    return match.group(1)


def new_canary() -> str:
    return f"CANARY-{secrets.token_hex(16)}"


def canary_file(canary: str, size: int) -> bytes:
    """Random bytes with the canary at the start, across the middle chunk boundary, at the end."""
    data = bytearray(os.urandom(size))
    mark = canary.encode()
    middle = (size // 2 // STREAM_CHUNK_SIZE) * STREAM_CHUNK_SIZE - len(mark) // 2
    for offset in (0, middle, size - len(mark)):
        data[offset : offset + len(mark)] = mark
    return bytes(data)


def random_sample(data: bytes, size: int = 48) -> bytes:
    """Bytes from a part of a canary file holding no canary: its content, not its marks.

    The window has no byte that bytes.find's filter confuses with NUL (0x00, 0x40, 0x80, 0xC0),
    which would make the search crawl through the zero-filled pages of database files.
    """
    offset = len(data) // 4
    while any(byte & 0x3F == 0 for byte in data[offset : offset + size]):
        offset += 1
    return data[offset : offset + size]


# Multipart bodies built in memory (the test client would spool large ones to a temp file).


@dataclass(frozen=True)
class Upload:
    field: str
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


Fields = Mapping[str, str | list[str]]


def multipart(fields: Fields, files: list[Upload]) -> tuple[bytes, str]:
    """A multipart/form-data body as a browser sends it (UTF-8 file names), and its type."""
    boundary = f"----redress-canary-{secrets.token_hex(12)}"
    parts = []
    for name, given in fields.items():
        for value in [given] if isinstance(given, str) else given:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                + value.encode()
                + b"\r\n"
            )
    for upload in files:
        header = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{upload.field}"; '
            f'filename="{upload.filename}"\r\nContent-Type: {upload.content_type}\r\n\r\n'
        )
        parts.append(header.encode() + upload.content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def post_multipart(
    client: FlaskClient, path: str, fields: Fields, files: list[Upload]
) -> TestResponse:
    body, content_type = multipart(fields, files)
    return client.post(path, data=body, content_type=content_type)


def report_fields(check: CanaryCheck, what_happened: str) -> dict[str, str | list[str]]:
    """Every text question of the report form answered with a canary, and an identity given.

    Multiple-choice questions hold only option ids, nothing a reporter typed: they stay empty.
    """
    fields: dict[str, str | list[str]] = {}
    answers = check.canary("report answers")
    for question in QUESTIONS:
        if question.kind is not Kind.CHOICES:
            fields[question.id] = f"{question.id}: {answers}"
    fields["what_happened"] = what_happened
    fields["identity_name"] = f"Name {check.canary('reporter name')}"
    fields["identity_contact"] = f"{check.canary('reporter contact')}@example.org"
    return fields


def report_form(check: CanaryCheck, page: str) -> dict[str, str]:
    """The report form's hidden fields; long one-time values among them (a submission token)
    are secrets too: the server may keep only digests of them."""
    fields = hidden_fields(page)
    for name, value in fields.items():
        if name != "csrf_token" and len(value) >= MIN_NEEDLE_LENGTH:
            check.add(f"form field {name}", value)
    return fields


def confirm_receipt(intake: FlaskClient, receipt: str) -> None:
    """Answer the "have you saved your code?" step the intake puts before the inbox."""
    inbox = intake.get("/inbox")
    if inbox.status_code == 302 and inbox.headers["Location"].endswith("/report/confirm"):
        confirmed = intake.post(
            "/report/confirm",
            data={
                "csrf_token": csrf_token(intake, "/report/confirm"),
                "last_group": receipt.rsplit("-", 1)[-1],
            },
        )
        assert confirmed.status_code == 302, confirmed.get_data(as_text=True)
    assert intake.get("/inbox").status_code == 200


# Where secrets could end up, and the check that they did not.


def sqlite_files(database_url: str) -> list[Path]:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return []
    main = Path(url.database)
    return [main, *(main.with_name(main.name + suffix) for suffix in ("-journal", "-wal", "-shm"))]


def is_postgres(database_url: str | None) -> bool:
    return database_url is not None and make_url(database_url).get_backend_name() == "postgresql"


def postgres_data_directory(database_url: str) -> Path | None:
    """Flush PostgreSQL's buffers to its files and return its data directory (None: SQLite, or a
    server whose files are not on this machine)."""
    if not is_postgres(database_url):
        return None
    engine = create_engine(database_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("CHECKPOINT"))
            directory = Path(str(connection.execute(text("SHOW data_directory")).scalar_one()))
    finally:
        engine.dispose()
    return directory if os.access(directory, os.R_OK | os.X_OK) else None


def _as_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def logical_dump(database_url: str) -> Iterator[tuple[str, bytes]]:
    """Every column of every table, its values joined: what a dump of the database shows."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                rows = connection.execute(select(table)).all()
                for index, column in enumerate(table.columns):
                    values = b"\n".join(_as_bytes(row[index]) for row in rows)
                    yield f"{table.name}.{column.name}", values
    finally:
        engine.dispose()


@dataclass
class CanaryCheck:
    """Secrets to look for and the places to look, for one test."""

    instance: Path
    database_url: str | None = None
    extra_files: list[Path] = field(default_factory=list)
    secrets: dict[str, Secret] = field(default_factory=dict)
    started: float = 0.0

    def __post_init__(self) -> None:
        if self.database_url is not None and is_postgres(self.database_url):
            # Flush what the fixtures wrote (a new database is only written out at a
            # checkpoint), so the scans below read the files changed since the canaries exist.
            postgres_data_directory(self.database_url)
            time.sleep(CLOCK_SLACK_S)
        self.started = time.time() - CLOCK_SLACK_S

    def add(self, name: str, value: Secret) -> None:
        self.secrets[name] = value

    def canary(self, name: str) -> str:
        value = new_canary()
        self.add(name, value)
        return value

    def findings(self, scanner: Scanner | None = None) -> list[Finding]:
        scanner = scanner or Scanner(self.secrets)
        everything = [*walk_files(self.instance), *self.extra_files]
        recent = [*TEMP_DIRS]
        if self.database_url is not None:
            everything += [path for path in sqlite_files(self.database_url) if path.exists()]
            data_directory = postgres_data_directory(self.database_url)
            if data_directory is not None:
                recent.append(data_directory)
        recent_files = (
            path
            for root in recent
            if root.exists()
            for path in walk_files(root, since=self.started)
        )
        # One pass over the distinct files, whichever places they were found in.
        found = scanner.scan_paths(itertools.chain(everything, recent_files))
        if self.database_url is not None:
            for column, values in logical_dump(self.database_url):
                found += scanner.scan_bytes(values, f"database column {column}")
        return found

    def assert_clean(self, stage: str) -> Scanner:
        scanner = Scanner(self.secrets)
        found = self.findings(scanner)
        assert not found, f"{stage}: {describe(found)}"
        # A scan that read nothing would prove nothing.
        assert scanner.scanned_files > 0
        assert scanner.scanned_bytes > 0
        return scanner


def assert_written_only_to_blobs(writes: WriteRecorder, config: Config) -> None:
    """Requests may write files only into the blob store (SQLite writes from C, unseen here)."""
    outside = writes.outside(config.blob_dir)
    assert not outside, (
        "files opened for writing outside the blob store while handling the request (a temporary "
        "file here means plaintext was spooled to disk, even if it was unlinked at once): "
        + ", ".join(outside)
    )


def assert_day_precise(
    stage: str, blob_dir: Path, log_dir: Path | None, database_url: str | None
) -> None:
    """Nothing on disk dates a reporter's action more precisely than the day (invariant 2):
    blob files and directories, the intake's logs, clear times and the staff audit chain."""
    found = file_time_findings([blob_dir])
    if log_dir is not None:
        found += log_file_findings(sorted(log_dir.glob("intake*.log")))
    if database_url is not None:
        found += clear_time_findings(database_url) + audit_order_findings(database_url)
    assert not found, f"{stage}, dated more precisely than the day:\n  " + "\n  ".join(found)


def blob_state(config: Config) -> tuple[list[str], list[str]]:
    """Committed blob ids and names of files in the pending directory."""
    store = LocalBlobStore(config.blob_dir)
    return sorted(store.ids()), sorted(path.name for path in store.pending_dir.iterdir())


def row_counts(database: Database) -> dict[str, int]:
    with database.session() as db:
        return {
            model.__name__: db.scalar(select(func.count()).select_from(model)) or 0
            for model in (Case, Reporter, Attachment, Message)
        }


def file_links(page: str, prefix: str) -> list[str]:
    return re.findall(rf'href="({re.escape(prefix)}[0-9a-f]+)"', page)


# The scanner itself: it must find what it is meant to find, and nothing else.

SCANNER_SECRET_TEXT = f"Beweis {new_canary()} Überwachung & Co.pdf"
SCANNER_SECRET_BYTES = os.urandom(48)


def _plant(secret: Secret, encoding: str, pattern: bytes, lead: int) -> bytes:
    """Data holding ``secret`` as some layer would have written it in ``encoding``, ``lead``
    bytes (plus some) into random bytes or, for the wide encodings, into zeros."""
    filler = bytes if encoding.startswith("UTF-") else os.urandom
    before, after = filler(1000 + lead), filler(1000)
    if "base64" in encoding:
        # Encode the secret inside a longer stream, at the alignment the needle is for.
        raw = secret.encode() if isinstance(secret, str) else secret
        alignment = int(encoding.split("offset ")[1][0])
        stream = os.urandom(300 + alignment) + raw + os.urandom(100 + lead)
        key = "URL-safe base64" if encoding.startswith("URL") else "base64"
        return before + bytes_encodings(stream)[f"{key} at offset 0 mod 3"] + after
    return before + pattern + after


@pytest.mark.parametrize(
    "secret", [SCANNER_SECRET_TEXT, SCANNER_SECRET_BYTES], ids=["text", "bytes"]
)
def test_scanner_finds_every_encoding_it_generates(secret: Secret) -> None:
    forms = encodings(secret)
    expected = {"hex (lower case)", *(f"base64 at offset {k} mod 3" for k in range(3))}
    if isinstance(secret, str):
        expected |= {
            "raw UTF-8",
            "UTF-16-LE",
            "UTF-16-BE",
            "UTF-32-LE",
            "percent-encoded",
            "quoted-printable",
            "JSON-escaped (ASCII)",
            "HTML-escaped",
        }
    assert expected <= set(forms)
    scanner = Scanner({"the secret": secret}, chunk_size=4096)
    for encoding, pattern in forms.items():
        sensitive = "base64" in encoding
        searched = pattern if sensitive else pattern.lower()
        for variant in {pattern} if sensitive else {pattern, pattern.upper(), pattern.swapcase()}:
            for lead in range(4):
                data = _plant(secret, encoding, variant, lead)
                for found in (
                    scanner.scan_bytes(data, "memory"),
                    scanner.scan_stream(io.BytesIO(data).read, "stream"),
                ):
                    assert searched in {finding.needle.pattern for finding in found}, (
                        f"{encoding} planted {lead} bytes further was not found"
                    )


def test_scanner_finds_a_needle_across_chunk_boundaries() -> None:
    secret = new_canary()
    scanner = Scanner({"canary": secret}, chunk_size=1024)
    needle = secret.encode()
    for offset in range(1024 - len(needle), 1024 + 1):
        data = bytearray(os.urandom(4096))
        data[offset : offset + len(needle)] = needle
        [finding] = [
            found
            for found in scanner.scan_stream(io.BytesIO(bytes(data)).read, "stream")
            if found.needle.encoding == "raw UTF-8"
        ]
        assert finding.offset == offset


def test_scanner_finds_nothing_in_unrelated_data() -> None:
    scanner = Scanner({"canary": new_canary(), "bytes": os.urandom(32)})
    assert scanner.scan_bytes(os.urandom(4 * MIB), "random") == []


def test_scanner_walks_only_recent_regular_files(tmp_path: Path) -> None:
    secret = new_canary()
    planted = tmp_path / "nested" / "file.bin"
    planted.parent.mkdir()
    planted.write_bytes(os.urandom(100) + secret.encode("utf-16-le"))
    (tmp_path / "link").symlink_to(planted)
    scanner = Scanner({"canary": secret})
    [finding] = scanner.scan_trees([tmp_path], since=time.time() - 60)
    assert finding.where == str(planted)
    assert finding.needle.encoding == "UTF-16-LE"
    assert scanner.scan_trees([tmp_path], since=time.time() + 60) == []


def test_write_recorder_sees_unlinked_temporary_files(tmp_path: Path) -> None:
    with WriteRecorder() as recorder:
        with tempfile.TemporaryFile() as spooled:
            spooled.write(b"plaintext")
        with tempfile.SpooledTemporaryFile(max_size=16) as spooled:
            spooled.write(b"x" * 64)  # rolls over to a file on disk
    outside = recorder.outside(tmp_path)
    assert len(outside) >= 2
    assert all(
        Path(path).resolve().is_relative_to(Path(tempfile.gettempdir()).resolve())
        for path in outside
    )


# The whole conversation, in process, on SQLite and PostgreSQL.


def test_a_whole_conversation_leaves_nothing_readable(
    config: Config, intake: FlaskClient, console: FlaskClient, make_caseworker: Callable[..., Any]
) -> None:
    check = CanaryCheck(config.instance_path, config.database_url)
    staff = make_caseworker("alice")
    check.add("caseworker one-time password", staff.passphrase)
    check.add("caseworker one-time password (no dashes)", staff.passphrase.replace("-", ""))
    check.add("caseworker TOTP secret", staff.account.totp_secret)

    report_canary = check.canary("report text")
    content_canary = check.canary("attachment content")
    name_canary = check.canary("attachment file name")
    filename = f"Beweis {name_canary} Überwachung.pdf"
    check.add("attachment file name (whole)", filename)
    attachment = canary_file(content_canary, ATTACHMENT_SIZE)
    check.add("attachment content (random part)", random_sample(attachment))
    report_text = f"The tracker was sold to a ministry. {report_canary} It is used on us."

    with WriteRecorder() as writes:
        submitted = post_multipart(
            intake,
            "/report",
            {
                **report_form(check, intake.get("/report").get_data(as_text=True)),
                **report_fields(check, report_text),
            },
            [Upload("attachments", filename, attachment, "application/pdf")],
        )
    assert submitted.status_code == 201, submitted.get_data(as_text=True)
    receipt = receipt_in(submitted.get_data(as_text=True))
    check.add("receipt code", receipt)
    check.add("receipt code (normalised)", normalise_receipt(receipt))
    assert_written_only_to_blobs(writes, config)
    assert len(blob_state(config)[0]) == 1

    check.assert_clean("after the submission")

    # The caseworker signs in, reads the case, downloads the file and replies with a file.
    new_passphrase = f"passphrase {secrets.token_hex(12)} staple"
    check.add("caseworker new passphrase", new_passphrase)
    authenticator = Authenticator(staff.account.totp_secret)
    signed_in = console_login(console, "alice", staff.passphrase, authenticator.next_code())
    assert signed_in.status_code == 302
    assert change_passphrase(console, staff.passphrase, new_passphrase).status_code == 302
    [case_id] = case_ids(console)
    case_path = f"/cases/{case_id}"
    page = console.get(case_path).get_data(as_text=True)
    assert report_canary in page
    assert filename in page
    [file_link] = file_links(page, f"{case_path}/files/")
    download = console.get(file_link)
    assert download.status_code == 200
    assert download.data == attachment

    caseworker_reply = check.canary("caseworker reply")
    caseworker_file_name = check.canary("caseworker file name")
    caseworker_file = canary_file(check.canary("caseworker file content"), SMALL_FILE_SIZE)
    with WriteRecorder() as writes:
        replied = post_multipart(
            console,
            f"{case_path}/reply",
            {
                "csrf_token": csrf_token(console, case_path),
                "text": f"We are on it. {caseworker_reply}",
            },
            [Upload("attachments", f"{caseworker_file_name}.txt", caseworker_file)],
        )
    assert replied.status_code == 302, replied.get_data(as_text=True)
    assert_written_only_to_blobs(writes, config)

    # The reporter comes back with the receipt, reads the reply, fetches its file and answers.
    confirm_receipt(intake, receipt)
    intake.post("/logout", data={"csrf_token": csrf_token(intake, "/inbox")})
    assert reporter_login(intake, receipt).status_code == 302
    inbox = intake.get("/inbox").get_data(as_text=True)
    assert caseworker_reply in inbox
    # The inbox links the report's own file too (first), then the reply's.
    [report_file_link, reply_file_link] = file_links(inbox, "/inbox/files/")
    assert intake.get(report_file_link).data == attachment
    assert intake.get(reply_file_link).data == caseworker_file

    reporter_reply = check.canary("reporter reply")
    reporter_file_name = check.canary("reporter file name")
    reporter_file = canary_file(check.canary("reporter file content"), SMALL_FILE_SIZE)
    with WriteRecorder() as writes:
        answered = post_multipart(
            intake,
            "/inbox",
            {"csrf_token": csrf_token(intake, "/inbox"), "text": f"Thanks. {reporter_reply}"},
            [Upload("attachments", f"{reporter_file_name}.jpg", reporter_file, "image/jpeg")],
        )
    assert answered.status_code == 302, answered.get_data(as_text=True)
    assert_written_only_to_blobs(writes, config)
    assert reporter_reply in intake.get("/inbox").get_data(as_text=True)
    assert reporter_reply in console.get(case_path).get_data(as_text=True)
    assert len(blob_state(config)[0]) == 3

    assert_day_precise(
        "after the conversation", config.blob_dir, config.log_dir, config.database_url
    )
    check.assert_clean("after the conversation")


# Requests that are refused or fail store nothing and leave no blob behind.


@pytest.mark.parametrize("problem", ["missing CSRF token", "empty report text"])
def test_a_refused_submission_leaves_no_blob_and_no_case(
    config: Config, intake: FlaskClient, database: Database, problem: str
) -> None:
    check = CanaryCheck(config.instance_path, config.database_url)
    name = check.canary("attachment file name")
    attachment = canary_file(check.canary("attachment content"), ATTACHMENT_SIZE)
    fields: dict[str, str | list[str]] = {
        **report_form(check, intake.get("/report").get_data(as_text=True)),
        **report_fields(check, f"Lost? {check.canary('report text')}"),
    }
    if problem == "missing CSRF token":
        del fields["csrf_token"]
    else:
        fields["what_happened"] = ""

    with WriteRecorder() as writes:
        refused = post_multipart(
            intake, "/report", fields, [Upload("attachments", name, attachment)]
        )

    assert refused.status_code == 400
    assert writes.paths, "the upload was never encrypted to a pending blob"
    assert_written_only_to_blobs(writes, config)
    assert blob_state(config) == ([], []), "an orphaned blob was left behind"
    assert set(row_counts(database).values()) == {0}
    check.assert_clean(f"after a submission refused for its {problem}")


def test_a_failure_while_storing_is_logged_without_secrets_and_undone(
    config: Config, intake: FlaskClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    check = CanaryCheck(config.instance_path, config.database_url)
    failure = check.canary("exception message")
    report = check.canary("report text")
    name = check.canary("attachment file name")
    attachment = canary_file(check.canary("attachment content"), ATTACHMENT_SIZE)
    form = report_form(check, intake.get("/report").get_data(as_text=True))

    def failing_commit(_self: Session) -> None:
        # Fails after the blob was made durable: the store must delete it again.
        raise RuntimeError(f"simulated failure while storing {failure}")

    with monkeypatch.context() as patch:
        patch.setattr(Session, "commit", failing_commit)
        failed = post_multipart(
            intake,
            "/report",
            {**form, **report_fields(check, f"Please store this: {report}")},
            [Upload("attachments", name, attachment)],
        )

    assert failed.status_code == 500
    assert report not in failed.get_data(as_text=True)
    assert blob_state(config) == ([], []), "an orphaned blob was left behind"
    assert set(row_counts(database).values()) == {0}
    assert config.log_dir is not None
    assert_day_precise(
        "after a failure while storing", config.blob_dir, config.log_dir, config.database_url
    )
    log = config.log_dir / "intake.log"
    assert "unhandled RuntimeError in intake.report" in log.read_text(encoding="utf-8")
    check.assert_clean("after a failure while storing a submission")


# A real server: gunicorn processes started by `redress serve`, driven over HTTP.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Browser:
    """A minimal cookie-keeping HTTP client over http.client (one connection per request)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def _headers(self, extra: Mapping[str, str]) -> dict[str, str]:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return {**({"Cookie": cookie} if cookie else {}), **extra}

    def _keep_cookies(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value

    @contextmanager
    def connection(self) -> Iterator[http.client.HTTPConnection]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            yield connection
        finally:
            connection.close()

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: Mapping[str, str] = {}
    ) -> tuple[int, str]:
        with self.connection() as connection:
            connection.request(method, path, body=body, headers=self._headers(headers))
            response = connection.getresponse()
            self._keep_cookies(response)
            return response.status, response.read().decode("utf-8", "replace")

    def csrf_token(self, path: str) -> str:
        status, page = self.request("GET", path)
        assert status == 200
        return hidden_fields(page)["csrf_token"]

    def send_slowly(
        self, path: str, body: bytes, content_type: str, split: int, pause: Callable[[], None]
    ) -> tuple[int, str]:
        """POST ``body[:split]``, call ``pause`` while the server holds half a request, send
        the rest."""
        with self.connection() as connection:
            connection.putrequest("POST", path)
            headers = self._headers(
                {"Content-Type": content_type, "Content-Length": str(len(body))}
            )
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.endheaders()
            connection.send(body[:split])
            pause()
            connection.send(body[split:])
            response = connection.getresponse()
            self._keep_cookies(response)
            return response.status, response.read().decode("utf-8", "replace")

    def abandon(self, path: str, body: bytes, content_type: str, wait: Callable[[], None]) -> None:
        """Send part of a POST, wait for the server to be receiving it, then hang up."""
        with self.connection() as connection:
            connection.putrequest("POST", path)
            for name, value in self._headers(
                {"Content-Type": content_type, "Content-Length": str(len(body))}
            ).items():
                connection.putheader(name, value)
            connection.endheaders()
            connection.send(body[: len(body) // 2])
            wait()


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    intake_port: int
    console_port: int
    output: list[Path]


def _wait_until_serving(server: Server) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    for port in (server.intake_port, server.console_port):
        while True:
            assert server.process.poll() is None, "redress serve exited: " + " ".join(
                path.read_text(errors="replace") for path in server.output
            )
            try:
                status, _page = Browser(port).request("GET", "/")
            except OSError:
                status = 0
            if status:
                break
            assert time.monotonic() < deadline, f"nothing served on port {port}"
            time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole session, then SIGKILL for whatever is left."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    deadline = time.monotonic() + 15
    while session_processes(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if session_processes(process.pid):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(timeout=15)


@contextmanager
def serving(instance: Path, output_dir: Path) -> Iterator[Server]:
    intake_port, console_port = free_port(), free_port()
    environ = dict(
        os.environ,
        REDRESS_INSTANCE=str(instance),
        REDRESS_INTAKE_PORT=str(intake_port),
        REDRESS_CONSOLE_PORT=str(console_port),
        PYTHONDONTWRITEBYTECODE="1",
    )
    stdout_path, stderr_path = output_dir / "server.stdout", output_dir / "server.stderr"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "redress.platform.cli", "serve"],
            env=environ,
            # The work tree, as `make run` does: the venv's editable install only finds the
            # packages from there (see the report on this test).
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        server = Server(process, intake_port, console_port, [stdout_path, stderr_path])
        try:
            _wait_until_serving(server)
            yield server
        finally:
            _stop(process)


def _pending_bytes(instance: Path) -> int:
    return sum(path.stat().st_size for path in (instance / "blobs" / "pending").glob("*"))


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def _unexpected_open_files(files: list[OpenFile], allowed: list[Path]) -> list[str]:
    """Open regular files other than the instance's, our capture files and gunicorn's heartbeat
    files (created in --worker-tmp-dir and unlinked at once; they never hold data)."""
    unexpected = []
    for open_file in files:
        target = open_file.target
        if re.search(r"/wgunicorn-[^/]+ \(deleted\)$", target):
            continue
        if not target.endswith(" (deleted)") and any(
            Path(target).is_relative_to(root) for root in allowed
        ):
            continue
        unexpected.append(f"pid {open_file.pid} fd {open_file.descriptor}: {target}")
    return unexpected


def test_a_real_server_keeps_nothing_readable(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "redress.platform.cli",
            "--instance",
            str(instance),
            "init",
            "--threshold",
            "2",
            "--shares",
            "3",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
    )
    assert created.returncode == 0, created.stderr
    check = CanaryCheck(instance.resolve(), None)
    shares = _SHARE.findall(created.stdout)
    assert len(shares) == 3
    for number, share in enumerate(shares, start=1):
        check.add(f"recovery share {number}", share)

    report_canary = check.canary("report text")
    name_canary = check.canary("attachment file name")
    filename = f"Beweis {name_canary} Überwachung.pdf"
    check.add("attachment file name (whole)", filename)
    attachment = canary_file(check.canary("attachment content"), ATTACHMENT_SIZE)
    check.add("attachment content (random part)", random_sample(attachment))

    with serving(instance, tmp_path) as server:
        check.extra_files = server.output
        reporter = Browser(server.intake_port)
        body, content_type = multipart(
            {
                **report_form(check, reporter.request("GET", "/report")[1]),
                **report_fields(check, f"Sold to a ministry. {report_canary}"),
            },
            [Upload("attachments", filename, attachment, "application/pdf")],
        )
        split = int(len(body) * 0.7)  # past the canary in the middle of the attachment
        midway: list[Finding] = []
        receiving: list[str] = []
        unexpected: list[str] = []

        def inspect_while_receiving() -> None:
            _wait_for(
                lambda: _pending_bytes(instance) >= split - MIB,
                "the server has encrypted most of what was sent",
            )
            files = open_regular_files(session_processes(server.process.pid))
            pending = str((instance / "blobs" / "pending").resolve())
            receiving.extend(f.target for f in files if f.target.startswith(pending))
            scanner = Scanner(check.secrets)
            for open_file in files:
                label = f"{open_file.target} (open in pid {open_file.pid})"
                midway.extend(scanner.scan_file(open_file.proc_path, label))
            midway.extend(check.findings(scanner))
            unexpected.extend(
                _unexpected_open_files(files, [instance.resolve(), tmp_path.resolve()])
            )

        status, page = reporter.send_slowly(
            "/report", body, content_type, split, inspect_while_receiving
        )
        assert status == 201, page
        assert receiving, "the pending blob of the upload was not open during the inspection"
        assert not midway, f"while the upload was being received: {describe(midway)}"
        assert unexpected == [], "server processes held unexpected files open mid-upload"
        receipt = receipt_in(page)
        check.add("receipt code", receipt)
        check.add("receipt code (normalised)", normalise_receipt(receipt))

        # The reporter comes back with the receipt.
        returning = Browser(server.intake_port)
        status, _ = returning.request(
            "POST",
            "/login",
            urlencode({"csrf_token": returning.csrf_token("/login"), "receipt": receipt}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 302
        status, inbox = returning.request("GET", "/inbox")
        assert status == 200
        assert "Your report" in inbox

        # Refused and abandoned uploads leave nothing behind.
        refused_body, refused_type = multipart(
            {"what_happened": f"No token. {check.canary('refused report text')}"},
            [
                Upload(
                    "attachments",
                    check.canary("refused file name"),
                    canary_file(check.canary("refused file content"), ATTACHMENT_SIZE),
                )
            ],
        )
        status, _ = Browser(server.intake_port).request(
            "POST", "/report", refused_body, {"Content-Type": refused_type}
        )
        assert status == 400
        leaving = Browser(server.intake_port)
        abandoned_body, abandoned_type = multipart(
            {
                **report_form(check, leaving.request("GET", "/report")[1]),
                "what_happened": f"Cut off. {check.canary('abandoned report text')}",
            },
            [
                Upload(
                    "attachments",
                    check.canary("abandoned file name"),
                    canary_file(check.canary("abandoned file content"), ATTACHMENT_SIZE),
                )
            ],
        )
        leaving.abandon(
            "/report",
            abandoned_body,
            abandoned_type,
            lambda: _wait_for(lambda: _pending_bytes(instance) > MIB, "the upload is received"),
        )
        _wait_for(
            lambda: (
                _pending_bytes(instance) == 0
                and not list((instance / "blobs" / "pending").iterdir())
            ),
            "the abandoned upload's pending blob is removed",
        )
        # A malformed request naming a path and an id: gunicorn itself logs it.
        with socket.create_connection(("127.0.0.1", server.intake_port), timeout=10) as raw:
            raw.sendall(b"BROKEN /inbox/files/" + b"ef" * 16 + b"?x=1\r\n\r\n")
            assert raw.recv(4096).startswith(b"HTTP/1.1 400")
        check.assert_clean("under a real server, after the requests")
        assert_day_precise(
            "under a real server, after the requests", instance / "blobs", instance / "logs", None
        )

    blobs = LocalBlobStore(instance / "blobs")
    assert len(list(blobs.ids())) == 1
    check.database_url = f"sqlite:///{instance / 'redress.sqlite3'}"
    check.assert_clean("under a real server, after it stopped")
    assert_day_precise(
        "under a real server, after it stopped",
        instance / "blobs",
        instance / "logs",
        check.database_url,
    )
    captured = "".join(path.read_text(errors="replace") for path in server.output)
    assert "Invalid request from ip=" not in captured, "gunicorn logged a sender's address"
    intake_logs = "".join(path.read_text() for path in (instance / "logs").glob("intake*.log"))
    assert "Invalid request" in intake_logs, "the malformed request was not logged at all"
    logs = [path.name for path in (instance / "logs").iterdir()]
    assert logs == [] or all(name.endswith(".log") for name in logs)
