"""3D lookup tables: the .cube format, identity grids and fast application.

A LUT here is a ``float32`` array of shape ``(N, N, N, 3)`` indexed ``lut[r, g, b]``
whose entries are output RGB in ``[0, 1]`` for the input grid point
``(r, g, b) / (N - 1)``. Inputs and outputs are display-referred, sRGB-encoded
values, the domain of the Adobe/Resolve ``.cube`` format (Adobe, *Cube LUT
Specification 1.0*, 2013), in which the red index changes fastest.

Application:

* :func:`apply_lut` -- float arrays of any shape ``(..., 3)``, trilinear or
  tetrahedral interpolation (Kasson, Nin & Plouffe, "Performing color space
  conversions with three-dimensional linear interpolation", J. Electronic
  Imaging 4(3), 1995), vectorised with NumPy.
* :func:`apply_lut_u8` -- 8-bit RGB images through Pillow's C implementation
  of trilinear interpolation, split over threads (Pillow releases the GIL).
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from vibegrade.files import atomic_write_text

Interpolation = Literal["trilinear", "tetrahedral"]

__all__ = [
    "identity_grid",
    "read_cube",
    "write_cube",
    "cube_text",
    "apply_lut",
    "apply_lut_u8",
    "set_max_threads",
    "CubeError",
]


class CubeError(ValueError):
    """A .cube file could not be parsed."""


def identity_grid(size: int) -> np.ndarray:
    """Grid points of an ``size``³ LUT as an array ``(size, size, size, 3)`` indexed ``[r, g, b]``."""
    if size < 2:
        raise ValueError("LUT size must be at least 2")
    axis = np.linspace(0.0, 1.0, size, dtype=np.float32)
    r, g, b = np.meshgrid(axis, axis, axis, indexing="ij")
    return np.stack([r, g, b], axis=-1)



# ----------------------------------------------------------------------------------------------------------
# .cube I/O
# ----------------------------------------------------------------------------------------------------------

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_ROW = re.compile(rf"^\s*({_NUM})\s+({_NUM})\s+({_NUM})\s*$")


def read_cube(path: str | os.PathLike[str]) -> tuple[np.ndarray, str | None]:
    """Read a 3D ``.cube`` file. Returns ``(lut, title)`` with the LUT defined on inputs [0, 1].

    ``DOMAIN_MIN``/``DOMAIN_MAX`` (or Resolve's ``LUT_3D_INPUT_RANGE``) set the *input* range of the
    lattice; a LUT with another input range is resampled onto the [0, 1] grid (inputs outside its domain
    are clamped to it). Output values are returned as stored.

    Raises:
        CubeError: with a message naming the file and line for any malformed content.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise CubeError(f"{p.name}: not a text .cube file") from None
    return parse_cube(text, name=p.name)


def parse_cube(text: str, name: str = "<cube>") -> tuple[np.ndarray, str | None]:
    size: int | None = None
    title: str | None = None
    dmin = np.zeros(3, np.float64)
    dmax = np.ones(3, np.float64)
    rows: list[tuple[float, float, float]] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = _ROW.match(line)
        if m:
            if size is None:
                raise CubeError(f"{name}:{lineno}: data before LUT_3D_SIZE")
            rows.append((float(m.group(1)), float(m.group(2)), float(m.group(3))))
            continue
        key, _, rest = line.partition(" ")
        key = key.upper()
        rest = rest.strip()
        if key == "TITLE":
            title = rest.strip('"')
        elif key == "LUT_3D_SIZE":
            try:
                size = int(rest)
            except ValueError:
                raise CubeError(f"{name}:{lineno}: bad LUT_3D_SIZE {rest!r}") from None
            if not 2 <= size <= 256:
                raise CubeError(f"{name}:{lineno}: LUT_3D_SIZE {size} out of range 2..256")
        elif key in ("DOMAIN_MIN", "DOMAIN_MAX", "LUT_3D_INPUT_RANGE"):
            try:
                arr = np.array([float(v) for v in rest.split()], np.float64)
            except ValueError:
                raise CubeError(f"{name}:{lineno}: bad {key}") from None
            if key == "LUT_3D_INPUT_RANGE":
                if arr.shape != (2,):
                    raise CubeError(f"{name}:{lineno}: LUT_3D_INPUT_RANGE needs 2 numbers")
                dmin, dmax = np.full(3, arr[0]), np.full(3, arr[1])
            elif arr.shape != (3,):
                raise CubeError(f"{name}:{lineno}: {key} needs 3 numbers")
            elif key == "DOMAIN_MIN":
                dmin = arr
            else:
                dmax = arr
        elif key in ("LUT_1D_SIZE", "LUT_1D_INPUT_RANGE"):
            raise CubeError(f"{name}:{lineno}: 1D LUTs are not supported, need a 3D .cube")
        elif key.startswith("LUT_"):
            continue  # other vendor keywords carry no colour information
        else:
            raise CubeError(f"{name}:{lineno}: cannot parse {raw.strip()[:60]!r}")
    if size is None:
        raise CubeError(f"{name}: missing LUT_3D_SIZE (not a 3D .cube file?)")
    if len(rows) != size**3:
        raise CubeError(f"{name}: expected {size**3} rows for LUT_3D_SIZE {size}, found {len(rows)}")
    if np.any(dmax <= dmin):
        raise CubeError(f"{name}: DOMAIN_MAX must exceed DOMAIN_MIN")
    data = np.asarray(rows, np.float32)
    if not np.all(np.isfinite(data)):
        raise CubeError(f"{name}: non-finite values")
    # file order: r fastest, then g, then b  ->  [b, g, r] -> transpose to [r, g, b]
    lut = np.ascontiguousarray(data.reshape(size, size, size, 3).transpose(2, 1, 0, 3), dtype=np.float32)
    if not (np.allclose(dmin, 0) and np.allclose(dmax, 1)):
        # lattice point i sits at input dmin + i/(N-1) (dmax - dmin): resample onto the [0, 1] grid
        pos = (identity_grid(size) - dmin.astype(np.float32)) / (dmax - dmin).astype(np.float32)
        lut = apply_lut(pos, lut, "tetrahedral")
    return lut, title


def cube_text(lut: np.ndarray, title: str | None = None, comment: str | None = None) -> str:
    """Serialise a LUT to .cube text (6 decimals, red fastest)."""
    size = lut.shape[0]
    if lut.shape != (size, size, size, 3):
        raise ValueError(f"expected a (N, N, N, 3) LUT, got {lut.shape}")
    flat = np.clip(lut, 0.0, 1.0).transpose(2, 1, 0, 3).reshape(-1, 3)
    head = []
    if comment:
        head += [f"# {c}" for c in comment.splitlines()]
    if title:
        head.append(f'TITLE "{title}"')
    head += [f"LUT_3D_SIZE {size}", "DOMAIN_MIN 0.0 0.0 0.0", "DOMAIN_MAX 1.0 1.0 1.0"]
    body = "\n".join(f"{r:.6f} {g:.6f} {b:.6f}" for r, g, b in flat.tolist())
    return "\n".join(head) + "\n" + body + "\n"


def write_cube(path: str | os.PathLike[str], lut: np.ndarray, title: str | None = None,
               comment: str | None = None) -> None:
    """Write a .cube atomically (temporary file in the same folder, then rename)."""
    atomic_write_text(path, cube_text(lut, title=title, comment=comment))


# ----------------------------------------------------------------------------------------------------------
# Application
# ----------------------------------------------------------------------------------------------------------

_CHUNK = 1 << 20  # pixels per vectorised chunk (bounds temporary memory)


def apply_lut(rgb: np.ndarray, lut: np.ndarray, interpolation: Interpolation = "tetrahedral") -> np.ndarray:
    """Apply a 3D LUT to float RGB values.

    Args:
        rgb: array ``(..., 3)`` of sRGB-encoded values; values outside [0, 1] are clamped.
        lut: ``(N, N, N, 3)`` table indexed ``[r, g, b]``.
        interpolation: ``"tetrahedral"`` (default; exact on the grey axis) or ``"trilinear"``.

    Returns:
        float32 array with the shape of ``rgb``.
    """
    shape = rgb.shape
    flat = np.asarray(rgb, dtype=np.float32).reshape(-1, 3)
    out = np.empty_like(flat)
    fn = _tetrahedral if interpolation == "tetrahedral" else _trilinear
    lut = np.ascontiguousarray(lut, dtype=np.float32)
    for s in range(0, flat.shape[0], _CHUNK):
        out[s:s + _CHUNK] = fn(flat[s:s + _CHUNK], lut)
    return out.reshape(shape)


def _locate(x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    p = np.clip(x, 0.0, 1.0) * np.float32(n - 1)
    i = np.minimum(p.astype(np.int32), n - 2)
    return i, p - i


def _trilinear(x: np.ndarray, lut: np.ndarray) -> np.ndarray:
    n = lut.shape[0]
    i, f = _locate(x, n)
    flat = lut.reshape(-1, 3)
    base = (i[:, 0] * n + i[:, 1]) * n + i[:, 2]
    fr, fg, fb = f[:, 0:1], f[:, 1:2], f[:, 2:3]
    sr, sg, sb = n * n, n, 1

    def c(o: int) -> np.ndarray:
        return flat[base + o]

    c00 = c(0) * (1 - fr) + c(sr) * fr
    c01 = c(sb) * (1 - fr) + c(sr + sb) * fr
    c10 = c(sg) * (1 - fr) + c(sr + sg) * fr
    c11 = c(sg + sb) * (1 - fr) + c(sr + sg + sb) * fr
    c0 = c00 * (1 - fg) + c10 * fg
    c1 = c01 * (1 - fg) + c11 * fg
    return c0 * (1 - fb) + c1 * fb


def _tetrahedral(x: np.ndarray, lut: np.ndarray) -> np.ndarray:
    n = lut.shape[0]
    i, f = _locate(x, n)
    flat = lut.reshape(-1, 3)
    base = (i[:, 0] * n + i[:, 1]) * n + i[:, 2]
    sr, sg, sb = n * n, n, 1
    # The cube is split into 6 tetrahedra by the order of the fractional parts.
    # For order a >= b >= c (axes with strides Sa, Sb, Sc) the result is
    #   c000 + fa (c_a - c000) + fb (c_ab - c_a) + fc (c_abc - c_ab)
    strides = np.array([sr, sg, sb], np.int64)
    order = np.argsort(-f, axis=1, kind="stable")  # largest fraction first
    fs = np.take_along_axis(f, order, axis=1)
    st = strides[order]
    s1 = st[:, 0]
    s2 = s1 + st[:, 1]
    s3 = s2 + st[:, 2]
    c0 = flat[base]
    c1 = flat[base + s1]
    c2 = flat[base + s2]
    c3 = flat[base + s3]
    w0 = (1 - fs[:, 0])[:, None]
    w1 = (fs[:, 0] - fs[:, 1])[:, None]
    w2 = (fs[:, 1] - fs[:, 2])[:, None]
    w3 = fs[:, 2][:, None]
    return c0 * w0 + c1 * w1 + c2 * w2 + c3 * w3


_max_threads: int | None = None


def set_max_threads(threads: int | None) -> None:
    """Cap the threads :func:`apply_lut_u8` splits an image over (``None``: the CPU count, at most 8).

    Processes that already share the CPUs among themselves (the workers of folder grading) set 1.
    """
    global _max_threads
    _max_threads = None if threads is None else max(1, int(threads))
    _pool.cache_clear()


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=_max_threads or max(1, min(8, os.cpu_count() or 1)),
                              thread_name_prefix="vibegrade-lut")


def pillow_lut(lut: np.ndarray):  # -> PIL.ImageFilter.Color3DLUT
    """Convert a LUT to Pillow's ``Color3DLUT`` (table order: red fastest)."""
    from PIL import ImageFilter

    size = lut.shape[0]
    table = np.ascontiguousarray(np.clip(lut, 0, 1).transpose(2, 1, 0, 3).reshape(-1, 3), dtype=np.float32)
    return ImageFilter.Color3DLUT(size, table, channels=3)


def apply_lut_u8(rgb: np.ndarray, lut: np.ndarray | object, threads: int | None = None) -> np.ndarray:
    """Apply a LUT to an 8-bit ``(H, W, 3)`` image with Pillow's trilinear C kernel, in row bands on threads.

    ``lut`` is a ``(N, N, N, 3)`` array or a ready ``Color3DLUT`` (see :func:`pillow_lut`), which saves the
    conversion when the same LUT is applied to many frames.
    """
    from PIL import Image, ImageFilter

    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError("apply_lut_u8 expects a (H, W, 3) uint8 array")
    flt = lut if isinstance(lut, ImageFilter.Color3DLUT) else pillow_lut(np.asarray(lut))
    h = rgb.shape[0]
    n = threads or min(_pool()._max_workers, max(1, h // 64))
    if n <= 1:
        return np.asarray(Image.fromarray(rgb).filter(flt))
    out = np.empty_like(rgb)
    bounds = np.linspace(0, h, n + 1).astype(int)

    def work(k: int) -> None:
        a, b = bounds[k], bounds[k + 1]
        out[a:b] = np.asarray(Image.fromarray(rgb[a:b]).filter(flt))

    list(_pool().map(work, range(n)))
    return out
