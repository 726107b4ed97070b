"""Colour statistics of an image for look matching, and the distances between two sets of them.

Everything here works on float32 sRGB-encoded pixels in [0, 1], shape ``(N, 3)`` (a downscaled copy of the
image, see :func:`working_pixels`), and measures in CIELAB (D65 white; L* 0..100, a* and b* about
-128..127, converted by OpenCV). Three families of statistics describe a look:

* **tone**: percentiles of L* (the tonal curve, black and white points);
* **colour per tonal band**: the pixels sorted by L* and cut into bands of equal count (darkest first); the
  mean a*, b* and chroma C* of each band, and the mean a*, b* of its less colourful half (its colour cast),
  capture white balance and split toning (warm highlights over teal shadows), independent of how much of
  the picture is dark or bright;
* **colour per hue sector**: for the six colour ranges of ``selective_adjust`` (their soft hue weights,
  :func:`range_weights`), the share of the picture, mean chroma and mean L*.

:func:`compare` reports how far two images are apart in these terms, in ΔE-like units: the mean CIEDE2000
between the mean colours of five lightness bands, and Wasserstein-1 (earth mover's) distances between the
L* and the a*/b* distributions.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vibegrade.tools.color import chroma as chroma_of
from vibegrade.tools.color import hsv_to_rgb, hue_degrees, smoothstep
from vibegrade.tools.selective import color_weights

__all__ = ["WORKING_SIDE", "L_PERCENTILES", "C_PERCENTILES", "FIT_BANDS", "REPORT_BANDS", "MIN_PIXELS",
           "working_pixels", "to_lab", "ciede2000", "range_weights", "Stats", "describe", "band_means",
           "wasserstein1", "Distance", "compare"]

#: Long side, in pixels, of the working copy the statistics are measured on.
WORKING_SIDE = 96
#: Percentiles of L* that describe the tonal curve.
L_PERCENTILES = np.array([1, 5, 10, 25, 50, 75, 90, 95, 99], dtype=np.float64)
#: Percentiles of chroma C* that describe the overall saturation.
C_PERCENTILES = np.array([25, 50, 75, 90], dtype=np.float64)
#: Lightness bands of the statistics (shadows, mid-tones, highlights).
FIT_BANDS = 3
#: Lightness bands of the reported distance (finer than the statistics).
REPORT_BANDS = 5
#: Fewest pixels of a working copy: smaller images are tiled up to it (same colour distribution), so that
#: every band and percentile is defined (a 1x1 reference is a plain colour to match).
MIN_PIXELS = 64


def working_pixels(rgb: np.ndarray, side: int = WORKING_SIDE) -> np.ndarray:
    """A downscaled copy of an ``(H, W, 3)`` (or ``(H, W, 4)``, alpha ignored) image as float32 ``(N, 3)``
    pixels in [0, 1].

    ``rgb`` is uint8, uint16 or float in [0, 1]. The long side becomes at most ``side`` pixels (area
    averaging, aspect kept); smaller images are used as they are, tiled up to :data:`MIN_PIXELS` pixels.

    Raises:
        ValueError: not an RGB(A) image, or empty.
    """
    a = np.asarray(rgb)
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {a.shape}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"the image is empty (shape {a.shape})")
    a = a[..., :3]
    x: np.ndarray
    if a.dtype == np.uint8:
        x = a.astype(np.float32) / np.float32(255)
    elif a.dtype == np.uint16:
        x = a.astype(np.float32) / np.float32(65535)
    elif a.dtype in (np.float32, np.float64):
        x = np.clip(np.nan_to_num(a.astype(np.float32)), 0.0, 1.0)
    else:
        raise ValueError(f"unsupported pixel type {a.dtype}")
    h, w = x.shape[:2]
    scale = side / max(h, w)
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        x = cv2.resize(np.ascontiguousarray(x), size, interpolation=cv2.INTER_AREA)
    px = x.reshape(-1, 3)
    if len(px) < MIN_PIXELS:
        px = np.tile(px, (-(-MIN_PIXELS // len(px)), 1))
    return np.ascontiguousarray(px, dtype=np.float32)


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of float32 sRGB-encoded ``(..., 3)`` values in [0, 1]."""
    x = np.ascontiguousarray(np.clip(rgb, 0.0, 1.0), dtype=np.float32)
    flat = x.reshape(1, -1, 3)
    return cv2.cvtColor(flat, cv2.COLOR_RGB2Lab).reshape(x.shape)


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference (kL = kC = kH = 1) between CIELAB colours of shape ``(..., 3)``.

    Follows G. Sharma, W. Wu and E. N. Dalal, "The CIEDE2000 color-difference formula: implementation notes,
    supplementary test data, and mathematical observations", Color Research & Application 30(1), 2005.
    Returns ``(...)`` float64; 1 is about a just-noticeable difference.
    """
    l1, a1, b1 = (np.asarray(lab1, np.float64)[..., i] for i in range(3))
    l2, a2, b2 = (np.asarray(lab2, np.float64)[..., i] for i in range(3))
    c7 = ((np.hypot(a1, b1) + np.hypot(a2, b2)) / 2.0) ** 7
    g = 0.5 * (1.0 - np.sqrt(c7 / (c7 + 25.0**7)))
    a1p, a2p = (1.0 + g) * a1, (1.0 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.where(c1p == 0, 0.0, np.arctan2(b1, a1p) % (2 * np.pi))
    h2p = np.where(c2p == 0, 0.0, np.arctan2(b2, a2p) % (2 * np.pi))
    both = c1p * c2p != 0
    dh = h2p - h1p
    dh = np.where(dh > np.pi, dh - 2 * np.pi, np.where(dh < -np.pi, dh + 2 * np.pi, dh))
    dh = np.where(both, dh, 0.0)
    d_l, d_c = l2 - l1, c2p - c1p
    d_h = 2.0 * np.sqrt(c1p * c2p) * np.sin(dh / 2.0)
    l_bar, c_bar = (l1 + l2) / 2.0, (c1p + c2p) / 2.0
    h_sum = h1p + h2p
    h_bar = np.where(np.abs(h1p - h2p) <= np.pi, h_sum / 2.0,
                     np.where(h_sum < 2 * np.pi, (h_sum + 2 * np.pi) / 2.0, (h_sum - 2 * np.pi) / 2.0))
    h_bar = np.where(both, h_bar, h_sum)
    t = (1.0 - 0.17 * np.cos(h_bar - np.radians(30)) + 0.24 * np.cos(2 * h_bar)
         + 0.32 * np.cos(3 * h_bar + np.radians(6)) - 0.20 * np.cos(4 * h_bar - np.radians(63)))
    d_theta = np.radians(30) * np.exp(-(((np.degrees(h_bar) - 275.0) / 25.0) ** 2))
    c_bar7 = c_bar**7
    r_c = 2.0 * np.sqrt(c_bar7 / (c_bar7 + 25.0**7))
    s_l = 1.0 + 0.015 * (l_bar - 50.0) ** 2 / np.sqrt(20.0 + (l_bar - 50.0) ** 2)
    s_c = 1.0 + 0.045 * c_bar
    s_h = 1.0 + 0.015 * c_bar * t
    r_t = -np.sin(2.0 * d_theta) * r_c
    return np.sqrt((d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_h / s_h) ** 2 + r_t * (d_c / s_c) * (d_h / s_h))


def band_means(lab: np.ndarray, bands: int, order: np.ndarray | None = None) -> np.ndarray:
    """Mean L*, a*, b* of ``bands`` lightness bands of equal pixel count, darkest first: ``(bands, 3)``.

    ``order``: ``argsort`` of L* when the caller has it already.
    """
    if order is None:
        order = np.argsort(lab[:, 0], kind="stable")
    parts = np.array_split(lab[order], bands)
    return np.stack([p.mean(axis=0) for p in parts])


@dataclass(frozen=True)
class Stats:
    """The statistics of one image (all in CIELAB units).

    Attributes:
        l_pct: L* at :data:`L_PERCENTILES`.
        c_pct: C* at :data:`C_PERCENTILES`.
        bands: ``(FIT_BANDS, 3)`` mean a*, b*, C* per lightness band, darkest first.
        casts: ``(FIT_BANDS, 2)`` mean a*, b* of the less colourful half of each band (the pixels whose C*
            is below the band's median): the colour cast of the band's near-neutral tones, which a grade
            tints and the scene's own colours affect least.
        hue_share: ``(6,)`` mean weight of each colour range of ``selective_adjust`` (0..1).
        hue_chroma: ``(6,)`` weighted mean C* per colour range.
        hue_lightness: ``(6,)`` weighted mean L* per colour range.
    """

    l_pct: np.ndarray
    c_pct: np.ndarray
    bands: np.ndarray
    casts: np.ndarray
    hue_share: np.ndarray
    hue_chroma: np.ndarray
    hue_lightness: np.ndarray


def _pure_hue_weights(step: float) -> np.ndarray:
    """``color_weights`` of fully saturated colours at hues ``0, step, ..., 360``: ``(360 / step + 1, 6)``."""
    h = np.arange(0.0, 360.0 + step / 2, step, dtype=np.float32)
    ones = np.ones_like(h)
    return color_weights(hsv_to_rgb(np.stack([h, ones, ones], axis=-1)))


_HUE_STEP = 0.5
_HUE_TABLE = _pure_hue_weights(_HUE_STEP)


def range_weights(px: np.ndarray) -> np.ndarray:
    """The weights of the six colour ranges of ``selective_adjust`` for each pixel, ``(N, 6)``: the same
    function as :func:`vibegrade.tools.selective.color_weights` (hue weights times a chroma ramp),
    interpolated from a table over hue in steps of 0.5 degrees (within 2e-4 of it, and faster)."""
    pos = hue_degrees(px) / np.float32(_HUE_STEP)
    i = np.minimum(pos.astype(np.intp), len(_HUE_TABLE) - 2)
    f = (pos - i.astype(np.float32))[:, None]
    w = _HUE_TABLE[i] * (1.0 - f) + _HUE_TABLE[i + 1] * f
    return (w * smoothstep(0.0, 0.4, chroma_of(px))[:, None]).astype(np.float32)


def describe(px: np.ndarray) -> Stats:
    """The :class:`Stats` of float32 sRGB pixels ``(N, 3)`` in [0, 1]."""
    lab = to_lab(px).astype(np.float64)
    light = lab[:, 0]
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    n = len(light)
    # a partial sort is enough: the percentiles and the band boundaries land in place, every band's pixels
    # fall between its boundaries
    pct_at = np.clip(np.round(L_PERCENTILES / 100.0 * (n - 1)).astype(int), 0, n - 1)
    bounds = np.cumsum([len(b) for b in np.array_split(np.arange(n), FIT_BANDS)])[:-1]
    order = np.argpartition(light, np.unique(np.concatenate([pct_at, bounds])))
    l_pct = light[order[pct_at]]
    c_pct = np.percentile(chroma, C_PERCENTILES)
    lac = np.column_stack([lab[:, 1], lab[:, 2], chroma])[order]
    parts = np.split(lac, bounds)
    bands = np.stack([p.mean(axis=0) for p in parts])
    casts = np.stack([p[np.argpartition(p[:, 2], len(p) // 2)[: max(1, len(p) // 2)], :2].mean(axis=0)
                      for p in parts])
    w = range_weights(px)
    # one product gives each colour range's total weight, weighted chroma and weighted lightness
    sums = w.T.astype(np.float64) @ np.column_stack([np.ones(n), chroma, light])
    safe = np.maximum(sums[:, 0], 1e-9)
    return Stats(l_pct=l_pct, c_pct=c_pct, bands=bands, casts=casts, hue_share=sums[:, 0] / n,
                 hue_chroma=sums[:, 1] / safe, hue_lightness=sums[:, 2] / safe)


def wasserstein1(x: np.ndarray, y: np.ndarray, points: int = 256) -> float:
    """Wasserstein-1 (earth mover's) distance between two 1-D samples, from their quantile functions at
    ``points`` evenly spaced levels (mean absolute difference of matching quantiles)."""
    u = (np.arange(points) + 0.5) / points
    return float(np.mean(np.abs(np.quantile(x, u) - np.quantile(y, u))))


@dataclass(frozen=True)
class Distance:
    """How far an image's look is from a reference's, in CIELAB units.

    Attributes:
        bands_de00: mean CIEDE2000 between the mean colours of :data:`REPORT_BANDS` lightness bands of equal
            pixel count (darkest fifth against darkest fifth, ...): tone curve, white balance and split
            toning in one figure.
        w1_lightness: Wasserstein-1 distance between the L* distributions.
        w1_ab: mean of the Wasserstein-1 distances between the a* and between the b* distributions.
    """

    bands_de00: float
    w1_lightness: float
    w1_ab: float

    def to_dict(self) -> dict[str, float]:
        return {"bands_de00": round(self.bands_de00, 3), "w1_lightness": round(self.w1_lightness, 3),
                "w1_ab": round(self.w1_ab, 3)}


def compare(px: np.ndarray, ref: np.ndarray) -> Distance:
    """The :class:`Distance` between two sets of float32 sRGB pixels ``(N, 3)`` and ``(M, 3)``."""
    a, b = to_lab(px).astype(np.float64), to_lab(ref).astype(np.float64)
    de = ciede2000(band_means(a, REPORT_BANDS), band_means(b, REPORT_BANDS))
    return Distance(bands_de00=float(de.mean()), w1_lightness=wasserstein1(a[:, 0], b[:, 0]),
                    w1_ab=(wasserstein1(a[:, 1], b[:, 1]) + wasserstein1(a[:, 2], b[:, 2])) / 2.0)
