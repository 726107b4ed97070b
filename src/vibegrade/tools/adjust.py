"""The ``adjust`` tool: 14 global parameters.

Per-pixel operations (one function each) take float32 ``(..., 3)`` sRGB-encoded values in [0, 1]
and a slider value in the schema's units (see :data:`vibegrade.schema.ADJUST_PARAMS`), and return
the same shape. A slider at its neutral value returns the input unchanged. Their exact effects are
documented in ``docs/tools.md``.

Spatial operations (bloom, sharpen, structure) need a pixel's neighbourhood, so they cannot be baked
into a LUT. They run first within the ``adjust`` stage, on the image as shot (glow and detail are
properties of the scene and lens), followed by the per-pixel operations in this order:

    exposure -> temperature/tint -> contrast -> brightness -> highlights -> shadows
    -> saturation -> vibrance -> hue -> linearOffset
"""

from __future__ import annotations

import numpy as np

from vibegrade.schema import Adjust
from vibegrade.tools.color import (
    chroma,
    hsv_to_rgb,
    hue_degrees,
    hue_window,
    linear_to_srgb,
    luma,
    planckian_white,
    rgb_to_hsv,
    scale_chroma,
    smoothstep,
    srgb_to_linear,
)

#: sRGB-encoded value of 18 % linear grey, the pivot of the contrast curve.
MIDDLE_GREY = float(linear_to_srgb(np.asarray(0.18, np.float32)))

__all__ = [
    "MIDDLE_GREY",
    "exposure",
    "white_balance",
    "temperature_for_kelvin",
    "DAYLIGHT_K",
    "contrast",
    "brightness",
    "highlights",
    "shadows",
    "saturation",
    "vibrance",
    "hue",
    "linear_offset",
    "apply_color",
]


