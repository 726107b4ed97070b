"""Fit a tool chain so that an image takes on a reference's look.

The chain's colour parameters are optimised against the colour statistics of :mod:`.stats`: the input's
working copy (a downscaled ``(N, 3)`` pixel set) is rendered through the chain's own per-pixel code
(:func:`vibegrade.tools.chain.color_stages`) inside the objective, its statistics are compared with the
reference's, and :func:`scipy.optimize.least_squares` (trust-region reflective, bounded) moves the
sliders. The result is an editable chain, not a baked transfer.

What is fitted:

* ``adjust``: exposure, contrast, brightness, highlights, shadows, saturation, vibrance, temperature, tint
  and linearOffset. ``hue`` (a rotation of every hue) stays 0: no colour statistic asks for it and it makes
  the problem periodic; bloom, sharpen and structure stay 0: they are spatial and the statistics are not.
* ``selective_adjust``: saturation and luminance of the six colour ranges.
* ``filter``: optionally, each installed preset is screened as a discrete candidate at its best intensity,
  on top of the sliders fitted without one and on the input alone; the two most promising are fitted
  jointly with the sliders, and one is kept only if it lowers the objective clearly (see
  :data:`FILTER_GAIN`).

The optimiser starts from analytic guesses (exposure from the median luminance, temperature and tint from
the grey-world white balance, saturation from the median chroma) and works on continuous slider values;
the final chain is rounded to the schema's integers and validated. A small penalty on every slider keeps
parameters that the statistics cannot tell apart near 0, so identical images give a near-identity chain.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vibegrade.schema import (
    ADJUST_KEYS,
    FILTER_NONE,
    SELECTIVE_COLORS,
    SELECTIVE_KEYS,
    Adjust,
    Filter,
    SelectiveAdjust,
    SelectiveColor,
    ToolChain,
    parse_chain,
)
from vibegrade.tools.chain import color_stages, color_transform
from vibegrade.tools.color import REC709, srgb_to_linear
from vibegrade.tools.filters import load_preset, preset_names
from vibegrade.tools.lut import apply_lut
from vibegrade.tools.match.stats import WORKING_SIDE, Distance, Stats, compare, describe, working_pixels

__all__ = ["FITTED_ADJUST", "FILTER_GAIN", "MatchResult", "match_look", "initial_guess"]

#: The ``adjust`` sliders the fit moves (the others stay 0).
FITTED_ADJUST: tuple[str, ...] = ("exposure", "contrast", "brightness", "highlights", "shadows", "saturation",
                                  "vibrance", "temperature", "tint", "linearOffset")
# the variables: the fitted adjust sliders, then selective_adjust in SELECTIVE_KEYS order (colour-major,
# saturation then luminance), all in slider units / 100; with a preset, its intensity / 100 last
_N_ADJ = len(FITTED_ADJUST)
_N = _N_ADJ + len(SELECTIVE_KEYS)

#: A filter is kept only if its fit lowers the objective by at least this fraction.
FILTER_GAIN = 0.10
#: No filter is tried once the sliders alone reach this cost (about one just-noticeable difference).
_GOOD_ENOUGH = 1.0
#: Presets fitted jointly with the sliders after the screening.
_REFIT_PRESETS = 2
_SCREEN_INTENSITIES = np.linspace(0.2, 1.0, 5)
_SCREEN_STRIDE = 2  # the screening measures every second pixel

# Weights of the residuals (statistics are in CIELAB units, parameters in slider units / 100).
_W_L = 1.0        # L* percentiles
_W_C = 0.7        # C* percentiles
_W_AB = 0.5       # mean a*, b* per lightness band
_W_CAST = 1.5     # mean a*, b* of the near-neutral half of each lightness band
_W_BAND_C = 0.7   # mean C* per lightness band
_W_HUE_C = 0.6    # mean C* per colour range
_W_HUE_L = 0.4    # mean L* per colour range
_HUBER = 3.0      # residuals beyond this (in weighted CIELAB units) count linearly, not squared
_SHARE_FULL = 0.05  # a colour range counts fully once it covers this share of both pictures
_REG_ADJ = 4.0    # penalty per unit (100 slider steps) of an adjust slider
_REG_SEL = 6.0    # ... of a selective_adjust slider
_REG_INT = 1.0    # ... of the filter intensity
_STEP = 0.02      # finite-difference step (2 slider steps)
_JAC_STRIDE = 2   # the Jacobian is measured on every second pixel
_FTOL, _XTOL = 1e-2, 1e-3
_MAX_NFEV = 40


@dataclass(frozen=True)
class MatchResult:
    """A fitted look.

    Attributes:
        chain: the fitted tool chain (integer sliders, validated).
        before: distance between the input and the reference (working copies).
        after: distance between the input rendered with ``chain`` and the reference.
        seconds: wall time of the fit.
        filters_tried: presets screened as candidates (0 with ``filters=False``, or when the sliders alone
            already match within about one just-noticeable difference).
    """

    chain: ToolChain
    before: Distance
    after: Distance
    seconds: float
    filters_tried: int

    def report(self) -> dict[str, Any]:
        """JSON-ready summary: the distances before and after (CIELAB units), seconds, presets tried."""
        return {"before": self.before.to_dict(), "after": self.after.to_dict(),
                "seconds": round(self.seconds, 3), "filters_tried": self.filters_tried}


def _float_chain(p: np.ndarray, preset: str = FILTER_NONE, intensity: float = 0.0) -> ToolChain:
    """A chain with continuous slider values (built without validation, for rendering inside the fit)."""
    adj: dict[str, Any] = {k: 0 for k in ADJUST_KEYS}
    adj.update({k: float(v) * 100.0 for k, v in zip(FITTED_ADJUST, p[:_N_ADJ])})
    sel: dict[str, Any] = {c: SelectiveColor.model_construct(saturation=float(p[_N_ADJ + 2 * i]) * 100.0,
                                                             luminance=float(p[_N_ADJ + 2 * i + 1]) * 100.0)
                           for i, c in enumerate(SELECTIVE_COLORS)}
    return ToolChain.model_construct(
        adjust=Adjust.model_construct(**adj), selective_adjust=SelectiveAdjust.model_construct(**sel),
        filter=Filter.model_construct(name=preset, intensity=intensity * 100.0))


def _int_chain(p: np.ndarray, preset: str, intensity: float, presets: Sequence[str]) -> ToolChain:
    """The validated chain of integer sliders nearest to ``p``."""
    adj = {k: int(round(float(v) * 100.0)) for k, v in zip(FITTED_ADJUST, p[:_N_ADJ])}
    sel = {c: {"saturation": int(round(float(p[_N_ADJ + 2 * i]) * 100.0)),
               "luminance": int(round(float(p[_N_ADJ + 2 * i + 1]) * 100.0))}
           for i, c in enumerate(SELECTIVE_COLORS)}
    level = int(round(intensity * 100.0))
    filt = {"name": preset, "intensity": level} if preset != FILTER_NONE and level > 0 else {}
    return parse_chain({"adjust": adj, "selective_adjust": sel, "filter": filt}, presets=presets)


class _Objective:
    """Residuals of the statistics of the rendered input against the reference's, plus the penalties."""

    def __init__(self, px: np.ndarray, target: Stats, source: Stats) -> None:
        self.px = px
        self.target = target
        share = np.clip(np.minimum(source.hue_share, target.hue_share) / _SHARE_FULL, 0.0, 1.0)
        self.hue_c_w = _W_HUE_C * share
        self.hue_l_w = _W_HUE_L * share

    def stats_residual(self, x: np.ndarray) -> np.ndarray:
        s, t = describe(x), self.target
        r = np.concatenate([
            _W_L * (s.l_pct - t.l_pct),
            _W_C * (s.c_pct - t.c_pct),
            _W_AB * (s.bands[:, :2] - t.bands[:, :2]).ravel(),
            _W_CAST * (s.casts - t.casts).ravel(),
            _W_BAND_C * (s.bands[:, 2] - t.bands[:, 2]),
            self.hue_c_w * (s.hue_chroma - t.hue_chroma),
            self.hue_l_w * (s.hue_lightness - t.hue_lightness),
        ])
        return _pseudo_huber(r, _HUBER)

    @staticmethod
    def penalty(p: np.ndarray, intensity: float | None = None) -> np.ndarray:
        reg = np.concatenate([_REG_ADJ * p[:_N_ADJ], _REG_SEL * p[_N_ADJ:_N]])
        return reg if intensity is None else np.append(reg, _REG_INT * intensity)

    def render(self, p: np.ndarray, preset: str = FILTER_NONE, intensity: float = 0.0) -> np.ndarray:
        x = self.px
        for stage in color_stages(_float_chain(p, preset, intensity)):
            x = stage(x)
        return np.clip(x, 0.0, 1.0)

    def residual(self, p: np.ndarray, preset: str = FILTER_NONE, intensity: float | None = None
                 ) -> np.ndarray:
        x = self.render(p, preset, 0.0 if intensity is None else intensity)
        return np.concatenate([self.stats_residual(x), self.penalty(p, intensity)])


