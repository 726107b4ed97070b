#!/usr/bin/env python3
"""A look asked for weaker or stronger, typed by authors who never saw the student or its data: is the
answer to "golden hour but subtle" the answer to "golden hour" made weaker, and "noir but go all the way"
noir's made stronger? (data/vibes/look_strength/, BRIEF.md)

    .venv/bin/python scripts/look_strength_eval.py [--authors a,b] [--model DIR] [--json OUT] [--failures]

Each row carries the author's label: the look alone (``base``, as it would be typed on its own) and
``weaker`` or ``stronger``. The student answers the request and the base look; ``ratio`` is the request's
answer measured along the look's (values and preset intensity, ``students/strength.ratio``):

* **right** (``students/strength.scaled_by``): the look kept (its preset, black and white or colour), the
  answer pointing the same way as the look's (cosine .9 or more) and the ratio 0.3–0.85 for weaker, 1.15
  or more for stronger;
* **the right way**: the look kept and the ratio below 1 for weaker, above 1 for stronger;
* **unchanged**: the request's answer is the look's answer (what a student that drops the words does).

Two sets of 600 (data/vibes/look_strength/README.md): authors a and b (read), c and d (never read).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
DATA = ROOT / "data/vibes/look_strength"
PROG = "look_strength_eval"

import blind_sets  # noqa: E402  (what the blind-set evals share)
from blind_sets import read_author_rows  # noqa: E402

LABELS = ("weaker", "stronger")


def factor(label: str) -> float:
    """The scale the student applies for ``label`` (``students/strength.FACTORS``)."""
    from vibegrade.students.strength import FACTORS, STRONGER, WEAKER

    return FACTORS[WEAKER if label == "weaker" else STRONGER]


def read_rows(authors: list[str] | None = None, data: Path = DATA) -> list[dict]:
    """The labelled rows of ``data``/author_*.jsonl (of ``authors`` only, where given); a bad row exits
    with its file and line."""
    def valid(r: dict) -> bool:
        return (bool(str(r.get("request", "")).strip()) and bool(str(r.get("base", "")).strip())
                and r.get("strength") in LABELS)

    return read_author_rows(authors, data, PROG, valid)


def score(rows: list[dict], bases: list, answers: list) -> dict:
    """The figures of the module docstring."""
    from vibegrade.students.compose import keeps_look
    from vibegrade.students.strength import ratio, scaled_by

    out: dict = {"n": len(rows)}
    for name in LABELS:
        idx = [i for i, r in enumerate(rows) if r["strength"] == name]
        if not idx:
            continue
        scale = factor(name)
        kept = [keeps_look(bases[i], answers[i]) for i in idx]
        ratios = [ratio(bases[i], answers[i]) for i in idx]
        right = [k and scaled_by(bases[i], answers[i], scale) for k, i in zip(kept, idx)]
        way = [k and (r < 1 if scale < 1 else r > 1) for k, r in zip(kept, ratios)]
        out[name] = {"n": len(idx), "right": round(float(np.mean(right)), 4),
                     "right_way": round(float(np.mean(way)), 4),
                     "unchanged": round(float(np.mean([answers[i] == bases[i] for i in idx])), 4),
                     "look_kept": round(float(np.mean(kept)), 4),
                     "median_ratio": round(float(np.median(ratios)), 3)}
    done = [out[k] for k in LABELS if k in out]
    out["right"] = round(sum(d["right"] * d["n"] for d in done) / len(rows), 4)
    out["right_way"] = round(sum(d["right_way"] * d["n"] for d in done) / len(rows), 4)
    return out


def main() -> int:
    a = blind_sets.parser(__doc__, "list the requests that are not right").parse_args()

    from vibegrade.students.compose import keeps_look
    from vibegrade.students.strength import ratio, scaled_by

    rows = read_rows(blind_sets.authors(a.authors))
    student = blind_sets.student(a.model, PROG)
    answers = student.predict([r["request"] for r in rows])
    bases = student.predict([r["base"] for r in rows])
    out = {"authors": sorted({r["author"] for r in rows}), **score(rows, bases, answers)}
    if a.failures:
        for b, c, r in zip(bases, answers, rows):
            if not (keeps_look(b, c) and scaled_by(b, c, factor(r["strength"]))):
                print(f"{r['strength']:8s} {r['request']!r} (base {r['base']!r}) ratio {ratio(b, c):.2f} "
                      f"{b.filter.name}->{c.filter.name}")
    blind_sets.emit(out, a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
