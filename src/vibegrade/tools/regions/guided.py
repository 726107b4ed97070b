"""Edge-aware filtering and upsampling of soft masks with the colour guided filter.

He, Sun & Tang, "Guided Image Filtering", ECCV 2010 / TPAMI 2013: inside every window the output is a
linear function of the guide's three colour channels, ``q = a . I + b``, fitted to the input mask by
ridge regression (``eps`` the regulariser), so mask edges snap to the picture's edges without the halos
of a plain blur. He & Sun, "Fast Guided Filter", arXiv 1505.00996 (2015): the coefficients are fitted at
the working resolution and only ``a`` and ``b`` are upsampled (bilinearly), then applied to the
full-resolution guide, so the cost at full resolution is four resizes and three multiply-adds per mask.

Guides are sRGB float32 in [0, 1]; masks float32 in [0, 1]; ``radius`` in working pixels; ``eps`` in
squared guide units (1e-4 follows edges of ~1 % contrast, 1e-2 only strong ones).
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["box", "guided_coefficients", "guided_filter", "guided_upsample"]


def box(x: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a ``(2 radius + 1)^2`` window (reflected borders), any number of channels."""
    k = 2 * int(radius) + 1
    return cv2.boxFilter(x, -1, (k, k), borderType=cv2.BORDER_REFLECT)


def guided_coefficients(guide: np.ndarray, mask: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Window-averaged coefficients ``(h, w, 4)`` = (a_r, a_g, a_b, b) of the colour guided filter.

    Args:
        guide: ``(h, w, 3)`` float32 sRGB in [0, 1].
        mask: ``(h, w)`` float32 in [0, 1].
    """
    guide = np.ascontiguousarray(guide, dtype=np.float32)
    p = np.ascontiguousarray(mask, dtype=np.float32)
    mean_i = box(guide, radius)
    mean_p = box(p, radius)
    mean_ip = box(guide * p[..., None], radius)
    cov_ip = mean_ip - mean_i * mean_p[..., None]
    # the six distinct entries of each window's colour covariance, plus eps on the diagonal
    r, g, b = guide[..., 0], guide[..., 1], guide[..., 2]
    prods = np.stack([r * r, r * g, r * b, g * g, g * b, b * b], axis=-1)
    m = box(prods, radius)
    mr, mg, mb = mean_i[..., 0], mean_i[..., 1], mean_i[..., 2]
    vrr = m[..., 0] - mr * mr + eps
    vrg = m[..., 1] - mr * mg
    vrb = m[..., 2] - mr * mb
    vgg = m[..., 3] - mg * mg + eps
    vgb = m[..., 4] - mg * mb
    vbb = m[..., 5] - mb * mb + eps
    # inverse of the symmetric 3x3 matrix by its adjugate
    irr = vgg * vbb - vgb * vgb
    irg = vgb * vrb - vrg * vbb
    irb = vrg * vgb - vgg * vrb
    igg = vrr * vbb - vrb * vrb
    igb = vrb * vrg - vrr * vgb
    ibb = vrr * vgg - vrg * vrg
    det = vrr * irr + vrg * irg + vrb * irb
    c0, c1, c2 = cov_ip[..., 0], cov_ip[..., 1], cov_ip[..., 2]
    coef = np.empty(p.shape + (4,), dtype=np.float32)
    coef[..., 0] = (irr * c0 + irg * c1 + irb * c2) / det
    coef[..., 1] = (irg * c0 + igg * c1 + igb * c2) / det
    coef[..., 2] = (irb * c0 + igb * c1 + ibb * c2) / det
    coef[..., 3] = mean_p - (coef[..., 0] * mr + coef[..., 1] * mg + coef[..., 2] * mb)
    return box(coef, radius)


def _apply(coef: np.ndarray, guide: np.ndarray) -> np.ndarray:
    q = coef[..., 3] + coef[..., 0] * guide[..., 0]
    q += coef[..., 1] * guide[..., 1]
    q += coef[..., 2] * guide[..., 2]
    return np.clip(q, 0.0, 1.0, out=q)


def guided_filter(guide: np.ndarray, mask: np.ndarray, radius: int = 4, eps: float = 1e-3) -> np.ndarray:
    """The colour guided filter at one resolution: ``(h, w)`` float32 in [0, 1]."""
    coef = guided_coefficients(guide, mask, radius, eps)
    return _apply(coef, np.asarray(guide, dtype=np.float32))


def guided_upsample(guide_lo: np.ndarray, mask_lo: np.ndarray, guide_hi: list[np.ndarray],
                    radius: int = 2, eps: float = 1e-3) -> np.ndarray:
    """Upsample a working-resolution mask to the guide's full resolution (fast guided filter).

    Args:
        guide_lo: ``(h, w, 3)`` float32 sRGB, the working-resolution picture.
        mask_lo: ``(h, w)`` float32 in [0, 1].
        guide_hi: the full-resolution picture's three channels, each ``(H, W)`` float32 in [0, 1].
    Returns:
        ``(H, W)`` float32 in [0, 1].
    """
    height, width = guide_hi[0].shape
    coef = guided_coefficients(guide_lo, mask_lo, radius, eps)
    up = [cv2.resize(np.ascontiguousarray(coef[..., c]), (width, height), interpolation=cv2.INTER_LINEAR)
          for c in range(4)]
    q = up[3]
    for c in range(3):
        q += up[c] * guide_hi[c]
    return np.clip(q, 0.0, 1.0, out=q)
