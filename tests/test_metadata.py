"""Metadata removal: every sample file is built in memory (tests/support/samples.py), never read
from disk."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import time
import warnings
import zipfile
import zlib
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageOps
from PIL.ExifTags import IFD, Base

from redress.reporting import metadata
from redress.reporting.metadata import MAX_CLEAN_BYTES, clean
from redress.reporting.metadata import tiff as tiff_cleaner
from tests.support.samples import (
    DOCX_OTHERS,
    ODT_MIMETYPE,
    ODT_OTHERS,
    all_samples,
    camera_exif,
    docx_with_properties,
    gif_with_comment,
    jpeg_with_exif,
    odt_with_meta,
    pdf_with_info,
    picture,
    png_with_text,
    tiff_with_tags,
    webp_with_exif,
    zip_of,
)

ROOT = Path(__file__).resolve().parents[1]
SECRETS = [b"Jane Whistle", b"Canon", b"EOS 5D", b"ACME Surveillance", b"51.5"]
PHOTO_LABELS = {"GPS location", "camera make and model", "date taken", "author"}


def _exif_of(data: bytes) -> dict[int, object]:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        found: dict[int, object] = dict(exif)
        for ifd in (IFD.Exif, IFD.GPSInfo):
            found.update(exif.get_ifd(ifd))
        return found


def _pixels(data: bytes, upright: bool = False) -> tuple[tuple[int, int], bytes]:
    with Image.open(io.BytesIO(data)) as image:
        shown = ImageOps.exif_transpose(image) if upright else image.copy()
        return shown.size, shown.convert("RGB").tobytes()


def _assert_no_secrets(data: bytes) -> None:
    for secret in SECRETS:
        assert secret not in data


# ---------------------------------------------------------------- photos


def test_jpeg_loses_exif_but_not_a_pixel_or_its_orientation() -> None:
    original = jpeg_with_exif()
    result = clean(original, "photo.jpg", "image/jpeg")
    assert result.cleaned
    assert result.reason is None
    assert set(result.removed) == PHOTO_LABELS
    assert len(result.removed) == len(set(result.removed))
    assert _exif_of(result.data) == {Base.Orientation: 6}
    _assert_no_secrets(result.data)
    assert _pixels(result.data) == _pixels(original)
    assert _pixels(result.data, upright=True)[0] == (20, 40)


def test_jpeg_comment_xmp_icc_and_trailing_data_are_removed() -> None:
    out = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">Jane Whistle</x:xmpmeta>'
    picture().save(out, "JPEG", comment=b"Jane Whistle", xmp=xmp, icc_profile=b"ICC Canon")
    original = out.getvalue() + b"hidden second picture: Canon"
    result = clean(original, "photo.jpg", "image/jpeg")
    assert result.removed == (
        "title, description and comments",
        "XMP metadata",
        "colour profile",
        "hidden extra images or data",
    )
    _assert_no_secrets(result.data)
    assert _exif_of(result.data) == {}
    assert _pixels(result.data) == _pixels(original)


def test_upright_jpeg_keeps_no_exif_at_all() -> None:
    out = io.BytesIO()
    picture().save(out, "JPEG", exif=camera_exif(orientation=1))
    result = clean(out.getvalue(), "photo.jpg", "image/jpeg")
    assert b"Exif\x00\x00" not in result.data
    assert set(result.removed) == PHOTO_LABELS


def test_png_loses_text_and_exif_chunks_losslessly() -> None:
    original = png_with_text()
    result = clean(original, "screen.png", "image/png")
    assert result.cleaned
    assert set(result.removed) == PHOTO_LABELS | {"title, description and comments"}
    with Image.open(io.BytesIO(result.data)) as image:
        assert not image.text
        assert not image.getexif()
    _assert_no_secrets(result.data)
    assert _pixels(result.data) == _pixels(original)


def test_gif_loses_its_comment_but_keeps_its_frames() -> None:
    original = gif_with_comment()
    result = clean(original, "anim.gif", "image/gif")
    assert result.removed == ("title, description and comments",)
    _assert_no_secrets(result.data)
    with Image.open(io.BytesIO(result.data)) as image:
        assert image.n_frames == 2
        assert "comment" not in image.info
        assert image.info["loop"] == 0


def test_webp_loses_exif_and_xmp() -> None:
    original = webp_with_exif()
    result = clean(original, "photo.webp", "image/webp")
    assert set(result.removed) == PHOTO_LABELS | {"XMP metadata"}
    _assert_no_secrets(result.data)
    with Image.open(io.BytesIO(result.data)) as image:
        assert "xmp" not in image.info
        assert not image.getexif()
    assert _pixels(result.data) == _pixels(original)


def test_tiff_is_reencoded_with_layout_tags_only() -> None:
    original = tiff_with_tags()
    result = clean(original, "scan.tif", "image/tiff")
    assert result.removed == ("camera make and model", "author", "software")
    _assert_no_secrets(result.data)
    assert _pixels(result.data) == _pixels(original)


def test_camera_raw_is_not_reencoded() -> None:
    result = clean(tiff_with_tags(), "IMG_0001.CR2", "image/x-canon-cr2")
    assert (result.cleaned, result.reason) == (False, "unsupported type")


def test_tiff_over_the_pixel_limit_is_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tiff_cleaner, "MAX_IMAGE_PIXELS", 500)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)
    data = tiff_with_tags()  # 800 pixels: Pillow warns, and errors at twice the limit
    assert clean(data, "scan.tif", "image/tiff").reason == "too large to clean"
    with warnings.catch_warnings():  # In production the warning is only a warning.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        result = clean(data, "scan.tif", "image/tiff")
    assert (result.cleaned, result.reason, result.data) == (False, "too large to clean", data)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 300)
    assert clean(data, "scan.tif", "image/tiff").reason == "too large to clean"


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", len(body), kind) + body + struct.pack(">I", zlib.crc32(kind + body))


def test_png_declaring_a_huge_picture_is_never_decompressed() -> None:
    """A decompression bomb: cleaning only drops chunks, so nothing is inflated."""
    bomb = b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1_000_000, 1_000_000, 8, 2, 0, 0, 0)),
            _png_chunk(b"tEXt", b"Author\x00Jane Whistle"),
            _png_chunk(b"IDAT", zlib.compress(b"\x00" * 10_000_000, 9)),
            _png_chunk(b"IEND", b""),
        ]
    )
    started = time.perf_counter()
    result = clean(bomb, "bomb.png", "image/png")
    assert time.perf_counter() - started < 1
    assert (result.cleaned, result.removed) == (True, ("author",))
    assert b"Jane" not in result.data
    with pytest.raises(Image.DecompressionBombError), Image.open(io.BytesIO(result.data)):
        pass


# ---------------------------------------------------------------- PDF


def test_pdf_loses_info_and_every_xmp_stream() -> None:
    original = pdf_with_info(pages=3)
    result = clean(original, "memo.pdf", "application/pdf")
    assert result.cleaned
    assert result.removed == (
        "author",
        "software",
        "title, description and comments",
        "XMP metadata",
        "document identifier",
    )
    with pikepdf.open(io.BytesIO(result.data)) as pdf:
        assert len(pdf.pages) == 3
        assert "/Info" not in pdf.trailer
        assert "/Metadata" not in pdf.Root
        assert all("/Metadata" not in page.obj for page in pdf.pages)
        streams = [obj.read_bytes() for obj in pdf.objects if isinstance(obj, pikepdf.Stream)]
    for secret in SECRETS:
        assert all(secret not in stream for stream in streams)
    _assert_no_secrets(result.data)


def test_jpeg_pictures_inside_a_pdf_lose_theircamera_exif() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    photo = pdf.make_stream(
        jpeg_with_exif(), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=40,
        Height=20, ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8,
        Filter=pikepdf.Name.DCTDecode,
    )  # fmt: skip
    pdf.pages[0].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=photo))
    out = io.BytesIO()
    pdf.save(out)
    result = clean(out.getvalue(), "scan.pdf", "application/pdf")
    assert set(result.removed) == PHOTO_LABELS | {"document identifier"}
    _assert_no_secrets(result.data)


def test_signed_pdf_is_not_cleaned() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.Signature = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Sig, ByteRange=pikepdf.Array([0, 10, 20, 30]))
    )
    out = io.BytesIO()
    pdf.save(out)
    result = clean(out.getvalue(), "signed.pdf", "application/pdf")
    assert (result.cleaned, result.reason, result.data) == (
        False,
        "digitally signed",
        out.getvalue(),
    )


# ---------------------------------------------------------------- office documents


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def test_docx_properties_are_emptied_and_the_rest_kept() -> None:
    original = docx_with_properties(jpeg_with_exif())
    result = clean(original, "memo.docx", "application/vnd.openxmlformats")
    assert result.cleaned
    assert set(result.removed) == PHOTO_LABELS | {
        "dates created and modified",
        "company and manager",
        "custom properties",
    }
    before, after = _members(original), _members(result.data)
    assert list(after) == list(before)
    for name, content in DOCX_OTHERS:
        assert after[name] == content
    assert b"<dc:creator" not in after["docProps/core.xml"]
    assert b"Company" not in after["docProps/app.xml"]
    assert b"<property" not in after["docProps/custom.xml"]
    assert _pixels(after["word/media/image1.jpeg"]) == _pixels(before["word/media/image1.jpeg"])
    _assert_no_secrets(result.data)


def test_excel_saved_in_folder_is_removed() -> None:
    workbook = (
        b'<workbook xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac">'
        b'<x15ac:absPath url="C:\\Users\\jane.whistle\\Documents\\"/><sheets/></workbook>'
    )
    original = zip_of([*DOCX_OTHERS, ("xl/workbook.xml", workbook)], when=(1980, 1, 1, 0, 0, 0))
    result = clean(original, "book.xlsx", "")
    assert result.removed == ("file locations",)
    assert _members(result.data)["xl/workbook.xml"] == b'<workbook xmlns:x15ac="http://schemas.'\
        b'microsoft.com/office/spreadsheetml/2010/11/ac"><sheets/></workbook>'  # fmt: skip


def test_odt_meta_is_emptied_and_mimetype_stays_first_and_stored() -> None:
    original = odt_with_meta()
    result = clean(original, "memo.odt", "application/vnd.oasis.opendocument.text")
    assert result.removed == ("dates created and modified", "author")
    after = _members(result.data)
    for name, content in [("mimetype", ODT_MIMETYPE), *ODT_OTHERS]:
        assert after[name] == content
    assert b"Jane" not in after["meta.xml"]
    assert b'office:version="1.3"' in after["meta.xml"]
    with zipfile.ZipFile(io.BytesIO(result.data)) as archive:
        first = archive.infolist()[0]
        assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert result.data[30:38] == b"mimetype"
    assert result.data[38:77] == ODT_MIMETYPE


def test_signed_odt_is_not_cleaned() -> None:
    signed = zip_of([("mimetype", ODT_MIMETYPE), ("META-INF/documentsignatures.xml", b"<sig/>")])
    assert clean(signed, "memo.odt", "").reason == "digitally signed"


def test_archives_that_expand_too_much_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    many = zip_of([("[Content_Types].xml", b"")] + [(f"m{n}", b"") for n in range(10_001)])
    assert clean(many, "many.docx", "").reason == "too large to clean"
    assert metadata.MAX_ARCHIVE_EXPANSION == 4 * MAX_CLEAN_BYTES
    monkeypatch.setattr(metadata, "MAX_ARCHIVE_EXPANSION", 1024 * 1024)
    bomb = zip_of([*DOCX_OTHERS, ("word/media/big.bin", bytes(1024 * 1024))])
    assert len(bomb) < 10_000
    result = clean(bomb, "bomb.docx", "")
    assert (result.cleaned, result.reason, result.data) == (False, "too large to clean", bomb)


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (os.urandom(4096), "random.bin"),
        (b"Dear investigator,\nJane Whistle\n", "letter.txt"),
        (zip_of([("notes.txt", b"Jane Whistle")]), "notes.zip"),
        (b"", "empty.jpg"),
    ],
)
def test_unsupported_types_are_kept_as_sent(data: bytes, filename: str) -> None:
    result = clean(data, filename, "application/octet-stream")
    assert result == metadata.CleaningResult(data, False, (), "unsupported type")


@pytest.mark.parametrize(
    "data",
    [
        jpeg_with_exif()[:300],
        jpeg_with_exif()[:-2],
        png_with_text()[:-20],
        gif_with_comment()[:-1],
        webp_with_exif()[:-10],
        tiff_with_tags()[:50],
        b"%PDF-1.7\nthis is not a PDF at all\n%%EOF\n",
        docx_with_properties()[:-40],
        b"\xff\xd8\xff" + bytes(100),
        b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + bytes(17),
    ],
)
def test_damaged_files_are_kept_as_sent_without_an_exception(data: bytes) -> None:
    result = clean(data, "file", "")
    assert result == metadata.CleaningResult(data, False, (), "could not be read")


def test_too_large_input_is_kept_as_sent() -> None:
    data = jpeg_with_exif() + bytes(MAX_CLEAN_BYTES)
    result = clean(data, "huge.jpg", "image/jpeg")
    assert (result.cleaned, result.reason, result.data is data) == (
        False,
        "too large to clean",
        True,
    )


def test_type_comes_from_the_content_not_the_name() -> None:
    result = clean(jpeg_with_exif(), "report.pdf", "application/pdf")
    assert result.cleaned
    assert set(result.removed) == PHOTO_LABELS
    assert result.data.startswith(b"\xff\xd8\xff")


def test_a_file_with_nothing_to_remove_is_cleaned_with_nothing_listed() -> None:
    out = io.BytesIO()
    picture().save(out, "PNG")
    result = clean(out.getvalue(), "plain.png", "image/png")
    assert (result.cleaned, result.removed, result.data) == (True, (), out.getvalue())


# ---------------------------------------------------------------- nothing on disk

_NO_WRITES = """
import os, resource, signal, sys, tempfile
from redress.reporting.metadata import clean
from tests.support.samples import all_samples
samples = all_samples()
before = set(os.listdir(tempfile.gettempdir()))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # any write to a file now fails
for name, data in samples.items():
    result = clean(data, name, "")
    print(name, result.cleaned, result.reason)
print("tempdir unchanged", set(os.listdir(tempfile.gettempdir())) == before)
print("tempdir", tempfile.gettempdir())
"""


def test_cleaning_writes_nothing_to_disk(tmp_path: Path) -> None:
    """Every cleaner still succeeds when the process may not write a single byte to a file.

    The process gets a temporary directory of its own (TMPDIR), so the listing it compares holds
    only what the cleaners could have made, never a file of another test running meanwhile.
    """
    tempdir = tmp_path / "tmp"
    tempdir.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", _NO_WRITES],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tempdir)},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines == [f"{name} True None" for name in all_samples()] + [
        "tempdir unchanged True",
        f"tempdir {tempdir}",
    ]
