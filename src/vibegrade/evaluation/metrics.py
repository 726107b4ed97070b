"""Offline metrics comparing predicted tool chains with the teacher's (ground truth).

Per tool (exactly as specified for the project, following arXiv 2410.02952):

* **tool selection**: precision, recall and F1, where the positive class is "the tool is used"
  (adjust: not empty / not all zero; selective_adjust: not empty; filter: name is not ``none``);
* **quality**: for ``filter`` the accuracy of the preset name, for ``adjust`` and
  ``selective_adjust`` the mean cosine similarity of the parameter vectors (14 adjust values;
  12 selective values ordered red, orange, yellow, green, cyan, blue x saturation, luminance),
  both computed only over requests where prediction and ground truth both use the tool;
* **final**: the harmonic mean of selection F1 and quality.

**overall** is the mean of the three finals. Extra views: ``quality_normalized`` (cosine after
mapping every parameter to [-1, 1] by its range, so hue's 0..360 scale does not dominate) and a
perceptual score in :mod:`vibegrade.evaluation.perceptual`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from vibegrade.schema import ADJUST_PARAMS, SELECTIVE_CHANNELS, SELECTIVE_KEYS, TOOL_NAMES, ToolChain

__all__ = ["ToolScores", "tool_scores", "evaluate_chains", "harmonic_mean", "cosine"]

_ADJ_SCALE = np.array([max(p.hi - p.neutral, p.neutral - p.lo) for p in ADJUST_PARAMS], dtype=float)
_SEL_SCALE = np.array([max(SELECTIVE_CHANNELS[0].hi, -SELECTIVE_CHANNELS[0].lo)]
                      * len(SELECTIVE_KEYS), dtype=float)


@dataclass
class ToolScores:
    precision: float
    recall: float
    selection_f1: float
    quality: float
    final: float
    both_used: int
    quality_normalized: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if d["quality_normalized"] is None:
            del d["quality_normalized"]
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items()}


def harmonic_mean(a: float, b: float) -> float:
    return 0.0 if a <= 0 or b <= 0 else 2 * a * b / (a + b)


def cosine(u: np.ndarray, v: np.ndarray) -> float:
    """Cosine similarity of two non-zero vectors (0.0 if either is all zero)."""
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    if nu == 0 or nv == 0:
        return 0.0
    return float(np.dot(u, v) / (nu * nv))


def _used(chain: ToolChain, tool: str) -> bool:
    return chain.used()[tool]


def _vector(chain: ToolChain, tool: str, normalized: bool = False) -> np.ndarray:
    if tool == "adjust":
        v = np.asarray(chain.adjust.vector(), dtype=float)
        return v / _ADJ_SCALE if normalized else v
    v = np.asarray(chain.selective_adjust.vector(), dtype=float)
    return v / _SEL_SCALE if normalized else v


def tool_scores(preds: Sequence[ToolChain], truths: Sequence[ToolChain], tool: str) -> ToolScores:
    """Selection precision/recall/F1, quality and final score of one tool."""
    if len(preds) != len(truths):
        raise ValueError("predictions and ground truth differ in length")
    if tool not in TOOL_NAMES:
        raise ValueError(f"unknown tool {tool!r}")
    tp = fp = fn = 0
    sims: list[float] = []
    sims_norm: list[float] = []
    for p, t in zip(preds, truths):
        pu, tu = _used(p, tool), _used(t, tool)
        tp += pu and tu
        fp += pu and not tu
        fn += tu and not pu
        if pu and tu:
            if tool == "filter":
                sims.append(float(p.filter.name == t.filter.name))
            else:
                sims.append(cosine(_vector(p, tool), _vector(t, tool)))
                sims_norm.append(cosine(_vector(p, tool, True), _vector(t, tool, True)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = harmonic_mean(precision, recall)
    quality = float(np.mean(sims)) if sims else 0.0
    qn = float(np.mean(sims_norm)) if sims_norm else (None if tool == "filter" else 0.0)
    return ToolScores(precision, recall, f1, quality, harmonic_mean(f1, quality), len(sims), qn)


def evaluate_chains(preds: Sequence[ToolChain], truths: Sequence[ToolChain],
                    calls: Sequence[int | None] | None = None) -> dict[str, Any]:
    """All scores: per tool, overall, and the subsets of requests asked at least 3 and 5 times.

    Returns ``{"n", "tools": {tool: {...}}, "overall", "subsets": {"calls>=3": {...}, "calls>=5": {...}}}``;
    a subset is present only where ``calls`` are known for at least one request.
    """
    def block(idx: Sequence[int]) -> dict[str, Any]:
        ps = [preds[i] for i in idx]
        ts = [truths[i] for i in idx]
        tools = {tool: tool_scores(ps, ts, tool).to_dict() for tool in TOOL_NAMES}
        return {"n": len(idx), "tools": tools,
                "overall": round(float(np.mean([tools[t]["final"] for t in TOOL_NAMES])), 4)}

    out = block(range(len(preds)))
    subsets: dict[str, Any] = {}
    if calls is not None and any(c is not None for c in calls):
        for k in (3, 5):
            idx = [i for i, c in enumerate(calls) if c is not None and c >= k]
            if idx:
                subsets[f"calls>={k}"] = block(idx)
    out["subsets"] = subsets
    return out


def value_spread(preds: Sequence[ToolChain], truths: Sequence[ToolChain]) -> dict[str, dict[str, float]]:
    """Does a student keep the size of the teacher's moves? Per adjust parameter: the mean |value| over
    the answers that use the parameter (value not 0), for the student and for the teacher, and their
    ratio (1.0: same size; well below 1: answers averaged towards bland middles). Parameters the
    teacher moves in fewer than 5 answers are left out. Hue is the signed rotation (350 = -10 degrees)."""
    def table(chains: Sequence[ToolChain]) -> np.ndarray:
        rows = [np.asarray(c.adjust.vector(), dtype=float) for c in chains if c.used()["adjust"]]
        m = np.array(rows) if rows else np.zeros((0, len(ADJUST_PARAMS)))
        hue = [i for i, p in enumerate(ADJUST_PARAMS) if p.name == "hue"]
        if len(m) and hue:
            m[:, hue] = (m[:, hue] + 180.0) % 360.0 - 180.0
        return np.abs(m)

    p, t = table(preds), table(truths)
    out: dict[str, dict[str, float]] = {}
    for i, spec in enumerate(ADJUST_PARAMS):
        if len(t) == 0 or int((t[:, i] > 0).sum()) < 5:
            continue
        tm = float(t[t[:, i] > 0, i].mean())
        pv = p[p[:, i] > 0, i] if len(p) else np.zeros(0)
        pm = float(pv.mean()) if len(pv) else 0.0
        out[spec.name] = {"student": round(pm, 2), "teacher": round(tm, 2),
                          "ratio": round(pm / tm, 3) if tm else 0.0}
    return out
