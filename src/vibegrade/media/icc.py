"""ICC colour profiles of still images: convert embedded profiles to sRGB (8-bit via LittleCMS, 16-bit in
floating point from a matrix/TRC profile's own curves, or through a sampled LUT).

Part of :mod:`vibegrade.media.image` (which states the guarantees); internal to media/.
"""

from __future__ import annotations

import io
import logging
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from vibegrade.media.errors import short
from vibegrade.tools.color import linear_to_srgb

__all__ = ["parse_matrix_shaper", "srgb_profile_bytes", "convert_icc_pil", "convert_icc_16"]

log = logging.getLogger("vibegrade.media.image")  # one logger for every part of image I/O


@dataclass(frozen=True)
class _MatrixShaper:
    """A matrix/TRC RGB ICC profile: linear = trc(encoded); XYZ(D50) = matrix @ linear."""

    matrix: np.ndarray  # (3, 3) float64, columns = red/green/blue colorants (PCS XYZ, D50)
    curves: tuple[np.ndarray, np.ndarray, np.ndarray]  # each a 65536-entry float64 table for 16-bit input


def _s15f16(b: bytes, off: int, n: int) -> list[float]:
    return [v / 65536.0 for v in struct.unpack_from(">" + "i" * n, b, off)]


def _parse_trc(b: bytes, off: int, size: int) -> np.ndarray | None:
    x = np.arange(65536, dtype=np.float64) / 65535.0
    sig = b[off:off + 4]
    if sig == b"curv":
        (n,) = struct.unpack_from(">I", b, off + 8)
        if n == 0:
            return x
        if n == 1:
            (g,) = struct.unpack_from(">H", b, off + 12)
            return x ** (g / 256.0)
        table = np.frombuffer(b, dtype=">u2", count=n, offset=off + 12).astype(np.float64) / 65535.0
        return np.interp(x, np.linspace(0.0, 1.0, n), table)
    if sig == b"para":
        (ftype,) = struct.unpack_from(">H", b, off + 8)
        nparams = {0: 1, 1: 3, 2: 4, 3: 5, 4: 7}.get(ftype)
        if nparams is None:
            return None
        prm = _s15f16(b, off + 12, nparams)
        g = prm[0]
        if ftype == 0:
            return x ** g
        a, bb = prm[1], prm[2]
        lin = np.maximum(a * x + bb, 0.0)
        if ftype == 1:
            return np.where(x >= -bb / a, lin ** g, 0.0)
        if ftype == 2:
            c = prm[3]
            return np.where(x >= -bb / a, lin ** g + c, c)
        if ftype == 3:
            c, d = prm[3], prm[4]
            return np.where(x >= d, lin ** g, c * x)
        c, d, e, f = prm[3], prm[4], prm[5], prm[6]
        return np.where(x >= d, lin ** g + e, c * x + f)
    return None


@lru_cache(maxsize=16)
def parse_matrix_shaper(icc: bytes) -> _MatrixShaper | None:
    """Parse an RGB matrix/TRC profile; None for anything else (LUT-based, CMYK, grey, malformed)."""
    try:
        if len(icc) < 132 or icc[16:20] != b"RGB " or icc[20:24] != b"XYZ ":
            return None
        (count,) = struct.unpack_from(">I", icc, 128)
        tags: dict[bytes, tuple[int, int]] = {}
        for i in range(count):
            sig, off, size = struct.unpack_from(">4sII", icc, 132 + 12 * i)
            tags[sig] = (off, size)
        if any(t in tags for t in (b"A2B0", b"A2B1", b"A2B2")):
            return None  # LittleCMS would use the LUT, not the matrix
        cols = []
        for t in (b"rXYZ", b"gXYZ", b"bXYZ"):
            off, _ = tags[t]
            cols.append(_s15f16(icc, off + 8, 3))
        curves = []
        for t in (b"rTRC", b"gTRC", b"bTRC"):
            off, size = tags[t]
            c = _parse_trc(icc, off, size)
            if c is None:
                return None
            curves.append(np.clip(c, 0.0, None))
        return _MatrixShaper(np.array(cols, dtype=np.float64).T, (curves[0], curves[1], curves[2]))
    except (KeyError, struct.error, ValueError, ZeroDivisionError, IndexError):
        return None


