"""Spatial parts of the ``adjust`` tool: structure, sharpen and bloom.

These need a pixel's neighbourhood and run on the full image (not in the LUT), first in the
``adjust`` stage: structure and sharpen, then bloom. Images are float32 ``(H, W, 3)``
sRGB-encoded in [0, 1]. Blur radii scale with the image's short side ``S`` so a look is the same at
any resolution; wide blurs are computed on a downscaled copy (they only carry low frequencies) and
upsampled bilinearly, which keeps 1080p work in milliseconds.

* structure (clarity): ``L += k (L - G_sigma(L)) * 4 L (1 - L)`` on Rec. 709 luma with
  ``sigma = 0.02 S`` and ``k = 0.8 v / 100``; the midtone weight avoids clipping blacks and whites.
* sharpen (unsharp mask): ``L += k (L - G_sigma(L))`` with ``sigma = max(0.8, S / 1080)`` px and
  ``k = 1.5 v / 100``. Both act on luma only (the same offset added to R, G and B), so they add no
  colour fringes.
* bloom: in linear light, the highlights ``lin * smoothstep(0.55, 1, Y)`` are blurred with
  ``sigma = 0.025 S``, scaled by ``1.2 v / 100``, encoded to sRGB and screen-blended over the image,
  ``1 - (1 - x)(1 - glow)`` (only adds light, never exceeds 1).

structure and sharpen are both measured on the same input luma and their offsets added together.

References: unsharp masking and local contrast, e.g. R. C. Gonzalez & R. E. Woods, *Digital Image
Processing*, 4th ed., sec. 3.6; bloom as a screen-blended glow, as in common compositing practice.
"""

from __future__ import annotations

import cv2
import numpy as np

from vibegrade.schema import Adjust
from vibegrade.tools.color import REC709, linear_to_srgb, srgb_to_linear

__all__ = ["structure", "sharpen", "bloom", "apply_spatial", "apply_spatial_u8"]

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
    """``clip(img + delta[..., None], 0, 1)``."""
    out = img + delta[..., None]
    np.clip(out, 0.0, 1.0, out=out)
    return out


def _structure_delta(y: np.ndarray, value: int, short: int) -> np.ndarray:
    base = _blur(y, 0.02 * short)
    k = np.float32(4.0 * 0.8 * value / 100.0)
    # (y - base) * k * y * (1 - y)
    return cv2.multiply(cv2.subtract(y, base), cv2.multiply(y, 1.0 - y), scale=float(k))


def _sharpen_delta(y: np.ndarray, value: int, short: int) -> np.ndarray:
    sigma = max(0.8, short / 1080.0)
    k = 1.5 * value / 100.0
    # k * (y - blur(y)) in one pass
    return cv2.addWeighted(y, k, cv2.GaussianBlur(y, (0, 0), sigma, borderType=cv2.BORDER_REFLECT), -k, 0.0)


def structure(img: np.ndarray, value: int) -> np.ndarray:
    """Local contrast (clarity), ``value`` 0..100."""
    if value <= 0:
        return img
    return _add_luma(img, _structure_delta(_luma(img), value, _short(img)))


def sharpen(img: np.ndarray, value: int) -> np.ndarray:
    """Unsharp masking of fine detail, ``value`` 0..100."""
    if value <= 0:
        return img
    return _add_luma(img, _sharpen_delta(_luma(img), value, _short(img)))


