"""Scores of refinement answers: the project's metric on the next chains plus direction and restraint.

A refinement is judged against the author's next chain on three things:

* the **project's metric** (:func:`vibegrade.evaluation.metrics.evaluate_chains`) on the next chains;
* **direction correctness**: every value the author moved by at least ``min_author`` (5) moves the same
  way in the answer, by at least 1 — "warmer" must raise temperature, "less" must shrink what is there.
  A triple with nothing moved that far is not counted;
* **main direction**: the value the author moved most (the "main parameter" that carries the size in
  the style guide; ties: all of them) moves the same way, by at least 1 — the strict rate above also fails
  an answer that leaves out one of the author's small supporting moves;
* **wrong way**: some value the author moved by 5 or more moves the *opposite* way — the error a user
  notices first ("warmer" made it cooler);
* **restraint**: no value the author left alone (moved by less than 2) moves by ``spurious`` (10) or
  more — a follow-up changes what it names, not the rest of the look.

Chains are compared as the 27 values adjust (14), selective (12) and filter intensity, plus the preset
name ("filter kept right": the answer's preset equals the author's).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from vibegrade.evaluation.metrics import evaluate_chains
from vibegrade.schema import ToolChain

__all__ = ["values", "direction_correct", "main_direction_correct", "wrong_way", "restrained",
           "score_refinements"]


def values(chain: ToolChain) -> np.ndarray:
    """adjust (14), selective (12) and the filter's intensity (0 without a preset), as floats."""
    return np.array([*chain.adjust.vector(), *chain.selective_adjust.vector(),
                     chain.filter.intensity if chain.filter.used else 0], dtype=np.float64)


def direction_correct(before: ToolChain, pred: ToolChain, truth: ToolChain,
                      min_author: float = 5.0) -> bool | None:
    """True when every value the author moved by ``min_author`` or more moves the same way in ``pred``;
    None when the author moved nothing that far."""
    b = values(before)
    dt, dp = values(truth) - b, values(pred) - b
    moved = np.abs(dt) >= min_author
    if not moved.any():
        return None
    return bool(np.all(np.sign(dp[moved]) == np.sign(dt[moved])) and np.all(np.abs(dp[moved]) >= 1))


def main_direction_correct(before: ToolChain, pred: ToolChain, truth: ToolChain) -> bool | None:
    """True when the value(s) the author moved most move the same way in ``pred`` (by at least 1); None
    when the author moved nothing by 5 or more."""
    b = values(before)
    dt, dp = values(truth) - b, values(pred) - b
    top = np.abs(dt).max()
    if top < 5:
        return None
    main = np.abs(dt) == top
    return bool(np.all(np.sign(dp[main]) == np.sign(dt[main])) and np.all(np.abs(dp[main]) >= 1))


def wrong_way(before: ToolChain, pred: ToolChain, truth: ToolChain) -> bool | None:
    """True when a value the author moved by 5 or more moves the opposite way in ``pred``."""
    b = values(before)
    dt, dp = values(truth) - b, values(pred) - b
    moved = np.abs(dt) >= 5
    if not moved.any():
        return None
    return bool(np.any((np.sign(dp[moved]) == -np.sign(dt[moved])) & (np.abs(dp[moved]) >= 1)))


def restrained(before: ToolChain, pred: ToolChain, truth: ToolChain, spurious: float = 10.0) -> bool:
    """True when no value the author left alone (|Δ| < 2) moves by ``spurious`` or more in ``pred``."""
    b = values(before)
    dt, dp = values(truth) - b, values(pred) - b
    still = np.abs(dt) < 2
    return bool(not np.any(np.abs(dp[still]) >= spurious))


def score_refinements(befores: Sequence[ToolChain], preds: Sequence[ToolChain | None],
                      truths: Sequence[ToolChain | None], pred_ops: Sequence[str],
                      truth_ops: Sequence[str]) -> dict[str, Any]:
    """All refinement scores over parallel lists (``None`` chains: history ops, scored by op only)."""
    n = len(befores)
    op_acc = float(np.mean([p == t for p, t in zip(pred_ops, truth_ops)])) if n else 0.0
    idx = [i for i in range(n) if truths[i] is not None]
    # a history answer where the author wrote a chain keeps the current chain (what the user would see)
    ps = [preds[i] if preds[i] is not None else befores[i] for i in idx]
    ts = [truths[i] for i in idx]
    bs = [befores[i] for i in idx]
    metric = evaluate_chains(ps, ts) if idx else {"overall": 0.0}  # type: ignore[arg-type]
    dirs = [direction_correct(b, p, t) for b, p, t in zip(bs, ps, ts)]  # type: ignore[arg-type]
    dirs_known = [d for d in dirs if d is not None]
    mains = [m for m in (main_direction_correct(b, p, t) for b, p, t in zip(bs, ps, ts)) if m is not None]  # type: ignore[arg-type]
    wrongs = [w for w in (wrong_way(b, p, t) for b, p, t in zip(bs, ps, ts)) if w is not None]  # type: ignore[arg-type]
    keep = [restrained(b, p, t) for b, p, t in zip(bs, ps, ts)]  # type: ignore[arg-type]
    filt = [p.filter.name == t.filter.name for p, t in zip(ps, ts)]  # type: ignore[union-attr]
    dv = [float(np.abs(values(p) - values(t)).mean()) for p, t in zip(ps, ts)]  # type: ignore[arg-type]
    return {"n": n, "n_chain": len(idx), "op_accuracy": round(op_acc, 4),
            "overall": metric["overall"], "tools": metric.get("tools"),
            "direction_correct": round(float(np.mean(dirs_known)), 4) if dirs_known else None,
            "n_direction": len(dirs_known),
            "main_direction_correct": round(float(np.mean(mains)), 4) if mains else None,
            "wrong_way": round(float(np.mean(wrongs)), 4) if wrongs else None,
            "restrained": round(float(np.mean(keep)), 4) if keep else None,
            "filter_right": round(float(np.mean(filt)), 4) if filt else None,
            "mean_abs_error": round(float(np.mean(dv)), 3) if dv else None}
