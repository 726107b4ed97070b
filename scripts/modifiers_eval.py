#!/usr/bin/env python3
"""A look plus one change, typed by authors who never saw the student or its data: does the answer to
"golden hour but less orange" move orange down *from the answer to "golden hour"*, and keep the look?
(data/vibes/modifiers/, BRIEF.md)

    .venv/bin/python scripts/modifiers_eval.py [--authors a,b] [--model DIR] [--json OUT] [--failures]

Each row carries the author's label: the look alone (``base``, as it would be typed on its own), one
attribute (the thirteen of the plain corrections: brightness, contrast, saturation, warmth, shadows,
highlights, sharpness, or a colour), a direction and a size. The student answers the request and the
base look; the change between the two answers is read with ``students/answer_check.moves_change`` (the
table of the plain corrections, value by value ``request − base``):

* **right** when the change moves the attribute the way the author labelled, **wrong way** when it moves
  it only the other way, **no move** when it leaves it alone;
* **look kept** when the request's answer keeps the base answer's preset (or its ``none``) and its black
  and white (saturation −100) or colour;
* sizes: the mean of the attribute's largest change per author size.

Three sets of 600 (data/vibes/modifiers/README.md): authors a and b (read in round one), c and d (held
out in round one, read in round two), e and f (held out: never read).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
DATA = ROOT / "data/vibes/modifiers"

import blind_sets  # noqa: E402  (what the blind-set evals share)
import plain_corrections_eval  # noqa: E402  (the same labels, attribute table and row reader)
from plain_corrections_eval import ATTRS, SIZES  # noqa: E402


def read_rows(authors: list[str] | None = None) -> list[dict]:
    """The rows of data/vibes/modifiers/ (of ``authors`` only, where given), each with its look alone."""
    return plain_corrections_eval.read_rows(authors, data=DATA, fields=("request", "base"),
                                            prog="modifiers_eval")


def verdict(base, answer, attr: str, sign: int) -> str:
    from vibegrade.students.answer_check import moves_change

    if moves_change(base, answer, attr, sign):
        return "right"
    return "wrong way" if moves_change(base, answer, attr, -sign) else "no move"


def change_size(base, answer, attr: str) -> float:
    """The largest change among the values the attribute owns (0 when none changes)."""
    from vibegrade.students.answer_check import named_values
    from vibegrade.students.refine_features import PARAM_KEYS, chain_vector

    d = chain_vector(answer) - chain_vector(base)
    keys = named_values(attr)
    return max((abs(float(d[i])) for i, k in enumerate(PARAM_KEYS) if k in keys), default=0.0)


def _moved(base, answer) -> dict:
    from vibegrade.students.refine_features import PARAM_KEYS, chain_vector

    d = chain_vector(answer) - chain_vector(base)
    out: dict = {k: round(float(x)) for k, x in zip(PARAM_KEYS, d) if x}
    if answer.filter.name != base.filter.name:
        out["filter"] = f"{base.filter.name}->{answer.filter.name}"
    return out


def main() -> int:
    a = blind_sets.parser(__doc__, "list the requests whose change is not the labelled one, or that lose "
                                   "the look").parse_args()

    from vibegrade.students.compose import keeps_look

    rows = read_rows(blind_sets.authors(a.authors))
    student = blind_sets.student(a.model, "modifiers_eval")
    answers = student.predict([r["request"] for r in rows])
    bases = student.predict([r["base"] for r in rows])
    v = [verdict(b, c, ATTRS[r["attribute"]], r["direction"]) for b, c, r in zip(bases, answers, rows)]
    kept = [keeps_look(b, c) for b, c in zip(bases, answers)]
    per_attr = {}
    for name in ATTRS:
        idx = [i for i, r in enumerate(rows) if r["attribute"] == name]
        if idx:
            per_attr[name] = {"n": len(idx), "right": round(sum(v[i] == "right" for i in idx) / len(idx), 3)}
    sizes = {}
    for s in SIZES:
        idx = [i for i, r in enumerate(rows) if r["size"] == s and v[i] == "right"]
        sizes[s] = round(float(np.mean([change_size(bases[i], answers[i], ATTRS[rows[i]["attribute"]])
                                        for i in idx])), 1) if idx else None
    out = {"n": len(rows), "authors": sorted({r["author"] for r in rows}),
           "right": round(v.count("right") / len(v), 4),
           "wrong_way": round(v.count("wrong way") / len(v), 4),
           "no_move": round(v.count("no move") / len(v), 4),
           "look_kept": round(float(np.mean(kept)), 4),
           "right_and_kept": round(float(np.mean([x == "right" and k for x, k in zip(v, kept)])), 4),
           "by_attribute": per_attr, "mean_change_by_size": sizes}
    if a.failures:
        for b, c, r, x, k in zip(bases, answers, rows, v, kept):
            if x != "right" or not k:
                tag = x if x != "right" else "look lost"
                print(f"{tag:9s} {r['attribute']:10s} {r['direction']:+d} {r['request']!r} "
                      f"(base {r['base']!r}) -> {_moved(b, c)}")
    blind_sets.emit(out, a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
