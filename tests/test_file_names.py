"""File names with control and format characters: cleaned as they arrive, always downloadable.

A NUL in a file name made the file undownloadable (a 500 on both sides, since the name went into
Content-Disposition as it was) and a line break could not even be put in a header. Names are
now cleaned where every upload is made (redress.cases.uploads.EncryptedUpload), and the header
is built so that no name, however it was stored, gives an invalid one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from urllib.parse import quote, unquote

import pytest
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import Headers
from werkzeug.test import TestResponse

import redress.cases.uploads
from redress.cases.uploads import UNNAMED_FILE, clean_filename, shown_filename
from redress.store.models import Attachment, KeyKind
from redress.web.downloads import content_disposition
from tests.helpers import (
    Staff,
    case_ids,
    confirm_receipt,
    csrf_token,
    first_sign_in,
    receipt_from,
    report_form,
)

# (sent, kept): what an attacker or a careless tool may send, and what is kept of it.
NAMES = [
    ("a\x00b.txt", "ab.txt"),
    ("line\r\nbreak.txt", "line break.txt"),
    ("report\u202efdp.exe", "reportfdp.exe"),
    ("\u2066left\u2069\u2067right\u2069\u200e\u200f.pdf", "leftright.pdf"),
    ("\ufeffbom\u00ad.txt", "bom.txt"),
    ("tab\there\x7f.csv", "tab here.csv"),
    ("next\x85line\x1b[1m.txt", "next line[1m.txt"),
    ("  spaced \u2028 out  .txt", "spaced out .txt"),
    ("\x00\r\n\u202e\u2066", UNNAMED_FILE),
]
KEPT_AS_THEY_ARE = [
    "Interception_Log_Export_Ministry_of_Interior_2025_04_final_v2.csv",
    "تقرير المراقبة.pdf",
    "می\u200cخواهم.docx",  # the zero-width non-joiner is part of Persian spelling
    "👩\u200d💻 notes.txt",  # and the joiner of an emoji sequence
    'Überwachung & Co. "final" 100%.pdf',
    "a/b\\c.txt",
]
# A Content-Disposition header as RFC 6266 and RFC 8187 allow it, visible ASCII only.
SAFE_HEADER = re.compile(
    r"attachment; filename=\"[\x20\x21\x23-\x24\x26-\x5b\x5d-\x7e]*\"; "
    r"filename\*=UTF-8''(?P<encoded>(?:[A-Za-z0-9_.~-]|%[0-9A-F]{2})*)"
)


@pytest.mark.parametrize(("sent", "kept"), NAMES)
def test_names_lose_what_hides_or_breaks_text(sent: str, kept: str) -> None:
    assert clean_filename(sent) == kept


@pytest.mark.parametrize("name", KEPT_AS_THEY_ARE)
def test_readable_names_are_kept(name: str) -> None:
    assert clean_filename(name) == name


def test_names_are_normalised_to_nfc() -> None:
    assert clean_filename("cafe\u0301.txt") == "caf\u00e9.txt"


@settings(max_examples=300, derandomize=True, database=None)
@given(st.text())  # surrogates and every control and format character included
def test_any_name_gives_a_valid_header(name: str) -> None:
    header = content_disposition(name)
    match = SAFE_HEADER.fullmatch(header)
    assert match, header
    Headers().add("Content-Disposition", header)  # Werkzeug accepts it too
    if not any(0xD800 <= ord(char) <= 0xDFFF for char in name):
        assert unquote(match["encoded"]) == clean_filename(name)


def raw_multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart body naming each file with RFC 8187's filename*, which can carry any
    character (Werkzeug decodes it), or, for a NUL, in plain filename="..." as some tools do."""
    boundary = "names-4a7b"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    for field, filename, content in files:
        if "\x00" in filename and "\r" not in filename and "\n" not in filename:
            named = f'filename="{filename}"'
        else:
            named = f"filename*=UTF-8''{quote(filename, safe='')}"
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; {named}\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def send(
    client: FlaskClient, path: str, fields: dict[str, str], field: str, tag: str
) -> TestResponse:
    """Post ``fields`` with one file of each name in NAMES, holding ``tag`` and its number."""
    files = [(field, sent, f"{tag} {number}".encode()) for number, (sent, _) in enumerate(NAMES)]
    body, content_type = raw_multipart(fields, files)
    return client.post(path, data=body, content_type=content_type)


