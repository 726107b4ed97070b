"""The ``regional`` tool: adjust subsets applied inside soft masks.

Each :class:`~vibegrade.schema.RegionalEdit` evaluates its adjustments (the per-pixel ``adjust`` operations
of :mod:`vibegrade.tools.adjust`, restricted to :data:`~vibegrade.schema.REGIONAL_ADJUST_KEYS`) on the whole
image and blends the result in by its region's mask ``m`` in [0, 1]::

    out = x + m * (adjusted(x) - x)

Edits apply one after another in the chain's order. The masks come from the image *before* the chain
(computed once, :func:`vibegrade.tools.regions.compute_masks`), so an edit never moves another edit's
region. The adjustments of one edit are per-pixel, so they are baked into a small LUT
(:func:`edit_lut`) and applied with the LUT kernels; only the blend is per pixel, which on 8-bit images
runs in OpenCV's ``blendLinear``.

On 8-bit images an edit that only moves exposure, brightness, contrast, temperature or tint acts on each
channel alone (a gain or curve per channel; :func:`edit_curves` checks this on the edit's LUT rather than
trusting a list), so it runs as three 256-entry curves (``cv2.LUT``), exact at every 8-bit level and about
ten times cheaper than a 3-D LUT pass. Each edit only touches the row bands where its mask is not empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import cv2
import numpy as np

from vibegrade.schema import RegionalAdjust, RegionalEdit
from vibegrade.tools.adjust import apply_color
from vibegrade.tools.lut import apply_lut, apply_lut_u8, identity_grid, pillow_lut

__all__ = ["EDIT_LUT_SIZE", "edit_lut", "edit_curves", "fit_mask", "support", "bands", "apply_regional_float",
           "apply_regional_u8"]

#: Grid size of one edit's LUT: its adjustments are smooth curves, so a 33-point grid is as exact as the
#: chain's own LUT.
EDIT_LUT_SIZE = 33


@lru_cache(maxsize=64)
def _edit_lut_cached(adjust_json: str, size: int) -> np.ndarray:
    adjust = RegionalAdjust.model_validate_json(adjust_json).as_adjust()
    lut = apply_color(identity_grid(size), adjust)
    lut = np.clip(lut, 0.0, 1.0).astype(np.float32)
    lut.setflags(write=False)
    return lut


def edit_lut(adjust: RegionalAdjust, size: int = EDIT_LUT_SIZE) -> np.ndarray:
    """The per-pixel adjustments of one regional edit as a ``(size, size, size, 3)`` LUT (cached)."""
    return _edit_lut_cached(adjust.model_dump_json(), size)


#: Largest change (in [0, 1]) of one output channel across the other two input channels for which an edit's
#: LUT counts as acting per channel (0.1 of an 8-bit level).
_SEPARABLE_TOL = 0.1 / 255


@lru_cache(maxsize=64)
def _edit_curves_cached(adjust_json: str) -> np.ndarray | None:
    lut = _edit_lut_cached(adjust_json, EDIT_LUT_SIZE)
    for c in range(3):
        others = tuple(a for a in range(3) if a != c)
        if float(np.ptp(lut[..., c], axis=others).max()) > _SEPARABLE_TOL:
            return None
    adjust = RegionalAdjust.model_validate_json(adjust_json).as_adjust()
    ramp = np.repeat(np.linspace(0.0, 1.0, 256, dtype=np.float32)[:, None, None], 3, axis=2)
    curves = np.clip(apply_color(ramp, adjust), 0.0, 1.0)
    table = np.ascontiguousarray(np.rint(curves * 255.0).astype(np.uint8).reshape(256, 1, 3))
    table.setflags(write=False)
    return table


def edit_curves(adjust: RegionalAdjust) -> np.ndarray | None:
    """The edit as three 8-bit tone curves, a ``(256, 1, 3)`` uint8 table for ``cv2.LUT``, when its
    adjustments act on each channel alone (checked on its LUT: no output channel moves by more than 0.1 of
    a level with the other two inputs); ``None`` otherwise (cached)."""
    return _edit_curves_cached(adjust.model_dump_json())


@lru_cache(maxsize=64)
def _edit_pillow(adjust_json: str, size: int):  # -> Color3DLUT
    return pillow_lut(_edit_lut_cached(adjust_json, size))


def fit_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``mask`` as float32 ``shape`` = (H, W) in [0, 1]; resized bilinearly when it was computed at another
    size (masks are smooth, so this keeps them soft)."""
    m = np.asarray(mask, dtype=np.float32)
    if m.ndim != 2:
        raise ValueError(f"a region mask must be a 2-D array, got shape {m.shape}")
    if m.shape != shape:
        m = np.asarray(cv2.resize(m, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR), dtype=np.float32)
    return np.clip(m, 0.0, 1.0)


