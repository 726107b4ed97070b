"""Skin tones: a colour model of skin in CIE L*a*b*, adapted to the picture's faces.

* Generic model (any picture): skin lies on a narrow band of hue angles ``h_ab`` around 20..75 degrees
  (reddish to yellowish), with chroma ``C*ab`` about 8..50 and L* about 15..95, for every complexion
  (complexions differ mostly in L*). Each is a smooth window; the likelihood is their product, in [0, 1].
* Adapted model (faces found): the a*b* mean and covariance of the pixels in the faces' inner ellipses
  that the generic model accepts; the likelihood is a Gaussian of the Mahalanobis distance to it,
  within L* +-45 of the faces' median.

The skin *region* is that colour likelihood gated by where people are (the dilated people mask), so
sand, wood or an orange cup in a picture without people is not called skin.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vibegrade.tools.color import smoothstep

__all__ = ["SkinModel", "generic_skin", "fit_skin_model", "skin_colour"]


def _lab(rgb: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(rgb, dtype=np.float32)
    flat = x.reshape(-1, 1, 3)
    return cv2.cvtColor(flat, cv2.COLOR_RGB2Lab).reshape(x.shape)


def _generic_from_lab(lab: np.ndarray) -> np.ndarray:
    lum, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    c = np.hypot(a, b)
    h = np.degrees(np.arctan2(b, a))
    hue = smoothstep(5.0, 22.0, h) * (1.0 - smoothstep(68.0, 85.0, h))
    chroma = smoothstep(5.0, 11.0, c) * (1.0 - smoothstep(48.0, 62.0, c))
    light = smoothstep(10.0, 22.0, lum) * (1.0 - smoothstep(93.0, 99.0, lum))
    return (hue * chroma * light).astype(np.float32)


def generic_skin(rgb: np.ndarray) -> np.ndarray:
    """Generic skin-colour likelihood in [0, 1] of sRGB float ``(..., 3)`` in [0, 1]."""
    return _generic_from_lab(_lab(rgb))


@dataclass(frozen=True)
class SkinModel:
    """Skin colour of one picture: a*b* mean (2,), inverse covariance (2, 2) and the median L*."""

    mean_ab: np.ndarray
    inv_cov: np.ndarray
    median_l: float


def fit_skin_model(lab: np.ndarray, weight: np.ndarray) -> SkinModel | None:
    """Fit the adapted model to the pixels of ``lab`` ``(h, w, 3)`` where ``weight`` > 0.5 (the face
    cores) and the generic model agrees; None when fewer than 30 such pixels."""
    sel = (weight > 0.5) & (_generic_from_lab(lab) > 0.3)
    if int(sel.sum()) < 30:
        return None
    px = lab[sel]
    ab = px[:, 1:3].astype(np.float64)
    mean = np.median(ab, axis=0)
    cov = np.cov((ab - mean).T) + np.diag([9.0, 9.0])  # at least 3 a*b* units of spread
    return SkinModel(mean.astype(np.float32), np.linalg.inv(cov).astype(np.float32),
                     float(np.median(px[:, 0])))


def skin_colour(rgb: np.ndarray, model: SkinModel | None) -> np.ndarray:
    """Skin-colour likelihood in [0, 1] of sRGB float ``(..., 3)``: adapted when ``model`` is given."""
    lab = _lab(rgb)
    generic = _generic_from_lab(lab)
    if model is None:
        return generic
    d = lab[..., 1:3] - model.mean_ab
    m2 = (d[..., 0] * (model.inv_cov[0, 0] * d[..., 0] + model.inv_cov[0, 1] * d[..., 1])
          + d[..., 1] * (model.inv_cov[1, 0] * d[..., 0] + model.inv_cov[1, 1] * d[..., 1]))
    adapted = np.exp(-0.5 * m2 / 4.0)  # 1 at the mean, 0.6 at two standard deviations
    light = 1.0 - smoothstep(35.0, 50.0, np.abs(lab[..., 0] - model.median_l))
    return np.maximum(adapted * light, 0.5 * generic).astype(np.float32)
