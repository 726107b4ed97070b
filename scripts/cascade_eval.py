#!/usr/bin/env python3
"""How much would the teacher cascade help, per routing threshold? (offline, oracle teacher)

    .venv/bin/python scripts/cascade_eval.py [--model DIR] [--test data/vibes/split/test.jsonl] [--json
    out.json]

For every threshold 0.50, 0.55, ..., 0.95 the student's confidence on each test request decides, with the
cascade's own rule (:func:`vibegrade.students.cascade.unsure`), whether the request goes to the teacher.
The table reports the share of requests routed and the overall score
(:func:`vibegrade.evaluation.metrics.evaluate_chains`) when routed requests get the teacher's answer and
the others the student's, next to the score when the same number of requests is routed at random (a
confidence worth routing on beats it).

There is no real teacher offline, so the "teacher" here is an **oracle**: it answers a routed request with
the test row's own answer. The scores are therefore an upper bound -- what a perfect teacher would give at
each share routed -- and measure the routing (does the confidence send the right requests?), not any
teacher. A student without a ``confidence`` method routes every request at every threshold.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

THRESHOLDS = [round(0.5 + 0.05 * i, 2) for i in range(10)]  # 0.50 ... 0.95
ORACLE_NOTE = ("teacher = oracle (the test row's own answer): an upper bound for a perfect teacher at each "
               "share routed; it measures the routing, not a teacher")


def evaluate(model: str | None, test_path: Path, thresholds: list[float]) -> dict[str, Any]:
    """Student alone, then one row per threshold: routed count and share, overall and per-tool final."""
    import numpy as np

    from vibegrade.data.rows import read_rows
    from vibegrade.evaluation.metrics import evaluate_chains
    from vibegrade.students import load_student
    from vibegrade.students.cascade import student_confidence, unsure

    rows = read_rows([test_path])
    intents = [r.intent for r in rows]
    truths = [r.chain for r in rows]
    student = load_student(model)
    t0 = time.perf_counter()
    preds = student.predict(intents)
    conf = student_confidence(student, intents)
    secs = time.perf_counter() - t0

    def scores(chains: list[Any]) -> dict[str, Any]:
        ev = evaluate_chains(chains, truths)
        return {"overall": ev["overall"], "tools": {t: ev["tools"][t]["final"] for t in ev["tools"]}}

    base = scores(preds)
    rng = np.random.default_rng(0)
    table: list[dict[str, Any]] = [{"threshold": None, "routed": 0, "share_routed": 0.0, **base,
                                    "random_overall": base["overall"]}]
    for th in thresholds:
        mask = unsure(conf, th)
        mixed = [truths[i] if mask[i] else preds[i] for i in range(len(rows))]
        n = int(mask.sum())
        pick = set(rng.permutation(len(rows))[:n].tolist())  # the same number, chosen at random
        rand = [truths[i] if i in pick else preds[i] for i in range(len(rows))]
        table.append({"threshold": th, "routed": n, "share_routed": round(n / len(rows), 4), **scores(mixed),
                      "random_overall": scores(rand)["overall"]})
    finite = conf[np.isfinite(conf)]
    qs = (10, 25, 50, 75, 90)
    quantiles = ({f"p{q}": round(float(v), 4) for q, v in zip(qs, np.percentile(finite, qs))}
                 if finite.size else {})
    return {
        "model": str(model) if model else "default",
        "student": getattr(student, "name", getattr(student, "kind", "?")),
        "has_confidence": callable(getattr(student, "confidence", None)),
        "test": str(test_path),
        "n": len(rows),
        "note": ORACLE_NOTE,
        "student_seconds": round(secs, 2),
        "confidence_quantiles": quantiles,
        "rows": table,
    }


def markdown(result: dict[str, Any]) -> str:
    """The table as Markdown, with the oracle note above it."""
    tools = list(result["rows"][0]["tools"])
    lines = [f"Cascade routing on {result['test']} ({result['n']} requests), student {result['student']}.",
             f"Note: {result['note']}.",
             "'overall, random routing': the same number of requests routed at random (seed 0), for "
             "reference.", ""]
    if not result["has_confidence"]:
        lines += ["This student has no confidence: every request is routed at every threshold.", ""]
    lines.append("| threshold | routed | share routed | overall | overall, random routing | "
                 + " | ".join(tools) + " |")
    lines.append("|---|---|---|---|---|" + "---|" * len(tools))
    for r in result["rows"]:
        th = "student only" if r["threshold"] is None else f"{r['threshold']:.2f}"
        lines.append(f"| {th} | {r['routed']} | {100 * r['share_routed']:.1f}% | {r['overall']:.4f} | "
                     f"{r['random_overall']:.4f} | "
                     + " | ".join(f"{r['tools'][t]:.4f}" for t in tools) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="student model folder (default: the shipped model)")
    ap.add_argument("--test", type=Path, default=ROOT / "data" / "vibes" / "split" / "test.jsonl",
                    help="test rows (JSONL)")
    ap.add_argument("--json", type=Path, default=None, help="also write the result as JSON here")
    args = ap.parse_args(argv)
    try:
        result = evaluate(args.model, args.test, THRESHOLDS)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(markdown(result))
    if args.json:
        from vibegrade.files import atomic_write_text

        atomic_write_text(args.json, json.dumps(result, indent=2) + "\n")
        print(f"\nwrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
