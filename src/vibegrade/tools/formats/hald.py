"""HaldCLUT images: a 3D LUT stored as a square PNG (darktable, RawTherapee, G'MIC, ffmpeg ``haldclut``).

A HaldCLUT of *level* ``L`` holds an ``N = L²``-point lattice in an image of ``L³ × L³`` pixels
(level 8: 64³ lattice, 512 × 512 pixels). Lattice point ``(r, g, b)`` (integers ``0..N-1``) is stored at
pixel index ``i = r + N·g + N²·b`` in row-major order, i.e. at ``x = i mod L³``, ``y = i div L³``: red
changes fastest, then green, then blue. The identity image has at that pixel the colour
``(r, g, b) / (N - 1)``. Reference: E. Eliasson, "HaldCLUT" (2008, the format's description, mirrored by
G'MIC and RawTherapee), and ffmpeg's ``haldclut`` filter (libavfilter/vf_lut3d.c), which reads the
lattice the same way.

vibegrade writes 16-bit RGB PNGs by default (8-bit on request): 16 bits keep the quantisation well below
an 8-bit level; darktable's ``lut 3D`` module, RawTherapee's film simulation, G'MIC and ffmpeg read both.
Colour management is not applied on either side: pixel codes are the LUT's values.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np

from vibegrade.files import atomic_write_bytes
from vibegrade.tools.lut import CubeError

__all__ = ["HaldError", "hald_image", "hald_to_lut", "write_hald", "read_hald", "MIN_LEVEL", "MAX_LEVEL",
           "DEFAULT_LEVEL"]

MIN_LEVEL, MAX_LEVEL = 2, 16  # 8 to 4096 pixels wide (4 to 256 lattice points)
DEFAULT_LEVEL = 8             # 512 x 512 pixels, 64-point lattice: the common size of darktable/G'MIC CLUTs
_PNG_SIG = b"\x89PNG\r\n\x1a\n"


class HaldError(CubeError):
    """A HaldCLUT image could not be used (a :class:`CubeError`, so callers handle all LUT errors alike)."""


def hald_image(lut: np.ndarray, bits: int = 16) -> np.ndarray:
    """The ``(L³, L³, 3)`` HaldCLUT image of an ``(N, N, N, 3)`` LUT with ``N = L²``.

    Args:
        lut: table indexed ``[r, g, b]``, values in [0, 1] (clipped).
        bits: 8 (uint8) or 16 (uint16).
    """
    size = lut.shape[0]
    level = int(round(size ** 0.5))
    if lut.shape != (size, size, size, 3) or level * level != size:
        raise ValueError(f"a HaldCLUT needs an N^3 LUT with N a square (4, 9, ..., 64, ...), got {lut.shape}")
    if bits not in (8, 16):
        raise ValueError("HaldCLUT bit depth must be 8 or 16")
    top = 255 if bits == 8 else 65535
    # pixel order: r fastest, then g, then b  ->  array [b, g, r]
    flat = np.asarray(lut, np.float64).transpose(2, 1, 0, 3).reshape(-1, 3)
    codes = np.rint(np.clip(flat, 0.0, 1.0) * top).astype(np.uint8 if bits == 8 else np.uint16)
    side = level**3
    return codes.reshape(side, side, 3)


def write_hald(path: str | os.PathLike[str], lut: np.ndarray, bits: int = 16) -> None:
    """Write a HaldCLUT PNG atomically (no ICC profile, no gamma chunk: codes are LUT values)."""
    import cv2

    img = hald_image(lut, bits)
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(img[..., ::-1]), [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise ValueError(f"{path}: PNG encoding failed")
    atomic_write_bytes(path, buf.tobytes())


def hald_to_lut(img: np.ndarray) -> np.ndarray:
    """The ``(N, N, N, 3)`` float32 LUT of a HaldCLUT image (uint8 or uint16, ``(L³, L³, 3)``)."""
    side = img.shape[0]
    level = round(side ** (1 / 3))
    if img.ndim != 3 or img.shape != (side, side, 3) or level**3 != side:
        raise ValueError(f"not a HaldCLUT image shape: {img.shape}")
    top = 255.0 if img.dtype == np.uint8 else 65535.0
    n = level * level
    lut = (img.reshape(n, n, n, 3).astype(np.float64) / top).astype(np.float32)  # [b, g, r]
    return np.ascontiguousarray(lut.transpose(2, 1, 0, 3))


def _png_header(data: bytes, name: str) -> tuple[int, int, int, int]:
    """Walk every chunk (lengths and CRCs) before decoding, so truncated or corrupt files fail cleanly.
    Returns ``(width, height, bit_depth, colour_type)``."""
    if not data.startswith(_PNG_SIG):
        raise HaldError(f"{name}: not a PNG file (a HaldCLUT must be a PNG image)")
    pos, ihdr, idat, seen_end = 8, None, 0, False
    while pos < len(data):
        if pos + 8 > len(data):
            raise HaldError(f"{name}: truncated PNG")
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise HaldError(f"{name}: truncated PNG")
        body = data[pos + 8:pos + 8 + length]
        if zlib.crc32(kind + body) != struct.unpack(">I", data[end - 4:end])[0]:
            raise HaldError(f"{name}: corrupt PNG (bad checksum in {kind.decode('latin-1')!r} chunk)")
        if kind == b"IHDR":
            if length != 13:
                raise HaldError(f"{name}: corrupt PNG header")
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += length
        elif kind == b"IEND":
            seen_end = True
            break
        pos = end
    if ihdr is None or not seen_end or not idat:
        raise HaldError(f"{name}: truncated PNG")
    width, height, depth, ctype, _, _, interlace = ihdr
    return width, height, depth, ctype


def read_hald(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a HaldCLUT PNG (8- or 16-bit RGB, or RGBA with an opaque alpha) into an ``(N, N, N, 3)`` LUT.

    Raises:
        HaldError: one-line message for a file that is not a valid HaldCLUT (not a PNG, truncated, not
            square, side not a cube ``L³`` with level ``L`` in 2..16, greyscale or palette image).
    """
    import cv2

    p = Path(path)
    max_bytes = 4 * (MAX_LEVEL**6) * 2 * 2  # generous bound for a 16-bit RGBA level-16 image
    if p.stat().st_size > max_bytes:
        raise HaldError(f"{p.name}: file too large for a HaldCLUT")
    data = p.read_bytes()
    width, height, depth, ctype = _png_header(data, p.name)
    if width != height:
        raise HaldError(f"{p.name}: a HaldCLUT is square, this image is {width}x{height}")
    level = round(width ** (1 / 3))
    if level**3 != width or not MIN_LEVEL <= level <= MAX_LEVEL:
        raise HaldError(f"{p.name}: {width}x{height} is not a HaldCLUT size (level L gives L^3 pixels a "
                        "side: "
                        f"64, 125, 216, 343, 512, ... for levels {MIN_LEVEL}..{MAX_LEVEL})")
    if ctype not in (2, 6):
        kind = {0: "greyscale", 3: "palette", 4: "greyscale+alpha"}.get(ctype, f"colour type {ctype}")
        raise HaldError(f"{p.name}: a HaldCLUT must be an RGB PNG, this one is {kind}")
    if depth not in (8, 16):
        raise HaldError(f"{p.name}: unsupported PNG bit depth {depth}")
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None or img.shape[:2] != (height, width) or img.ndim != 3:
        raise HaldError(f"{p.name}: the PNG image data could not be decoded")
    if img.shape[2] == 4:
        top = 255 if img.dtype == np.uint8 else 65535
        if int(img[..., 3].min()) != top:
            raise HaldError(f"{p.name}: a HaldCLUT must be opaque (its alpha channel has transparent pixels)")
        img = img[..., :3]
    return hald_to_lut(np.ascontiguousarray(img[..., ::-1]))
