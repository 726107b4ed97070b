#!/usr/bin/env python3
"""Plain corrections typed by authors who never saw the student or its reader: does the answer move what
the author says the request asks for, the way it asks? (data/vibes/plain_corrections/, BRIEF.md)

    .venv/bin/python scripts/plain_corrections_eval.py [--authors a,b] [--model DIR] [--json OUT] [--failures]

Five sets, each written after the changes its predecessors' failures led to: authors a and b, c and d,
e and f, g and h, i and j (docs/experiments.md, "Plain corrections" and "States", says when each was
scored and which first scores are kept in docs/results/).

Each request carries the author's label: one attribute (brightness, contrast, saturation, warmth,
shadows, highlights, sharpness, or a colour), a direction and a size. An answer is **right** when it
moves that attribute that way (the values of ``students/answer_check.py``'s table: brightness is exposure
or brightness, saturation is saturation or vibrance, a colour is its range or the white balance toward /
away from it, purple is the red and blue ranges or tint), **wrong way** when it moves it only the other
way, **no move** when it leaves it alone. The student is run with the answer check and without it
(``retrieval.answer_check``), and the share of requests the check reads as plain corrections is given
(it acts on those only). Sizes: the mean of the attribute's largest move per author size.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
DATA = ROOT / "data/vibes/plain_corrections"

import blind_sets  # noqa: E402  (what the blind-set evals share)
from blind_sets import read_author_rows  # noqa: E402

ATTRS = {"brightness": "light", "contrast": "contrast", "saturation": "saturation", "warmth": "temperature",
         "shadows": "light@shadows", "highlights": "light@highlights", "sharpness": "sharpness",
         "red": "red", "orange": "orange", "yellow": "yellow", "green": "green", "blue": "blue",
         "purple": "magenta"}
SIZES = ("slight", "plain", "strong")


def read_rows(authors: list[str] | None = None, data: Path = DATA, fields: tuple[str, ...] = ("request",),
              prog: str = "plain_corrections_eval") -> list[dict]:
    """The labelled rows of ``data``/author_*.jsonl (of ``authors`` only, where given): each needs a
    non-empty text in every one of ``fields``, an attribute of :data:`ATTRS`, a direction (1 or -1) and a
    size; a bad row exits with its file and line."""
    def valid(r: dict) -> bool:
        return (all(str(r.get(f, "")).strip() for f in fields) and r.get("attribute") in ATTRS
                and r.get("direction") in (1, -1) and r.get("size") in SIZES)

    return read_author_rows(authors, data, prog, valid)


def verdict(chain, attr: str, sign: int) -> str:
    from vibegrade.students.answer_check import moves

    if moves(chain, attr, sign):
        return "right"
    return "wrong way" if moves(chain, attr, -sign) else "no move"


def size_of(chain, attr: str) -> float:
    """The largest move among the values the attribute owns (0 when none moves)."""
    from vibegrade.students.answer_check import named_values
    from vibegrade.students.refine_features import PARAM_KEYS, chain_vector

    v = chain_vector(chain)
    keys = named_values(attr)
    return max((abs(float(v[i])) for i, k in enumerate(PARAM_KEYS) if k in keys), default=0.0)


def main() -> int:
    a = blind_sets.parser(__doc__, "list the requests the checked student gets wrong", "c,d").parse_args()

    from vibegrade.students.answer_check import checked_direction

    rows = read_rows(blind_sets.authors(a.authors))
    student = blind_sets.student(a.model, "plain_corrections_eval")
    texts = [r["request"] for r in rows]
    out: dict = {"n": len(rows), "authors": sorted({r["author"] for r in rows}),
                 "read_as_plain": round(float(np.mean([checked_direction(student.read(t)) is not None
                                                       for t in texts])), 4)}
    answers = {}
    for flag in (0, 1):
        student.retrieval["answer_check"] = flag
        answers[flag] = student.predict(texts)
        v = [verdict(c, ATTRS[r["attribute"]], r["direction"]) for c, r in zip(answers[flag], rows)]
        per_attr = {}
        for name in ATTRS:
            idx = [i for i, r in enumerate(rows) if r["attribute"] == name]
            if idx:
                right = sum(v[i] == "right" for i in idx) / len(idx)
                per_attr[name] = {"n": len(idx), "right": round(right, 3)}
        sizes = {}
        for s in SIZES:
            idx = [i for i, r in enumerate(rows) if r["size"] == s and v[i] == "right"]
            sizes[s] = round(float(np.mean([size_of(answers[flag][i], ATTRS[rows[i]["attribute"]])
                                            for i in idx])), 1) if idx else None
        out["check_on" if flag else "check_off"] = {
            "right": round(v.count("right") / len(v), 4),
            "wrong_way": round(v.count("wrong way") / len(v), 4),
            "no_move": round(v.count("no move") / len(v), 4), "by_attribute": per_attr,
            "mean_move_by_size": sizes}
        if flag and a.failures:
            for c, r, x in zip(answers[flag], rows, v):
                if x != "right":
                    moved = {k: val for k, val in c.adjust.to_wire().items() if val}
                    print(f"{x:9s} {r['attribute']:10s} {r['direction']:+d} {r['request']!r} -> {moved}")
    blind_sets.emit(out, a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
