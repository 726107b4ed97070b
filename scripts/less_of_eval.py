#!/usr/bin/env python3
""""Less of it" said as a first request, by authors who never saw the student or its reader: "less moody",
"not so gloomy", "tone down the drama", "less washed out", and a quarter "more" ("moodier", "a bit more
vintage") (data/vibes/less_of/, BRIEF.md).

    .venv/bin/python scripts/less_of_eval.py [--authors a,b] [--model DIR] [--json OUT] [--failures]

Authors a and b were read while the reader of ``students/opposite.py`` was written; c and d were not.

Each request carries the 1–3 changes its author says a colourist would certainly make (brightness,
contrast, saturation, warmth, shadows, highlights, sharpness, fade), most important first. An answer is
**right** when it moves every one of them its way (``answer_check.moves_clearly`` from the photo as it is;
fade is the black level, ``linearOffset``), **wrong way** when it moves any of them the other way, else
**part** (some moved, none the wrong way) or **no move**. The student is run with and without
``retrieval.opposite``; "first" is the share whose first change is made.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
DATA = ROOT / "data/vibes/less_of"

import blind_sets  # noqa: E402  (what the blind-set evals share)
from blind_sets import read_author_rows  # noqa: E402

ATTRS = {"brightness": "light", "contrast": "contrast", "saturation": "saturation", "warmth": "temperature",
         "shadows": "light@shadows", "highlights": "light@highlights", "sharpness": "sharpness",
         "fade": "fade"}
SIZES = ("slight", "plain", "strong")
# a request that takes a quality away (the rest add it: "moodier", "more vintage")
TAKES_AWAY = re.compile(r"\b(?:less|not|no|tone|dial|reduce|fewer|remove|rid|too|down|lose|without|kill|"
                        r"take|cut|calm|ease|undo|fix)\b")


def valid(r: dict) -> bool:
    exp = r.get("expect")
    return (bool(str(r.get("request", "")).strip()) and r.get("size") in SIZES and isinstance(exp, list)
            and 1 <= len(exp) <= 3 and all(isinstance(e, dict) and e.get("attribute") in ATTRS
                                           and e.get("direction") in (1, -1) for e in exp))


def read_rows(authors: list[str] | None = None, data: Path = DATA) -> list[dict]:
    """The labelled rows of ``data``/author_*.jsonl (of ``authors`` only, where given); a bad row exits with
    its file and line."""
    return read_author_rows(authors, data, "less_of_eval", valid)


def made(chain, attr: str, sign: int) -> bool:
    """``chain`` (from the photo as it is) moves ``attr`` that way, and none of its values the other way
    by more (``moves_clearly``); fade is the black level."""
    from vibegrade.schema import ToolChain
    from vibegrade.students.answer_check import moves_clearly

    if attr == "fade":
        return sign * chain.adjust.linearOffset > 0
    return moves_clearly(ToolChain(), chain, attr, sign)


def verdict(chain, expect: list[dict]) -> str:
    right = [made(chain, ATTRS[e["attribute"]], e["direction"]) for e in expect]
    wrong = [made(chain, ATTRS[e["attribute"]], -e["direction"]) for e in expect]
    if any(wrong):
        return "wrong way"
    if all(right):
        return "right"
    return "part" if any(right) else "no move"


def score(rows: list[dict], chains: list) -> tuple[dict, list[str]]:
    """The figures of ``chains`` answering ``rows`` (shares of right, first change made, wrong way, part,
    no move; and apart for the requests that take a quality away and those that add one), and each
    row's verdict."""
    v = [verdict(c, r["expect"]) for c, r in zip(chains, rows)]
    first = [made(c, ATTRS[r["expect"][0]["attribute"]], r["expect"][0]["direction"])
             for c, r in zip(chains, rows)]
    away = [bool(TAKES_AWAY.search(r["request"].lower())) for r in rows]

    def share(xs: list, idx: list[int]) -> float:
        return round(sum(bool(xs[i]) for i in idx) / len(idx), 4) if idx else 0.0

    def figures(idx: list[int]) -> dict:
        return {"n": len(idx), "right": share([x == "right" for x in v], idx), "first": share(first, idx),
                "wrong_way": share([x == "wrong way" for x in v], idx),
                "part": share([x == "part" for x in v], idx),
                "no_move": share([x == "no move" for x in v], idx)}

    every = list(range(len(rows)))
    out = {**figures(every), "take_away": figures([i for i in every if away[i]]),
           "add": figures([i for i in every if not away[i]])}
    return out, v


def run(doc: str, example: str, prog: str, setting: str, rows_of: Callable[[list[str]], list[dict]],
        score_of: Callable[[list[dict], list], tuple[dict, list[str]]]) -> int:
    """The command line of a reader's eval on rows labelled as here (this one, ``more_of_eval``): the
    student run with its retrieval ``setting`` off and on, the rows scored by ``score_of``, the failures
    with the reader on listed where asked, the figures emitted."""
    a = blind_sets.parser(doc, "list the requests the student gets wrong (with the reader on)",
                          example).parse_args()
    rows = rows_of(blind_sets.authors(a.authors))
    student = blind_sets.student(a.model, prog)
    texts = [r["request"] for r in rows]
    out: dict = {"n": len(rows), "authors": sorted({r["author"] for r in rows})}
    for flag in (0, 1):
        student.retrieval[setting] = flag
        chains = student.predict(texts)
        out["reader_on" if flag else "reader_off"], v = score_of(rows, chains)
        if flag and a.failures:
            for c, r, x in zip(chains, rows, v):
                if x != "right":
                    want = " ".join(f"{e['attribute']}{e['direction']:+d}" for e in r["expect"])
                    print(f"{x:9s} {r['request']!r:50} want {want:35} got {blind_sets.moved(c)}")
    blind_sets.emit(out, a.json)
    return 0


def main() -> int:
    return run(__doc__, "c,d", "less_of_eval", "opposite", read_rows, score)


if __name__ == "__main__":
    sys.exit(main())
