"""Decode still images: open with every header check (pixel limit, truncated JPEG data), then pixels as
8- or 16-bit sRGB arrays in display orientation, with the metadata worth keeping.

Part of :mod:`vibegrade.media.image` (which states the guarantees); internal to media/.
"""

from __future__ import annotations

import logging
import os
import struct
import threading
import warnings
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from vibegrade.media.errors import Corrupt, MediaError, TooLarge, UnsupportedFormat, short
from vibegrade.media.exif import ORIENTATION_TAG, apply_orientation, read_exif, xmp_reset_orientation
from vibegrade.media.icc import convert_icc_16, convert_icc_pil
from vibegrade.media.image_encode import encode_png, encode_tiff

__all__ = ["READ_FORMATS", "SUPPORTED", "DECODE_ERRORS", "check_readable_file", "open_checked",
           "is_16bit_colour", "decode", "jpeg_min_bytes"]

log = logging.getLogger("vibegrade.media.image")  # one logger for every part of image I/O

READ_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "TIFF": "TIFF"}
SUPPORTED = "JPEG, PNG, WebP, TIFF, HEIC/HEIF, camera RAW"
"""The readable formats, as error messages name them (HEIF and RAW are decoded by their own modules)."""

_PIL_LIMIT_LOCK = threading.Lock()
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error, IndexError, KeyError,
                 TypeError, AttributeError)


def open_checked(p: Path, limit: int):
    """Open ``p`` with Pillow and make every header check; returns ``(image, format)`` (caller closes)."""
    from PIL import Image

    check_readable_file(p)
    try:
        im = _open_pillow(p)
    except MediaError:
        raise
    except Image.UnidentifiedImageError:
        raise Corrupt(f"{p}: not a readable image (supported: {SUPPORTED}) "
                         f"or the file is corrupt") from None
    except DECODE_ERRORS as e:
        raise Corrupt(f"{p}: cannot read image header ({short(e)})") from e
    try:
        fmt = READ_FORMATS.get(im.format or "")
        if fmt is None:
            raise UnsupportedFormat(
                f"{p}: unsupported image format {im.format} (supported: {SUPPORTED})")
        w, h = im.size
        if w <= 0 or h <= 0:
            raise Corrupt(f"{p}: image has no pixels ({w}×{h})")
        if w * h > limit:
            raise TooLarge(
                f"{p}: {w}×{h} = {w * h / 1e6:.1f} megapixels is over the limit of "
                f"{limit / 1e6:.1f} megapixels (raise it with max_pixels or env VIBEGRADE_MAX_PIXELS)")
        if fmt == "JPEG":
            _check_jpeg_data_size(p, im)
    except BaseException:
        im.close()
        raise
    return im, fmt


