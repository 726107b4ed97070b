"""Sky: smooth, sky-coloured regions open to the top of the frame.

A classical detector (no sky-segmentation model ships in an installable wheel here), at working
resolution:

1. Colour likelihood in CIE L*a*b*: blue (``b*`` below -4, any lightness: day, dusk and night skies),
   bright and near-neutral (L* > 55, C*ab < 18, and near the picture's brightest: clouds, haze,
   overcast), or bright and warm (sunsets), each a smooth window in [0, 1]; in a picture with faces,
   blue only (pale smooth areas above people are mostly walls and backdrops).
2. Smoothness: sky has little texture; the local mean of the L* gradient magnitude (Sobel, L* units per
   working pixel) must stay small (soft threshold around 2.5).
3. Candidates (colour x smoothness x a prior falling over the lower half of the frame, above 0.35) are
   split into connected parts; a part is sky when it reaches the top 3 % of the frame, or when it
   matches the colour of the sky already found and lies above its lower edge (sky seen through branches
   or between towers).
4. The kept parts are closed over small gaps (birds, wires); enclosed parts that are smooth and not
   dark, and meet the frame's edge only above the sky's lower edge, join them (clouds, the glow of a
   sunset), and so do smooth parts beside it above its lower edge within Delta E 25 of its colour (a
   storm front of a darker shade); the result is softened by the colour guided filter so the edge
   follows skylines and branches.

A picture without such parts (indoors, close-ups) gives an all-zero mask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from vibegrade.tools.color import smoothstep

if TYPE_CHECKING:
    from vibegrade.tools.regions.proxy import Proxy

__all__ = ["sky_colour", "sky_mask"]

#: smallest sky kept, as a share of the frame
MIN_AREA = 0.005


def sky_colour(lab: np.ndarray, bright: float = 100.0, only_blue: bool = False) -> np.ndarray:
    """Sky-colour likelihood in [0, 1] of CIE L*a*b* pixels ``(..., 3)``, ignoring position.

    ``bright`` is the picture's bright L* (its 90th percentile): a near-neutral sky (overcast, haze) is
    among the brightest things in its picture, while a grey wall or a studio backdrop usually is not.
    ``only_blue`` keeps the blue sky alone (for pictures with faces in them, where a smooth pale area
    above the people is far more often a wall or a backdrop than an overcast sky).
    """
    lum, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    c = np.hypot(a, b)
    blue = smoothstep(-4.0, -14.0, b) * smoothstep(3.0, 10.0, lum) * (1.0 - smoothstep(25.0, 45.0, a))
    neutral = (smoothstep(50.0, 70.0, lum) * (1.0 - smoothstep(12.0, 22.0, c))
               * smoothstep(bright - 10.0, bright - 2.0, lum))
    warm = smoothstep(55.0, 75.0, lum) * smoothstep(-5.0, 10.0, b) * (1.0 - smoothstep(45.0, 70.0, c))
    if only_blue:
        return blue.astype(np.float32)
    return np.maximum(np.maximum(blue, neutral), 0.8 * warm).astype(np.float32)


def _texture(lum: np.ndarray, scale: float) -> np.ndarray:
    gx = cv2.Sobel(lum, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    gy = cv2.Sobel(lum, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
    mag = cv2.magnitude(gx, gy)
    return cv2.GaussianBlur(mag, (0, 0), max(1.0, 2.0 * scale))


def sky_mask(proxy: Proxy) -> np.ndarray:
    """Soft sky mask at working resolution, ``(h, w)`` float32 in [0, 1]."""
    lab = proxy.lab
    h, w = proxy.shape
    scale = max(h, w) / 512.0
    colour = sky_colour(lab, float(np.percentile(lab[..., 0], 90)), only_blue=bool(proxy.faces))
    smooth = 1.0 - smoothstep(1.5, 4.0, _texture(lab[..., 0], scale) / scale)
    v = ((np.arange(h, dtype=np.float32) + 0.5) / h)[:, None]
    prior = 1.0 - smoothstep(0.45, 0.95, v)
    cand = (colour * smooth * prior > 0.35).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(cand, connectivity=4)
    if n <= 1:
        return np.zeros(proxy.shape, dtype=np.float32)
    min_px = MIN_AREA * h * w
    # open to the top: reaching the top 3 % of the rows (a scanned photo's border, a vignette)
    top_touch = np.zeros(n, dtype=bool)
    top_touch[np.unique(labels[: max(1, round(0.03 * h)), :])] = True
    areas = stats[:, cv2.CC_STAT_AREA]
    keep = top_touch & (areas >= min_px)
    keep[0] = False
    if not keep.any():
        return np.zeros(proxy.shape, dtype=np.float32)
    sky = keep[labels]
    # parts of the same colour above the sky's lower edge (sky between branches, towers)
    mean_lab = lab[sky].mean(axis=0)
    low_edge = np.quantile(np.nonzero(sky)[0], 0.9)
    flat = labels.ravel()
    counts = np.bincount(flat, minlength=n).astype(np.float64)
    sums = np.stack([np.bincount(flat, weights=lab[..., c].ravel(), minlength=n) for c in range(3)], -1)
    means = sums / np.maximum(counts, 1)[:, None]
    top_rows = stats[:, cv2.CC_STAT_TOP]
    close = np.linalg.norm(means - mean_lab, axis=1) < 12.0
    extra = (~keep) & close & (top_rows < low_edge) & (areas >= 4 * scale * scale)
    extra[0] = False
    keep |= extra
    sky_u8 = keep[labels].astype(np.uint8)
    k = max(3, round(3 * scale) | 1)
    sky_u8 = cv2.morphologyEx(sky_u8, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    horizon = np.quantile(np.nonzero(sky_u8)[0], 0.99) + 0.02 * h  # the sky's lowest rows
    sky_u8 = np.maximum(sky_u8, _holes(sky_u8, lab[..., 0], smooth, horizon))
    sky_u8 = np.maximum(sky_u8, _extension(sky_u8, lab, smooth, horizon))
    return proxy.refine_guide.filter(sky_u8.astype(np.float32))


def _holes(sky: np.ndarray, lum: np.ndarray, smooth: np.ndarray, low_edge: float) -> np.ndarray:
    """Clouds and glow inside the sky: the parts that are not sky yet, meet the frame's edge only above
    the sky's lowest row (``low_edge``), are smooth on average, not dark (mean L* >= 30) and
    smaller than the sky; uint8 0 / 1."""
    h, w = sky.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats((sky == 0).astype(np.uint8), connectivity=4)
    if n <= 1:
        return np.zeros_like(sky)
    lowest = np.full(n, -1, dtype=np.int64)  # the lowest row at which each part meets the frame's edge
    rows = np.arange(h)
    np.maximum.at(lowest, labels[:, 0], rows)
    np.maximum.at(lowest, labels[:, -1], rows)
    np.maximum.at(lowest, labels[-1, :], h - 1)
    np.maximum.at(lowest, labels[0, :], 0)
    flat = labels.ravel()
    area = np.maximum(stats[:, cv2.CC_STAT_AREA], 1)
    mean_l = np.bincount(flat, weights=lum.ravel(), minlength=n) / area
    mean_smooth = np.bincount(flat, weights=smooth.ravel(), minlength=n) / area
    fill = (lowest <= low_edge) & (mean_l >= 30.0) & (mean_smooth >= 0.5) & (area <= int(sky.sum()))
    fill[0] = False  # the label of the sky itself
    return fill[labels].astype(np.uint8)


def _extension(sky: np.ndarray, lab: np.ndarray, smooth: np.ndarray, horizon: float) -> np.ndarray:
    """Sky of another shade beside the sky found (a darker storm front, a brighter glow): smooth, not
    dark parts lying (on average) above the sky's lowest row, off the bottom edge, no larger than the
    sky and within Delta E 25 of its mean colour; uint8 0 / 1."""
    h, w = sky.shape
    cand = ((sky == 0) & (smooth > 0.5) & (lab[..., 0] >= 30.0)).astype(np.uint8)
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(cand, connectivity=4)
    if n <= 1:
        return np.zeros_like(sky)
    flat = labels.ravel()
    area = np.maximum(stats[:, cv2.CC_STAT_AREA], 1)
    means = np.stack([np.bincount(flat, weights=lab[..., c].ravel(), minlength=n) for c in range(3)], -1)
    means /= area[:, None]
    sky_mean = lab[sky > 0].mean(axis=0)
    bottom = stats[:, cv2.CC_STAT_TOP] + stats[:, cv2.CC_STAT_HEIGHT]
    grow = ((centroids[:, 1] < horizon) & (bottom < h) & (area <= int(sky.sum()))
            & (area >= 0.002 * h * w) & (np.linalg.norm(means - sky_mean, axis=1) < 25.0))
    grow[0] = False
    return grow[labels].astype(np.uint8)
