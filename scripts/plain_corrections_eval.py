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
(it acts on those only). Sizes: the mean of the attribute's largest move per author size, and the share of
the right answers whose largest move is nearest the style guide's size for the author's label
(``size_as_said``: slightly / plain / very = 12 / 25 / 45 for most sliders, 10 / 20 / 40 for exposure,
6 / 12 / 22 for the black level, 15 / 30 / 50 for a colour's range and sharpness).
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


# the style guide's sizes (data/vibes/STYLE_GUIDE.md, section 2): the main value's size for slightly / plain /
# very, by the parameter that carries it (a colour's range: 15 / 30 / 50, as sharpen, structure and bloom)
GUIDE_SIZES = {"temperature": (12, 25, 45), "tint": (12, 25, 45), "exposure": (10, 20, 40),
               "contrast": (12, 25, 45), "brightness": (12, 25, 45), "shadows": (12, 25, 45),
               "highlights": (12, 25, 45), "saturation": (12, 25, 45), "vibrance": (12, 25, 45),
               "linearOffset": (6, 12, 22)}
OTHER_SIZES = (15, 30, 50)


def size_band(chain, attr: str) -> str | None:
    """The size label (:data:`SIZES`) whose value in the guide's table is nearest the largest move among
    the values the attribute owns, read in the column of the parameter that makes it; ``None`` when none
    moves."""
    from vibegrade.students.answer_check import named_values
    from vibegrade.students.refine_features import PARAM_KEYS, chain_vector

    v = chain_vector(chain)
    keys = named_values(attr)
    z, key = max(((abs(float(v[i])), k) for i, k in enumerate(PARAM_KEYS) if k in keys), default=(0.0, ""))
    if not z:
        return None
    cols = GUIDE_SIZES.get(key, OTHER_SIZES)
    return SIZES[min(range(3), key=lambda b: abs(z - cols[b]))]


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
        bands = {s: [size_band(answers[flag][i], ATTRS[r["attribute"]]) == s
                     for i, r in enumerate(rows) if r["size"] == s and v[i] == "right"] for s in SIZES}
        out["check_on" if flag else "check_off"] = {
            "right": round(v.count("right") / len(v), 4),
            "size_as_said": round(sum(sum(b) for b in bands.values()) / max(1, v.count("right")), 4),
            "size_as_said_by_size": {s: round(float(np.mean(b)), 3) if b else None for s, b in bands.items()},
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