@lru_cache(maxsize=1)
def srgb_profile_bytes() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _is_srgb(icc: bytes) -> bool:
    """True when ``icc`` is a matrix/TRC profile numerically equal to sRGB (within 8-bit rounding)."""
    ms, ref = parse_matrix_shaper(icc), parse_matrix_shaper(srgb_profile_bytes())
    if ms is None or ref is None:
        return False
    if not np.allclose(ms.matrix, ref.matrix, atol=2e-3):
        return False
    return all(np.max(np.abs(c[::257] - r[::257])) < 0.5 / 255 for c, r in zip(ms.curves, ref.curves))


def _profile_description(icc: bytes) -> str:
    from PIL import ImageCms

    try:
        prof = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return (ImageCms.getProfileDescription(prof) or "").strip() or "embedded profile"
    except Exception:
        return "embedded profile"


def _cms_transform(src_icc: bytes, in_mode: str, out_mode: str = "RGB"):
    from PIL import ImageCms

    src = ImageCms.ImageCmsProfile(io.BytesIO(src_icc))
    dst = ImageCms.ImageCmsProfile(io.BytesIO(srgb_profile_bytes()))
    return ImageCms.buildTransform(src, dst, in_mode, out_mode,
                                   renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
                                   flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)


def convert_icc_pil(p: Path, base, icc: bytes):
    """8-bit path: convert a Pillow image in mode RGB/L/CMYK from its profile to sRGB."""
    from PIL import ImageCms

    if base.mode == "RGB" and _is_srgb(icc):
        return base, {"icc_profile": icc}
    try:
        transform = _cms_transform(icc, base.mode, "RGB")
        out = ImageCms.applyTransform(base, transform)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as e:
        log.warning("%s: embedded ICC profile could not be used (%s); pixels kept as they are", p, short(e))
        return base, {}
    return out, {"icc_profile": srgb_profile_bytes(), "icc_converted_from": _profile_description(icc)}


def _srgb_encode(lin: np.ndarray) -> np.ndarray:
    return linear_to_srgb(lin)  # the one copy of the sRGB curve


def convert_icc_16(p: Path, rgb: np.ndarray, icc: bytes) -> tuple[np.ndarray, dict]:
    """16-bit path: convert ``rgb`` (uint16) from its profile to sRGB, in float (matrix/TRC) or via a LUT."""
    if _is_srgb(icc):
        return rgb, {"icc_profile": icc}
    src = parse_matrix_shaper(icc)
    ref = parse_matrix_shaper(srgb_profile_bytes())
    meta = {"icc_profile": srgb_profile_bytes(), "icc_converted_from": _profile_description(icc)}
    h, w, _ = rgb.shape
    flat = rgb.reshape(-1, 3)
    out = np.empty_like(flat)
    if src is not None and ref is not None:
        m = (np.linalg.inv(ref.matrix) @ src.matrix).astype(np.float32)
        curves = [c.astype(np.float32) for c in src.curves]
        step = 1 << 20
        for s in range(0, flat.shape[0], step):
            chunk = flat[s:s + step]
            lin = np.stack([curves[k][chunk[:, k]] for k in range(3)], axis=1)
            enc = _srgb_encode(lin @ m.T)
            out[s:s + step] = np.rint(enc * 65535.0).astype(np.uint16)
        return out.reshape(h, w, 3), meta
    # LUT-based profile: sample the LittleCMS transform on an 8-bit grid and interpolate.
    from PIL import Image, ImageCms

    from vibegrade.tools.lut import apply_lut

    try:
        n = 52  # grid values 0, 5, ..., 255 are exact 8-bit codes
        axis = np.arange(n, dtype=np.uint16) * 5
        r, g, b = np.meshgrid(axis, axis, axis, indexing="ij")
        grid = np.stack([r, g, b], axis=-1).astype(np.uint8).reshape(1, -1, 3)
        res = ImageCms.applyTransform(Image.fromarray(grid), _cms_transform(icc, "RGB", "RGB"))
        lut = (np.asarray(res, dtype=np.float32) / 255.0).reshape(n, n, n, 3)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as e:
        log.warning("%s: embedded ICC profile could not be used (%s); pixels kept as they are", p, short(e))
        return rgb, {}
    log.info("%s: LUT-based ICC profile on a 16-bit image: converted via a sampled table (~8-bit)", p)
    step = 1 << 20
    for s in range(0, flat.shape[0], step):
        vals = apply_lut(flat[s:s + step].astype(np.float32) / 65535.0, lut)
        out[s:s + step] = np.rint(np.clip(vals, 0.0, 1.0) * 65535.0).astype(np.uint16)
    return out.reshape(h, w, 3), meta
