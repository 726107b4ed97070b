"""Autodesk ``.3dl`` 3D LUTs (Flame / Lustre), integer mesh form.

Layout (Autodesk Flame and Lustre documentation; the form read by OpenColorIO's ``flame``/``lustre``
readers, DaVinci Resolve and ffmpeg's ``lut3d`` filter)::

    0 64 128 192 256 320 384 448 512 576 640 704 768 832 896 960 1023   <- input mesh (N integers)
    0 0 0                                                                <- N^3 rows of output RGB
    0 0 253                                                              (blue changes fastest,
    ...                                                                   red slowest)

* The *input mesh* line has one integer per grid point, the input code values of the lattice on a
  10-bit scale (0..1023); ``i · 1024/(N-1)``, the last one clamped to 1023, as Autodesk writes them.
* Each data row holds integer output codes. vibegrade writes **12-bit** codes (0..4095, value
  ``round(v · 4095)``), the depth of Flame's and Lustre's 17-point LUTs and the one ffmpeg assumes.
* Lustre's keyword lines (``3DMESH``, ``Mesh <in bits> <out bits>``, ``LUT8``, ``gamma``) are accepted
  on reading (``Mesh`` then sets the output depth) but not written: ffmpeg's parser does not skip them.

Readers disagree on the output scale of a file without a ``Mesh`` line: OpenColorIO infers the depth
from the largest code (10, 12, 14 or 16 bits, divisor ``2^b - 1``), ffmpeg always divides by 4096 and
assumes 17 points. :func:`read_3dl` follows OpenColorIO. With 12-bit codes the two readings differ by
1/4096 of the value (at most 0.06 8-bit levels).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from vibegrade.files import atomic_write_text
from vibegrade.tools.lut import CubeError

__all__ = ["ThreeDLError", "threedl_text", "write_3dl", "read_3dl", "parse_3dl", "mesh_values", "OUTPUT_BITS"]

#: Output code depth written by :func:`threedl_text` (codes 0..4095).
OUTPUT_BITS = 12
_MAX_BYTES = 64 << 20
_INT_ROW = re.compile(r"^\s*-?\d+(?:\s+-?\d+)*\s*$")


class ThreeDLError(CubeError):
    """A .3dl file could not be parsed (a :class:`CubeError`, so callers handle all LUT errors alike)."""


def mesh_values(size: int) -> list[int]:
    """The 10-bit input mesh of an ``size``-point lattice (``0 64 ... 1023`` for 17 points)."""
    if size < 2:
        raise ValueError("LUT size must be at least 2")
    return [min(1023, round(i * 1024 / (size - 1))) for i in range(size)]


def threedl_text(lut: np.ndarray, bits: int = OUTPUT_BITS) -> str:
    """Serialise an ``(N, N, N, 3)`` LUT (indexed ``[r, g, b]``, values in [0, 1]) as .3dl text."""
    size = lut.shape[0]
    if lut.shape != (size, size, size, 3):
        raise ValueError(f"expected a (N, N, N, 3) LUT, got {lut.shape}")
    if bits not in (10, 12, 14, 16):
        raise ValueError("3dl output depth must be 10, 12, 14 or 16 bits")
    top = (1 << bits) - 1
    codes = np.rint(np.clip(np.asarray(lut, np.float64), 0.0, 1.0) * top).astype(np.int64)
    flat = codes.reshape(-1, 3)  # C order over [r, g, b]: blue fastest, as .3dl stores it
    head = " ".join(str(v) for v in mesh_values(size))
    body = "\n".join(f"{r} {g} {b}" for r, g, b in flat.tolist())
    return head + "\n" + body + "\n"


def write_3dl(path: str | os.PathLike[str], lut: np.ndarray, bits: int = OUTPUT_BITS) -> None:
    """Write a .3dl atomically (temporary file in the same folder, then rename)."""
    atomic_write_text(path, threedl_text(lut, bits))


def read_3dl(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a .3dl file into an ``(N, N, N, 3)`` float32 LUT indexed ``[r, g, b]``.

    Raises:
        ThreeDLError: one-line message naming the file (and line) for any malformed content.
    """
    p = Path(path)
    if p.stat().st_size > _MAX_BYTES:
        raise ThreeDLError(f"{p.name}: file too large for a .3dl LUT")
    try:
        text = p.read_text(encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ThreeDLError(f"{p.name}: not a text .3dl file") from None
    return parse_3dl(text, name=p.name)


def parse_3dl(text: str, name: str = "<3dl>") -> np.ndarray:
    """Parse .3dl text; see :func:`read_3dl`."""
    mesh: list[int] | None = None
    out_bits: int | None = None
    rows: list[list[int]] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        word = line.split()[0].upper()
        if word in ("3DMESH", "LUT8", "GAMMA"):
            continue
        if word == "MESH":
            parts = line.split()
            if len(parts) != 3 or not all(x.isdigit() for x in parts[1:]):
                raise ThreeDLError(f"{name}:{lineno}: bad Mesh line {raw.strip()[:60]!r}")
            out_bits = int(parts[2])
            if not 8 <= out_bits <= 16:
                raise ThreeDLError(f"{name}:{lineno}: Mesh output depth {out_bits} out of range 8..16")
            continue
        if not _INT_ROW.match(line):
            raise ThreeDLError(f"{name}:{lineno}: cannot parse {raw.strip()[:60]!r} (a .3dl holds integers)")
        values = [int(v) for v in line.split()]
        if mesh is None:
            if len(values) < 2:
                raise ThreeDLError(
                    f"{name}:{lineno}: the first line must be the input mesh (e.g. 0 64 ... 1023)")
            mesh = values
            continue
        if len(values) != 3:
            raise ThreeDLError(f"{name}:{lineno}: expected 3 integers, found {len(values)}")
        rows.append(values)
    if mesh is None:
        raise ThreeDLError(f"{name}: empty file (no input mesh line)")
    size = len(mesh)
    if not 2 <= size <= 256:
        raise ThreeDLError(f"{name}: input mesh of {size} points out of range 2..256")
    _check_mesh(mesh, name)
    if len(rows) != size**3:
        raise ThreeDLError(f"{name}: expected {size**3} rows for a {size}-point mesh, found {len(rows)}")
    data = np.asarray(rows, np.int64)
    if data.min() < 0:
        raise ThreeDLError(f"{name}: negative output code")
    top_code = int(data.max())
    if out_bits is None:
        out_bits = next((b for b in (10, 12, 14, 16) if top_code <= (1 << b) - 1), 0)
        if not out_bits:
            raise ThreeDLError(f"{name}: output code {top_code} exceeds 16 bits")
    elif top_code > (1 << out_bits) - 1:
        raise ThreeDLError(
            f"{name}: output code {top_code} exceeds the {out_bits}-bit depth of its Mesh line")
    lut = (data.astype(np.float64) / ((1 << out_bits) - 1)).astype(np.float32)
    return np.ascontiguousarray(lut.reshape(size, size, size, 3))


def _check_mesh(mesh: list[int], name: str) -> None:
    """The lattice must be uniform from 0 to the top of its code range (non-uniform shapers are refused)."""
    top = mesh[-1]
    if mesh[0] != 0 or any(b <= a for a, b in zip(mesh, mesh[1:])):
        raise ThreeDLError(f"{name}: the input mesh must start at 0 and increase")
    full = next((((1 << b) - 1) for b in range(8, 17) if top <= (1 << b) - 1), None)
    if full is None:
        raise ThreeDLError(f"{name}: input mesh value {top} exceeds 16 bits")
    n = len(mesh)
    step = (full + 1) / (n - 1)
    for i, v in enumerate(mesh):
        ideal = min(full, i * step)
        if abs(v - ideal) > max(1.0, 0.02 * step):
            raise ThreeDLError(f"{name}: non-uniform input mesh (point {i} is {v}, expected about "
                               f"{ideal:.0f}); only uniform lattices are supported")
