#!/usr/bin/env python3
""""More of it" said as a first request, by authors who never saw the student or its reader: "moodier", "a
bit moodier", "way more cinematic", "make it dreamier", "its too plain, make it moodier"
(data/vibes/more_of/, BRIEF.md).

    .venv/bin/python scripts/more_of_eval.py [--authors e,f] [--model DIR] [--json OUT] [--failures]

Authors e and f were read while the reader of ``students/more_of.py`` was written; g and h were not.

Each request carries the 1–3 changes its author says a colourist would certainly make and the size said
(slight, plain, strong). The verdicts are ``less_of_eval``'s: **right** when the answer moves every change
its way, **wrong way** when it moves any the other way, else **part** or **no move**. **Sizes in order**:
of the pairs of one author's requests for the same quality at different sizes, the share whose answer for
the larger size is the larger (the sum of the answer's absolute values, the preset's intensity included).
The student is run with and without ``retrieval.more_of``.
"""

from __future__ import annotations

import sys
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
DATA = ROOT / "data/vibes/more_of"

import blind_sets  # noqa: E402  (what the blind-set evals share)
from less_of_eval import ATTRS, SIZES, made, run, valid, verdict  # noqa: E402  (its labels, verdicts, run)


def read_rows(authors: list[str] | None = None, data: Path = DATA) -> list[dict]:
    """The labelled rows of ``data``/author_*.jsonl (of ``authors`` only, where given); a bad row exits with
    its file and line."""
    return blind_sets.read_author_rows(authors, data, "more_of_eval", valid)


def strength(chain) -> float:
    """How much ``chain`` moves: the sum of its absolute values, the preset's intensity included."""
    from vibegrade.students.refine_features import chain_vector

    return float(abs(chain_vector(chain)).sum())


def in_order(rows: list[dict], chains: list) -> tuple[int, int]:
    """``(pairs in order, pairs)``: pairs of one author's requests for one quality at different sizes."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault((r["author"], str(r.get("word", "")).lower()), []).append(i)
    good = total = 0
    for idx in groups.values():
        for i, j in combinations(idx, 2):
            si, sj = SIZES.index(rows[i]["size"]), SIZES.index(rows[j]["size"])
            if si == sj:
                continue
            lo, hi = (i, j) if si < sj else (j, i)
            total += 1
            good += strength(chains[hi]) > strength(chains[lo])
    return good, total


def score(rows: list[dict], chains: list) -> tuple[dict, list[str]]:
    """The figures of ``chains`` answering ``rows`` (shares of right, first change made, wrong way, part, no
    move, overall and by size; sizes in order), and each row's verdict."""
    v = [verdict(c, r["expect"]) for c, r in zip(chains, rows)]
    first = [made(c, ATTRS[r["expect"][0]["attribute"]], r["expect"][0]["direction"])
             for c, r in zip(chains, rows)]

    def share(xs: list, idx: list[int]) -> float:
        return round(sum(bool(xs[i]) for i in idx) / len(idx), 4) if idx else 0.0

    def figures(idx: list[int]) -> dict:
        return {"n": len(idx), "right": share([x == "right" for x in v], idx), "first": share(first, idx),
                "wrong_way": share([x == "wrong way" for x in v], idx),
                "part": share([x == "part" for x in v], idx),
                "no_move": share([x == "no move" for x in v], idx)}

    every = list(range(len(rows)))
    good, total = in_order(rows, chains)
    by_size = {s: figures([i for i in every if rows[i]["size"] == s]) for s in SIZES}
    out = {**figures(every), "by_size": by_size,
           "sizes_in_order": round(good / total, 4) if total else 0.0, "size_pairs": total}
    return out, v


def main() -> int:
    return run(__doc__, "g,h", "more_of_eval", "more_of", read_rows, score)


if __name__ == "__main__":
    sys.exit(main())
