"""EXIF (a TIFF directory, also the structure of TIFF files): what it reveals, and the one tag kept.

EXIF is parsed only to tell the reporter what is being removed; the cleaners never copy it.
The single exception is the orientation tag, kept alone so that a photo taken with the phone
held sideways is still displayed the right way up without re-encoding its pixels.
"""

from __future__ import annotations

from PIL import Image
from PIL.ExifTags import IFD, Base

from redress.reporting.metadata import _common as labels

EXIF_PREFIX = b"Exif\x00\x00"

# Tags of the main directory (IFD0) and the EXIF sub-directory that reveal something.
_TAG_LABELS: dict[int, str] = {
    Base.Make: labels.CAMERA,
    Base.Model: labels.CAMERA,
    Base.LensMake: labels.CAMERA,
    Base.LensModel: labels.CAMERA,
    Base.LensSpecification: labels.CAMERA,
    Base.BodySerialNumber: labels.SERIAL,
    Base.LensSerialNumber: labels.SERIAL,
    Base.CameraOwnerName: labels.AUTHOR,
    Base.Artist: labels.AUTHOR,
    Base.Copyright: labels.AUTHOR,
    Base.XPAuthor: labels.AUTHOR,
    Base.HostComputer: labels.COMPUTER,
    Base.Software: labels.SOFTWARE,
    Base.ProcessingSoftware: labels.SOFTWARE,
    Base.DateTime: labels.DATE_TAKEN,
    Base.DateTimeOriginal: labels.DATE_TAKEN,
    Base.DateTimeDigitized: labels.DATE_TAKEN,
    Base.OffsetTime: labels.DATE_TAKEN,
    Base.OffsetTimeOriginal: labels.DATE_TAKEN,
    Base.OffsetTimeDigitized: labels.DATE_TAKEN,
    Base.SubsecTime: labels.DATE_TAKEN,
    Base.SubsecTimeOriginal: labels.DATE_TAKEN,
    Base.SubsecTimeDigitized: labels.DATE_TAKEN,
    Base.ImageDescription: labels.DESCRIPTION,
    Base.DocumentName: labels.DESCRIPTION,
    Base.UserComment: labels.DESCRIPTION,
    Base.XPComment: labels.DESCRIPTION,
    Base.XPTitle: labels.DESCRIPTION,
    Base.XPSubject: labels.DESCRIPTION,
    Base.XPKeywords: labels.DESCRIPTION,
    Base.ImageUniqueID: labels.DOCUMENT_ID,
    Base.MakerNote: labels.MAKER_NOTES,
    Base.XMLPacket: labels.XMP,
    Base.IPTCNAA: labels.IPTC,
    Base.ImageResources: labels.IPTC,
    Base.InterColorProfile: labels.COLOUR_PROFILE,
}

# EXIF sub-directory tags that only describe the picture's layout: not worth reporting.
_LAYOUT = {
    Base.ExifVersion,
    Base.FlashPixVersion,
    Base.ColorSpace,
    Base.ComponentsConfiguration,
    Base.ExifImageWidth,
    Base.ExifImageHeight,
    Base.ExifInteroperabilityOffset,
}


def exif_labels(raw: bytes) -> set[str]:
    """What an EXIF block (with or without the ``Exif\\0\\0`` prefix) or a TIFF header reveals."""
    try:
        exif = Image.Exif()
        exif.load(raw)
        found = {_TAG_LABELS[tag] for tag in exif if tag in _TAG_LABELS}
        sub = exif.get_ifd(IFD.Exif)
        found |= {_TAG_LABELS.get(tag, labels.SETTINGS) for tag in sub if tag not in _LAYOUT}
        if exif.get_ifd(IFD.GPSInfo):
            found.add(labels.GPS)
        if exif.get_ifd(IFD.IFD1):
            found.add(labels.THUMBNAIL)
    except Exception:  # Corrupt EXIF is removed all the same; it just cannot be itemised.
        return {labels.OTHER}
    return found


def orientation(raw: bytes) -> int:
    """The EXIF orientation: 1 (upright, also when absent or unreadable), 2..8 (turned)."""
    try:
        exif = Image.Exif()
        exif.load(raw)
        value = exif.get(Base.Orientation, 1)
    except Exception:  # An unreadable orientation is treated as upright.
        return 1
    return value if isinstance(value, int) and 2 <= value <= 8 else 1


def orientation_only(value: int) -> bytes:
    """A minimal EXIF block (without prefix) holding nothing but the orientation tag."""
    exif = Image.Exif()
    exif[Base.Orientation] = value
    return exif.tobytes()[len(EXIF_PREFIX) :]