def check_download(client: FlaskClient, path: str) -> tuple[str, bytes]:
    """Download a file: 200 and a safe header; returns the name the header gives, and the body."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    header = response.headers["Content-Disposition"]
    match = SAFE_HEADER.fullmatch(header)
    assert match, header
    return unquote(match["encoded"]), response.data


def report_with_files(intake: FlaskClient, tag: str) -> None:
    """A report with a file of each name, its receipt confirmed: the reporter is in the inbox."""
    fields = {**report_form(intake), "what_happened": "Files with strange names"}
    submitted = send(intake, "/report", fields, "attachments", tag)
    assert submitted.status_code == 201, submitted.get_data(as_text=True)
    confirm_receipt(intake, receipt_from(submitted))


def check_every_file(
    intake: FlaskClient, console: FlaskClient, db: Session, case_id: str, count: int
) -> None:
    """Each file downloads on the console, and thread files on the intake, with its name as
    cleaned: 200 and a valid header on both sides."""
    attachments = db.scalars(select(Attachment)).all()
    assert len(attachments) == count
    for attachment in attachments:
        name, content = check_download(console, f"/cases/{case_id}/files/{attachment.id}")
        number = int(content.split()[-1])
        assert name == NAMES[number][1], (NAMES[number], name)
        on_intake = f"/inbox/files/{attachment.id}"
        if attachment.key_kind is KeyKind.THREAD:
            assert check_download(intake, on_intake) == (name, content)
        else:
            assert intake.get(on_intake).status_code == 404  # evidence stays with staff


def test_uploads_on_both_sides_are_cleaned_and_download_on_both_sides(
    intake: FlaskClient,
    console: FlaskClient,
    make_caseworker: Callable[..., Staff],
    db: Session,
) -> None:
    first_sign_in(console, make_caseworker("nina"))
    report_with_files(intake, "report")
    reply = {"csrf_token": csrf_token(intake, "/inbox"), "text": "And more files"}
    assert send(intake, "/inbox", reply, "attachments", "reply").status_code == 302
    [case_id] = case_ids(console)
    token = csrf_token(console, f"/cases/{case_id}")
    evidence = send(console, f"/cases/{case_id}/evidence", {"csrf_token": token}, "evidence", "ev")
    assert evidence.status_code == 302
    answer = {"csrf_token": token, "text": "Files back"}
    assert (
        send(console, f"/cases/{case_id}/reply", answer, "attachments", "back").status_code == 302
    )

    check_every_file(intake, console, db, case_id, 4 * len(NAMES))
    for page in (console.get(f"/cases/{case_id}"), intake.get("/inbox")):
        text = page.get_data(as_text=True)
        assert not set("\x00\u202e\u2066\u2069\ufeff") & set(text)
        assert "line break.txt" in text


def test_names_stored_before_cleaning_still_download(
    intake: FlaskClient,
    console: FlaskClient,
    make_caseworker: Callable[..., Staff],
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Files stored with their names as sent (before names were cleaned on arrival) download
    with a valid header on both sides: the header cleans whatever name it is given."""
    first_sign_in(console, make_caseworker("otto"))
    with monkeypatch.context() as before_the_fix:
        before_the_fix.setattr(redress.cases.uploads, "clean_filename", lambda name: name)
        report_with_files(intake, "old")
    [case_id] = case_ids(console)
    check_every_file(intake, console, db, case_id, len(NAMES))


# Characters that reorder text when shown (bidi embeddings, overrides, isolates and marks) and
# how a stored name holding one is shown: escaped, so "inv\u202egnp.exe" cannot pass for
# "invexe.png".
BIDI_CONTROLS = [chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
BIDI_CONTROLS += ["\u200e", "\u200f", "\u061c"]


@pytest.mark.parametrize("control", BIDI_CONTROLS)
def test_shown_names_escape_bidi_controls(control: str) -> None:
    shown = shown_filename(f"inv{control}gnp.exe")
    assert shown == f"inv\\u{ord(control):04x}gnp.exe"
    assert not set(BIDI_CONTROLS) & set(shown)


@pytest.mark.parametrize("name", KEPT_AS_THEY_ARE)
def test_readable_names_are_shown_as_they_are(name: str) -> None:
    assert shown_filename(name) == name


@settings(max_examples=300, derandomize=True, database=None)
@given(st.text())
def test_no_shown_name_hides_or_reorders_text(name: str) -> None:
    shown = shown_filename(name)
    for char in shown:
        category = unicodedata.category(char)
        assert category not in ("Cc", "Cs", "Zl", "Zp"), repr(shown)
        assert category != "Cf" or char in "\u200c\u200d", repr(shown)
    assert shown_filename(clean_filename(name)) == clean_filename(name)


LEGACY_NAME = "inv\u202egnp.exe"
SHOWN_LEGACY_NAME = "inv\\u202egnp.exe"


def test_names_stored_before_cleaning_are_shown_escaped_everywhere(
    intake: FlaskClient,
    console: FlaskClient,
    make_caseworker: Callable[..., Staff],
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A name stored as sent (before names were cleaned on arrival) with a right-to-left
    override is shown escaped on the case page (report files, thread, evidence) and in the
    reporter's inbox, never reversed."""
    first_sign_in(console, make_caseworker("rita"))
    with monkeypatch.context() as before_the_fix:
        before_the_fix.setattr(redress.cases.uploads, "clean_filename", lambda name: name)
        fields = {**report_form(intake), "what_happened": "A file with a reversed name"}
        body, content_type = raw_multipart(fields, [("attachments", LEGACY_NAME, b"report")])
        submitted = intake.post("/report", data=body, content_type=content_type)
        assert submitted.status_code == 201
        confirm_receipt(intake, receipt_from(submitted))
        reply = {"csrf_token": csrf_token(intake, "/inbox"), "text": "One more"}
        body, content_type = raw_multipart(reply, [("attachments", LEGACY_NAME, b"reply")])
        assert intake.post("/inbox", data=body, content_type=content_type).status_code == 302
        [case_id] = case_ids(console)
        token = csrf_token(console, f"/cases/{case_id}")
        body, content_type = raw_multipart(
            {"csrf_token": token}, [("evidence", LEGACY_NAME, b"evidence")]
        )
        evidence = console.post(f"/cases/{case_id}/evidence", data=body, content_type=content_type)
        assert evidence.status_code == 302
        answer = {"csrf_token": token, "text": "Back"}
        body, content_type = raw_multipart(answer, [("attachments", LEGACY_NAME, b"back")])
        assert (
            console.post(
                f"/cases/{case_id}/reply", data=body, content_type=content_type
            ).status_code
            == 302
        )
    case_page = console.get(f"/cases/{case_id}").get_data(as_text=True)
    inbox = intake.get("/inbox").get_data(as_text=True)
    for page, count in ((case_page, 4), (inbox, 3)):
        assert "\u202e" not in page
        assert page.count(f">{SHOWN_LEGACY_NAME}</a>") == count