# JPEG start-of-frame markers: baseline/extended/progressive/lossless with Huffman coding (C0-C3, C5-C7)
# and with arithmetic coding (C9-CB, CD-CF).
_SOF_HUFFMAN = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7})
_SOF_ARITHMETIC = frozenset({0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def _jpeg_frame(data: bytes) -> tuple[int, list[tuple[int, int]]] | None:
    """``(SOF marker, [(h, v) sampling factors per component])`` of a JPEG, or None if not found."""
    i = 2
    n = len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        seg_len = int.from_bytes(data[i + 2:i + 4], "big")
        if marker in _SOF_HUFFMAN or marker in _SOF_ARITHMETIC:
            seg = data[i + 4:i + 2 + seg_len]
            if len(seg) < 6:
                return None
            ncomp = seg[5]
            comps = [(seg[6 + 3 * k + 1] >> 4, seg[6 + 3 * k + 1] & 0x0F) for k in range(ncomp)
                     if 6 + 3 * k + 2 < len(seg)]
            return marker, comps
        if marker == 0xDA:  # start of scan before any frame header
            return None
        i += 2 + seg_len
    return None


def jpeg_min_bytes(width: int, height: int, sampling: list[tuple[int, int]]) -> int:
    """Fewest bytes of entropy-coded data a Huffman-coded JPEG of this size can have.

    Every 8×8 block of every component costs at least one bit (its DC difference has a Huffman code of one
    bit or more, in sequential and progressive files alike), so a file with less data than that cannot hold
    the picture its header claims: the decoder would fill the rest with grey.
    """
    hmax = max((h for h, _ in sampling), default=1) or 1
    vmax = max((v for _, v in sampling), default=1) or 1
    blocks = 0
    for h, v in sampling:
        cw = -(-width * max(h, 1) // hmax)
        ch = -(-height * max(v, 1) // vmax)
        blocks += -(-cw // 8) * -(-ch // 8)
    return blocks // 8


def _check_jpeg_data_size(p: Path, im) -> None:
    """Reject a JPEG whose data is shorter than its header's size needs (a few KB claiming a huge picture).

    Pillow reads such a file to the end-of-image marker without error and libjpeg pads the missing rows
    with grey: gigabytes of fill for a tiny upload. Files cut off *before* the end marker already fail
    (Pillow's ``LOAD_TRUNCATED_IMAGES`` stays off).
    """
    try:
        size = p.stat().st_size
        with open(p, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError as e:
        raise MediaError(f"{p}: cannot read file ({short(e)})") from e
    frame = _jpeg_frame(head)
    if frame is None:
        return  # Pillow parsed a header we could not: its decoder will judge the file
    marker, sampling = frame
    if marker in _SOF_ARITHMETIC or not sampling:
        return  # arithmetic coding can store flat areas in far less than a bit per block
    w, h = im.size
    need = jpeg_min_bytes(w, h, sampling)
    if size < need:
        raise Corrupt(f"{p}: truncated JPEG file: its header says {w}×{h} pixels, which needs at least "
                         f"{need:,} bytes of image data, but the file has {size:,} bytes")


def check_readable_file(p: Path) -> None:
    """Raise :class:`MediaError` unless ``p`` is an existing, non-empty, readable regular file."""
    if not p.exists():
        raise MediaError(f"{p}: file not found")
    if p.is_dir():
        raise MediaError(f"{p}: is a folder, not an image file")
    if not p.is_file():
        raise MediaError(f"{p}: not a regular file")
    try:
        size = p.stat().st_size
    except OSError as e:
        raise MediaError(f"{p}: cannot access file ({short(e)})") from e
    if size == 0:
        raise MediaError(f"{p}: empty file (0 bytes)")
    if not os.access(p, os.R_OK):
        raise MediaError(f"{p}: permission denied")


def _open_pillow(p: Path):
    """``Image.open`` with Pillow's own bomb limit replaced by ours (the caller checks it from the header)."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            return Image.open(p)
        except Image.DecompressionBombError:
            pass
        # Pillow refuses sizes over 2 × Image.MAX_IMAGE_PIXELS in open(); our limit may be higher.
        with _PIL_LIMIT_LOCK:
            old = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = None
            try:
                return Image.open(p)
            finally:
                Image.MAX_IMAGE_PIXELS = old


def is_16bit_colour(im) -> bool:
    """True for 16-bit RGB/RGBA/grey+alpha files, which Pillow would silently reduce to 8 bits."""
    if im.mode not in ("RGB", "RGBA", "LA", "RGBX"):
        return False
    for tile in getattr(im, "tile", None) or []:
        args = tile.args if hasattr(tile, "args") else tile[3]
        raw = args[0] if isinstance(args, tuple) and args else args
        if isinstance(raw, str) and "16" in raw:
            return True
    return False


def decode(p: Path, im, fmt: str) -> tuple[np.ndarray, np.ndarray | None, dict[str, Any]]:
    """Pixels ``(rgb, alpha)`` and metadata of an image opened by :func:`open_checked` (see LoadedImage)."""
    sixteen = is_16bit_colour(im)  # before anything (e.g. PNG getexif) loads the image and drops the tiles
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow's "Corrupt EXIF" & co. are handled by us
        if sixteen and fmt == "PNG" and "exif" not in im.info:
            orientation, exif_bytes = 1, None  # Pillow would decode the whole image to look after IDAT
        else:
            orientation, exif_bytes = read_exif(im, fmt)
    icc = im.info.get("icc_profile") or None
    meta: dict[str, Any] = {}
    dpi = im.info.get("dpi")
    if dpi and len(dpi) == 2:
        try:
            dx, dy = float(dpi[0]), float(dpi[1])
            if dx > 0 and dy > 0:
                meta["dpi"] = (round(dx, 4), round(dy, 4))
        except (TypeError, ValueError):
            pass
    if fmt == "JPEG" and isinstance(im.info.get("comment"), bytes) and im.info["comment"]:
        meta["comment"] = im.info["comment"]
    xmp = im.info.get("xmp")
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")

    if sixteen:
        rgb, alpha = _read_16bit_cv2(p)
        if _cv2_applies_orientation(fmt):
            orientation = 1  # OpenCV's TIFF decoder turns the pixels itself
        if icc:
            rgb, icc_meta = convert_icc_16(p, rgb, icc)
            meta.update(icc_meta)
    else:
        im.load()
        if fmt == "TIFF" and ORIENTATION_TAG not in getattr(im, "tag_v2", {}):
            orientation = 1  # Pillow's TIFF loader already turned the pixels (and removed the tag)
        rgb, alpha, icc_meta = _pil_to_arrays(p, im, icc)
        meta.update(icc_meta)
    if fmt == "PNG":
        text = {}
        # 16-bit: the chunks read with the header (Pillow's ``text`` would decode the pixels once more)
        chunks = getattr(getattr(im, "png", None), "im_text", None) if sixteen else None
        if chunks is None:
            chunks = getattr(im, "text", None)
        for k, v in (chunks or {}).items():
            if k == "XML:com.adobe.xmp":
                if xmp is None:
                    xmp = str(v).encode("utf-8")
                continue
            text[str(k)] = str(v)
        if text:
            meta["png_text"] = text

    if orientation in range(2, 9):
        rgb = apply_orientation(rgb, orientation)
        if alpha is not None:
            alpha = apply_orientation(alpha, orientation)
    if exif_bytes:
        meta["exif"] = exif_bytes
    if xmp:
        meta["xmp"] = xmp_reset_orientation(bytes(xmp))
    alpha = None if alpha is None else np.ascontiguousarray(alpha)
    return np.ascontiguousarray(rgb), alpha, meta


def _read_16bit_cv2(p: Path) -> tuple[np.ndarray, np.ndarray | None]:
    import cv2

    buf = np.fromfile(p, dtype=np.uint8)
    arr = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise Corrupt(f"{p}: corrupt or truncated 16-bit image (the decoder rejected it)")
    if arr.dtype not in (np.uint8, np.uint16):
        raise MediaError(f"{p}: unsupported sample type {arr.dtype} (only 8- and 16-bit integer images)")
    if arr.ndim == 2:
        return np.repeat(arr[:, :, None], 3, axis=2), None
    c = arr.shape[2]
    if c == 1:
        return np.repeat(arr, 3, axis=2), None
    if c == 2:  # grey + alpha
        return np.repeat(arr[:, :, :1], 3, axis=2), arr[:, :, 1].copy()
    if c == 3:
        return arr[:, :, ::-1].copy(), None
    if c == 4:
        return arr[:, :, 2::-1].copy(), arr[:, :, 3].copy()
    raise MediaError(f"{p}: unsupported number of channels ({c})")


@lru_cache(maxsize=4)
def _cv2_applies_orientation(fmt: str) -> bool:
    """Whether OpenCV's decoder (IMREAD_UNCHANGED) already applies the orientation tag for ``fmt``.

    Found out once by decoding a tiny 16-bit file with orientation 2 (mirror), so that we neither
    miss nor double the turn whatever the OpenCV build does (4.x/5.x TIFF: applied; PNG: not).
    """
    import cv2
    from PIL import Image

    stored = np.array([[[1, 2, 3], [4, 5, 6]]], dtype=np.uint16)
    ex = Image.Exif()
    ex[ORIENTATION_TAG] = 2
    meta = {"exif": ex.tobytes()}
    data = encode_tiff(stored, None, meta) if fmt == "TIFF" else encode_png(stored, None, meta)
    out = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    return out is not None and int(out[0, 0, 2]) == 4


def _pil_to_arrays(p: Path, im, icc: bytes | None) -> tuple[np.ndarray, np.ndarray | None, dict]:
    """Convert an opened, loaded Pillow image of any supported mode into (rgb, alpha, icc metadata)."""
    mode = im.mode
    alpha = None
    meta: dict[str, Any] = {}
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        grey = np.asarray(im)
        if grey.dtype != np.uint16:
            grey = np.clip(grey, 0, 65535).astype(np.uint16)
        if icc:
            log.warning("%s: ICC profile on a 16-bit greyscale image is ignored", p)
            meta["icc_profile"] = None
        return np.repeat(grey[:, :, None], 3, axis=2), None, meta
    if mode == "F":
        raise MediaError(f"{p}: 32-bit floating-point images are not supported")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in im.info) \
            or (mode in ("L", "RGB") and "transparency" in im.info):
        rgba = im.convert("RGBA") if mode not in ("LA",) else im
        alpha = np.asarray(rgba.getchannel("A")).copy()
        base = rgba.convert("RGB") if rgba.mode != "LA" else rgba.convert("L")
    elif mode in ("RGB", "L", "CMYK"):
        base = im
    elif mode in ("1", "P", "RGBX", "YCbCr"):
        base = im.convert("RGB")
    else:
        raise MediaError(f"{p}: unsupported pixel mode {mode}")

    if icc:
        base, meta = convert_icc_pil(p, base, icc)
    if base.mode != "RGB":
        base = base.convert("RGB")
    return np.asarray(base).copy(), alpha, meta
