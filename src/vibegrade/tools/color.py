"""Colour-space helpers shared by the tools.

All functions take and return float32 arrays of shape ``(..., 3)`` (or ``(...)`` for scalars per
pixel). "Encoded" means sRGB-encoded display values in [0, 1]; "linear" means linear-light sRGB
(Rec. 709 primaries, D65 white).

References:
    IEC 61966-2-1:1999, *Default RGB colour space - sRGB* (transfer function, XYZ matrix).
    ITU-R BT.709-6 (luma / luminance coefficients).
    Kim et al., *Design of advanced color temperature control system for HDTV applications*, J. Korean
    Physical Society 41 (2002) (the Planckian locus in CIE 1931 xy as cubic approximations).
"""

from __future__ import annotations

import numpy as np

#: Rec. 709 luminance weights (apply to linear values for luminance, to encoded values for luma).
REC709 = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


#: linear sRGB from CIE XYZ (IEC 61966-2-1)
XYZ_TO_LINEAR_SRGB = np.array([[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415],
                               [0.0557, -0.2040, 1.0570]])


def planckian_white(kelvin: float) -> np.ndarray:
    """The colour of a black body's light at ``kelvin`` (clamped to 1,667–25,000 K, where the cubic
    approximation of Kim et al. 2002 holds) in linear sRGB, with luminance Y = 1 (float64, shape (3,);
    channels of very warm light can fall below 0, outside sRGB)."""
    t = float(np.clip(kelvin, 1667.0, 25000.0))
    if t <= 4000:
        x = -0.2661239e9 / t**3 - 0.2343589e6 / t**2 + 0.8776956e3 / t + 0.179910
    else:
        x = -3.0258469e9 / t**3 + 2.1070379e6 / t**2 + 0.2226347e3 / t + 0.240390
    if t <= 2222:
        y = -1.1063814 * x**3 - 1.34811020 * x**2 + 2.18555832 * x - 0.20219683
    elif t <= 4000:
        y = -0.9549476 * x**3 - 1.37418593 * x**2 + 2.09137015 * x - 0.16748867
    else:
        y = 3.0817580 * x**3 - 5.87338670 * x**2 + 3.75112997 * x - 0.37001483
    return XYZ_TO_LINEAR_SRGB @ np.array([x / y, 1.0, (1.0 - x - y) / y])


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    """Decode sRGB-encoded values in [0, 1] to linear light (IEC 61966-2-1 piecewise curve)."""
    x = np.asarray(x, dtype=np.float32)
    return np.where(x <= 0.04045, x / 12.92,
                    ((np.maximum(x, 0.04045) + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb(y: np.ndarray) -> np.ndarray:
    """Encode linear-light values in [0, 1] to sRGB (inverse of :func:`srgb_to_linear`)."""
    y = np.clip(np.asarray(y, dtype=np.float32), 0.0, 1.0)
    return np.where(y <= 0.0031308, y * 12.92, 1.055 * np.maximum(y, 0.0031308) ** (1 / 2.4) - 0.055).astype(
        np.float32)


def luma(rgb: np.ndarray) -> np.ndarray:
    """Weighted sum of the three channels with Rec. 709 weights; shape ``(...)``."""
    return rgb @ REC709


def channel_max(rgb: np.ndarray) -> np.ndarray:
    """``max(r, g, b)`` per colour (the same as ``rgb.max(axis=-1)``, several times faster on ``(N, 3)``)."""
    return np.maximum(np.maximum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])


def channel_min(rgb: np.ndarray) -> np.ndarray:
    """``min(r, g, b)`` per colour (the same as ``rgb.min(axis=-1)``)."""
    return np.minimum(np.minimum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])


def hue_degrees(rgb: np.ndarray) -> np.ndarray:
    """HSV/HSL hue angle in degrees [0, 360) of each colour (0 = red, 120 = green, 240 = blue).

    Greys get hue 0; callers weight hue-dependent effects by chroma so greys are unaffected.
    """
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    # the hexcone hue (A. R. Smith 1978) piece by piece, vectorised: exactly HSV's hue
    mx = np.maximum(np.maximum(r, g), b)
    mn = np.minimum(np.minimum(r, g), b)
    c = mx - mn
    safe = np.where(c > 1e-12, c, 1.0)
    h = np.where(
        mx == r, ((g - b) / safe) % 6.0,
        np.where(mx == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0),
    )
    return np.where(c > 1e-12, h * 60.0, 0.0).astype(np.float32)


def chroma(rgb: np.ndarray) -> np.ndarray:
    """``max(r, g, b) - min(r, g, b)``: the hexcone chroma in [0, 1]."""
    return (channel_max(rgb) - channel_min(rgb)).astype(np.float32)


def scale_chroma(rgb: np.ndarray, factor: np.ndarray | float) -> np.ndarray:
    """Scale saturation by ``factor`` (scalar or per pixel, shape ``(...)``) without ever leaving the gamut.

    * ``factor <= 1``: each colour moves towards its Rec. 709 luma grey, ``y + k (rgb - y)`` (a convex
      blend, so always in gamut; 0 gives exact greyscale).
    * ``factor > 1``: HSV saturation ``S`` is raised along the smooth curve ``1 - (1 - S)^(k^2)``
      (greys stay grey, fully saturated colours stay put, slope ``k^2`` near grey; faded in over
      value 0..0.1, where HSV saturation is ill-conditioned) with value (the max
      channel) and hue kept, then luma is restored by moving the colour towards white. No channel is
      ever clipped, which keeps the operation smooth and 3D-LUT friendly.
    """
    x = np.asarray(rgb, dtype=np.float32)
    k = np.broadcast_to(np.asarray(factor, dtype=np.float32), x.shape[:-1])
    y = luma(x)
    down = y[..., None] + np.minimum(k, 1.0)[..., None] * (x - y[..., None])
    if not np.any(k > 1.0):
        return np.clip(down, 0.0, 1.0).astype(np.float32)
    v = channel_max(x)
    mn = channel_min(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(v > 1e-6, (v - mn) / v, 0.0)
        kk = np.maximum(k, 1.0) ** 2  # the luma restore below gives back part of the gain
        # fade the boost in over value 0..0.1: HSV saturation is ill-conditioned near black (noise)
        kk = 1.0 + (kk - 1.0) * smoothstep(0.0, 0.1, v)
        s_new = 1.0 - (1.0 - s) ** kk
        ratio = np.where(s > 1e-6, s_new / np.where(s > 1e-6, s, 1.0), kk)
    up = v[..., None] - (v[..., None] - x) * ratio[..., None]
    # restore luma (boosting in HSV darkens) by moving towards white, which keeps the hue; the 0.05
    # regulariser leaves a tiny luma deficit near white instead of an ill-conditioned ratio there
    y_up = luma(up)
    kw = (1.0 - y + 0.05) / (1.0 - y_up + 0.05)
    up = 1.0 - (1.0 - up) * (1.0 - 0.5 * (1.0 - np.minimum(kw, 1.0)))[..., None]
    out = np.where((k > 1.0)[..., None], up, down)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def rgb_to_hsv(rgb: np.ndarray) -> np.ndarray:
    """HSV with H in degrees [0, 360), S and V in [0, 1] (hexcone model, A. R. Smith 1978)."""
    v = channel_max(rgb)
    c = v - channel_min(rgb)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(v > 1e-12, c / np.where(v > 1e-12, v, 1.0), 0.0)
    return np.stack([hue_degrees(rgb), s, v], axis=-1).astype(np.float32)


def hsv_to_rgb(hsv: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rgb_to_hsv` (vectorised)."""
    h = (hsv[..., 0] % 360.0) / 60.0
    s, v = hsv[..., 1], hsv[..., 2]

    def f(n: float) -> np.ndarray:
        k = (n + h) % 6.0
        return v - v * s * np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)

    return np.stack([f(5.0), f(3.0), f(1.0)], axis=-1).astype(np.float32)


def smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    """Cubic Hermite step from 0 at ``e0`` to 1 at ``e1`` (works for ``e0 > e1`` too)."""
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)


def hue_window(hue: np.ndarray, center: float, half_width: float) -> np.ndarray:
    """Raised-cosine weight of ``hue`` (degrees) around ``center``: 1 at the centre, 0 beyond
    ``half_width``."""
    d = np.abs((hue - center + 180.0) % 360.0 - 180.0)
    return np.where(d < half_width, 0.5 + 0.5 * np.cos(np.pi * d / half_width), 0.0).astype(np.float32)
