#!/usr/bin/env python3
"""Several changes in one request and no look, typed by authors who never saw the student or its data:
does the answer to "brighter and a bit cooler" move *every* attribute the author labelled, the way it
asks? (data/vibes/combined_changes/, BRIEF.md)

    .venv/bin/python scripts/combined_changes_eval.py [--authors a,b] [--model DIR] [--json OUT] [--failures]
        [--dump ANSWERS.json | --answers ANSWERS.json] [--data DIR]

Each row carries the author's labels: two or three changes, each an attribute (the thirteen of the plain
corrections: brightness, contrast, saturation, warmth, shadows, highlights, sharpness, or a colour), a
direction and a size. Each change of the answer is read with ``students/answer_check.moves`` (the table
of the plain corrections):

* per change: **right** when the answer moves the attribute that way, **wrong way** when it moves it only
  the other way, **no move** when it leaves it alone;
* per request: **all right** when every labelled change is right;
* **clearly right** (``students/answer_check.moves_clearly``): right, and no value the attribute owns
  moves the other way by more than the largest that moves its way (red saturation −11 with red luminance
  +1 is right by the sign of one value, not clearly right);
* **no preset**: the share of answers that add no filter (a list of corrections names no look);
* sizes: the mean of the attribute's largest move per author size, over right changes.

Three sets of 600 (data/vibes/combined_changes/README.md): authors a and b (read), c and d (held out in
round one), e and f (held out: never read). ``--data data/vibes/unjoined_changes`` scores the changes
typed with no join between them (its README), with the same labels.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
DATA = ROOT / "data/vibes/combined_changes"

import blind_sets  # noqa: E402  (what the blind-set evals share)
from blind_sets import read_author_rows  # noqa: E402
from plain_corrections_eval import ATTRS, SIZES, size_of, verdict  # noqa: E402  (the same labels and table)

PROG = "combined_changes_eval"


def _bad_change(c: object) -> bool:
    return (not isinstance(c, dict) or c.get("attribute") not in ATTRS or c.get("direction") not in (1, -1)
            or c.get("size") not in SIZES)


def read_rows(authors: list[str] | None = None, data: Path = DATA) -> list[dict]:
    """The labelled rows of ``data``/author_*.jsonl (of ``authors`` only, where given): a non-empty
    request and two or three changes with different attributes; a bad row exits with its file and line."""
    def valid(r: dict) -> bool:
        changes = r.get("changes")
        return (bool(str(r.get("request", "")).strip()) and isinstance(changes, list)
                and 2 <= len(changes) <= 3 and not any(_bad_change(c) for c in changes)
                and len({c["attribute"] for c in changes}) == len(changes))

    return read_author_rows(authors, data, PROG, valid)


def score(rows: list[dict], answers: list) -> dict:
    """The figures of the module docstring for ``answers`` (one per row)."""
    v = [[verdict(c, ATTRS[ch["attribute"]], ch["direction"]) for ch in r["changes"]]
         for c, r in zip(answers, rows)]
    from vibegrade.schema import ToolChain
    from vibegrade.students.answer_check import moves_clearly

    clear = [[moves_clearly(ToolChain(), c, ATTRS[ch["attribute"]], ch["direction"]) for ch in r["changes"]]
             for c, r in zip(answers, rows)]
    flat = [x for per in v for x in per]
    per_attr = {}
    for name in ATTRS:
        got = [x for per, r in zip(v, rows) for x, ch in zip(per, r["changes"]) if ch["attribute"] == name]
        if got:
            per_attr[name] = {"n": len(got), "right": round(got.count("right") / len(got), 3)}
    sizes = {}
    for s in SIZES:
        moved = [size_of(c, ATTRS[ch["attribute"]]) for c, per, r in zip(answers, v, rows)
                 for x, ch in zip(per, r["changes"]) if ch["size"] == s and x == "right"]
        sizes[s] = round(float(np.mean(moved)), 1) if moved else None
    by_count = {}
    for n in (2, 3):
        idx = [i for i, r in enumerate(rows) if len(r["changes"]) == n]
        if idx:
            right = sum(all(x == "right" for x in v[i]) for i in idx)
            by_count[str(n)] = {"n": len(idx), "all_right": round(right / len(idx), 4)}
    return {"requests": len(rows), "changes": len(flat),
            "all_right": round(float(np.mean([all(x == "right" for x in per) for per in v])), 4),
            "changes_right": round(flat.count("right") / len(flat), 4),
            "changes_wrong_way": round(flat.count("wrong way") / len(flat), 4),
            "changes_no_move": round(flat.count("no move") / len(flat), 4),
            "all_clearly_right": round(float(np.mean([all(per) for per in clear])), 4),
            "changes_clearly_right": round(float(np.mean([x for per in clear for x in per])), 4),
            "no_preset": round(float(np.mean([not c.filter.used for c in answers])), 4),
            "by_count": by_count, "by_attribute": per_attr, "mean_move_by_size": sizes,
            "_verdicts": v}


def main() -> int:
    ap = blind_sets.parser(__doc__, "list the requests with a change that is not the labelled one")
    ap.add_argument("--dump", type=Path, help="also write the answers (one chain per row, JSON) here")
    ap.add_argument("--data", type=Path, default=DATA,
                    help="the folder of author_*.jsonl files (default: data/vibes/combined_changes)")
    ap.add_argument("--answers", type=Path,
                    help="score these answers (a --dump of the same rows, e.g. from older code) instead of "
                         "the student's")
    a = ap.parse_args()

    from vibegrade.schema import parse_chain

    rows = read_rows(blind_sets.authors(a.authors), data=a.data)
    if a.answers:
        try:
            answers = [parse_chain(x) for x in json.loads(a.answers.read_text(encoding="utf-8"))]
        except (OSError, ValueError, TypeError) as e:
            sys.exit(f"{PROG}: cannot read answers from {a.answers}: {e}")
        if len(answers) != len(rows):
            sys.exit(f"{PROG}: {a.answers} has {len(answers)} answers for {len(rows)} rows")
    else:
        answers = blind_sets.student(a.model, PROG).predict([r["request"] for r in rows])
    if a.dump:
        a.dump.write_text(json.dumps([c.model_dump(mode="json") for c in answers]) + "\n", encoding="utf-8")
    out = {"authors": sorted({r["author"] for r in rows}), **score(rows, answers)}
    verdicts = out.pop("_verdicts")
    if a.failures:
        for c, r, per in zip(answers, rows, verdicts):
            if any(x != "right" for x in per):
                moved = {k: val for k, val in c.adjust.to_wire().items() if val}
                sel = {k: v for k, v in c.selective_adjust.model_dump().items()
                       if v["saturation"] or v["luminance"]}
                labels = ", ".join(f"{ch['attribute']}{ch['direction']:+d}:{x}"
                                   for ch, x in zip(r["changes"], per))
                flt = f" [{c.filter.name}]" if c.filter.used else ""
                print(f"{r['request']!r}\n    {labels}\n    -> {moved} {sel}{flt}")
    blind_sets.emit(out, a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
