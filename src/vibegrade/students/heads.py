"""Output heads of the ``encoder`` student, derived from the tool schema.

The student predicts, from one sentence embedding:

* ``use``: 2 logits -- is ``adjust`` used, is ``selective_adjust`` used;
* ``filter``: ``1 + len(presets)`` logits -- ``none`` or one preset;
* ``intensity``: 1 value in [0, 1] (x 100);
* ``adjust``: 14 values in [-1, 1], one per :data:`vibegrade.schema.ADJUST_PARAMS`;
* ``selective``: 12 values in [-1, 1], in :data:`vibegrade.schema.SELECTIVE_KEYS` order.

Values are scaled by each parameter's range (see :func:`encode_targets`); ``hue`` is represented as a
signed rotation in [-180, 180] so that 350 and -10 are the same target. :func:`decode` turns head
outputs into a :class:`ToolChain` that is valid by construction (rounded, clamped, consistent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vibegrade.schema import (
    ADJUST_KEYS,
    ADJUST_PARAMS,
    FILTER_NONE,
    SELECTIVE_COLORS,
    SELECTIVE_KEYS,
    Adjust,
    Filter,
    SelectiveAdjust,
    SelectiveColor,
    ToolChain,
)

__all__ = ["HeadLayout", "encode_targets", "decode"]

N_ADJUST = len(ADJUST_PARAMS)
N_SELECTIVE = len(SELECTIVE_KEYS)
_HUE = ADJUST_KEYS.index("hue")
# Scale that maps each adjust parameter's useful range to [-1, 1] (hue: signed degrees / 180).
ADJUST_SCALE = np.array([180.0 if p.name == "hue" else float(max(p.hi, -p.lo)) for p in ADJUST_PARAMS],
                        dtype=np.float32)
SELECTIVE_SCALE = np.float32(100.0)
#: Predicted global hue rotations smaller than this (degrees) are written as 0: almost no request asks
#: for a small global hue turn, and small values are regression noise.
HUE_DEADZONE = 8


@dataclass(frozen=True)
class HeadLayout:
    presets: tuple[str, ...]

    @property
    def n_filter(self) -> int:
        return 1 + len(self.presets)

    def filter_index(self, name: str) -> int:
        return 0 if name == FILTER_NONE else 1 + self.presets.index(name)


def encode_targets(chains: Sequence[ToolChain], layout: HeadLayout) -> dict[str, np.ndarray]:
    """Training targets for a batch of ground-truth chains."""
    use = np.array([[c.adjust.used, c.selective_adjust.used] for c in chains], dtype=np.float32)
    filt = np.array([layout.filter_index(c.filter.name) if c.filter.name in layout.presets
                     or not c.filter.used
                     else 0 for c in chains], dtype=np.int64)
    inten = np.array([c.filter.intensity / 100.0 if c.filter.used else 0.0 for c in chains], dtype=np.float32)
    adj = np.array([c.adjust.vector() for c in chains], dtype=np.float32)
    adj[:, _HUE] = ((adj[:, _HUE] + 180.0) % 360.0) - 180.0
    adj /= ADJUST_SCALE
    sel = np.array([c.selective_adjust.vector() for c in chains], dtype=np.float32) / SELECTIVE_SCALE
    return {"use": use, "filter": filt, "intensity": inten, "adjust": adj, "selective": sel}


def decode(use_prob: np.ndarray, filter_logits: np.ndarray, intensity: np.ndarray, adjust: np.ndarray,
           selective: np.ndarray, layout: HeadLayout,
           thresholds: dict[str, float] | None = None) -> list[ToolChain]:
    """Turn head outputs (batched) into valid tool chains.

    ``thresholds`` (default 0.5 each) are the probabilities above which adjust / selective_adjust are
    used, and above which the filter is used (1 - p(none)); a used filter takes the most likely preset.
    """
    th = {"adjust": 0.5, "selective_adjust": 0.5, "filter": 0.5, **(thresholds or {})}
    logits = filter_logits - filter_logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    chains: list[ToolChain] = []
    adj_vals = np.rint(np.clip(adjust, -1, 1) * ADJUST_SCALE).astype(int)
    sel_vals = np.rint(np.clip(selective, -1, 1) * SELECTIVE_SCALE).astype(int)
    for i in range(use_prob.shape[0]):
        a_kwargs = {}
        if use_prob[i, 0] >= th["adjust"]:
            vals = adj_vals[i].copy()
            if abs(vals[_HUE]) < HUE_DEADZONE:  # regression noise around "no rotation"
                vals[_HUE] = 0
            vals[_HUE] %= 360
            for spec, v in zip(ADJUST_PARAMS, vals):
                a_kwargs[spec.name] = int(min(spec.hi, max(spec.lo, v)))
        s_kwargs = {}
        if use_prob[i, 1] >= th["selective_adjust"]:
            v = sel_vals[i]
            for j, color in enumerate(SELECTIVE_COLORS):
                s_kwargs[color] = SelectiveColor(saturation=int(v[2 * j]), luminance=int(v[2 * j + 1]))
        k = 0 if 1.0 - probs[i, 0] < th["filter"] else 1 + int(np.argmax(filter_logits[i, 1:]))
        if k == 0 or not np.isfinite(filter_logits[i, k]):
            flt = Filter()
        else:
            flt = Filter.model_construct(name=layout.presets[k - 1],
                                         intensity=int(min(100, max(1, round(float(intensity[i]) * 100)))))
        chains.append(ToolChain.model_construct(adjust=Adjust(**a_kwargs),
                                                selective_adjust=SelectiveAdjust(**s_kwargs),
                                                filter=flt))
    return chains
