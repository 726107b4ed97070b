"""Edge-aware filtering and upsampling of soft masks with the colour guided filter.

He, Sun & Tang, "Guided Image Filtering", ECCV 2010 / TPAMI 2013: inside every window the output is a
linear function of the guide's three colour channels, ``q = a . I + b``, fitted to the input mask by
ridge regression (``eps`` the regulariser), so mask edges snap to the picture's edges without the halos
of a plain blur. He & Sun, "Fast Guided Filter", arXiv 1505.00996 (2015): the coefficients are fitted at
the working resolution and only ``a`` and ``b`` are upsampled (bilinearly), then applied to the
full-resolution guide, so the cost at full resolution is four resizes and three multiply-adds per mask.
:class:`ColourGuide` keeps the guide's window statistics (means, inverse covariances), which every mask
filtered with the same guide shares.

Guides are sRGB float32 in [0, 1]; masks float32 in [0, 1]; ``radius`` in working pixels; ``eps`` in
squared guide units (1e-4 follows edges of ~1 % contrast, 1e-2 only strong ones).
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["ColourGuide", "box", "guided_filter", "guided_upsample"]


def box(x: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a ``(2 radius + 1)^2`` window (reflected borders), any number of channels."""
    k = 2 * int(radius) + 1
    return cv2.boxFilter(x, -1, (k, k), borderType=cv2.BORDER_REFLECT)


class ColourGuide:
    """One guide image's window statistics for the colour guided filter.

    Args:
        guide: ``(h, w, 3)`` float32 sRGB in [0, 1].
        radius: window radius in pixels (windows are ``2 radius + 1`` wide).
        eps: ridge regulariser in squared guide units.
    """

    def __init__(self, guide: np.ndarray, radius: int, eps: float) -> None:
        self.guide = np.ascontiguousarray(guide, dtype=np.float32)
        self.radius = int(radius)
        g = self.guide
        self.mean = box(g, self.radius)
        r, gg, b = g[..., 0], g[..., 1], g[..., 2]
        m = box(np.stack([r * r, r * gg, r * b, gg * gg, gg * b, b * b], axis=-1), self.radius)
        mr, mg, mb = self.mean[..., 0], self.mean[..., 1], self.mean[..., 2]
        vrr = m[..., 0] - mr * mr + eps
        vrg = m[..., 1] - mr * mg
        vrb = m[..., 2] - mr * mb
        vgg = m[..., 3] - mg * mg + eps
        vgb = m[..., 4] - mg * mb
        vbb = m[..., 5] - mb * mb + eps
        # the inverse of each window's (regularised) colour covariance, by the adjugate
        inv = np.stack([vgg * vbb - vgb * vgb, vgb * vrb - vrg * vbb, vrg * vgb - vgg * vrb,
                        vrr * vbb - vrb * vrb, vrb * vrg - vrr * vgb, vrr * vgg - vrg * vrg], axis=-1)
        det = vrr * inv[..., 0] + vrg * inv[..., 1] + vrb * inv[..., 2]
        self.inv = inv / det[..., None]

    def coefficients(self, mask: np.ndarray) -> np.ndarray:
        """Window-averaged coefficients ``(h, w, 4)`` = (a_r, a_g, a_b, b) for a ``(h, w)`` mask."""
        p = np.ascontiguousarray(mask, dtype=np.float32)
        mean_p = box(p, self.radius)
        cov = box(self.guide * p[..., None], self.radius) - self.mean * mean_p[..., None]
        c0, c1, c2 = cov[..., 0], cov[..., 1], cov[..., 2]
        i = self.inv
        coef = np.empty(p.shape + (4,), dtype=np.float32)
        coef[..., 0] = i[..., 0] * c0 + i[..., 1] * c1 + i[..., 2] * c2
        coef[..., 1] = i[..., 1] * c0 + i[..., 3] * c1 + i[..., 4] * c2
        coef[..., 2] = i[..., 2] * c0 + i[..., 4] * c1 + i[..., 5] * c2
        coef[..., 3] = mean_p - (coef[..., 0] * self.mean[..., 0] + coef[..., 1] * self.mean[..., 1]
                                 + coef[..., 2] * self.mean[..., 2])
        return box(coef, self.radius)

    def filter(self, mask: np.ndarray) -> np.ndarray:
        """The guided filter of ``mask`` at the guide's resolution, ``(h, w)`` float32 in [0, 1]."""
        coef = self.coefficients(mask)
        g = self.guide
        q = coef[..., 3] + coef[..., 0] * g[..., 0]
        q += coef[..., 1] * g[..., 1]
        q += coef[..., 2] * g[..., 2]
        return np.clip(q, 0.0, 1.0, out=q)

    def upsample(self, mask: np.ndarray, guide_hi: list[np.ndarray]) -> np.ndarray:
        """``mask`` (at the guide's resolution) at the resolution of ``guide_hi`` (the full-size picture's
        three channels, each ``(H, W)`` float32 in [0, 1]): ``(H, W)`` float32 in [0, 1]."""
        height, width = guide_hi[0].shape
        coef = self.coefficients(mask)
        up: list[np.ndarray] = [
            np.asarray(cv2.resize(np.ascontiguousarray(coef[..., c]), (width, height),
                                  interpolation=cv2.INTER_LINEAR), dtype=np.float32)
            for c in range(4)]
        q = up[3]
        for c in range(3):  # in place: no full-size temporaries
            np.multiply(up[c], guide_hi[c], out=up[c])
            q += up[c]
        return np.clip(q, 0.0, 1.0, out=q)


def guided_filter(guide: np.ndarray, mask: np.ndarray, radius: int = 4, eps: float = 1e-3) -> np.ndarray:
    """The colour guided filter at one resolution: ``(h, w)`` float32 in [0, 1]."""
    return ColourGuide(guide, radius, eps).filter(mask)


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
    return ColourGuide(guide_lo, radius, eps).upsample(mask_lo, guide_hi)
