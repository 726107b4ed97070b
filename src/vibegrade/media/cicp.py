"""Colours described by code points (ITU-T H.273 "CICP", the ``nclx`` colour box of HEIF files) converted to
sRGB.

A HEIF image states its colours either with an ICC profile (handled by :mod:`vibegrade.media.icc`) or with
three numbers: colour primaries, transfer characteristics and matrix coefficients. libheif already applies
the matrix (YCbCr to RGB); this module handles the other two:

* **Primaries** 1 (BT.709, the sRGB primaries) and 2 (unspecified) need nothing. Others (12 = Display P3,
  9 = BT.2020, 11 = DCI-P3, ...) are converted to sRGB in linear light through XYZ, from the chromaticities
  libheif reports, with a Bradford adaptation when the white point is not D65; colours outside sRGB are
  clipped (the same relative colorimetric result as the ICC path).
* **Transfer** 13 (sRGB), 1, 6, 14 and 15 (the BT.709-family curves, which still-image viewers display as
  sRGB) and 2 (unspecified) are read as sRGB-encoded; 8 (linear), 4 (gamma 2.2) and 5 (gamma 2.8) are
  decoded exactly. HDR curves (16 = PQ, 18 = HLG) are refused: tone-mapping HDR to SDR is a grade of its
  own, not a format conversion.

Vectorised through lookup tables (one per channel value) and a 3 × 3 matrix, in slices of 2^20 pixels.
Internal to media/.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from vibegrade.tools.color import linear_to_srgb, srgb_to_linear

__all__ = ["UnsupportedCicp", "needs_conversion", "describe", "to_srgb"]

log = logging.getLogger("vibegrade.media.image")  # one logger for every part of image I/O

_SRGB_LIKE_TRANSFER = frozenset({1, 2, 6, 13, 14, 15})
_PQ, _HLG = 16, 18
_D65 = (0.3127, 0.3290)
_SRGB_PRIMARIES = ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06))
_KNOWN_PRIMARIES: dict[int, tuple[tuple[tuple[float, float], ...], tuple[float, float]]] = {
    1: (_SRGB_PRIMARIES, _D65),
    9: (((0.708, 0.292), (0.170, 0.797), (0.131, 0.046)), _D65),
    11: (((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)), (0.314, 0.351)),
    12: (((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)), _D65),
}
_NAMES = {1: "BT.709/sRGB", 9: "BT.2020", 11: "DCI-P3", 12: "Display P3"}
_BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])


class UnsupportedCicp(ValueError):
    """The colour description is one we do not convert (HDR transfer curves)."""


def _codes(nclx: dict[str, Any]) -> tuple[int, int]:
    return int(nclx.get("color_primaries", 2) or 2), int(nclx.get("transfer_characteristics", 2) or 2)


def needs_conversion(nclx: dict[str, Any] | None) -> bool:
    """Whether pixels described by ``nclx`` differ from sRGB (None or sRGB-like codes: no).

    Raises:
        UnsupportedCicp: a PQ or HLG (HDR) transfer curve.
    """
    if not nclx:
        return False
    primaries, transfer = _codes(nclx)
    if transfer in (_PQ, _HLG):
        raise UnsupportedCicp(f"HDR {'PQ' if transfer == _PQ else 'HLG'} transfer curve (code {transfer}) "
                              "is not supported; export the photo as SDR")
    return primaries not in (1, 2) or transfer not in _SRGB_LIKE_TRANSFER


def describe(nclx: dict[str, Any]) -> str:
    """A short description, e.g. ``'nclx: Display P3 primaries, transfer 13'``."""
    primaries, transfer = _codes(nclx)
    return f"nclx: {_NAMES.get(primaries, f'primaries {primaries}')} primaries, transfer {transfer}"


def _xy(nclx: dict[str, Any], primaries: int) -> tuple[tuple[tuple[float, float], ...], tuple[float, float]]:
    keys = [f"color_primary_{c}_{a}" for c in ("red", "green", "blue", "white") for a in ("x", "y")]
    if all(isinstance(nclx.get(k), (int, float)) for k in keys):
        v = [float(nclx[k]) for k in keys]
        if all(0.0 < x < 1.0 for x in v):
            return ((v[0], v[1]), (v[2], v[3]), (v[4], v[5])), (v[6], v[7])
    if primaries in _KNOWN_PRIMARIES:
        return _KNOWN_PRIMARIES[primaries]
    raise UnsupportedCicp(f"colour primaries code {primaries} without chromaticities")


def _xyz(xy: tuple[float, float]) -> np.ndarray:
    x, y = xy
    return np.array([x / y, 1.0, (1.0 - x - y) / y])


def _rgb_to_xyz(prim: tuple[tuple[float, float], ...], white: tuple[float, float]) -> np.ndarray:
    p = np.stack([_xyz(c) for c in prim], axis=1)
    return p * np.linalg.solve(p, _xyz(white))


def _matrix(nclx: dict[str, Any]) -> np.ndarray:
    """3 × 3 matrix from the source's linear RGB to linear sRGB (D65)."""
    primaries, _ = _codes(nclx)
    if primaries in (1, 2):
        return np.eye(3)
    prim, white = _xy(nclx, primaries)
    m = _rgb_to_xyz(prim, white)
    if max(abs(white[0] - _D65[0]), abs(white[1] - _D65[1])) > 1e-3:
        src, dst = _BRADFORD @ _xyz(white), _BRADFORD @ _xyz(_D65)
        m = np.linalg.inv(_BRADFORD) @ np.diag(dst / src) @ _BRADFORD @ m
    return np.linalg.inv(_rgb_to_xyz(_SRGB_PRIMARIES, _D65)) @ m


def _decode_table(transfer: int, levels: int) -> np.ndarray:
    x = np.arange(levels, dtype=np.float32) / np.float32(levels - 1)
    if transfer == 8:
        return x
    if transfer == 4:
        return x ** np.float32(2.2)
    if transfer == 5:
        return x ** np.float32(2.8)
    if transfer not in _SRGB_LIKE_TRANSFER:
        log.warning("transfer characteristics %d read as sRGB", transfer)
    return srgb_to_linear(x)


def to_srgb(rgb: np.ndarray, nclx: dict[str, Any]) -> np.ndarray:
    """Convert ``(H, W, 3)`` uint8 or uint16 pixels described by ``nclx`` to sRGB, same dtype and shape.

    Raises:
        UnsupportedCicp: HDR transfer curve, or primaries we cannot place.
    """
    if not needs_conversion(nclx):
        return rgb
    _, transfer = _codes(nclx)
    levels = 256 if rgb.dtype == np.uint8 else 65536
    table = _decode_table(transfer, levels)
    m = _matrix(nclx).astype(np.float32)
    top = np.float32(levels - 1)
    h, w, _ = rgb.shape
    flat = rgb.reshape(-1, 3)
    out = np.empty_like(flat)
    step = 1 << 20
    for s in range(0, flat.shape[0], step):
        lin = table[flat[s:s + step]] @ m.T
        out[s:s + step] = np.rint(linear_to_srgb(lin) * top).astype(rgb.dtype)
    return out.reshape(h, w, 3)
