"""EXIF and XMP of still images: read the orientation, reset it to 1 in the kept metadata, turn the pixels.

Part of :mod:`vibegrade.media.image` (which states the guarantees); internal to media/.
"""

from __future__ import annotations

import logging
import re
import struct

import numpy as np

__all__ = ["ORIENTATION_TAG", "EXIF_IFD", "GPS_IFD", "INTEROP_IFD", "XMP_TAG", "ICC_TAG",
           "TIFF_STRUCTURAL_TAGS",
           "read_exif", "exif_reset_orientation", "xmp_reset_orientation", "apply_orientation"]

log = logging.getLogger("vibegrade.media.image")  # one logger for every part of image I/O

ORIENTATION_TAG = 0x0112
EXIF_IFD, GPS_IFD, INTEROP_IFD = 0x8769, 0x8825, 0xA005
XMP_TAG, ICC_TAG = 700, 34675
# TIFF tags that describe the pixel layout of a particular file; never copied as "metadata".
TIFF_STRUCTURAL_TAGS = frozenset({
    254, 255, 256, 257, 258, 259, 262, 263, 266, 269, 273, 277, 278, 279, 280, 281, 282, 283, 284, 285,
    286, 287, 288, 289, 290, 291, 292, 293, 296, 297, 301, 317, 318, 319, 320, 322, 323, 324, 325, 330,
    332, 338, 339, 340, 341, 347, 513, 514, 529, 530, 531, 532, 700, 33723, 34377, 34665, 34675, 34853,
    40965,
})



def read_exif(im, fmt: str) -> tuple[int, bytes | None]:
    """Return (orientation, EXIF blob with orientation reset to 1 or None)."""
    orientation = 1
    try:
        exif = im.getexif()
        orientation = int(exif.get(ORIENTATION_TAG, 1) or 1)
    except Exception:  # corrupt EXIF must not stop us from reading pixels
        log.warning("ignoring unreadable EXIF data")
        return 1, None
    if orientation not in range(1, 9):
        orientation = 1
    if fmt == "TIFF":
        return orientation, _exif_from_tiff(exif)
    raw = im.info.get("exif")
    if not raw:
        return orientation, None
    if isinstance(raw, str):
        raw = raw.encode("latin-1", "replace")
    raw = bytes(raw)
    body = raw[6:] if raw.startswith(b"Exif\x00\x00") else raw
    if body[:4] not in (b"II*\x00", b"MM\x00*"):
        return orientation, None
    try:
        body = exif_reset_orientation(body)
    except (struct.error, IndexError, ValueError):
        # fall back to a re-serialisation through Pillow
        try:
            exif[ORIENTATION_TAG] = 1
            return orientation, exif.tobytes()
        except Exception:
            return orientation, None
    return orientation, b"Exif\x00\x00" + body


def exif_reset_orientation(tiff: bytes) -> bytes:
    """Set the Orientation entry in IFD0 of a raw EXIF TIFF structure to 1, leaving every other byte alone."""
    order = "<" if tiff[:2] == b"II" else ">"
    (ifd0,) = struct.unpack_from(order + "I", tiff, 4)
    (count,) = struct.unpack_from(order + "H", tiff, ifd0)
    buf = bytearray(tiff)
    for i in range(count):
        entry = ifd0 + 2 + 12 * i
        tag, typ, n = struct.unpack_from(order + "HHI", tiff, entry)
        if tag == ORIENTATION_TAG and n >= 1:
            if typ == 3:  # SHORT, inline
                struct.pack_into(order + "H", buf, entry + 8, 1)
            elif typ == 4:  # LONG, inline
                struct.pack_into(order + "I", buf, entry + 8, 1)
            else:
                raise ValueError("unexpected Orientation type")
            break
    return bytes(buf)


def _exif_from_tiff(exif) -> bytes | None:
    """EXIF blob for a TIFF source: IFD0 tags that are not about the pixel layout, plus Exif/GPS sub-IFDs."""
    from PIL import Image

    out = Image.Exif()
    for tag, value in exif.items():
        if tag in TIFF_STRUCTURAL_TAGS:
            continue
        out[tag] = value
    for sub in (EXIF_IFD, GPS_IFD):
        if sub in exif:
            d = exif.get_ifd(sub)
            if d:
                out[sub] = dict(d)
    if ORIENTATION_TAG in out:
        out[ORIENTATION_TAG] = 1
    if not len(out):
        return None
    try:
        return out.tobytes()
    except Exception:
        log.warning("could not re-encode TIFF metadata as EXIF; EXIF dropped")
        return None


_XMP_ORIENT_ATTR = re.compile(rb'(tiff:Orientation\s*=\s*["\'])\s*\d+\s*(["\'])')
_XMP_ORIENT_ELEM = re.compile(rb"(<tiff:Orientation>)\s*\d+\s*(</tiff:Orientation>)")


def xmp_reset_orientation(xmp: bytes) -> bytes:
    xmp = _XMP_ORIENT_ATTR.sub(rb"\g<1>1\g<2>", xmp)
    return _XMP_ORIENT_ELEM.sub(rb"\g<1>1\g<2>", xmp)


def apply_orientation(a: np.ndarray, orientation: int) -> np.ndarray:
    """Turn stored pixels into display orientation for EXIF orientation 1..8 (rows = y, columns = x)."""
    if orientation == 2:
        return a[:, ::-1]
    if orientation == 3:
        return a[::-1, ::-1]
    if orientation == 4:
        return a[::-1]
    if orientation == 5:
        return a.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(a, -1)
    if orientation == 7:
        return a.swapaxes(0, 1)[::-1, ::-1]
    if orientation == 8:
        return np.rot90(a, 1)
    return a
