"""The working-resolution proxy of one image that every region is computed on.

:class:`Proxy` validates the caller's array once, keeps the full-resolution 8-bit copy that the
edge-aware upsampling uses as its guide, and derives (lazily, once) the working-resolution views the
region modules share: sRGB float in [0, 1], CIE L*a*b* (D65; L* in [0, 100], a*/b* roughly [-128, 127]),
and the detected faces.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import cv2
import numpy as np

from vibegrade.tools.regions.guided import ColourGuide

if TYPE_CHECKING:
    from vibegrade.tools.regions.faces import Face

__all__ = ["Proxy", "as_uint8", "validate_rgb"]

#: The smallest and largest working size (long side, px) accepted.
MIN_WORKING_SIZE, MAX_WORKING_SIZE = 64, 4096


def validate_rgb(rgb: object) -> np.ndarray:
    """Check that ``rgb`` is an ``(H, W, 3)`` uint8 / uint16 / float image; raise ``ValueError`` if not."""
    if not isinstance(rgb, np.ndarray):
        raise ValueError(f"compute_masks: rgb must be a numpy array, got {type(rgb).__name__}")
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"compute_masks: rgb must have shape (H, W, 3), got {rgb.shape}")
    if rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise ValueError(f"compute_masks: rgb is empty ({rgb.shape})")
    if rgb.dtype not in (np.uint8, np.uint16) and not np.issubdtype(rgb.dtype, np.floating):
        raise ValueError(f"compute_masks: rgb must be uint8, uint16 or float in [0, 1], got {rgb.dtype}")
    if np.issubdtype(rgb.dtype, np.floating) and not np.isfinite(rgb).all():
        raise ValueError("compute_masks: rgb contains NaN or infinite values")
    return rgb


def as_uint8(rgb: np.ndarray) -> np.ndarray:
    """The image as contiguous 8-bit sRGB codes (uint16 scaled by 255/65535, floats clipped to [0, 1])."""
    if rgb.dtype == np.uint8:
        return np.ascontiguousarray(rgb)
    if rgb.dtype == np.uint16:
        return ((rgb.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    x = np.clip(np.asarray(rgb, dtype=np.float32), 0.0, 1.0)
    return (x * 255.0 + 0.5).astype(np.uint8)


def grab_cut(u8: np.ndarray, gc: np.ndarray, iterations: int) -> np.ndarray | None:
    """OpenCV GrabCut of the 8-bit RGB picture ``u8`` (resized to the labels' size) from the initial labels
    ``gc`` (``cv2.GC_*`` per pixel, updated in place): float32 foreground (definite or probable) in {0, 1}
    at ``gc``'s size, or ``None`` when GrabCut cannot model it (e.g. no background pixel). Seeded, so the
    cut repeats."""
    ch, cw = gc.shape
    small = cv2.resize(u8, (cw, ch), interpolation=cv2.INTER_AREA)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    try:
        cv2.grabCut(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), gc, (0, 0, 1, 1), bgd, fgd, iterations,
                    cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        return None
    return ((gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)).astype(np.float32)


class Proxy:
    """One image at two resolutions: full (8-bit, the guide of the upsampling) and working (float).

    Args:
        rgb: ``(H, W, 3)`` uint8 / uint16 / float in [0, 1], display-referred sRGB, EXIF-oriented.
        working_size: long side of the working resolution in pixels (images already smaller stay as
            they are, never enlarged).
    """

    def __init__(self, rgb: np.ndarray, working_size: int = 512) -> None:
        validate_rgb(rgb)
        if not MIN_WORKING_SIZE <= int(working_size) <= MAX_WORKING_SIZE:
            raise ValueError(f"compute_masks: working_size must be in "
                             f"{MIN_WORKING_SIZE}..{MAX_WORKING_SIZE}, got {working_size}")
        self.full_u8 = as_uint8(rgb)
        self.full_shape: tuple[int, int] = (rgb.shape[0], rgb.shape[1])
        height, width = self.full_shape
        scale = min(1.0, int(working_size) / max(height, width))
        self.shape: tuple[int, int] = (max(1, round(height * scale)), max(1, round(width * scale)))
        #: working pixels per full-resolution pixel (<= 1)
        self.scale = self.shape[0] / height

    @property
    def is_full(self) -> bool:
        """True when the working resolution is the input's (nothing to upsample)."""
        return self.shape == self.full_shape

    @cached_property
    def u8(self) -> np.ndarray:
        """Working-resolution 8-bit sRGB, ``(h, w, 3)`` (area-averaged downscale)."""
        if self.is_full:
            return self.full_u8
        h, w = self.shape
        return cv2.resize(self.full_u8, (w, h), interpolation=cv2.INTER_AREA)

    @cached_property
    def rgb(self) -> np.ndarray:
        """Working-resolution sRGB float32 in [0, 1], ``(h, w, 3)``."""
        return self.u8.astype(np.float32) * np.float32(1.0 / 255.0)

    @cached_property
    def lab(self) -> np.ndarray:
        """Working-resolution CIE L*a*b* (D65) float32, ``(h, w, 3)``: L* in [0, 100]."""
        return cv2.cvtColor(self.rgb, cv2.COLOR_RGB2Lab)

    @cached_property
    def gray(self) -> np.ndarray:
        """Working-resolution luma float32 in [0, 1], ``(h, w)``."""
        return cv2.cvtColor(self.rgb, cv2.COLOR_RGB2GRAY)

    @cached_property
    def refine_guide(self) -> ColourGuide:
        """The colour guided filter over the working-resolution picture that snaps the semantic masks'
        edges to it (radius 1 % of the long side, eps 1e-3)."""
        return ColourGuide(self.rgb, max(2, round(0.01 * max(self.shape))), 1e-3)

    @cached_property
    def faces(self) -> list[Face]:
        """Faces found in the picture (working-resolution coordinates), most confident first."""
        from vibegrade.tools.regions.faces import detect_faces

        return detect_faces(self)
