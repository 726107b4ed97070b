#!/usr/bin/env python3
"""The blind requests that say what not to do (data/vibes/limits/) as follow-ups: does the refinement
model make each change, keep each hold and make the colour splash, from the current chain?

    .venv/bin/python scripts/refine_data/limits_followups_eval.py [--authors a,b] [--model DIR]
                                                                  [--json OUT] [--failures] [--no-limits]

The rows that name no look ("just brighter, don't touch the colours", "warmer, no red faces", "black and
white except the red", "not so dark pls") are sent as follow-ups on the four starting looks of
``plain_followups_eval.py`` (the shipped student's "golden hour", "moody" and "faded film", and the empty
chain), and read as ``scripts/limits_eval.py`` reads a first answer, from the current chain instead of
the photo: a change is right when the next chain minus the start moves the attribute the labelled way; a
hold of a colour or of saturation is kept when the colour's swatches keep 85–115 % of the start's chroma
(at most 110 % for "not more", at least 90 % for "not less"), any other hold when nothing the attribute
owns moves the forbidden way from the start; a splash as for a first request. A history step counts as
no move. ``--no-limits`` answers with ``RefineModel.limits`` off (the code before it). (docs/refine.md,
"What not to do, as a follow-up")
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from limits_eval import ATTRS, hold_kept, read_rows, splash_kept  # noqa: E402
from plain_corrections_eval import verdict  # noqa: E402
from plain_followups_eval import change, starting_looks  # noqa: E402  (the same starts and change)

from vibegrade.schema import ToolChain  # noqa: E402
from vibegrade.students import StudentLoadError, load_student  # noqa: E402
from vibegrade.students.refine import load_refiner  # noqa: E402


def evaluate(refiner, starts: dict[str, ToolChain], rows: list[dict]) -> tuple[dict, list[dict]]:
    """The figures of the module docstring for ``rows`` sent as follow-ups on each of ``starts``, and the
    (start, row) pairs that are not all right."""
    right = []
    counts = dict.fromkeys(("changes", "changes_right", "holds", "holds_kept", "splashes", "splashes_kept"),
                           0)
    failures = []
    for name, start in starts.items():
        outs = refiner.refine_many([(start, r["request"]) for r in rows])
        for r, out in zip(rows, outs):
            after = out.chain if out.chain is not None else start
            d = change(start, after)
            changes = [verdict(d, ATTRS[c["attribute"]], c["direction"]) for c in r["changes"]]
            holds = [hold_kept(start, after, h["attribute"], h["direction"], from_before=True)
                     for h in r["hold"]]
            splash = splash_kept(after, r["keep_colour"]) if r["keep_colour"] else None
            ok = all(x == "right" for x in changes) and all(holds) and splash is not False
            right.append(ok)
            counts["changes"] += len(changes)
            counts["changes_right"] += changes.count("right")
            counts["holds"] += len(holds)
            counts["holds_kept"] += sum(holds)
            counts["splashes"] += splash is not None
            counts["splashes_kept"] += bool(splash)
            if not ok:
                failures.append({"start": name, "request": r["request"], "op": out.op, "changes": changes,
                                 "holds": holds, "splash": splash})
    report = {"n_requests": len(rows), "starts": [*starts], "n": len(right), "limits": refiner.limits,
              "authors": sorted({r["author"] for r in rows}),
              "all_right": round(sum(right) / len(right), 4),
              "changes_right": round(counts["changes_right"] / max(counts["changes"], 1), 4),
              "holds_kept": round(counts["holds_kept"] / max(counts["holds"], 1), 4),
              "splashes_kept": round(counts["splashes_kept"] / max(counts["splashes"], 1), 4),
              "counts": counts}
    return report, failures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--authors", default=None, help="comma-separated authors (default: all)")
    ap.add_argument("--model", type=Path, default=None, help="refinement model folder (default: shipped)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--failures", action="store_true", help="print every request that fails on a start")
    ap.add_argument("--no-limits", action="store_true", help="RefineModel.limits off (the code before it)")
    a = ap.parse_args()

    rows = [r for r in read_rows(a.authors.split(",") if a.authors else None) if not r["base"].strip()]
    student = load_student()
    try:
        refiner = load_refiner(a.model, student=student)
    except StudentLoadError as e:
        sys.exit(f"limits_followups_eval: {e}")
    refiner.limits = not a.no_limits
    starts = starting_looks(student)
    report, failures = evaluate(refiner, starts, rows)
    print(json.dumps(report, indent=1))
    if a.failures:
        for f in failures:
            print(f"{f['start']:14s} {f['request']!r} {f['op']} changes={f['changes']} holds={f['holds']} "
                  f"splash={f['splash']}")
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps({**report, "failures": failures}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
