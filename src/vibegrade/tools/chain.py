"""Render a tool chain: adjust -> selective_adjust -> regional -> filter.

The render path:

1. An identity chain returns the input unchanged (bit-exact copy).
2. Spatial ``adjust`` operations (structure, sharpen, bloom) run on the full image
   (:mod:`vibegrade.tools.spatial`).
3. All per-pixel colour work -- the rest of ``adjust``, ``selective_adjust`` and the ``filter``
   preset with its intensity -- is evaluated once on the grid of a 3D LUT (:func:`bake_lut`,
   size configurable, cached per chain) and applied to the pixels with trilinear or tetrahedral
   interpolation. 8-bit images go through Pillow's C trilinear kernel on threads; 16-bit and float
   images through the NumPy interpolators in :mod:`vibegrade.tools.lut`.
4. A chain with ``regional`` edits cannot be one LUT (its masks follow the picture): it renders as
   adjust + selective_adjust (one LUT), the regional edits inside their masks
   (:mod:`vibegrade.tools.regional`; masks from the input image, or given), then the filter (a second
   LUT). A chain without regional edits never takes this path.

:func:`color_transform` evaluates the same colour work directly per pixel; it is the reference the
baked path is tested against, and what the baking evaluates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from vibegrade.schema import FILTER_NONE, Filter, ToolChain
from vibegrade.tools.adjust import apply_color
from vibegrade.tools.filters import load_preset
from vibegrade.tools.lut import Interpolation, _pool, apply_lut, apply_lut_u8, identity_grid, pillow_lut
from vibegrade.tools.regional import apply_regional_float, apply_regional_u8
from vibegrade.tools.selective import apply_selective
from vibegrade.tools.spatial import apply_spatial, apply_spatial_u8

__all__ = ["DEFAULT_LUT_SIZE", "Stage", "color_stages", "color_transform", "bake_lut", "has_color_work",
           "render", "render_direct", "Renderer", "RegionalInLutError", "Masks", "masks_for"]

#: Grid size of the baked LUT. 33 is the common size of .cube looks (and Pillow's fast path
#: accepts up to 65); see ``docs/tools.md`` for the measured accuracy.
DEFAULT_LUT_SIZE = 33


def has_color_work(chain: ToolChain) -> bool:
    return chain.adjust.color_used or chain.selective_adjust.used or (
        chain.filter.used and chain.filter.intensity > 0)


Masks = Mapping[str, np.ndarray]
"""Soft masks by region name: float32 ``(H, W)`` in [0, 1] (see :mod:`vibegrade.tools.regions`)."""


class RegionalInLutError(ValueError):
    """A LUT was asked of a chain with regional edits (their masks follow the picture, a LUT cannot)."""


def _check_no_regional(chain: ToolChain) -> None:
    if chain.regional_used:
        raise RegionalInLutError(
            "this look has regional edits (" + ", ".join(e.region for e in chain.regional if e.used)
            + "), which follow the picture and cannot live in a LUT; export the look without them "
            "(chain.without_regional()) or render the picture instead")


def masks_for(img: np.ndarray, chain: ToolChain) -> dict[str, np.ndarray]:
    """The masks of the regions ``chain``'s regional edits use, computed from ``img`` (the picture before
    the chain)."""
    from vibegrade.tools.regions import compute_masks

    names = sorted({e.region for e in chain.regional if e.used})
    return compute_masks(img, names) if names else {}


Stage = Callable[[np.ndarray], np.ndarray]
"""One tool's per-pixel colour work: float32 ``(..., 3)`` encoded RGB in [0, 1] to the same."""


def color_stages(chain: ToolChain) -> tuple[Stage, Stage, Stage]:
    """The per-pixel colour work of ``chain`` as one function per tool, in the chain's order: ``adjust``
    (its per-pixel part), ``selective_adjust``, ``filter`` (the preset blended by its intensity).

    :func:`color_transform` composes them; a caller that varies one tool (the look matcher) evaluates the
    tools before it once and reuses their output. A stage of an unused tool returns its input.
    """
    preset = load_preset(chain.filter.name) if chain.filter.used and chain.filter.intensity > 0 else None
    amount = np.float32(chain.filter.intensity / 100.0)

    def adjust(x: np.ndarray) -> np.ndarray:
        return apply_color(x, chain.adjust) if chain.adjust.color_used else x

    def selective(x: np.ndarray) -> np.ndarray:
        return apply_selective(x, chain.selective_adjust)

    def filter_(x: np.ndarray) -> np.ndarray:
        if preset is None:
            return x
        y = apply_lut(x, preset, "tetrahedral")
        return x + amount * (y - x)

    return adjust, selective, filter_