class _Problem:
    """The least-squares problem for one filter choice: the variables are the sliders / 100 (adjust, then
    selective) and, with a preset, its intensity / 100.

    The Jacobian is taken by forward differences on every :data:`_JAC_STRIDE`-th pixel of the working copy
    (the residuals themselves use every pixel), one column per variable; a column renders
    only the tools from the one its variable belongs to onwards, reusing the output of the tools before it.
    """

    def __init__(self, obj: _Objective, preset: str) -> None:
        self.obj, self.preset = obj, preset
        self.with_filter = preset != FILTER_NONE
        self.n = _N + int(self.with_filter)
        self.px_jac = obj.px[::_JAC_STRIDE]
        self._last: tuple[bytes, np.ndarray] | None = None

    def _split(self, v: np.ndarray) -> tuple[np.ndarray, float | None]:
        return (v[:_N], float(v[_N])) if self.with_filter else (v, None)

    def _residual(self, v: np.ndarray, px: np.ndarray, first: int = 0) -> tuple[np.ndarray, list[np.ndarray]]:
        """Residuals of ``v`` on the pixels ``px`` (the input to tool ``first``), and every tool's output."""
        p, t = self._split(v)
        outs = [px]
        for stage in color_stages(_float_chain(p, self.preset, t or 0.0))[first:]:
            outs.append(stage(outs[-1]))
        r = np.concatenate([self.obj.stats_residual(np.clip(outs[-1], 0.0, 1.0)), self.obj.penalty(p, t)])
        return r, outs

    def fun(self, v: np.ndarray) -> np.ndarray:
        key = v.tobytes()
        if self._last is None or self._last[0] != key:
            self._last = (key, self._residual(v, self.obj.px)[0])
        return self._last[1]

    def jac(self, v: np.ndarray) -> np.ndarray:
        r0, outs = self._residual(v, self.px_jac)

        def column(i: int) -> np.ndarray:
            h = _STEP if v[i] + _STEP <= 1.0 else -_STEP
            w = v.copy()
            w[i] += h
            first = 0 if i < _N_ADJ else 1 if i < _N else 2  # the tool this variable belongs to
            return (self._residual(w, outs[first], first)[0] - r0) / h

        return np.column_stack([column(i) for i in range(self.n)])

    def solve(self, v0: np.ndarray, max_nfev: int) -> tuple[np.ndarray, float]:
        from scipy.optimize import least_squares

        lo = np.full(self.n, -1.0)
        hi = np.full(self.n, 1.0)
        if self.with_filter:
            lo[-1] = 0.0
        res = least_squares(self.fun, np.clip(v0, lo, hi), jac=self.jac, bounds=(lo, hi), method="trf",
                            x_scale=0.2, ftol=_FTOL, xtol=_XTOL, max_nfev=max_nfev)
        return res.x, _cost(res.fun)