def _f32(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


def exposure(rgb: np.ndarray, value: int) -> np.ndarray:
    """Exposure in stops of linear light: ``value`` 100 = +2 EV, -100 = -2 EV.

    Linear values are multiplied by ``2 ** (2 * value / 100)``. Brightening rolls off smoothly above
    80 % linear (a rational shoulder with slope 1 at the knee that maps the brightened white exactly to
    1), so highlights compress instead of clipping hard.
    """
    if value == 0:
        return rgb
    gain = np.float32(2.0 ** (2.0 * value / 100.0))
    lin = srgb_to_linear(rgb) * gain
    if gain > 1.0:
        knee = np.float32(0.8)
        c = (gain - knee) / (1.0 - knee)
        u = np.clip((lin - knee) / (gain - knee), 0.0, 1.0)
        shoulder = knee + (1.0 - knee) * (c * u) / (1.0 + (c - 1.0) * u)
        lin = np.where(lin > knee, shoulder, lin)
    return linear_to_srgb(lin)


# white_balance's gains at temperature +-100: warm scales blue and green down, cool red and green
_WARM_BLUE, _WARM_GREEN, _COOL_RED, _COOL_GREEN = 0.50, 0.10, 0.45, 0.12
#: the colour temperature a photo is taken to be balanced for when a Kelvin white balance is asked (K)
DAYLIGHT_K = 5500.0


def temperature_for_kelvin(kelvin: float, shot_at: float = DAYLIGHT_K) -> float:
    """The ``temperature`` (-100..100, clamped) that renders a photo balanced for ``shot_at`` as setting
    its white balance to ``kelvin`` would, the way Lightroom's Temp reads: a lower Kelvin cools the picture
    (the balance expects warmer light), a higher one warms it. Setting the balance scales blue over red
    by the black-body white's blue over red at ``shot_at`` against ``kelvin``'s
    (:func:`~vibegrade.tools.color.planckian_white`); :func:`white_balance` scales it by
    ``1 / (1 + 0.45 t)`` cooling and ``1 - 0.5 t`` warming (``t`` = temperature / 100). The slider spans
    about 4,600–8,000 K around daylight: 3,200 K is -100, 6,500 K about +48."""
    def blue_red(k: float) -> float:
        r, _, b = planckian_white(k)
        return float(max(b, 1e-4) / r)

    ratio = blue_red(shot_at) / blue_red(kelvin)
    t = (1.0 / ratio - 1.0) / _COOL_RED if ratio >= 1.0 else (1.0 - ratio) / _WARM_BLUE
    return float(np.clip(100.0 * t, -100.0, 100.0))


def white_balance(rgb: np.ndarray, temperature: int, tint: int) -> np.ndarray:
    """Temperature (blue - / yellow +) and tint (green - / magenta +) as a white-balance shift.

    Von Kries-style per-channel gains in linear light. At ``temperature`` +100 blue is scaled by 0.5
    and green by 0.9 (warm), at -100 red by 0.55 and green by 0.88 (cool); ``tint`` +100 scales
    green by 0.7 (magenta), -100 red and blue by 0.7 (green). Gains are normalised so the largest is 1,
    which can only darken a channel and therefore never clips.
    """
    if temperature == 0 and tint == 0:
        return rgb
    t = temperature / 100.0
    m = tint / 100.0
    if t >= 0:
        g = np.array([1.0, 1.0 - _WARM_GREEN * t, 1.0 - _WARM_BLUE * t])
    else:
        g = np.array([1.0 + _COOL_RED * t, 1.0 + _COOL_GREEN * t, 1.0])
    if m >= 0:
        g = g * np.array([1.0, 1.0 - 0.30 * m, 1.0])
    else:
        g = g * np.array([1.0 + 0.30 * m, 1.0, 1.0 + 0.30 * m])
    g = (g / g.max()).astype(np.float32)
    return linear_to_srgb(srgb_to_linear(rgb) * g)


def contrast(rgb: np.ndarray, value: int) -> np.ndarray:
    """Contrast as an S-curve per channel around sRGB middle grey (18 % linear).

    Positive values blend towards a power S-curve ``p (x/p)^2.2`` below the pivot ``p`` and its
    mirror above it (slope 2.2 at the pivot, 0 at black and white); negative values scale the distance
    from the pivot by ``1 - 0.5 |value| / 100`` (a flatter, faded image).
    """
    if value == 0:
        return rgb
    c = value / 100.0
    p = np.float32(MIDDLE_GREY)
    x = _f32(rgb)
    if c > 0:
        k = 2.2
        low = p * (np.clip(x, 0, p) / p) ** k
        high = 1.0 - (1.0 - p) * ((1.0 - np.clip(x, p, 1)) / (1.0 - p)) ** k
        s = np.where(x < p, low, high)
        return (x + np.float32(c) * (s - x)).astype(np.float32)
    return (p + (x - p) * np.float32(1.0 + 0.5 * c)).astype(np.float32)


def brightness(rgb: np.ndarray, value: int) -> np.ndarray:
    """Midtone brightness with black and white fixed: the rational curve ``x (1+a) / (1 + a x)``.

    ``a = 2 value / 100`` for brightening (middle grey 0.46 -> 0.72 at +100); darkening applies the
    inverse curve, so +v and -v cancel. Slopes stay finite everywhere (no gamma singularity at black).
    """
    if value == 0:
        return rgb
    a = np.float32(2.0 * abs(value) / 100.0)
    x = _f32(rgb)
    if value > 0:
        return (x * (1 + a) / (1 + a * x)).astype(np.float32)
    return (x / (1 + a - a * x)).astype(np.float32)


def _tone_move(rgb: np.ndarray, target_luma: np.ndarray) -> np.ndarray:
    """Move each colour to luma ``target_luma`` without clipping.

    Darkening scales towards black, brightening scales the distance to white; both keep the colour's
    direction and give exactly the target luma.
    """
    y = luma(rgb)
    t = target_luma
    up = t >= y
    with np.errstate(divide="ignore", invalid="ignore"):
        k_up = np.where(y < 1.0 - 1e-6, (1.0 - t) / (1.0 - y), 1.0)
        k_dn = np.where(y > 1e-6, t / y, 1.0)
    brighter = 1.0 - (1.0 - rgb) * k_up[..., None]
    darker = rgb * k_dn[..., None]
    return np.clip(np.where(up[..., None], brighter, darker), 0.0, 1.0).astype(np.float32)


# Bumps normalised to peak 1: shadows peak at luma 0.25, highlights at 0.75.
_BUMP_PEAK = 0.25 * 0.75**3
_TONE_AMOUNT = 0.09 / _BUMP_PEAK  # keeps the tone curves monotone at +-100


def highlights(rgb: np.ndarray, value: int) -> np.ndarray:
    """Brighten (+) or recover (-) bright tones, masked by luma.

    Luma ``L`` moves to ``L + a L^3 (1 - L)`` (peak effect +-0.09 at ``L`` = 0.75 for +-100, zero at
    black and white, monotone) and colours follow with :func:`_tone_move`, so nothing clips.
    """
    if value == 0:
        return rgb
    y = luma(rgb)
    t = y + np.float32(_TONE_AMOUNT * value / 100.0) * y**3 * (1.0 - y)
    return _tone_move(rgb, t)


def shadows(rgb: np.ndarray, value: int) -> np.ndarray:
    """Lift (+) or deepen (-) dark tones, masked by luma: ``L + a L (1 - L)^3`` (peak at ``L`` = 0.25)."""
    if value == 0:
        return rgb
    y = luma(rgb)
    t = y + np.float32(_TONE_AMOUNT * value / 100.0) * y * (1.0 - y) ** 3
    return _tone_move(rgb, t)


def saturation(rgb: np.ndarray, value: int) -> np.ndarray:
    """Scale chroma around luma by ``1 + value / 100`` (-100 gives exact greyscale; +100 doubles chroma,
    rolling off smoothly at the gamut boundary)."""
    if value == 0:
        return rgb
    if value <= -100:
        y = luma(rgb)
        return np.repeat(y[..., None], 3, axis=-1).astype(np.float32)
    return scale_chroma(rgb, 1.0 + value / 100.0)


#: Skin-tone hue window (degrees) protected by vibrance.
SKIN_HUE, SKIN_HALF_WIDTH = 25.0, 30.0


def vibrance(rgb: np.ndarray, value: int) -> np.ndarray:
    """Saturation that favours muted colours and protects skin tones.

    Chroma gain ``1 + v (1 - C)^2 (1 - 0.7 w_skin)`` with ``C`` the hexcone chroma and ``w_skin`` a
    raised-cosine window around hue 25 deg (orange-red skin hues), faded in over chroma 0..0.4. Negative
    values desaturate with the same weighting.
    """
    if value == 0:
        return rgb
    v = value / 100.0
    c = chroma(rgb)
    w_skin = hue_window(hue_degrees(rgb), SKIN_HUE, SKIN_HALF_WIDTH) * smoothstep(0.0, 0.4, c)
    gain = 1.0 + np.float32(v) * (1.0 - c) ** 2 * (1.0 - 0.7 * w_skin)
    return scale_chroma(rgb, np.maximum(gain, 0.0))


def hue(rgb: np.ndarray, degrees: int) -> np.ndarray:
    """Rotate every hue by ``degrees`` on the HSV hue circle (red 0, green 120, blue 240).

    Saturation and value are kept, so the result never leaves the gamut; greys are unchanged.
    """
    deg = degrees % 360
    if deg == 0:
        return rgb
    hsv = rgb_to_hsv(_f32(rgb))
    hsv[..., 0] = (hsv[..., 0] + np.float32(deg)) % 360.0
    return hsv_to_rgb(hsv)


def linear_offset(rgb: np.ndarray, value: int) -> np.ndarray:
    """Lift (+, faded film look) or crush (-) the blacks, in encoded values.

    +100 raises black to 0.25 and scales the rest (white stays 1). -100 maps everything below 0.15 to
    near black with a soft toe (a smooth maximum, width 0.05) and stretches the rest back to [0, 1].
    """
    if value == 0:
        return rgb
    x = _f32(rgb)
    if value > 0:
        o = np.float32(0.25 * value / 100.0)
        return (o + x * (1.0 - o)).astype(np.float32)
    d = np.float32(0.15 * -value / 100.0)
    e = np.float32(d / 3.0)

    def soft(z: np.ndarray | np.float32) -> np.ndarray:
        return 0.5 * ((z - d) + np.sqrt((z - d) ** 2 + e * e))

    lo, hi = soft(np.float32(0.0)), soft(np.float32(1.0))
    return ((soft(x) - lo) / (hi - lo)).astype(np.float32)


def apply_color(rgb: np.ndarray, a: Adjust) -> np.ndarray:
    """All per-pixel ``adjust`` operations in their fixed order."""
    x = _f32(rgb)
    x = exposure(x, a.exposure)
    x = white_balance(x, a.temperature, a.tint)
    x = contrast(x, a.contrast)
    x = brightness(x, a.brightness)
    x = highlights(x, a.highlights)
    x = shadows(x, a.shadows)
    x = saturation(x, a.saturation)
    x = vibrance(x, a.vibrance)
    x = hue(x, a.hue)
    x = linear_offset(x, a.linearOffset)
    return np.clip(x, 0.0, 1.0).astype(np.float32)
