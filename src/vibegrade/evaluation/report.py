"""Evaluate a student (and the baselines) on dataset rows: the JSON report of ``vibegrade eval``."""

from __future__ import annotations

import time
from typing import Any, Mapping, Sequence

from vibegrade.data.rows import VibeRow
from vibegrade.evaluation.metrics import evaluate_chains
from vibegrade.students import Student

__all__ = ["evaluate_student"]


def evaluate_student(student: Student, rows: Sequence[VibeRow], *, baselines: Mapping[str, Student] | None = None,
                     perceptual: bool = True, perceptual_size: int = 96) -> dict[str, Any]:
    """``{"n", "tools", "overall", "subsets", "perceptual", "latency", "baselines": {name: {...}}}``."""
    truths = [r.chain for r in rows]
    calls = [r.calls for r in rows]

    def score(s: Student) -> dict[str, Any]:
        t0 = time.perf_counter()
        preds = s.predict([r.intent for r in rows])
        elapsed = time.perf_counter() - t0
        rep = evaluate_chains(preds, truths, calls)
        if perceptual:
            from vibegrade.evaluation.perceptual import perceptual_score

            rep["perceptual"] = perceptual_score(preds, truths, max_side=perceptual_size)
        rep["latency"] = {"batch_ms_per_request": round(1000 * elapsed / max(1, len(rows)), 3)}
        return rep

    out = score(student)
    out["model"] = getattr(student, "name", getattr(student, "kind", "student"))
    out["baselines"] = {name: score(b) for name, b in (baselines or {}).items()}
    return out