def _pseudo_huber(r: np.ndarray, delta: float) -> np.ndarray:
    """Residuals rescaled so that their squares are the pseudo-Huber loss: ``r`` near 0, growing like
    ``sqrt(2 delta |r|)`` beyond ``delta`` (one large difference, often the two scenes' content, does
    not dominate)."""
    if delta <= 0:
        return r
    return np.sign(r) * np.sqrt(2.0 * delta * delta * (np.sqrt(1.0 + (r / delta) ** 2) - 1.0))


def _cost(r: np.ndarray) -> float:
    return float(r @ r)


def initial_guess(px: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Analytic starting sliders (slider units / 100, :data:`FITTED_ADJUST` then selective, all 0 there).

    * exposure: the stops between the median luminances (linear light, half strength: contrast and the
      tone sliders share the work);
    * temperature and tint: the white-balance gains of ``adjust`` that best turn the input's grey-world
      colour (mean linear RGB) into the reference's, on a grid of steps of 5;
    * saturation: the ratio of the median hexcone chromas.
    """
    p = np.zeros(_N)
    lin_in, lin_ref = srgb_to_linear(px), srgb_to_linear(ref)
    y_in = float(np.median(lin_in @ REC709))
    y_ref = float(np.median(lin_ref @ REC709))
    if y_in > 1e-4 and y_ref > 1e-4:
        p[FITTED_ADJUST.index("exposure")] = np.clip(0.5 * 0.5 * np.log2(y_ref / y_in), -1.0, 1.0)
    p[FITTED_ADJUST.index("temperature")], p[FITTED_ADJUST.index("tint")] = _white_balance_guess(
        lin_in.mean(axis=0), lin_ref.mean(axis=0))
    c_in = float(np.median(px.max(axis=1) - px.min(axis=1)))
    c_ref = float(np.median(ref.max(axis=1) - ref.min(axis=1)))
    if c_in > 1e-3:
        p[FITTED_ADJUST.index("saturation")] = np.clip(c_ref / c_in - 1.0, -0.8, 0.8)
    return p


def _white_balance_guess(mean_in: np.ndarray, mean_ref: np.ndarray) -> tuple[float, float]:
    """(temperature, tint) / 100 whose gains (the formulas of :func:`vibegrade.tools.adjust.white_balance`)
    best map the chromaticity (log R/G, log B/G) of ``mean_in`` to that of ``mean_ref``."""
    if min(mean_in.min(), mean_ref.min()) <= 1e-5:
        return 0.0, 0.0
    t, m = np.meshgrid(np.linspace(-1, 1, 41), np.linspace(-1, 1, 41), indexing="ij")
    warm = t >= 0
    gr = np.where(warm, 1.0, 1.0 + 0.45 * t) * np.where(m >= 0, 1.0, 1.0 + 0.30 * m)
    gg = np.where(warm, 1.0 - 0.10 * t, 1.0 + 0.12 * t) * np.where(m >= 0, 1.0 - 0.30 * m, 1.0)
    gb = np.where(warm, 1.0 - 0.50 * t, 1.0) * np.where(m >= 0, 1.0, 1.0 + 0.30 * m)
    want_rg = np.log(mean_ref[0] / mean_ref[1]) - np.log(mean_in[0] / mean_in[1])
    want_bg = np.log(mean_ref[2] / mean_ref[1]) - np.log(mean_in[2] / mean_in[1])
    err = (np.log(gr / gg) - want_rg) ** 2 + (np.log(gb / gg) - want_bg) ** 2 + 1e-3 * (t**2 + m**2)
    i = np.unravel_index(np.argmin(err), err.shape)
    return float(t[i]), float(m[i])


def _screen(obj: _Objective, base: np.ndarray, pen: np.ndarray, names: Sequence[str]
            ) -> list[tuple[float, str, float]]:
    """``(cost, preset, intensity)`` of every preset at its best intensity on top of the pixels ``base``
    (a coarse estimate on every :data:`_SCREEN_STRIDE`-th pixel, to rank the presets)."""
    sub = base[::_SCREEN_STRIDE]

    def one(name: str) -> tuple[float, str, float]:
        y = apply_lut(sub, load_preset(name), "tetrahedral")
        best = (np.inf, name, 0.0)
        for t in _SCREEN_INTENSITIES:
            x = np.clip(sub + np.float32(t) * (y - sub), 0.0, 1.0)
            c = _cost(np.concatenate([obj.stats_residual(x), pen, [_REG_INT * t]]))
            if c < best[0]:
                best = (c, name, float(t))
        return best

    return [one(name) for name in names]


def match_look(image: np.ndarray, reference: np.ndarray, *, filters: bool | Iterable[str] = True,
               side: int = WORKING_SIDE) -> MatchResult:
    """Fit a tool chain that gives ``image`` the colour and tone of ``reference``.

    Args:
        image, reference: ``(H, W, 3)`` (or ``(H, W, 4)``, alpha ignored) RGB arrays, uint8, uint16 or float
            in [0, 1], sRGB-encoded; any sizes (both are measured on copies whose long side is ``side``).
        filters: ``True`` to try every installed filter preset as a candidate, ``False`` for none, or the
            preset names to try.
        side: long side of the working copies in pixels (16..512).

    Returns:
        The fitted chain with the distances before and after (:class:`MatchResult`).

    Raises:
        ValueError: a wrong array shape or dtype, an empty image, an unknown preset name, a bad ``side``.
    """
    t0 = time.perf_counter()
    if not 16 <= side <= 512:
        raise ValueError(f"side must be within 16..512 pixels, got {side}")
    installed = preset_names()
    if filters is True:
        names = list(installed)
    elif filters is False:
        names = []
    else:
        names = list(filters)
        unknown = [n for n in names if n not in installed]
        if unknown:
            raise ValueError(f"unknown filter preset {unknown[0]!r} (see `vibegrade presets`)")
    px = working_pixels(image, side)
    ref = working_pixels(reference, side)
    target = describe(ref)
    obj = _Objective(px, target, describe(px))

    p0 = initial_guess(px, ref)
    if _cost(obj.residual(np.zeros(_N))) <= _cost(obj.residual(p0)):
        p0 = np.zeros(_N)
    p_plain, cost_plain = _Problem(obj, FILTER_NONE).solve(p0, _MAX_NFEV)
    best: tuple[np.ndarray, str, float] = (p_plain, FILTER_NONE, 0.0)
    best_cost = cost_plain
    screened = names if cost_plain > _GOOD_ENOUGH else []
    if screened:
        # each preset at its best intensity, on top of the fitted sliders and on the input alone
        on_fit = _screen(obj, obj.render(p_plain), obj.penalty(p_plain), names)
        alone = _screen(obj, px, obj.penalty(np.zeros(_N)), names)
        starts = sorted([(c, n, t, p_plain) for c, n, t in on_fit]
                        + [(c, n, t, np.zeros(_N)) for c, n, t in alone], key=lambda s: s[0])
        refit: list[str] = []
        for c, name, t, p_start in starts:
            if len(refit) == _REFIT_PRESETS or c >= (1.0 - FILTER_GAIN) * cost_plain:
                break
            if name in refit:
                continue
            refit.append(name)
            v, cost = _Problem(obj, name).solve(np.append(p_start, t), _MAX_NFEV)
            if cost < (1.0 - FILTER_GAIN) * cost_plain and cost < best_cost:
                best, best_cost = (v[:_N], name, float(v[_N])), cost

    chain = _int_chain(best[0], best[1], best[2], installed)
    return MatchResult(chain=chain, before=compare(px, ref), after=compare(color_transform(chain)(px), ref),
                       seconds=time.perf_counter() - t0, filters_tried=len(screened))