def _mask_for(edit: RegionalEdit, masks: Mapping[str, np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    if edit.region not in masks:
        raise ValueError(f"no mask for region {edit.region!r}")
    return fit_mask(masks[edit.region], shape)


def apply_regional_float(x: np.ndarray, edits: Sequence[RegionalEdit], masks: Mapping[str, np.ndarray],
                         *, direct: bool = False, lut_size: int = EDIT_LUT_SIZE) -> np.ndarray:
    """Apply ``edits`` to float32 ``(H, W, 3)`` encoded RGB in [0, 1]; returns a new float32 array.

    ``direct=True`` evaluates the adjustments per pixel instead of through their LUT (the reference the LUT
    path is tested against); ``lut_size`` is the grid of the edits' LUTs."""
    out = np.array(x, dtype=np.float32, copy=True)
    for edit in edits:
        if not edit.used:
            continue
        m = _mask_for(edit, masks, out.shape[:2])[..., None]
        if direct:
            y = np.clip(apply_color(out, edit.adjust.as_adjust()), 0.0, 1.0)
        else:
            y = apply_lut(out, edit_lut(edit.adjust, lut_size), "tetrahedral")
        out += m * (y - out)
    return out


def _rows_and_box(mask: np.ndarray, eps: float) -> tuple[np.ndarray, tuple[slice, slice] | None]:
    """Which rows of ``mask`` exceed ``eps`` somewhere, and the bounding box of the pixels that do."""
    hit = mask.max(axis=1) > eps
    rows = np.flatnonzero(hit)
    if rows.size == 0:
        return hit, None
    cols = np.flatnonzero(mask[rows[0]:rows[-1] + 1].max(axis=0) > eps)
    return hit, (slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1))


def support(mask: np.ndarray, eps: float = 1.0 / 512) -> tuple[slice, slice] | None:
    """The bounding box (rows, columns) of the pixels where ``mask`` exceeds ``eps`` (below half an 8-bit
    level of any change), or ``None`` when there are none."""
    return _rows_and_box(mask, eps)[1]


def bands(mask: np.ndarray, eps: float = 1.0 / 512, rows: int = 64) -> list[tuple[slice, slice]]:
    """The boxes an edit must touch: ``mask``'s bounding box (:func:`support`) cut into bands of ``rows``
    rows, without the bands where the mask is nowhere above ``eps``, neighbouring bands merged (a vignette
    leaves out the middle of the picture, a sky its lower part)."""
    row_hit, box = _rows_and_box(mask, eps)
    if box is None:
        return []
    r, c = box
    in_box = row_hit[r]  # a row's maximum lies inside the box's columns whenever it exceeds eps
    out: list[tuple[slice, slice]] = []
    start = None
    for a in range(0, in_box.size, rows):
        hit = bool(in_box[a:a + rows].any())
        if hit and start is None:
            start = a
        if not hit and start is not None:
            out.append((slice(r.start + start, r.start + a), c))
            start = None
    if start is not None:
        out.append((slice(r.start + start, r.stop), c))
    return out


def apply_regional_u8(x: np.ndarray, edits: Sequence[RegionalEdit], masks: Mapping[str, np.ndarray],
                      lut_size: int = EDIT_LUT_SIZE) -> np.ndarray:
    """Apply ``edits`` to an 8-bit ``(H, W, 3)`` image; returns a new uint8 array.

    Each edit runs on the bands of its mask only (:func:`bands`): as three tone curves (``cv2.LUT``) when it
    acts per channel (:func:`edit_curves`), else as its LUT in Pillow's C kernel; the masked blend runs in
    OpenCV's ``blendLinear``. The image stays 8-bit between edits (one rounding per edit, under half a
    level)."""
    out = np.array(x, dtype=np.uint8, copy=True, order="C")
    for edit in edits:
        if not edit.used:
            continue
        m = _mask_for(edit, masks, out.shape[:2])
        key = edit.adjust.model_dump_json()
        curves = _edit_curves_cached(key)
        for box in bands(m):
            crop, mc = np.ascontiguousarray(out[box]), np.ascontiguousarray(m[box])
            if curves is not None:
                y = cv2.LUT(crop, curves)
            else:
                y = apply_lut_u8(crop, _edit_pillow(key, lut_size))
            out[box] = cv2.blendLinear(y, crop, mc, np.float32(1.0) - mc)
    return out