def _glow(img: np.ndarray, value: int) -> tuple[np.ndarray, int]:
    """Encoded glow of the highlights at reduced resolution (float32 in [0, 1]) and the reduction factor."""
    h, w = img.shape[:2]
    sigma = 0.025 * _short(img)
    factor = int(max(1, sigma // 3))
    small = cv2.resize(img, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    if small.dtype == np.uint8:
        small = small.astype(np.float32) * np.float32(1 / 255)
    lin_small = srgb_to_linear(small)
    y = _luma(lin_small)
    t = np.clip((y - 0.55) / 0.45, 0.0, 1.0)
    mask = t * t * (3.0 - 2.0 * t)
    glow = cv2.GaussianBlur(lin_small * mask[..., None], (0, 0), sigma / factor,
                            borderType=cv2.BORDER_REFLECT)
    return linear_to_srgb(np.clip(glow * np.float32(1.2 * value / 100.0), 0.0, 1.0)), factor


def bloom(img: np.ndarray, value: int) -> np.ndarray:
    """Glow of the highlights, ``value`` 0..100.

    The glow is extracted and blurred in linear light on a downscaled copy, encoded back to sRGB at
    that low resolution, upsampled, and screen-blended over the image (``1 - (1 - x)(1 - g)``), which
    only ever adds light and never exceeds 1.
    """
    if value <= 0:
        return img
    h, w = img.shape[:2]
    glow, _ = _glow(img, value)
    g = cv2.resize(glow, (w, h), interpolation=cv2.INTER_LINEAR)
    # screen: x + g (1 - x)
    out = 1.0 - img
    out *= g
    out += img
    return out


def apply_spatial(img: np.ndarray, a: Adjust) -> np.ndarray:
    """structure + sharpen (one combined luma offset) then bloom, on a float32 ``(H, W, 3)`` image."""
    img = np.ascontiguousarray(img, dtype=np.float32)
    if a.structure > 0 or a.sharpen > 0:
        img = _add_luma(img, _detail_delta(_luma(img), a, _short(img)))
    return bloom(img, a.bloom)


def _detail_delta(y: np.ndarray, a: Adjust, short: int) -> np.ndarray:
    """The combined luma offset of structure and sharpen, both measured on the same luma ``y``."""
    delta = _structure_delta(y, a.structure, short) if a.structure > 0 else None
    if a.sharpen > 0:
        d = _sharpen_delta(y, a.sharpen, short)
        delta = d if delta is None else cv2.add(delta, d)
    assert delta is not None
    return delta


def apply_spatial_u8(img: np.ndarray, a: Adjust) -> np.ndarray:
    """The same operations as :func:`apply_spatial` for an 8-bit ``(H, W, 3)`` image, returning 8-bit.

    Only the luma plane and the low-resolution glow are computed in float; the per-pixel offset and
    the screen blend run as saturating 8-bit OpenCV kernels (within one level of the float path).
    """
    img = np.ascontiguousarray(img)
    if a.structure > 0 or a.sharpen > 0:
        y8 = cv2.transform(img, _LUMA_M)  # 8-bit luma is enough to measure detail on an 8-bit image
        if y8.ndim == 3:
            y8 = y8[..., 0]
        y8 = np.ascontiguousarray(y8)
        short = _short(img)
        # the same maths as _detail_delta, in 8-bit levels, on OpenCV's integer / LUT kernels
        delta: np.ndarray = np.zeros(y8.shape, np.float32)
        if a.sharpen > 0:
            k = 1.5 * a.sharpen / 100.0
            blur = cv2.GaussianBlur(y8, (0, 0), max(0.8, short / 1080.0), borderType=cv2.BORDER_REFLECT)
            delta = cv2.addWeighted(y8, k, blur, -k, 0.0, dtype=cv2.CV_32F)
        if a.structure > 0:
            base = _blur(y8, 0.02 * short)
            x = np.arange(256, dtype=np.float32) / 255.0
            weight = cv2.LUT(y8, (4.0 * 0.8 * a.structure / 100.0) * x * (1.0 - x))  # k * 4 L (1 - L)
            detail = cv2.subtract(y8, base, dtype=cv2.CV_32F)
            delta = cv2.add(delta, cv2.multiply(detail, weight))
        # split the signed offset into two saturating 8-bit planes (rounded to the nearest level)
        pos = cv2.convertScaleAbs(cv2.max(delta, 0.0))
        neg = cv2.convertScaleAbs(cv2.min(delta, 0.0))
        img = cv2.subtract(cv2.add(img, cv2.merge([pos, pos, pos])), cv2.merge([neg, neg, neg]))
    if a.bloom > 0:
        h, w = img.shape[:2]
        glow, _ = _glow(img, a.bloom)
        g = cv2.resize(cv2.convertScaleAbs(glow, alpha=255.0), (w, h), interpolation=cv2.INTER_LINEAR)
        # screen in 8 bits: x + g - x g / 255 (saturating)
        img = cv2.add(img, cv2.subtract(g, cv2.multiply(img, g, scale=1 / 255)))
    return img
