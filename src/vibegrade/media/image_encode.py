"""Encode still images to bytes: JPEG and WebP through Pillow, PNG (16-bit through OpenCV) with our metadata
chunks, and baseline TIFF with its tag directory written by Pillow and strips compressed on threads.

Part of :mod:`vibegrade.media.image` (which states the guarantees and writes the file); internal to media/.
"""

from __future__ import annotations

import io
import logging
import os
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from vibegrade.media.bitdepth import to_8bit
from vibegrade.media.errors import WriteError
from vibegrade.media.exif import EXIF_IFD, GPS_IFD, ICC_TAG, INTEROP_IFD, TIFF_STRUCTURAL_TAGS, XMP_TAG

__all__ = ["validate_arrays", "encode", "encode_png", "encode_tiff"]

log = logging.getLogger("vibegrade.media.image")  # one logger for every part of image I/O


def validate_arrays(p: Path, rgb: Any, alpha: Any) -> tuple[np.ndarray, np.ndarray | None]:
    if not isinstance(rgb, np.ndarray):
        raise WriteError(f"{p}: pixels must be a NumPy array, got {type(rgb).__name__}")
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[:, :, None], 3, axis=2)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise WriteError(f"{p}: pixels must be an (H, W, 3) array, got shape {rgb.shape}")
    if rgb.dtype not in (np.uint8, np.uint16):
        raise WriteError(f"{p}: pixels must be uint8 or uint16, got {rgb.dtype}")
    rgb = np.ascontiguousarray(rgb)
    if alpha is None:
        return rgb, None
    alpha = np.asarray(alpha)
    if alpha.ndim == 3 and alpha.shape[2] == 1:
        alpha = alpha[:, :, 0]
    if alpha.shape != rgb.shape[:2]:
        raise WriteError(f"{p}: alpha shape {alpha.shape} does not match the image {rgb.shape[:2]}")
    if alpha.dtype == rgb.dtype:
        pass
    elif alpha.dtype == np.uint8 and rgb.dtype == np.uint16:
        alpha = alpha.astype(np.uint16) * 257
    elif alpha.dtype == np.uint16 and rgb.dtype == np.uint8:
        alpha = to_8bit(alpha)
    else:
        raise WriteError(f"{p}: alpha must be uint8 or uint16, got {alpha.dtype}")
    return rgb, np.ascontiguousarray(alpha)


def encode(fmt: str, rgb: np.ndarray, alpha: np.ndarray | None, meta: dict, quality: int) -> bytes:
    """The file's bytes in ``fmt`` (``'JPEG'``, ``'PNG'``, ``'WEBP'``, ``'TIFF'``) from validated arrays."""
    if fmt == "PNG":
        return encode_png(rgb, alpha, meta)
    if fmt == "TIFF":
        return encode_tiff(rgb, alpha, meta)
    return _encode_pillow(fmt, rgb, alpha, meta, quality)


def _encode_pillow(fmt: str, rgb: np.ndarray, alpha: np.ndarray | None, meta: dict, quality: int) -> bytes:
    from PIL import Image

    im = Image.fromarray(rgb, "RGB")
    if alpha is not None:
        im = im.convert("RGBA")
        im.putalpha(Image.fromarray(alpha, "L"))
    kw: dict[str, Any] = {"quality": quality}
    if meta.get("exif"):
        kw["exif"] = meta["exif"]
    if meta.get("icc_profile"):
        kw["icc_profile"] = meta["icc_profile"]
    if meta.get("xmp"):
        kw["xmp"] = meta["xmp"]
    if fmt == "JPEG":
        kw["subsampling"] = 0 if quality >= 90 else 2
        if meta.get("dpi"):
            kw["dpi"] = tuple(int(round(v)) for v in meta["dpi"])
        if meta.get("comment"):
            kw["comment"] = meta["comment"]
    else:  # WEBP
        kw["method"] = 4
        if alpha is not None:
            kw["exact"] = True  # keep colour under fully transparent pixels
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


# --- PNG ----------------------------------------------------------------------------------------------------

def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _png_text_chunk(key: str, value: str) -> bytes:
    k = key.encode("latin-1", "replace")[:79] or b"Comment"
    try:
        return _png_chunk(b"tEXt", k + b"\x00" + value.encode("latin-1"))
    except UnicodeEncodeError:
        return _png_chunk(b"iTXt", k + b"\x00\x00\x00\x00\x00" + value.encode("utf-8"))