def color_transform(chain: ToolChain) -> Callable[[np.ndarray], np.ndarray]:
    """The per-pixel colour part of ``chain`` as a function of float32 ``(..., 3)`` encoded RGB.

    Raises :class:`RegionalInLutError` for a chain with regional edits (not a function of colour alone)."""
    _check_no_regional(chain)
    stages = color_stages(chain)

    def fn(rgb: np.ndarray) -> np.ndarray:
        x = np.clip(np.asarray(rgb, dtype=np.float32), 0.0, 1.0)
        for stage in stages:
            x = stage(x)
        return np.clip(x, 0.0, 1.0).astype(np.float32)

    return fn


@lru_cache(maxsize=64)
def _bake_cached(chain_json: str, size: int) -> np.ndarray:
    chain = ToolChain.model_validate_json(chain_json)
    fn = color_transform(chain)
    grid = identity_grid(size)
    # NumPy releases the GIL inside its kernels: evaluate slabs of the grid on the LUT thread pool.
    slabs = np.array_split(np.arange(size), min(size, _pool()._max_workers * 2))
    lut = np.empty_like(grid)

    def work(idx: np.ndarray) -> None:
        lut[idx[0]:idx[-1] + 1] = fn(grid[idx[0]:idx[-1] + 1])

    list(_pool().map(work, slabs))
    lut.setflags(write=False)
    return lut


def bake_lut(chain: ToolChain, size: int = DEFAULT_LUT_SIZE) -> np.ndarray:
    """The chain's per-pixel colour work as a ``(size, size, size, 3)`` LUT (read-only, cached).

    Raises :class:`RegionalInLutError` when the chain has regional edits."""
    _check_no_regional(chain)
    if not 2 <= size <= 256:
        raise ValueError("LUT size must be within 2..256")
    return _bake_cached(chain.model_dump_json(), size)


@lru_cache(maxsize=16)
def _pillow_cached(chain_json: str, size: int):  # -> Color3DLUT
    return pillow_lut(_bake_cached(chain_json, size))


def _to_float(img: np.ndarray) -> np.ndarray:
    if img.dtype == np.uint8:
        return img.astype(np.float32) * np.float32(1 / 255)
    if img.dtype == np.uint16:
        return img.astype(np.float32) * np.float32(1 / 65535)
    return np.asarray(img, dtype=np.float32)


