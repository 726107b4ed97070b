"""Decode HEIF/HEIC stills (phone photos) through pillow-heif, the maintained Python binding of libheif.

What comes out, in the terms of :mod:`vibegrade.media.image`'s guarantees:

* **Pixels**: the primary image. 8-bit files give ``uint8``; 10- and 12-bit files give ``uint16`` over the
  full 0..65535 range (``v · 65535 / (2^bits − 1)``, rounded), so their extra precision is kept.
  Monochrome images are replicated to RGB; an alpha plane is returned as alpha (premultiplied alpha is
  un-premultiplied). Depth maps, auxiliary images, thumbnails and further images are ignored.
* **Orientation**: HEIF turns pixels with its ``irot``/``imir`` boxes, which libheif applies while decoding.
  The EXIF orientation of a HEIF file is informative only (the HEIF standard says so, and libheif, Apple's
  and Windows' readers ignore it), so it is not applied again; the EXIF and XMP kept say orientation 1.
* **Colour**: an ICC profile (iPhones embed Display P3) is converted to sRGB as for any image; without one,
  the ``nclx`` code points are converted by :mod:`vibegrade.media.cicp` (HDR PQ/HLG curves are refused).
* **Bombs**: the size is read from the container before any pixel is decoded and checked against the limit.
* **Errors**: an unreadable or cut-short file is :class:`~vibegrade.media.errors.Corrupt`; a codec or
  feature libheif lacks is :class:`~vibegrade.media.errors.UnsupportedFormat`.

Internal to media/; :func:`vibegrade.media.image.read_image` calls it for files
:mod:`vibegrade.media.sniff` recognises as HEIF.
"""

from __future__ import annotations

import logging
import struct
from pathlib import Path
from typing import Any

import numpy as np

from vibegrade.media.cicp import UnsupportedCicp, describe, needs_conversion, to_srgb
from vibegrade.media.errors import Corrupt, MediaError, TooLarge, UnsupportedFormat, short
from vibegrade.media.exif import exif_reset_orientation, xmp_reset_orientation
from vibegrade.media.icc import convert_icc_16, convert_icc_pil, srgb_profile_bytes

__all__ = ["HEIF_ERRORS", "open_heif_checked", "heif_bits", "decode_heif"]

log = logging.getLogger("vibegrade.media.image")  # one logger for every part of image I/O

HEIF_ERRORS = (ValueError, SyntaxError, RuntimeError, EOFError, OSError, KeyError, TypeError)
"""What pillow-heif raises for files it cannot read (its documented exceptions, plus lookups on odd boxes)."""


def _heif_error(p: Path, e: BaseException, stage: str) -> MediaError:
    msg = short(e)
    low = msg.lower()
    if "security limit" in low or "too large" in low:
        return TooLarge(f"{p}: HEIF image is over libheif's size limits ({msg})")
    if isinstance(e, SyntaxError) or "unsupported" in low:
        return UnsupportedFormat(f"{p}: HEIF feature not supported by libheif ({msg})")
    if isinstance(e, MemoryError):
        return MediaError(f"{p}: not enough memory to {stage} this HEIF image")
    return Corrupt(f"{p}: corrupt or truncated HEIF file; cannot {stage} it ({msg})")


def open_heif_checked(p: Path, limit: int):
    """Open ``p``'s primary HEIF image without decoding it, with the pixel limit checked; returns the
    pillow-heif image (its ``size``, ``mode`` and ``info`` read from the container)."""
    import pillow_heif

    try:
        heif = pillow_heif.open_heif(p, convert_hdr_to_8bit=False)
        img = heif[heif.primary_index]
        w, h = img.size
    except MediaError:
        raise
    except MemoryError as e:
        raise _heif_error(p, e, "open") from None
    except HEIF_ERRORS as e:
        raise _heif_error(p, e, "open") from e
    if w <= 0 or h <= 0:
        raise Corrupt(f"{p}: HEIF image has no pixels ({w}×{h})")
    if w * h > limit:
        raise TooLarge(
            f"{p}: {w}×{h} = {w * h / 1e6:.1f} megapixels is over the limit of "
            f"{limit / 1e6:.1f} megapixels (raise it with max_pixels or env VIBEGRADE_MAX_PIXELS)")
    return img


def heif_bits(img) -> int:
    """8, or 16 for a 10/12-bit image (decoded to ``uint16``)."""
    return 16 if int(img.info.get("bit_depth", 8) or 8) > 8 else 8


