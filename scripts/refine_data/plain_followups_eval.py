#!/usr/bin/env python3
"""The blind plain corrections (data/vibes/plain_corrections/) as follow-ups: does the refinement model
move what each author labelled, the way the author labelled it?

    .venv/bin/python scripts/refine_data/plain_followups_eval.py [--authors i,j] [--model DIR]
                                                                 [--json OUT] [--failures]
                                                                 [--no-answer-check]

Each request ("its way too dark", "reds look kinda weak", "contrast dwn") is sent as a follow-up on four
starting looks: the shipped student's answers to "golden hour", "moody" and "faded film", and the empty
chain. The authors wrote them for a first request, from ``BRIEF.md`` alone; none was used to build the
refinement model or its data. A refinement is **right** when the change it makes (next chain minus the
start) moves the labelled attribute the labelled way (the values of ``students/answer_check.py``'s
table: brightness is exposure or brightness, a colour its range or the white balance toward / away from
it, ...), **wrong way** when it moves it only the other way, **no move** when it leaves it alone (a history
step or a chain unchanged counts as no move). This is the direction target of issue #14 measured on
follow-ups written by people who never saw the refinement work.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from plain_corrections_eval import ATTRS, read_rows, verdict  # noqa: E402

from vibegrade.schema import FILTER_NONE, ToolChain  # noqa: E402
from vibegrade.students import StudentLoadError, load_student  # noqa: E402
from vibegrade.students.refine import load_refiner  # noqa: E402
from vibegrade.students.refine_features import chain_vector, vector_chain  # noqa: E402

STARTS = ("golden hour", "moody", "faded film")


def starting_looks(student) -> dict[str, ToolChain]:
    """The looks the follow-ups are sent on: the student's answers to :data:`STARTS`, and the empty chain."""
    starts = {name: student.predict([name])[0] for name in STARTS}
    starts["(empty chain)"] = ToolChain()
    return starts


def change(start: ToolChain, after: ToolChain) -> ToolChain:
    """A chain holding ``after - start`` per value, clamped into each value's range (only signs are read;
    bloom and sharpen cannot go below 0, so their falls are lost, which ``moves`` never asks for)."""
    return vector_chain(chain_vector(after) - chain_vector(start), FILTER_NONE)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--authors", default=None, help="comma-separated authors (default: all)")
    ap.add_argument("--model", type=Path, default=None, help="refinement model folder (default: shipped)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--failures", action="store_true", help="print every request that fails on a start")
    ap.add_argument("--no-answer-check", action="store_true",
                    help="keep the model's answer where it does not move what a plain follow-up names "
                         "(ablation of RefineModel.answer_check)")
    a = ap.parse_args()

    rows = read_rows(a.authors.split(",") if a.authors else None)
    student = load_student()
    try:
        refiner = load_refiner(a.model, student=student)
    except StudentLoadError as e:
        sys.exit(f"plain_followups_eval: {e}")
    refiner.answer_check = not a.no_answer_check
    starts = starting_looks(student)
    counts = {"right": 0, "wrong_way": 0, "no_move": 0}
    by_attr: dict[str, list[int]] = {}
    failures = []
    for r in rows:
        attr, sign = ATTRS[r["attribute"]], r["direction"]
        for name, start in starts.items():
            out = refiner.refine(start, r["request"])
            d = change(start, out.chain if out.chain is not None else start)
            said = verdict(d, attr, sign).replace(" ", "_")  # the report's keys: right, wrong_way, no_move
            counts[said] += 1
            by_attr.setdefault(r["attribute"], []).append(said == "right")
            if said != "right":
                failures.append({"verdict": said, "start": name, "request": r["request"],
                                 "attribute": r["attribute"], "direction": sign, "op": out.op})
    n = sum(counts.values())
    report = {"n_requests": len(rows), "starts": [*starts], "n": n,
              "authors": sorted({r["author"] for r in rows}), "answer_check": refiner.answer_check,
              **{k: round(v / n, 4) for k, v in counts.items()},
              "by_attribute": {k: round(sum(v) / len(v), 3) for k, v in sorted(by_attr.items())}}
    print(json.dumps(report, indent=1))
    if a.failures:
        for f in failures:
            print(f"{f['verdict']:9s} {f['start']:14s} {f['attribute']:10s} {f['direction']:+d} "
                  f"{f['request']!r}")
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps({**report, "failures": failures}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