def _from_float(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if dtype == np.uint8:
        # round-to-nearest with saturation, on OpenCV's threads (x is never negative here)
        return cv2.convertScaleAbs(np.maximum(x, 0.0, dtype=np.float32), alpha=255.0)
    if dtype == np.uint16:
        return (np.clip(x, 0, 1) * 65535 + 0.5).astype(np.uint16)
    return np.clip(x, 0, 1).astype(dtype)


def _check(img: np.ndarray) -> None:
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB array, got shape {img.shape}")
    if img.dtype not in (np.uint8, np.uint16, np.float32, np.float64):
        raise ValueError(f"unsupported pixel type {img.dtype}")


@dataclass(frozen=True)
class Renderer:
    """A chain prepared for rendering many images or frames (the LUT is baked once).

    Args:
        chain: the tool chain.
        lut_size: grid size of the baked LUT.
        interpolation: for 16-bit and float images; 8-bit images use Pillow's trilinear kernel unless
            ``interpolation="tetrahedral"`` is forced with ``u8_fast=False``.
        u8_fast: use Pillow's C kernel for 8-bit images (default).
    """

    chain: ToolChain
    lut_size: int = DEFAULT_LUT_SIZE
    interpolation: Interpolation = "tetrahedral"
    u8_fast: bool = True

    def __call__(self, img: np.ndarray, masks: Masks | None = None) -> np.ndarray:
        return self.render(img, masks)

    def render(self, img: np.ndarray, masks: Masks | None = None) -> np.ndarray:
        """Render an ``(H, W, 3)`` uint8, uint16 or float array; returns the same dtype and shape.

        ``masks``: the regional edits' masks (any size; resized to the image), e.g. frozen from an original
        while an agent edits a proxy; by default they are computed from ``img``."""
        _check(img)
        chain = self.chain
        if chain.is_identity:
            return img.copy()
        if chain.regional_used:
            return self._render_regional(img, masks)
        dtype = img.dtype
        spatial = chain.adjust.spatial_used
        color = has_color_work(chain)
        x: np.ndarray = img
        if spatial:
            if dtype == np.uint8:
                x = apply_spatial_u8(img, chain.adjust)
                if not color:
                    return x
            else:
                x = apply_spatial(_to_float(img), chain.adjust)
                if not color:
                    return _from_float(x, dtype)
        key = chain.model_dump_json()
        if dtype == np.uint8 and self.u8_fast:
            return apply_lut_u8(np.ascontiguousarray(x), _pillow_cached(key, self.lut_size))
        lut = _bake_cached(key, self.lut_size)
        return _from_float(apply_lut(_to_float(x), lut, self.interpolation), dtype)

    def _render_regional(self, img: np.ndarray, masks: Masks | None) -> np.ndarray:
        chain = self.chain
        if masks is None:
            masks = masks_for(img, chain)
        base = chain.model_copy(update={"regional": (), "filter": Filter(name=FILTER_NONE)})
        look = ToolChain(filter=chain.filter)
        edits = [e for e in chain.regional if e.used]
        x = Renderer(base, self.lut_size, self.interpolation, self.u8_fast).render(img)
        if img.dtype == np.uint8 and self.u8_fast:
            x = apply_regional_u8(x, edits, masks, self.lut_size)
        else:
            y = apply_regional_float(_to_float(x), edits, masks, lut_size=self.lut_size)
            x = _from_float(y, img.dtype)
        return Renderer(look, self.lut_size, self.interpolation, self.u8_fast).render(x)


def render(img: np.ndarray, chain: ToolChain, *, lut_size: int = DEFAULT_LUT_SIZE,
           interpolation: Interpolation = "tetrahedral", u8_fast: bool = True,
           masks: Masks | None = None) -> np.ndarray:
    """Render ``chain`` on an ``(H, W, 3)`` RGB array (uint8, uint16 or float in [0, 1]); same dtype out.

    ``masks``: for regional edits, masks frozen from another picture (default: computed from ``img``).
    Alpha is not handled here: callers split it off and put it back untouched (see
    :mod:`vibegrade.media.image`).
    """
    return Renderer(chain, lut_size, interpolation, u8_fast).render(img, masks)


def render_direct(img: np.ndarray, chain: ToolChain, masks: Masks | None = None) -> np.ndarray:
    """Reference path: evaluate every pixel directly, no LUT. Slow; for tests and accuracy checks."""
    _check(img)
    if chain.is_identity:
        return img.copy()
    if chain.regional_used:
        masks = masks_for(img, chain) if masks is None else masks
        base = chain.model_copy(update={"regional": (), "filter": Filter(name=FILTER_NONE)})
        x = _to_float(render_direct(img, base)) if not base.is_identity else _to_float(img)
        x = apply_regional_float(x, [e for e in chain.regional if e.used], masks, direct=True)
        look = ToolChain(filter=chain.filter)
        return render_direct(_from_float(x, img.dtype), look) if not look.is_identity else _from_float(
            x, img.dtype)
    if chain.adjust.spatial_used and img.dtype == np.uint8:
        x = _to_float(apply_spatial_u8(img, chain.adjust))
    elif chain.adjust.spatial_used:
        x = apply_spatial(_to_float(img), chain.adjust)
    else:
        x = _to_float(img)
    if has_color_work(chain):
        x = color_transform(chain)(x)
    return _from_float(x, img.dtype)

