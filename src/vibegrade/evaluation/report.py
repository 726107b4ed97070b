"""Evaluate a student (and the baselines) on dataset rows: the JSON report of ``vibegrade eval``."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from vibegrade.data.rows import VibeRow
from vibegrade.evaluation.metrics import evaluate_chains
from vibegrade.schema import ToolChain

__all__ = ["Predictor", "evaluate_student"]


class Predictor(Protocol):
    """What evaluation needs of a student: answers to requests (every :class:`vibegrade.students.Student`
    is one; the evaluation layer sits below the students and does not import them)."""

    def predict(self, intents: Sequence[str]) -> list[ToolChain]: ...


def evaluate_student(student: Predictor, rows: Sequence[VibeRow], *,
                     baselines: Mapping[str, Predictor] | None = None, perceptual: bool = True,
                     perceptual_size: int = 96) -> dict[str, Any]:
    """``{"n", "tools", "overall", "subsets", "perceptual", "latency", "baselines": {name: {...}}}``."""
    truths = [r.chain for r in rows]
    calls = [r.calls for r in rows]

    def score(s: Predictor) -> dict[str, Any]:
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
