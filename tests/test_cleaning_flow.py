"""Metadata removal in the reporter's flow: ticked by default, reported, and visible to staff."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from PIL import Image

from redress.reporting import metadata
from tests.helpers import (
    SignedIn,
    case_ids,
    confirm_receipt,
    csrf_token,
    receipt_from,
    report_form,
)
from tests.support.samples import jpeg_with_exif

FILE_LINK = "/files/"


def send(intake: FlaskClient, photo: bytes, *, clean: bool) -> str:
    data: dict[str, object] = {
        **report_form(intake),
        "what_happened": "photo attached",
        "attachments": [(io.BytesIO(photo), "street.jpg", "image/jpeg")],
    }
    if clean:
        data["clean_metadata"] = "y"
    response = intake.post("/report", data=data, content_type="multipart/form-data")
    assert response.status_code == 201
    return response.get_data(as_text=True)


def downloaded_photo(console: FlaskClient) -> tuple[str, bytes]:
    [case_id] = case_ids(console)
    page = console.get(f"/cases/{case_id}").get_data(as_text=True)
    link = page.split(f"/cases/{case_id}{FILE_LINK}", 1)[1].split('"', 1)[0]
    return page, console.get(f"/cases/{case_id}{FILE_LINK}{link}").data


def test_the_option_is_ticked_by_default(intake: FlaskClient) -> None:
    page = intake.get("/report").get_data(as_text=True)
    assert 'checked id="clean_metadata" name="clean_metadata" type="checkbox"' in page


def test_gps_and_camera_are_removed_and_the_reporter_is_told(
    intake: FlaskClient, console: FlaskClient, sign_in: Callable[..., SignedIn]
) -> None:
    sign_in("mo", client=console)
    receipt_page = send(intake, jpeg_with_exif(), clean=True)
    assert "Hidden metadata removed:" in receipt_page
    assert "GPS location" in receipt_page
    assert "camera make and model" in receipt_page

    page, photo = downloaded_photo(console)
    assert "GPS location" in page, "caseworkers see that the file was altered"
    exif = Image.open(io.BytesIO(photo)).getexif()
    assert not exif.get_ifd(0x8825), "no GPS data left"
    assert "Canon" not in str(dict(exif))
    assert b"Jane Whistle" not in photo


def test_unticking_keeps_the_file_exactly_as_sent(
    intake: FlaskClient, console: FlaskClient, sign_in: Callable[..., SignedIn]
) -> None:
    sign_in("mo", client=console)
    original = jpeg_with_exif()
    receipt_page = send(intake, original, clean=False)
    assert "you chose to keep its metadata" in receipt_page
    _, photo = downloaded_photo(console)
    assert photo == original


def test_files_that_cannot_be_cleaned_are_stored_as_sent(
    intake: FlaskClient,
    console: FlaskClient,
    sign_in: Callable[..., SignedIn],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sign_in("mo", client=console)
    monkeypatch.setattr(metadata, "MAX_CLEAN_BYTES", 100)
    original = jpeg_with_exif()
    receipt_page = send(intake, original, clean=True)
    assert "the file is too large to clean" in receipt_page
    _, photo = downloaded_photo(console)
    assert photo == original


def test_files_added_later_are_cleaned_too(
    intake: FlaskClient, console: FlaskClient, sign_in: Callable[..., SignedIn]
) -> None:
    sign_in("mo", client=console)
    confirm_receipt(intake, receipt_from(send(intake, b"plain text", clean=True)))
    response = intake.post(
        "/inbox",
        data={
            "csrf_token": csrf_token(intake, "/inbox"),
            "text": "another photo",
            "clean_metadata": "y",
            "attachments": [(io.BytesIO(jpeg_with_exif()), "later.jpg", "image/jpeg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    inbox = intake.get("/inbox").get_data(as_text=True)
    assert "later.jpg" in inbox
    assert "GPS location" in inbox
