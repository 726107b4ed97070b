"""The ``selective_adjust`` tool: saturation and luminance per colour range.

Each colour range (red 0 deg, orange 30, yellow 60, green 120, cyan 180, blue 240 on the HSV hue
circle) has a raised-cosine weight that is 1 at its centre and falls to 0 at the neighbouring
centres, so adjacent weights overlap and sum to 1 (magentas, 300 deg, are half red, half blue).
Boosting orange therefore changes oranges fully, reds and yellows a little, and blues not at all.
Weights are multiplied by a chroma ramp (smoothstep over chroma 0..0.4) so neutral tones never shift
and the weights stay smooth near the grey axis, where hue is ill-defined.

* saturation ``s`` in -100..100: chroma is scaled by ``1 + sum_c w_c s_c / 100`` (soft gamut limit).
* luminance ``l`` in -100..100: luma follows the brightness curve ``L (1+a) / (1 + a L)`` with
  ``a = 1.5 sum_c w_c l_c / 100`` (inverse curve for negative sums), keeping hue and saturation.
"""

from __future__ import annotations

import numpy as np

from vibegrade.schema import SELECTIVE_COLORS, SELECTIVE_HUES, SelectiveAdjust
from vibegrade.tools.adjust import _tone_move
from vibegrade.tools.color import chroma, hue_degrees, luma, scale_chroma, smoothstep

__all__ = ["color_weights", "apply_selective"]

_CENTERS = np.array([SELECTIVE_HUES[c] for c in SELECTIVE_COLORS], dtype=np.float32)


def color_weights(rgb: np.ndarray) -> np.ndarray:
    """Weight of every colour range for each pixel: shape ``(..., 6)`` in :data:`SELECTIVE_COLORS` order.

    Hue weights form a partition of unity around the circle; the whole vector is scaled by a chroma ramp.
    """
    h = hue_degrees(rgb)
    n = len(_CENTERS)
    out = np.zeros(h.shape + (n,), dtype=np.float32)
    for i in range(n):
        c = _CENTERS[i]
        prev_c = _CENTERS[i - 1] - (360.0 if i == 0 else 0.0)
        next_c = _CENTERS[(i + 1) % n] + (360.0 if i == n - 1 else 0.0)
        d = (h - c + 180.0) % 360.0 - 180.0  # signed distance in (-180, 180]
        left_w, right_w = c - prev_c, next_c - c
        t = np.where(d < 0, -d / left_w, d / right_w)
        out[..., i] = np.where(t < 1.0, 0.5 + 0.5 * np.cos(np.pi * np.clip(t, 0, 1)), 0.0)
    return out * smoothstep(0.0, 0.4, chroma(rgb))[..., None]


def apply_selective(rgb: np.ndarray, s: SelectiveAdjust) -> np.ndarray:
    """Apply per-colour saturation and luminance to float32 ``(..., 3)`` sRGB-encoded values."""
    if not s.used:
        return rgb
    x = np.asarray(rgb, dtype=np.float32)
    w = color_weights(x)
    sat = np.array([getattr(s, c).saturation for c in SELECTIVE_COLORS], dtype=np.float32) / 100.0
    lum = np.array([getattr(s, c).luminance for c in SELECTIVE_COLORS], dtype=np.float32) / 100.0
    if np.any(lum != 0):
        amount = w @ lum
        a = 1.5 * np.abs(amount)
        y = luma(x)
        target = np.where(amount >= 0, y * (1 + a) / (1 + a * y), y / (1 + a - a * y))
        x = _tone_move(x, target.astype(np.float32))
    if np.any(sat != 0):
        x = scale_chroma(x, np.maximum(1.0 + w @ sat, 0.0))
    return x
