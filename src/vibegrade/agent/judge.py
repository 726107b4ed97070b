"""The agent's judge: does an edited picture meet the checklist, and what did it break?

:func:`judge` compares a candidate render with the original on a working proxy (long side
:data:`PROXY_SIDE`, :func:`working_proxy`) and returns a :class:`Verdict`:

* **items**: each feasible checklist item measured in its region (:func:`vibegrade.agent.measure.measure`,
  units of :data:`vibegrade.agent.checklist.TARGETS`), before and after. ``increase``/``decrease``: the
  signed change along the asked direction divided by the target, clipped to [0, 1]; past
  :data:`OVERSHOOT_START` times the target the score falls linearly, to 0 at :data:`OVERSHOOT_ZERO` times.
  ``keep``: property ``color`` measures the region's mean CIEDE2000 (before 0, after the mean ΔE00), any
  other property its absolute change; within the target the score is 1, falling linearly to 0 at
  :data:`KEEP_ZERO` times the target. An item is *satisfied* when its score is ≥ 0.999 or its signed change
  reaches the target (an overshoot is penalised in the score, yet the requirement was met); a keep item when
  it stays within the target. A feasible item whose region covers less than :data:`NOT_IN_PHOTO` of the
  picture (mask mean) is *not applicable* ("no sky in this photo"); infeasible items are reported with
  their reason and never scored.
* **checklist_satisfied**: the weighted share of applicable feasible items satisfied; **adherence**: their
  weighted mean score (both 1.0 when no item applies, vacuously; ``n_applicable`` says so).
* **preservation**: mean ΔE00 over the pixels outside the soft union (max) of the regions named by the
  applicable ``increase``/``decrease`` items, weighted by ``1 − union``. When one of those items is global,
  nothing is outside: preservation is 0 and ``preserved_share`` (the weight outside, as a share of the
  picture) is 0 too; keep items and the guards still watch the picture then.
* **skin_shift**: mean absolute change of the CIELAB hue angle h_ab (degrees) over skin ∪ faces, each pixel
  weighted by its mask and its original chroma (hue is meaningless on grey pixels); ``None`` when the photo
  has neither region.
* **guards** (quality, whole picture):

  - ``clipping_increase``: percentage points more clipped pixels (any channel ≥ 254/255 or all ≤ 1/255)
    than the original had (0 when fewer); not counted when an item asks for more clipping.
  - ``banding``: the effective quantisation step in smooth gradients. A grade whose local tone slope is
    ``s`` turns each 8-bit step of the source into ``s`` output steps; from about 2 the codes in between
    are skipped and smooth gradients (skies, walls) break into visible contours. The slope is estimated
    per pixel as the ratio of the local fine detail after / before (5×5 mean of |L* − its 3×3 mean|: grain
    and texture scale with the tone curve's slope, while a smooth spatial ramp such as a mask's feathered
    edge does not enter it), only in smooth, non-flat areas of the original (5×5 mean of |∂x L*| + |∂y L*|
    between :data:`SMOOTH_GRADIENT` bounds, where contours are visible and the ratio is defined; a
    darkened sky's feathered edge measures 0.1-1.9 %, contrast +100 12-32 %). Reported as the
    weighted share (%) of those areas where the slope exceeds the :data:`BAND_SLOPE` ramp (0 at 1.5, full
    at 2.5). Measured against the original, so it is a growth by construction. (A histogram-gap measure
    would need the 8-bit source: the proxy is an area average, so its tones are denser than the source's.)
  - ``halo``: a bright or dark rim along a region boundary that the original lacked. The luminance change
    ΔL* is filtered by a guided filter with the original's L* as guide (radius :data:`HALO_RADIUS`); a
    change that follows the picture's own structure (a global curve, or a regional edit whose mask edge
    sits on an edge of the picture) is locally linear in the guide and reproduced, a rim where the picture
    is smooth is not. The residual |ΔL* − filtered| is averaged over the edge bands of the spatial region
    masks (:data:`HALO_REGIONS`, where the mask changes by more than :data:`HALO_EDGE` per pixel, widened
    by the filter radius) and compared with its mean over pixels of the same local contrast elsewhere
    (:data:`HALO_STRATA` strata of the original's local L* standard deviation: a strong global curve leaves
    residuals on textured pixels wherever they are; clipped pixels are left out, the clipping guard counts
    them): ``halo`` = max(0, band − elsewhere), in L*. On the mountain photo of the shared set with its sky
    darkened (exposure −40), a hard seam across the smooth sky measures 0.9-1.2, a feathered mask that
    misses the sky's last pixels above the ridge (a bright rim) 1.3, one that spills 8 px onto the snow 0.5;
    with the masks of :func:`vibegrade.tools.regions.compute_masks`, a darkened sky measures 0.36-0.75 on
    five sky photos (visible glows around a propeller plane and a lighthouse at the top), global edits up to
    exposure +60 at most 0.28.
* **violations**: the guards above their :data:`GUARD_LIMITS`; **reward**: adherence minus the penalties
  of :class:`RewardWeights` (calibrated on authored pairwise preferences, ``docs/agent.md``; recompute
  with :func:`reward`).

Speed: :class:`Scene` measures everything about the original once (Lab, masks' weights, before values,
smoothness, guide statistics) and keeps work buffers, so one :func:`judge` call on a 384-px proxy costs a
few milliseconds (``scripts/bench_judge.py``). ΔE00 statistics are taken on a grid of every k-th pixel
with at most :data:`DE_GRID_SIDE` pixels on the long side (every second pixel of the proxy), over the
pixels whose weight is not 0 only.

:class:`VisionJudge` asks a vision-language model (the teacher's OpenAI-compatible client) for the same
per-item judgement on the two pictures, plus preservation and quality.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import cv2
import numpy as np

from vibegrade.agent.checklist import Checklist, ChecklistItem
from vibegrade.agent.measure import CLIP_HIGH, CLIP_LOW, as_float_rgb, de00_columns, lab_view, to_lab

__all__ = ["PROXY_SIDE", "NOT_IN_PHOTO", "DE_GRID_SIDE", "OVERSHOOT_START", "OVERSHOOT_ZERO", "KEEP_ZERO",
           "SATISFIED_SCORE", "SKIN_REGIONS", "HALO_REGIONS", "GUARD_LIMITS", "SMOOTH_GRADIENT", "BAND_SLOPE",
           "HALO_RADIUS", "HALO_EPS", "HALO_EDGE", "HALO_STRATA", "working_proxy", "resize_mask",
           "item_score", "Scene", "ItemVerdict", "Verdict", "RewardWeights", "DEFAULT_WEIGHTS", "penalties",
           "reward", "judge", "VisionVerdict", "VisionJudge"]

#: Long side, in pixels, of the working proxy the judge measures on.
PROXY_SIDE = 384
#: A region whose mask mean is below this is not in the photo (its items are not applicable).
NOT_IN_PHOTO = 0.005
#: ΔE00 statistics are measured on every k-th pixel, with at most this many pixels on the long side.
DE_GRID_SIDE = 192
#: An increase/decrease item's score starts falling when the change passes this many times the target ...
OVERSHOOT_START = 3.0
#: ... and reaches 0 at this many times.
OVERSHOOT_ZERO = 9.0
#: A keep item's score falls from 1 at the target to 0 at this many times the target.
KEEP_ZERO = 2.0
#: An item whose score reaches this counts as satisfied.
SATISFIED_SCORE = 0.999
#: The regions whose hue is watched by the skin guard (their soft union).
SKIN_REGIONS: tuple[str, ...] = ("skin", "faces")
#: The spatial regions whose mask edges the halo guard watches (colour and tone ranges follow the pixels'
#: own colours, so their edges never cut through a smooth area).
HALO_REGIONS: tuple[str, ...] = ("sky", "people", "faces", "subject", "background", "center", "edges", "top",
                                 "bottom")
#: A guard above its limit is a violation: percentage points, % of smooth areas, L*.
GUARD_LIMITS: dict[str, float] = {"clipping_increase": 2.0, "banding": 5.0, "halo": 0.5}
#: Smooth areas for the banding guard, by the original's local L* gradient (per pixel of a 384-px proxy):
#: below the first value the area is flat (no gradient to break), full weight up to the second, none from
#: the third (texture hides contours).
SMOOTH_GRADIENT: tuple[float, float, float] = (0.05, 0.6, 1.2)
#: The local tone slope from which contours start to show (weight 0) and are certain (weight 1).
BAND_SLOPE: tuple[float, float] = (1.5, 2.5)
#: Radius (pixels of a 384-px proxy) of the halo guard's guided filter and its regularisation (L*²).
HALO_RADIUS = 4
HALO_EPS = 4.0
#: A mask's edge band: where the mask changes by more than this per pixel (ramp, 384-px proxy).
HALO_EDGE: tuple[float, float] = (0.01, 0.03)
#: The halo guard compares the band with pixels of the same local contrast elsewhere, in this many strata.
HALO_STRATA = 8
_BOX = 5  # window of the banding guard's sums (pixels of a 384-px proxy)
_MIN_DETAIL = 1e-3  # L*: less fine detail than this and the slope is undefined


# ----------------------------------------------------------------------------------------------------------
# Proxy and masks
# ----------------------------------------------------------------------------------------------------------


def working_proxy(img: np.ndarray, long_side: int = PROXY_SIDE) -> np.ndarray:
    """``img`` (``(H, W, 3)`` uint8 / uint16 / float in [0, 1]; an alpha channel is dropped) as float32 in
    [0, 1] with its long side at most ``long_side`` pixels (OpenCV area averaging; aspect kept)."""
    a = np.asarray(img)
    if a.ndim != 3 or a.shape[2] not in (3, 4) or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {a.shape}")
    x = as_float_rgb(a[..., :3])
    h, w = x.shape[:2]
    scale = long_side / max(h, w)
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        x = cv2.resize(np.ascontiguousarray(x), size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(x, dtype=np.float32)


def resize_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A soft mask as float32 ``shape`` in [0, 1] (area averaging down, bilinear up; NaN as 0)."""
    m = np.asarray(mask)
    if m.ndim != 2 or m.size == 0:
        raise ValueError(f"a mask must be a non-empty (h, w) array, got shape {m.shape}")
    m = np.nan_to_num(m.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    if m.shape != tuple(shape):
        h, w = shape
        interp = cv2.INTER_AREA if m.shape[0] >= h and m.shape[1] >= w else cv2.INTER_LINEAR
        m = cv2.resize(m, (w, h), interpolation=interp)
    return np.ascontiguousarray(np.clip(m, 0.0, 1.0), dtype=np.float32)


# ----------------------------------------------------------------------------------------------------------
# Scoring
# ----------------------------------------------------------------------------------------------------------


def item_score(item: ChecklistItem, change: float) -> tuple[float, bool]:
    """``(score in [0, 1], satisfied)`` of a feasible item for its measured ``change`` (for ``color``: the
    mean ΔE00 in the region). See the module docstring."""
    t = item.target
    if item.direction == "keep":
        dev = change if item.property == "color" else abs(change)
        if dev <= t:
            return 1.0, True
        return max(0.0, 1.0 - (dev - t) / ((KEEP_ZERO - 1.0) * t)), False
    s = (change if item.direction == "increase" else -change) / t
    if s <= OVERSHOOT_START:
        score = min(max(s, 0.0), 1.0)
    else:
        score = max(0.0, 1.0 - (s - OVERSHOOT_START) / (OVERSHOOT_ZERO - OVERSHOOT_START))
    return score, bool(score >= SATISFIED_SCORE or s >= 1.0)


def _ramp(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """0 below ``lo``, 1 above ``hi``, linear between (float32)."""
    return np.clip((x - np.float32(lo)) * np.float32(1.0 / (hi - lo)), 0.0, 1.0)


def _normalised(w: np.ndarray) -> np.ndarray | None:
    total = float(w.sum(dtype=np.float64))
    return (w / np.float32(total)).astype(np.float32) if total > 1e-6 else None


# ----------------------------------------------------------------------------------------------------------
# Scene
# ----------------------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What one checklist needs measured, prepared once per scene."""

    items: tuple[ChecklistItem, ...]
    applicable: dict[str, bool]
    de_idx: np.ndarray | None  # flat indices (full image) of the ΔE grid pixels with weight
    de_before: tuple[np.ndarray, np.ndarray, np.ndarray] | None
    preserve_w: np.ndarray | None  # normalised weights on de_idx (None: nothing outside)
    preserved_share: float
    keep_w: dict[str, np.ndarray]  # item id -> normalised weights on de_idx
    allow_clipping: bool


class _Work:
    """One thread's work buffers for one scene (so the hot path allocates almost nothing)."""

    def __init__(self, shape: tuple[int, int]) -> None:
        self.planes = [np.empty(shape, np.float32) for _ in range(3)]  # L*, a*, b* of the candidate
        self.rgb = [np.empty(shape, np.float32) for _ in range(3)]
        self.t = [np.empty(shape, np.float32) for _ in range(6)]
        self.chroma = np.empty(shape, np.float32)


class Scene:
    """The original picture at working resolution and everything the judge measures on it once.

    Build it with :meth:`from_image`; attributes: ``rgb`` (float32 ``(h, w, 3)`` in [0, 1]), ``lab``
    (float32 ``(h, w, 3)``), ``masks`` (``name -> float32 (h, w)`` in [0, 1], ``global`` included: all ones),
    ``coverage`` (``name -> mask mean``). Safe to share between threads (each has its own buffers).
    """

    def __init__(self, rgb: np.ndarray, masks: Mapping[str, np.ndarray]) -> None:
        self.rgb = np.ascontiguousarray(as_float_rgb(rgb))
        if self.rgb.ndim != 3 or self.rgb.shape[0] < 2 or self.rgb.shape[1] < 2:
            raise ValueError(f"expected an (h, w, 3) image of at least 2x2 pixels, got {self.rgb.shape}")
        self.shape: tuple[int, int] = (int(self.rgb.shape[0]), int(self.rgb.shape[1]))
        h, w = self.shape
        self.lab = to_lab(self.rgb)
        self.masks: dict[str, np.ndarray] = {str(k): resize_mask(v, self.shape) for k, v in masks.items()}
        self.masks["global"] = np.ones(self.shape, np.float32)
        self.coverage = {k: float(m.mean(dtype=np.float64)) for k, m in self.masks.items()}
        # pixel units of the 384-px proxy: gradients per pixel scale with the resolution
        self._px = PROXY_SIDE / max(h, w)
        self._planes = [np.ascontiguousarray(self.lab[..., i]) for i in range(3)]
        self._flat = [p.reshape(-1) for p in self._planes]
        self._chroma = cv2.magnitude(self._planes[1], self._planes[2])
        self._clipped_pct = 100.0 * float(np.count_nonzero(self._clipped(self.rgb))) / (h * w)
        step = max(1, math.ceil(max(h, w) / DE_GRID_SIDE))
        grid = np.zeros(self.shape, bool)
        grid[::step, ::step] = True
        self._grid = grid.reshape(-1)
        self._weights: dict[str, np.ndarray | None] = {}
        self._before: dict[tuple[str, str], float] = {}
        self._plans: dict[Checklist, _Plan] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._prepare_skin()
        self._prepare_banding()
        self._prepare_halo()

    @classmethod
    def from_image(cls, rgb: np.ndarray, masks: Mapping[str, np.ndarray]) -> Scene:
        """The scene of an original proxy (``(h, w, 3)`` uint8 / uint16 / float in [0, 1], see
        :func:`working_proxy`) and its soft region masks (``name -> (h, w)`` in [0, 1], resized to the
        proxy when their size differs; ``global`` is added)."""
        return cls(rgb, masks)

    # -- preparation -------------------------------------------------------------------------------------

    @staticmethod
    def _clipped(rgb: np.ndarray) -> np.ndarray:
        mx = rgb.max(axis=-1)
        return (mx >= np.float32(CLIP_HIGH)) | (mx <= np.float32(CLIP_LOW))

    def _gradient(self, x: np.ndarray) -> np.ndarray:
        """|∂x| + |∂y| (central differences) per pixel of a 384-px proxy."""
        gx = np.abs(cv2.Sobel(x, cv2.CV_32F, 1, 0, ksize=1, scale=0.5 / self._px))
        gy = np.abs(cv2.Sobel(x, cv2.CV_32F, 0, 1, ksize=1, scale=0.5 / self._px))
        return np.add(gx, gy, out=gx)

    def _prepare_skin(self) -> None:
        present = [self.masks[r] for r in SKIN_REGIONS if self.coverage.get(r, 0.0) >= NOT_IN_PHOTO]
        self._skin_idx: np.ndarray | None = None
        if not present:
            return
        union = np.maximum.reduce(present) if len(present) > 1 else present[0]
        wt = (union * self._chroma).reshape(-1)
        idx = np.flatnonzero(wt > 1e-3 * max(float(wt.max()), 1e-6))
        norm = _normalised(wt[idx])
        if norm is None:
            return
        self._skin_idx = idx
        self._skin_w = norm
        a, b = self._flat[1][idx], self._flat[2][idx]
        self._skin_hue = cv2.phase(a, b, angleInDegrees=True).reshape(-1)

    def _detail(self, lum: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Local mean of |L* − its 3x3 mean| (fine detail: grain and texture) over the banding window."""
        d = cv2.boxFilter(lum, -1, (3, 3), dst=out, borderType=cv2.BORDER_REFLECT)
        np.subtract(lum, d, out=d)
        np.abs(d, out=d)
        return cv2.boxFilter(d, -1, (self._band_box, self._band_box), dst=d, borderType=cv2.BORDER_REFLECT)

    def _prepare_banding(self) -> None:
        self._band_box = max(3, round(_BOX / self._px) | 1)
        g = self._gradient(self._planes[0])
        gb = cv2.boxFilter(g, -1, (self._band_box, self._band_box), borderType=cv2.BORDER_REFLECT)
        lo, full, none = SMOOTH_GRADIENT
        detail = self._detail(self._planes[0])
        wt = np.clip((np.float32(none) - gb) / np.float32(none - full), 0.0, 1.0) * (gb >= lo)
        wt = (wt * (detail > _MIN_DETAIL)).reshape(-1)
        idx = np.flatnonzero(wt > 0)
        norm = _normalised(wt[idx])
        self._smooth_idx: np.ndarray | None = None
        if norm is not None:
            self._smooth_idx = idx
            self._smooth_w = norm
            self._smooth_before = detail.reshape(-1)[idx]

    def _prepare_halo(self) -> None:
        self._halo_band_idx: np.ndarray | None = None
        edges = []
        for name in HALO_REGIONS:
            cov = self.coverage.get(name, 0.0)
            if name in self.masks and NOT_IN_PHOTO <= cov <= 1.0 - NOT_IN_PHOTO:
                edges.append(self._gradient(self.masks[name]) * np.float32(0.5))  # mask change per pixel
        if not edges:
            return
        e = np.maximum.reduce(edges) if len(edges) > 1 else edges[0]
        r = max(1, round(HALO_RADIUS / self._px))
        self._halo_ksize = (2 * r + 1, 2 * r + 1)
        # the band reaches a filter radius beyond the transition on both sides (where a rim would sit)
        e = cv2.dilate(e, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, self._halo_ksize))
        band = _ramp(e, *HALO_EDGE).reshape(-1)
        band_idx = np.flatnonzero(band > 0)
        rest_idx = np.flatnonzero((band == 0) & self._grid)
        if band_idx.size == 0 or rest_idx.size < 16 * HALO_STRATA:
            return
        lum = self._planes[0]
        self._guide_mean = self._box(lum)
        var = self._box(lum * lum) - self._guide_mean * self._guide_mean
        self._guide_var = var + np.float32(HALO_EPS)
        # strata of local contrast (the local L* standard deviation), equally populated outside the band
        std = np.sqrt(np.maximum(var, 0.0)).reshape(-1)
        cuts = np.quantile(std[rest_idx], np.linspace(0.0, 1.0, HALO_STRATA + 1)[1:-1])
        self._halo_band_idx = band_idx
        self._halo_band_w = (band[band_idx] / band[band_idx].sum(dtype=np.float64)).astype(np.float32)
        self._halo_rest_idx = rest_idx
        self._halo_rest_bins = np.digitize(std[rest_idx], cuts).astype(np.intp)
        counts = np.bincount(self._halo_rest_bins, minlength=HALO_STRATA).astype(np.float64)
        band_bins = np.digitize(std[band_idx], cuts)
        share = np.bincount(band_bins, weights=self._halo_band_w, minlength=HALO_STRATA)
        # E_band[base(stratum)] = Σ_k share_k · mean_k = Σ_k (share_k / count_k) · Σ_{i in k} R_i
        self._halo_rest_coef = np.where(counts > 0, share / np.maximum(counts, 1.0), 0.0)

    def _box(self, x: np.ndarray, dst: np.ndarray | None = None) -> np.ndarray:
        return cv2.boxFilter(x, -1, self._halo_ksize, dst=dst, borderType=cv2.BORDER_REFLECT)

    def _work(self) -> _Work:
        w = getattr(self._local, "work", None)
        if w is None:
            w = self._local.work = _Work(self.shape)
        return w

    # -- measurements ------------------------------------------------------------------------------------

    def weights(self, region: str) -> np.ndarray | None:
        """The region's mask as flat weights summing to 1 (``None`` for an empty mask)."""
        if region not in self._weights:
            if region not in self.masks:
                raise ValueError(f"no mask for region {region!r} in this scene (have: "
                                 f"{', '.join(sorted(self.masks))})")
            self._weights[region] = _normalised(self.masks[region].reshape(-1))
        return self._weights[region]

    def before(self, region: str, prop: str) -> float:
        """The original's value of ``prop`` in ``region`` (cached)."""
        key = (region, prop)
        if key not in self._before:
            w = self.weights(region)
            if w is None:
                raise ValueError(f"region {region!r} is empty in this scene")
            self._before[key] = _measure_flat(prop, w, self._flat, self._chroma.reshape(-1),
                                              lambda: self._clipped(self.rgb).reshape(-1))
        return self._before[key]

    def plan(self, checklist: Checklist) -> _Plan:
        """What ``checklist`` needs measured (prepared once per checklist and cached)."""
        with self._lock:
            p = self._plans.get(checklist)
            if p is None:
                if len(self._plans) >= 32:
                    self._plans.pop(next(iter(self._plans)))
                p = self._plans[checklist] = self._make_plan(checklist)
            return p

    def _make_plan(self, checklist: Checklist) -> _Plan:
        items = checklist.feasible
        missing = sorted({i.region for i in items} - set(self.masks))
        if missing:
            raise ValueError(f"no mask for region(s) {', '.join(missing)} in this scene (have: "
                             f"{', '.join(sorted(self.masks))})")
        applicable = {i.id: self.coverage[i.region] >= NOT_IN_PHOTO for i in items}
        changing = [i for i in items if applicable[i.id] and i.direction != "keep"]
        if any(i.region == "global" for i in changing):
            outside: np.ndarray | None = None
        elif changing:
            outside = 1.0 - np.maximum.reduce([self.masks[i.region] for i in changing]).reshape(-1)
        else:
            outside = np.ones(self.shape[0] * self.shape[1], np.float32)
        keep_items = [i for i in items if applicable[i.id] and i.property == "color"]
        support = np.zeros_like(self._grid)
        if outside is not None:
            support |= outside > 1e-4
        for i in keep_items:
            support |= self.masks[i.region].reshape(-1) > 1e-4
        support &= self._grid
        idx = np.flatnonzero(support)
        preserve_w = _normalised(outside[idx]) if outside is not None and idx.size else None
        share = float(outside.mean()) if outside is not None else 0.0
        keep_w: dict[str, np.ndarray] = {}
        for i in keep_items:
            w = _normalised(self.masks[i.region].reshape(-1)[idx]) if idx.size else None
            if w is not None:
                keep_w[i.id] = w
        de_before = (np.ascontiguousarray(self._flat[0][idx]), np.ascontiguousarray(self._flat[1][idx]),
                     np.ascontiguousarray(self._flat[2][idx])) if idx.size else None
        allow_clip = any(i.property == "clipping" and i.direction == "increase" for i in items)
        return _Plan(items=items, applicable=applicable, de_idx=idx if idx.size else None,
                     de_before=de_before,
                     preserve_w=preserve_w if share > 0 else None, preserved_share=share, keep_w=keep_w,
                     allow_clipping=allow_clip)


def _measure_flat(prop: str, w: np.ndarray, planes: Sequence[np.ndarray], chroma: np.ndarray,
                  clipped: Any) -> float:
    """``prop`` for flat normalised weights ``w`` over flat L*, a*, b* planes (the judge's fast path of
    :func:`vibegrade.agent.measure.measure`, same definitions)."""
    if prop == "luminance":
        return float(np.dot(w, planes[0]))
    if prop == "contrast":
        mean = np.float32(np.dot(w, planes[0]))
        d = planes[0] - mean
        np.multiply(d, d, out=d)
        return math.sqrt(max(float(np.dot(w, d)), 0.0))
    if prop == "warmth":
        return float(np.dot(w, planes[2]))
    if prop == "tint":
        return float(np.dot(w, planes[1]))
    if prop == "saturation":
        return float(np.dot(w, chroma))
    if prop == "clipping":
        return 100.0 * float(np.dot(w, clipped().astype(np.float32)))
    raise ValueError(f"cannot measure {prop!r}")


# ----------------------------------------------------------------------------------------------------------
# Verdict and reward
# ----------------------------------------------------------------------------------------------------------


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(float(x), nd)


@dataclass(frozen=True)
class ItemVerdict:
    """The judgement of one checklist item. Measured values are in the property's unit (ΔE00 for
    ``color``); ``None`` where the item was not measured (not applicable or not feasible)."""

    id: str
    region: str
    property: str
    direction: str
    before: float | None
    after: float | None
    change: float | None
    target: float
    score: float | None
    satisfied: bool | None
    applicable: bool
    feasible: bool = True
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "region": self.region, "property": self.property, "direction": self.direction,
                "before": _r(self.before), "after": _r(self.after), "change": _r(self.change),
                "target": _r(self.target), "score": _r(self.score), "satisfied": self.satisfied,
                "applicable": self.applicable, "feasible": self.feasible, "note": self.note}


@dataclass(frozen=True)
class RewardWeights:
    """Penalty weights of :func:`reward`, calibrated against authored pairwise preferences
    (``scripts/agent/judge_agreement.py``): the authors never let banding flags decide (the flagged answer
    was often the one they preferred), so banding is reported as a guard but not penalised, and the other
    penalties at half their first weights agreed with the authors as well as or better than at full.

    Attributes:
        preservation: per ΔE00 of mean change outside the named regions beyond ``preservation_free``.
        skin: per degree of skin hue shift beyond ``skin_free``.
        clipping: per percentage point of newly clipped pixels.
        banding: per percent of smooth areas at risk of banding.
        halo: per L* of mask-edge rim beyond ``halo_free``.
    """

    preservation: float = 0.02
    preservation_free: float = 1.0
    skin: float = 0.01
    skin_free: float = 2.0
    clipping: float = 0.025
    banding: float = 0.0
    halo: float = 0.1
    halo_free: float = 0.25


DEFAULT_WEIGHTS = RewardWeights()


@dataclass(frozen=True)
class Verdict:
    """The judge's verdict on one candidate. See the module docstring for every figure's definition."""

    items: tuple[ItemVerdict, ...]
    checklist_satisfied: float
    adherence: float
    n_applicable: int
    preservation: float
    preserved_share: float
    skin_shift: float | None
    guards: dict[str, float]
    violations: tuple[str, ...]
    allow_clipping: bool = False
    reward: float = field(default=0.0)

    def item(self, item_id: str) -> ItemVerdict:
        for i in self.items:
            if i.id == item_id:
                return i
        raise KeyError(item_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, numbers rounded to 3 decimals."""
        return {"checklist_satisfied": _r(self.checklist_satisfied), "adherence": _r(self.adherence),
                "n_applicable": self.n_applicable, "preservation": _r(self.preservation),
                "preserved_share": _r(self.preserved_share), "skin_shift": _r(self.skin_shift),
                "guards": {k: _r(v) for k, v in self.guards.items()}, "violations": list(self.violations),
                "reward": _r(self.reward), "items": [i.to_dict() for i in self.items]}


def penalties(verdict: Verdict, weights: RewardWeights = DEFAULT_WEIGHTS) -> dict[str, float]:
    """Each penalty of ``verdict`` under ``weights`` (all ≥ 0)."""
    g = verdict.guards
    return {
        "preservation": weights.preservation * max(0.0, verdict.preservation - weights.preservation_free),
        "skin": weights.skin * max(0.0, (verdict.skin_shift or 0.0) - weights.skin_free),
        "clipping": 0.0 if verdict.allow_clipping else weights.clipping * g.get("clipping_increase", 0.0),
        "banding": weights.banding * g.get("banding", 0.0),
        "halo": weights.halo * max(0.0, g.get("halo", 0.0) - weights.halo_free),
    }


def reward(verdict: Verdict, weights: RewardWeights = DEFAULT_WEIGHTS) -> float:
    """Adherence minus the penalties (:func:`penalties`)."""
    return verdict.adherence - sum(penalties(verdict, weights).values())


# ----------------------------------------------------------------------------------------------------------
# The judge
# ----------------------------------------------------------------------------------------------------------


def _wrap_abs_degrees(d: np.ndarray) -> np.ndarray:
    d = np.abs(d)
    return np.minimum(d, np.float32(360.0) - d)


def judge(scene: Scene, checklist: Checklist, rgb: np.ndarray, *,
          weights: RewardWeights = DEFAULT_WEIGHTS) -> Verdict:
    """Judge the candidate ``rgb`` (the scene's proxy edited: same ``(h, w, 3)``, uint8 / uint16 / float in
    [0, 1]) against ``checklist``. ``weights`` only sets :attr:`Verdict.reward`.

    Raises:
        ValueError: ``rgb`` has another shape than the scene; a checklist region has no mask in the scene.
    """
    x = np.asarray(rgb)
    if x.shape != scene.rgb.shape:
        raise ValueError(f"the candidate's shape {x.shape} differs from the scene's {scene.rgb.shape}")
    plan = scene.plan(checklist)
    work = scene._work()
    planes = cv2.split(lab_view(x), work.planes)
    flat = [p.reshape(-1) for p in planes]
    xf = x if x.dtype == np.float32 else as_float_rgb(x)
    chroma_done = False
    clipped_after: np.ndarray | None = None

    def clipped() -> np.ndarray:
        nonlocal clipped_after
        if clipped_after is None:
            r, g, b = cv2.split(xf, work.rgb)
            mx = cv2.max(r, g, dst=work.t[0])
            cv2.max(mx, b, dst=mx)
            clipped_after = ((mx >= np.float32(CLIP_HIGH)) | (mx <= np.float32(CLIP_LOW))).reshape(-1)
        return clipped_after

    de: np.ndarray | None = None
    if plan.de_idx is not None and plan.de_before is not None:
        idx = plan.de_idx
        de = de00_columns(*plan.de_before, flat[0][idx], flat[1][idx], flat[2][idx])

    verdicts: list[ItemVerdict] = []
    for it in checklist.items:
        if not it.feasible:
            verdicts.append(_unscored(it, f"not feasible: {it.reason}"))
            continue
        if not plan.applicable[it.id]:
            verdicts.append(_unscored(it, f"no {it.region} in this photo"))
            continue
        if it.property == "color":
            kw = plan.keep_w.get(it.id)
            after = float(np.dot(kw, de)) if kw is not None and de is not None else 0.0
            before = 0.0
        else:
            w = scene.weights(it.region)
            assert w is not None
            if it.property == "saturation" and not chroma_done:
                cv2.magnitude(planes[1], planes[2], work.chroma)
                chroma_done = True
            before = scene.before(it.region, it.property)
            after = _measure_flat(it.property, w, flat, work.chroma.reshape(-1), clipped)
        change = after - before
        score, ok = item_score(it, change)
        note = None
        if it.direction != "keep":
            signed = change if it.direction == "increase" else -change
            if signed < 0:
                note = "moved the wrong way"
            elif signed > OVERSHOOT_START * it.target:
                note = f"overshoots the target ({signed / it.target:.1f}x)"
        elif not ok:
            note = "changed beyond the tolerance"
        verdicts.append(ItemVerdict(id=it.id, region=it.region, property=it.property, direction=it.direction,
                                    before=before, after=after, change=change, target=it.target, score=score,
                                    satisfied=ok, applicable=True, note=note))

    scored = [(v, it.weight) for v, it in zip(verdicts, checklist.items) if v.applicable]
    total = sum(wt for _, wt in scored)
    if total > 0:
        satisfied = sum(wt for v, wt in scored if v.satisfied) / total
        adherence = sum(wt * (v.score or 0.0) for v, wt in scored) / total
    else:
        satisfied = adherence = 1.0
    preservation = 0.0
    if plan.preserve_w is not None and de is not None:
        preservation = float(np.dot(plan.preserve_w, de))

    guards = {"clipping_increase": max(0.0, 100.0 * float(np.count_nonzero(clipped())) / clipped().size
                                       - scene._clipped_pct),
              "banding": _banding(scene, work, planes[0]),
              "halo": _halo(scene, work, planes[0], clipped())}
    violations = tuple(k for k, v in guards.items()
                       if v > GUARD_LIMITS[k] and not (k == "clipping_increase" and plan.allow_clipping))
    v = Verdict(items=tuple(verdicts), checklist_satisfied=satisfied, adherence=adherence,
                n_applicable=len(scored), preservation=preservation, preserved_share=plan.preserved_share,
                skin_shift=_skin_shift(scene, flat), guards=guards, violations=violations,
                allow_clipping=plan.allow_clipping)
    return replace(v, reward=reward(v, weights))


def _unscored(it: ChecklistItem, note: str) -> ItemVerdict:
    return ItemVerdict(id=it.id, region=it.region, property=it.property, direction=it.direction,
                       before=None, after=None, change=None, target=it.target, score=None, satisfied=None,
                       applicable=False, feasible=it.feasible, note=note)


def _skin_shift(scene: Scene, flat: Sequence[np.ndarray]) -> float | None:
    idx = scene._skin_idx
    if idx is None:
        return None
    hue = cv2.phase(flat[1][idx], flat[2][idx], angleInDegrees=True).reshape(-1)
    hue -= scene._skin_hue
    return float(np.dot(scene._skin_w, _wrap_abs_degrees(hue)))


def _banding(scene: Scene, work: _Work, lum: np.ndarray) -> float:
    idx = scene._smooth_idx
    if idx is None:
        return 0.0
    detail = scene._detail(lum, out=work.t[1])
    slope = detail.reshape(-1)[idx] / scene._smooth_before
    return 100.0 * float(np.dot(scene._smooth_w, _ramp(slope, *BAND_SLOPE)))


def _halo(scene: Scene, work: _Work, lum: np.ndarray, clipped: np.ndarray) -> float:
    if scene._halo_band_idx is None:
        return 0.0
    t = work.t
    guide = scene._planes[0]
    d = np.subtract(lum, guide, out=t[0])  # ΔL*
    mean_p = scene._box(d, dst=t[1])
    ip = np.multiply(guide, d, out=t[2])
    mean_ip = scene._box(ip, dst=t[3])
    # a = cov(I, p) / (var(I) + eps); b = mean(p) − a mean(I)
    a = np.multiply(scene._guide_mean, mean_p, out=t[2])
    np.subtract(mean_ip, a, out=a)
    np.divide(a, scene._guide_var, out=a)
    b = np.multiply(a, scene._guide_mean, out=t[3])
    np.subtract(mean_p, b, out=b)
    mean_a = scene._box(a, dst=t[4])
    mean_b = scene._box(b, dst=t[5])
    q = np.multiply(mean_a, guide, out=t[1])
    q += mean_b
    np.subtract(d, q, out=q)
    r = np.abs(q, out=q).reshape(-1)
    r[clipped] = 0.0  # clipped pixels follow no curve (the clipping guard counts them)
    band = float(np.dot(scene._halo_band_w, r[scene._halo_band_idx]))
    per_stratum = np.bincount(scene._halo_rest_bins, weights=r[scene._halo_rest_idx], minlength=HALO_STRATA)
    return max(0.0, band - float(np.dot(scene._halo_rest_coef, per_stratum)))


# ----------------------------------------------------------------------------------------------------------
# Vision-language judge
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisionVerdict:
    """A vision-language model's judgement: per feasible item a score in [0, 1], their weighted mean
    (``adherence``), ``preservation`` (1: what should stay is untouched) and ``quality`` (1: no artefacts),
    both in [0, 1], the model's rationale, and what was repaired in its answer (``flags``)."""

    items: dict[str, float]
    adherence: float
    preservation: float
    quality: float
    rationale: str = ""
    flags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"items": {k: round(v, 3) for k, v in self.items.items()},
                "adherence": round(self.adherence, 3),
                "preservation": round(self.preservation, 3), "quality": round(self.quality, 3),
                "rationale": self.rationale, "flags": list(self.flags)}


class VisionJudge:
    """Judge a candidate with a vision-language model over the teacher's OpenAI-compatible client
    (:class:`vibegrade.llm.client.TeacherClient`): the before and after pictures go as base64 JPEG data
    URLs (long side ``max_side``), with the checklist's feasible items; the answer is parsed strictly by
    :func:`vibegrade.llm.judge_prompt.parse_judge_answer`.

    Errors raise :class:`vibegrade.llm.client.TeacherError` subclasses with a one-line message:
    :class:`~vibegrade.llm.client.FatalError` / :class:`~vibegrade.llm.client.RequestFailed` from the
    client, :class:`vibegrade.llm.judge_prompt.JudgeAnswerError` for an unusable answer.
    """

    def __init__(self, client_config: Any, *, max_side: int = 512) -> None:
        self.client_config = client_config
        self.max_side = int(max_side)

    def messages(self, before: np.ndarray, after: np.ndarray, checklist: Checklist) -> list[dict[str, Any]]:
        from vibegrade.llm.judge_prompt import image_data_url, judge_messages

        items = [{"id": i.id, "text": i.text, "region": i.region, "property": i.property,
                  "direction": i.direction, "size": i.size} for i in checklist.feasible]
        return judge_messages(items, image_data_url(before, self.max_side),
                              image_data_url(after, self.max_side))

    async def ajudge(self, before: np.ndarray, after: np.ndarray, checklist: Checklist) -> VisionVerdict:
        """The model's verdict on ``after`` (the edit of ``before``) for ``checklist``."""
        from vibegrade.llm.client import TeacherClient
        from vibegrade.llm.judge_prompt import JudgeAnswerError, parse_judge_answer

        if not checklist.feasible:
            raise JudgeAnswerError("the checklist has no feasible item to judge")
        msgs = self.messages(before, after, checklist)
        async with TeacherClient(self.client_config) as client:
            answer = (await client.complete(msgs)).content
        parsed = parse_judge_answer(answer, [i.id for i in checklist.feasible])
        weights = {i.id: i.weight for i in checklist.feasible}
        total = sum(weights.values())
        adherence = sum(weights[k] * v for k, v in parsed.scores.items()) / total
        return VisionVerdict(items=dict(parsed.scores), adherence=adherence, preservation=parsed.preservation,
                             quality=parsed.quality, rationale=parsed.rationale, flags=tuple(parsed.flags))

    def judge(self, before: np.ndarray, after: np.ndarray, checklist: Checklist) -> VisionVerdict:
        """:meth:`ajudge`, run to completion (not from inside a running event loop)."""
        return asyncio.run(self.ajudge(before, after, checklist))
