"""Office documents (docx/xlsx/pptx and other OOXML packages; odt/ods/odp and other ODF): zip
archives rewritten in memory with their document-properties parts emptied.

OOXML: docProps/core.xml (author, last modified by, dates, title, subject, keywords, revision),
docProps/app.xml (company, manager, application, total editing time, template) and
docProps/custom.xml (custom properties) are replaced by valid empty parts, so no relationship
or content-type entry dangles; Excel's record of the folder a workbook was saved in
(x15ac:absPath) is removed. ODF: meta.xml is replaced by an empty one. In both, JPEG and PNG
pictures inside the archive are cleaned like uploaded photos, and every member's timestamp is
set to 1980-01-01 (LibreOffice records the local save time there). Every other member keeps
its exact content, compression method and order, so an ODF ``mimetype`` stays first and
stored uncompressed. Digitally signed documents are not cleaned: that would break the signature.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree

from redress.reporting.metadata import _common as labels
from redress.reporting.metadata._common import (
    Cleaned,
    NotCleaned,
    Signed,
    TooLarge,
    Unreadable,
    Unsupported,
)
from redress.reporting.metadata._formats import JPEG_MAGIC, PNG_MAGIC
from redress.reporting.metadata.jpeg import clean_jpeg
from redress.reporting.metadata.png import clean_png

MAX_MEMBERS = 10_000
_EPOCH = (1980, 1, 1, 0, 0, 0)
_SIGNATURES = ("_xmlsignatures/", "META-INF/documentsignatures.xml")
_ODF_MIMETYPE = b"application/vnd.oasis.opendocument."

_EMPTY_CORE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
    b'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    b'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
    b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"></cp:coreProperties>'
)
_EMPTY_APP = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'docPropsVTypes"></Properties>'
)
_EMPTY_CUSTOM = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
    b'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"></Properties>'
)
_ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_EMPTY_META = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<office:document-meta xmlns:office="{_ODF_OFFICE}" office:version="{{version}}">'
    "<office:meta/></office:document-meta>"
)
_OOXML_PARTS = {
    "docProps/core.xml": _EMPTY_CORE,
    "docProps/app.xml": _EMPTY_APP,
    "docProps/custom.xml": _EMPTY_CUSTOM,
}
_ABS_PATH = re.compile(rb"<(?:\w+:)?absPath\b[^>]*/>")

# Property elements (by local name, OOXML and ODF alike) and what each reveals. Others, such as
# page and word counts or the document language, are removed without being reported.
_PROPERTY_LABELS = {
    "creator": labels.AUTHOR,
    "lastModifiedBy": labels.AUTHOR,
    "initial-creator": labels.AUTHOR,
    "printed-by": labels.AUTHOR,
    "created": labels.DATES,
    "modified": labels.DATES,
    "lastPrinted": labels.DATES,
    "creation-date": labels.DATES,
    "date": labels.DATES,
    "print-date": labels.DATES,
    "title": labels.DESCRIPTION,
    "subject": labels.DESCRIPTION,
    "description": labels.DESCRIPTION,
    "keywords": labels.DESCRIPTION,
    "keyword": labels.DESCRIPTION,
    "category": labels.DESCRIPTION,
    "contentStatus": labels.DESCRIPTION,
    "identifier": labels.DOCUMENT_ID,
    "revision": labels.EDITING,
    "version": labels.EDITING,
    "TotalTime": labels.EDITING,
    "editing-cycles": labels.EDITING,
    "editing-duration": labels.EDITING,
    "Company": labels.ORGANISATION,
    "Manager": labels.ORGANISATION,
    "Application": labels.SOFTWARE,
    "AppVersion": labels.SOFTWARE,
    "generator": labels.SOFTWARE,
    "Template": labels.TEMPLATE,
    "template": labels.TEMPLATE,
    "HyperlinkBase": labels.FILE_PATHS,
    "property": labels.CUSTOM,
    "user-defined": labels.CUSTOM,
}


def clean_office(data: bytes, max_total: int) -> Cleaned:
    """Raises zipfile.BadZipFile and the like on a broken archive, for ``clean`` to catch."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = _checked_members(archive, max_total)
        parts = _parts_to_empty(archive)
        out = io.BytesIO()
        removed: set[str] = set()
        with zipfile.ZipFile(out, "w") as cleaned:
            for member in members:
                content = archive.read(member)
                if member.filename in parts:
                    removed |= _property_labels(content)
                    content = parts[member.filename]
                else:
                    content = _clean_member(member.filename, content, removed)
                if member.date_time != _EPOCH:
                    removed.add(labels.DATES)
                cleaned.writestr(_neutral_info(member), content)
    return out.getvalue(), removed


def _checked_members(archive: zipfile.ZipFile, max_total: int) -> list[zipfile.ZipInfo]:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS or sum(member.file_size for member in members) > max_total:
        raise TooLarge("archive expands too much")
    names = [member.filename for member in members]
    if len(set(names)) != len(names) or any(member.flag_bits & 0x1 for member in members):
        raise Unreadable("ambiguous or encrypted archive")
    if any(name.startswith(_SIGNATURES) for name in names):
        raise Signed("signed document")
    return members


def _parts_to_empty(archive: zipfile.ZipFile) -> dict[str, bytes]:
    """The property parts of this kind of document and their empty replacements."""
    names = set(archive.namelist())
    if "[Content_Types].xml" in names:
        return {name: empty for name, empty in _OOXML_PARTS.items() if name in names}
    if "mimetype" in names and archive.read("mimetype").startswith(_ODF_MIMETYPE):
        if "meta.xml" not in names:
            return {}
        return {"meta.xml": _empty_meta(archive.read("meta.xml"))}
    raise Unsupported("a zip archive that is not an office document")


def _empty_meta(meta: bytes) -> bytes:
    version = _parse(meta).get(f"{{{_ODF_OFFICE}}}version", "1.2")
    if not re.fullmatch(r"\d+\.\d+", version):
        version = "1.2"
    return _EMPTY_META.format(version=version).encode()


def _parse(xml: bytes) -> ElementTree.Element:
    # Python's expat (>= 2.4.1) refuses entity-expansion bombs and ElementTree never fetches
    # external entities; the input is also bounded by the archive size check.
    return ElementTree.fromstring(xml)  # noqa: S314


def _property_labels(xml: bytes) -> set[str]:
    found = set()
    for element in _parse(xml).iter():
        name = element.tag.rsplit("}", 1)[-1]
        if name in _PROPERTY_LABELS and ((element.text or "").strip() or element.attrib):
            found.add(_PROPERTY_LABELS[name])
    return found


def _clean_member(name: str, content: bytes, removed: set[str]) -> bytes:
    """Pictures are cleaned when they can be; Excel's saved-in folder is dropped."""
    try:
        if content.startswith(JPEG_MAGIC):
            content, found = clean_jpeg(content)
        elif content.startswith(PNG_MAGIC):
            content, found = clean_png(content)
        else:
            return _drop_abs_path(name, content, removed)
    except NotCleaned:
        return content  # A picture too damaged to parse is left as it is.
    removed |= found
    return content


def _drop_abs_path(name: str, content: bytes, removed: set[str]) -> bytes:
    if name != "xl/workbook.xml":
        return content
    stripped = _ABS_PATH.sub(b"", content)
    if stripped != content:
        removed.add(labels.FILE_PATHS)
    return stripped


def _neutral_info(member: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """The member's name and compression, without its timestamp, comment or extra fields."""
    info = zipfile.ZipInfo(member.filename, date_time=_EPOCH)
    info.compress_type = member.compress_type
    info.external_attr = member.external_attr
    return info
