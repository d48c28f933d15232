"""Sample files for the metadata tests, built in memory, each carrying identifying metadata.

Shared by tests/test_metadata.py (which also runs :func:`all_samples` in a subprocess that may not
write to disk), tests/test_cleaning_flow.py and tests/test_investigation.py.
"""

from __future__ import annotations

import io
import zipfile

import pikepdf
from PIL import Image, PngImagePlugin
from PIL.ExifTags import GPS, IFD, Base


def picture(size: tuple[int, int] = (40, 20), mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, size)
    image.putdata(
        [(x * 6 % 256, y * 12 % 256, 90)[: len(mode)] for y in range(20) for x in range(40)]
    )
    return image


def camera_exif(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[Base.Make] = "Canon"
    exif[Base.Model] = "EOS 5D"
    exif[Base.Artist] = "Jane Whistle"
    exif[Base.Orientation] = orientation
    exif.get_ifd(IFD.Exif)[Base.DateTimeOriginal] = "2024:05:01 10:00:00"
    exif.get_ifd(IFD.GPSInfo).update(
        {
            GPS.GPSLatitudeRef: "N",
            GPS.GPSLatitude: (51.5, 30.0, 0.0),
            GPS.GPSLongitudeRef: "W",
            GPS.GPSLongitude: (0.0, 7.0, 0.0),
        }
    )
    return exif


def jpeg_with_exif() -> bytes:
    out = io.BytesIO()
    picture().save(out, "JPEG", quality=90, exif=camera_exif())
    return out.getvalue()


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Whistle")
    info.add_itxt("Comment", "taken at ACME Surveillance")
    out = io.BytesIO()
    picture().save(out, "PNG", pnginfo=info, exif=camera_exif(orientation=1))
    return out.getvalue()


def gif_with_comment() -> bytes:
    frames = [picture().convert("P"), picture((40, 20)).rotate(180).convert("P")]
    out = io.BytesIO()
    frames[0].save(
        out, "GIF", save_all=True, append_images=frames[1:], loop=0, duration=100,
        comment=b"Jane Whistle",
    )  # fmt: skip
    return out.getvalue()


def webp_with_exif() -> bytes:
    out = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">Jane Whistle</x:xmpmeta>'
    picture().save(out, "WEBP", lossless=True, exif=camera_exif(orientation=1), xmp=xmp)
    return out.getvalue()


def tiff_with_tags() -> bytes:
    tags = {Base.Artist: "Jane Whistle", Base.Make: "Canon", Base.Software: "ACME Surveillance"}
    out = io.BytesIO()
    picture().save(out, "TIFF", tiffinfo=tags, compression="tiff_lzw")
    return out.getvalue()


def pdf_with_info(pages: int = 2) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page()
    pdf.trailer.Info = pdf.make_indirect(
        pikepdf.Dictionary(
            Author="Jane Whistle", Creator="ACME Surveillance", Producer="Canon", Title="Memo"
        )
    )
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        b'22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b"<dc:creator><rdf:Seq><rdf:li>Jane Whistle</rdf:li></rdf:Seq></dc:creator>"
        b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    for holder in (pdf.Root, pdf.pages[0].obj):
        holder.Metadata = pdf.make_stream(xmp, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


Stamp = tuple[int, int, int, int, int, int]


def zip_of(members: list[tuple[str, bytes]], when: Stamp = (2024, 5, 1, 9, 30, 0)) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members:
            info = zipfile.ZipInfo(name, date_time=when)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return out.getvalue()


DOCX_CORE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties '
    b'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>Jane Whistle</dc:creator>'
    b"<cp:lastModifiedBy>Jane Whistle</cp:lastModifiedBy>"
    b'<dcterms:created xsi:type="dcterms:W3CDTF">2024-05-01T09:30:00Z</dcterms:created>'
    b"</cp:coreProperties>"
)
DOCX_APP = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas'
    b'.openxmlformats.org/officeDocument/2006/extended-properties"><Pages>1</Pages>'
    b"<Company>ACME Surveillance</Company></Properties>"
)
DOCX_CUSTOM = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas'
    b'.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxml'
    b'formats.org/officeDocument/2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-'
    b'08002B2CF9AE}" pid="2" name="Department"><vt:lpwstr>ACME Surveillance</vt:lpwstr>'
    b"</property></Properties>"
)
DOCX_OTHERS = [
    (
        "[Content_Types].xml",
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
        b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.wordprocessingml.document.main+xml"/></Types>',
    ),
    (
        "_rels/.rels",
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
        b'.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxml'
        b'formats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"'
        b"/></Relationships>",
    ),
    (
        "word/document.xml",
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>The report.</w:t></w:r></w:p></w:body></w:document>",
    ),
]


def docx_with_properties(picture: bytes = b"") -> bytes:
    media = [("word/media/image1.jpeg", picture)] if picture else []
    parts = [
        ("docProps/core.xml", DOCX_CORE),
        ("docProps/app.xml", DOCX_APP),
        ("docProps/custom.xml", DOCX_CUSTOM),
    ]
    return zip_of(DOCX_OTHERS + parts + media, when=(1980, 1, 1, 0, 0, 0))


ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
ODT_OTHERS = [
    ("content.xml", b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:'
     b'xmlns:office:1.0" office:version="1.3"><office:body/></office:document-content>'),
    ("META-INF/manifest.xml", b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
     b'opendocument:xmlns:manifest:1.0" manifest:version="1.3"/>'),
]  # fmt: skip
ODT_META = (
    b'<?xml version="1.0" encoding="UTF-8"?><office:document-meta xmlns:office="urn:oasis:names:'
    b'tc:opendocument:xmlns:office:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:'
    b'1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3"><office:meta>'
    b"<meta:initial-creator>Jane Whistle</meta:initial-creator><dc:creator>Jane Whistle"
    b'</dc:creator><meta:document-statistic meta:page-count="1"/></office:meta>'
    b"</office:document-meta>"
)


def odt_with_meta() -> bytes:
    return zip_of([("mimetype", ODT_MIMETYPE), *ODT_OTHERS, ("meta.xml", ODT_META)])


def all_samples() -> dict[str, bytes]:
    """One cleanable file of each kind (also used by the no-disk-writes check in a subprocess)."""
    return {
        "photo.jpg": jpeg_with_exif(),
        "screen.png": png_with_text(),
        "anim.gif": gif_with_comment(),
        "photo.webp": webp_with_exif(),
        "scan.tiff": tiff_with_tags(),
        "memo.pdf": pdf_with_info(),
        "memo.docx": docx_with_properties(jpeg_with_exif()),
        "memo.odt": odt_with_meta(),
    }