def encode_png(rgb: np.ndarray, alpha: np.ndarray | None, meta: dict) -> bytes:
    """PNG pixels from Pillow (8-bit) or OpenCV (16-bit), then our metadata chunks inserted after IHDR."""
    if rgb.dtype == np.uint16:
        import cv2

        arr = rgb[:, :, ::-1] if alpha is None else np.dstack([rgb[:, :, ::-1], alpha])
        ok, enc = cv2.imencode(".png", np.ascontiguousarray(arr), [cv2.IMWRITE_PNG_COMPRESSION, 6])
        if not ok:
            raise ValueError("the PNG encoder failed")
        png = enc.tobytes()
    else:
        from PIL import Image

        im = Image.fromarray(rgb, "RGB")
        if alpha is not None:
            im = im.convert("RGBA")
            im.putalpha(Image.fromarray(alpha, "L"))
        buf = io.BytesIO()
        im.save(buf, format="PNG", compress_level=6)
        png = buf.getvalue()

    extra = []
    if meta.get("icc_profile"):
        extra.append(_png_chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(meta["icc_profile"], 9)))
    if meta.get("dpi"):
        ppm = [max(1, int(round(v / 0.0254))) for v in meta["dpi"]]
        extra.append(_png_chunk(b"pHYs", struct.pack(">IIB", ppm[0], ppm[1], 1)))
    if meta.get("exif"):
        ex = meta["exif"]
        extra.append(_png_chunk(b"eXIf", ex[6:] if ex.startswith(b"Exif\x00\x00") else ex))
    if meta.get("xmp"):
        extra.append(_png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + meta["xmp"]))
    for key, value in (meta.get("png_text") or {}).items():
        extra.append(_png_text_chunk(str(key), str(value)))
    if meta.get("comment") and not (meta.get("png_text") or {}).get("Comment"):
        extra.append(_png_text_chunk("Comment", meta["comment"].decode("utf-8", "replace")))
    if not extra:
        return png
    # Drop chunks the encoder may have written that we replace, then insert ours right after IHDR.
    sig, pos = png[:8], 8
    chunks = []
    while pos < len(png):
        (n,) = struct.unpack_from(">I", png, pos)
        kind = png[pos + 4:pos + 8]
        chunks.append((kind, png[pos:pos + 12 + n]))
        pos += 12 + n
    replaced = {b"iCCP", b"sRGB", b"gAMA", b"cHRM", b"pHYs", b"eXIf"} if meta.get("icc_profile") else \
        {b"pHYs", b"eXIf"}
    out = [sig]
    for kind, raw in chunks:
        if kind in replaced:
            continue
        out.append(raw)
        if kind == b"IHDR":
            out.extend(extra)
    return b"".join(out)


# --- TIFF ---------------------------------------------------------------------------------------------------

_TIFF_STRIP_BYTES = 1 << 18  # uncompressed bytes per strip (~256 KiB)


@lru_cache(maxsize=1)
def _zlib_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=max(1, min(8, os.cpu_count() or 1)),
                              thread_name_prefix="vibegrade-tiff")


def encode_tiff(rgb: np.ndarray, alpha: np.ndarray | None, meta: dict) -> bytes:
    """Baseline little-endian TIFF, 8 or 16 bits per sample, Adobe-deflate with horizontal predictor.

    The tag directory is serialised by Pillow's ``ImageFileDirectory_v2`` (which also writes EXIF/GPS
    sub-directories); pixel strips are compressed on threads (zlib releases the GIL).
    """
    from PIL import Image, TiffImagePlugin, TiffTags

    arr = rgb if alpha is None else np.dstack([rgb, alpha])
    h, w, c = arr.shape
    bits = 8 * arr.dtype.itemsize
    le = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
    diff = le.copy()
    diff[:, 1:, :] -= le[:, :-1, :]  # predictor 2 (unsigned wrap-around is what TIFF specifies)
    row_bytes = w * c * arr.dtype.itemsize
    rows = max(1, min(h, _TIFF_STRIP_BYTES // max(1, row_bytes)))
    bands = [diff[r:r + rows].tobytes() for r in range(0, h, rows)]
    strips = list(_zlib_pool().map(lambda b: zlib.compress(b, 6), bands))

    ifd = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II")
    if meta.get("exif"):
        ex = Image.Exif()
        try:
            ex.load(meta["exif"])
            for tag in list(ex):
                if tag in TIFF_STRUCTURAL_TAGS and tag not in (EXIF_IFD, GPS_IFD):
                    continue
                if tag in (EXIF_IFD, GPS_IFD):
                    sub = {k: v for k, v in ex.get_ifd(tag).items() if k != INTEROP_IFD}
                    if sub:
                        ifd[tag] = sub
                else:
                    ifd[tag] = ex[tag]
        except Exception:
            log.warning("EXIF could not be converted to TIFF tags; EXIF dropped")
            ifd = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II")
    ifd[256] = w
    ifd[257] = h
    ifd[258] = (bits,) * c
    ifd[259] = 8  # Adobe deflate
    ifd[262] = 2  # RGB
    ifd[277] = c
    ifd[278] = rows
    ifd[284] = 1  # chunky
    ifd[317] = 2  # horizontal differencing
    if c == 4:
        ifd[338] = 2  # unassociated alpha
    offsets, acc = [], 0
    for s in strips:
        offsets.append(acc)
        acc += len(s)
    ifd.tagtype[273] = TiffTags.LONG
    ifd[273] = tuple(offsets)  # relative to the end of the directory; Pillow's writer adds that offset
    ifd.tagtype[279] = TiffTags.LONG
    ifd[279] = tuple(len(s) for s in strips)
    if meta.get("dpi"):
        ifd[296] = 2
        ifd[282] = float(meta["dpi"][0])
        ifd[283] = float(meta["dpi"][1])
    if meta.get("icc_profile"):
        ifd.tagtype[ICC_TAG] = TiffTags.UNDEFINED
        ifd[ICC_TAG] = bytes(meta["icc_profile"])
    if meta.get("xmp"):
        ifd.tagtype[XMP_TAG] = TiffTags.BYTE
        ifd[XMP_TAG] = bytes(meta["xmp"])
    buf = io.BytesIO()
    ifd.save(buf)  # header + directory; strips follow directly
    for s in strips:
        buf.write(s)
    return buf.getvalue()