def _widen(a: np.ndarray, bits: int) -> np.ndarray:
    """pillow-heif's 16-bit samples hold ``bits`` significant bits at the top; spread them over 0..65535."""
    top = (1 << bits) - 1
    v = (a >> (16 - bits)).astype(np.uint32)
    return ((v * 65535 + top // 2) // top).astype(np.uint16)


def decode_heif(p: Path, img) -> tuple[np.ndarray, np.ndarray | None, dict[str, Any]]:
    """Pixels ``(rgb, alpha)`` in display orientation and sRGB, and the metadata worth keeping, of an image
    opened by :func:`open_heif_checked`."""
    info = img.info
    bits = int(info.get("bit_depth", 8) or 8)
    nclx = info.get("nclx_profile") or None
    icc = info.get("icc_profile") or None
    if not icc:
        try:
            needs_conversion(nclx)  # refuse HDR before the (costly) decode
        except UnsupportedCicp as e:
            raise UnsupportedFormat(f"{p}: {e}") from None
    premultiplied = bool(getattr(img, "premultiplied_alpha", False))
    try:
        a = np.asarray(img)
    except MemoryError as e:
        raise _heif_error(p, e, "decode") from None
    except HEIF_ERRORS as e:
        raise _heif_error(p, e, "decode") from e
    if a.dtype == np.uint16 and 8 < bits < 16:
        a = _widen(a, bits)
    elif a.dtype not in (np.uint8, np.uint16):
        raise UnsupportedFormat(f"{p}: unsupported HEIF sample type {a.dtype}")
    if a.ndim == 2:
        a = a[:, :, None]
    channels = a.shape[2]
    if channels in (1, 2):
        rgb, alpha = np.repeat(a[:, :, :1], 3, axis=2), (a[:, :, 1] if channels == 2 else None)
    elif channels in (3, 4):
        rgb, alpha = a[:, :, :3], (a[:, :, 3] if channels == 4 else None)
    else:
        raise UnsupportedFormat(f"{p}: unsupported number of HEIF channels ({channels})")
    if alpha is not None and premultiplied:
        rgb = _unpremultiply(rgb, alpha)

    meta: dict[str, Any] = {}
    if icc:
        if rgb.dtype == np.uint16:
            rgb, icc_meta = convert_icc_16(p, np.ascontiguousarray(rgb), bytes(icc))
        else:
            from PIL import Image

            base, icc_meta = convert_icc_pil(p, Image.fromarray(np.ascontiguousarray(rgb)), bytes(icc))
            rgb = np.asarray(base.convert("RGB"))
        meta.update(icc_meta)
    elif nclx and needs_conversion(nclx):
        try:
            rgb = to_srgb(np.ascontiguousarray(rgb), nclx)
        except UnsupportedCicp as e:
            raise UnsupportedFormat(f"{p}: {e}") from None
        meta.update({"icc_profile": srgb_profile_bytes(), "icc_converted_from": describe(nclx)})
    meta.update(_metadata(p, info))
    alpha = None if alpha is None else np.ascontiguousarray(alpha)
    return np.ascontiguousarray(rgb), alpha, meta


def _unpremultiply(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    top = float(np.iinfo(rgb.dtype).max)
    a = alpha.astype(np.float32)[:, :, None]
    out = np.where(a > 0, rgb.astype(np.float32) * top / np.maximum(a, 1.0), 0.0)
    return np.clip(np.rint(out), 0, top).astype(rgb.dtype)


def _metadata(p: Path, info: dict[str, Any]) -> dict[str, Any]:
    """EXIF and XMP with the orientation reset to 1 (the pixels are already turned)."""
    meta: dict[str, Any] = {}
    exif = info.get("exif")
    if isinstance(exif, (bytes, bytearray)) and exif:
        body = bytes(exif[6:]) if exif.startswith(b"Exif\x00\x00") else bytes(exif)
        if body[:4] in (b"II*\x00", b"MM\x00*"):
            try:
                meta["exif"] = b"Exif\x00\x00" + exif_reset_orientation(body)
            except (struct.error, ValueError, IndexError):  # corrupt EXIF must not stop the pixels
                log.warning("%s: ignoring unreadable EXIF data", p)
    xmp = info.get("xmp")
    if isinstance(xmp, (bytes, bytearray)) and xmp:
        meta["xmp"] = xmp_reset_orientation(bytes(xmp))
    return meta
