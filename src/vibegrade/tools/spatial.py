"""Spatial parts of the ``adjust`` tool: structure, sharpen and bloom.

These need a pixel's neighbourhood and run on the full image (not in the LUT), first in the
``adjust`` stage, in the order structure -> sharpen -> bloom. Images are float32 ``(H, W, 3)``
sRGB-encoded in [0, 1]. Blur radii scale with the image's short side ``S`` so a look is the same at
any resolution; wide blurs are computed on a downscaled copy (they only carry low frequencies) and
upsampled bilinearly, which keeps 1080p work in milliseconds.

* structure (clarity): ``L += k (L - G_sigma(L)) * 4 L (1 - L)`` on Rec. 709 luma with
  ``sigma = 0.02 S`` and ``k = 0.8 v / 100``; the midtone weight avoids clipping blacks and whites.
* sharpen (unsharp mask): ``L += k (L - G_sigma(L))`` with ``sigma = max(0.8, S / 1080)`` px and
  ``k = 1.5 v / 100``. Both act on luma only (the same offset added to R, G and B), so they add no
  colour fringes.
* bloom: in linear light, the highlights ``lin * smoothstep(0.55, 1, Y)`` are blurred with
  ``sigma = 0.025 S`` and screened over the image with strength ``1.2 v / 100``:
  ``lin' = lin + k glow (1 - lin)`` (never exceeds 1).

References: unsharp masking and local contrast, e.g. R. C. Gonzalez & R. E. Woods, *Digital Image
Processing*, 4th ed., sec. 3.6; bloom as a screen-blended glow, as in common compositing practice.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from vibegrade.schema import Adjust
from vibegrade.tools.color import REC709, linear_to_srgb, srgb_to_linear

__all__ = ["structure", "sharpen", "bloom", "apply_spatial"]

_LUMA_M = REC709.reshape(1, 3).astype(np.float32)


def _luma(img: np.ndarray) -> np.ndarray:
    """Rec. 709 weighted sum of an (H, W, 3) float image as an (H, W) plane."""
    if img.ndim == 2:
        return img
    out = cv2.transform(img, _LUMA_M)
    return out[..., 0] if out.ndim == 3 else out


def _blur(plane: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur; for sigma > 4 px computed at reduced resolution and upsampled."""
    h, w = plane.shape[:2]
    factor = int(max(1, sigma // 3))
    if factor == 1:
        return cv2.GaussianBlur(plane, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    small = cv2.resize(plane, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor, borderType=cv2.BORDER_REFLECT)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _short(img: np.ndarray) -> int:
    return min(img.shape[0], img.shape[1])


def _add_luma(img: np.ndarray, delta: np.ndarray) -> np.ndarray:
    out = img + delta[..., None]
    np.clip(out, 0.0, 1.0, out=out)
    return out


def structure(img: np.ndarray, value: int) -> np.ndarray:
    """Local contrast (clarity), ``value`` 0..100."""
    if value <= 0:
        return img
    y = _luma(img)
    base = _blur(y, 0.02 * _short(img))
    k = np.float32(0.8 * value / 100.0)
    delta = (y - base) * (4.0 * k) * y * (1.0 - y)
    return _add_luma(img, delta)


def sharpen(img: np.ndarray, value: int) -> np.ndarray:
    """Unsharp masking of fine detail, ``value`` 0..100."""
    if value <= 0:
        return img
    y = _luma(img)
    sigma = max(0.8, _short(img) / 1080.0)
    k = np.float32(1.5 * value / 100.0)
    delta = (y - cv2.GaussianBlur(y, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)) * k
    return _add_luma(img, delta)


@lru_cache(maxsize=1)
def _encode_table() -> np.ndarray:
    """sRGB encoding of 65536 evenly spaced linear values (fast encode for the bloom composite)."""
    return linear_to_srgb(np.linspace(0.0, 1.0, 65536, dtype=np.float32))


@lru_cache(maxsize=1)
def _decode_table() -> np.ndarray:
    """Linear value of 65536 evenly spaced sRGB-encoded values."""
    return srgb_to_linear(np.linspace(0.0, 1.0, 65536, dtype=np.float32))


def _decode_fast(enc: np.ndarray) -> np.ndarray:
    idx = (np.clip(enc, 0.0, 1.0) * 65535.0 + 0.5).astype(np.uint16)
    return _decode_table()[idx]


def _encode_fast(lin: np.ndarray) -> np.ndarray:
    idx = (np.clip(lin, 0.0, 1.0) * 65535.0 + 0.5).astype(np.uint16)
    return _encode_table()[idx]


def bloom(img: np.ndarray, value: int) -> np.ndarray:
    """Glow of the highlights in linear light, ``value`` 0..100."""
    if value <= 0:
        return img
    h, w = img.shape[:2]
    sigma = 0.025 * _short(img)
    factor = int(max(1, sigma // 3))
    small = cv2.resize(img, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    lin_small = srgb_to_linear(small)
    y = _luma(lin_small)
    t = np.clip((y - 0.55) / 0.45, 0.0, 1.0)
    mask = t * t * (3.0 - 2.0 * t)
    glow = cv2.GaussianBlur(lin_small * mask[..., None], (0, 0), sigma / factor, borderType=cv2.BORDER_REFLECT)
    glow = cv2.resize(glow, (w, h), interpolation=cv2.INTER_LINEAR)
    k = np.float32(1.2 * value / 100.0)
    lin = _decode_fast(img)
    lin += k * glow * (1.0 - lin)
    return _encode_fast(lin)


def apply_spatial(img: np.ndarray, a: Adjust) -> np.ndarray:
    """structure -> sharpen -> bloom on a float32 ``(H, W, 3)`` image."""
    img = np.asarray(img, dtype=np.float32)
    img = structure(img, a.structure)
    img = sharpen(img, a.sharpen)
    img = bloom(img, a.bloom)
    return img
