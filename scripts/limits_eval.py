#!/usr/bin/env python3
"""Requests with a "not", a "no", a "keep" or an "except", typed by authors who never saw the student or
its data: does the answer to "warmer but not orange", "just brighter, don't touch the colours", "no
orange" or "black and white except the red" make the change *and* respect the limit?
(data/vibes/limits/, BRIEF.md)

    .venv/bin/python scripts/limits_eval.py [--authors a,b] [--model DIR] [--json OUT] [--failures]
        [--dump ANSWERS.json | --answers ANSWERS.json]

``--dump`` writes the student's answers to each request and base look (from older code, e.g. a worktree
run with ``PYTHONPATH=<worktree>/src``); ``--answers`` scores such a file instead of asking the student.

Each row carries the author's labels: the look it names (``base``, or none), zero to two changes (an
attribute of the plain corrections, a direction and a size), zero to three holds (an attribute and the
way it must not go: 1 not more, -1 not less, 0 not at all) and, for a colour splash, the colour kept.
Everything is read on the answer compared with the base look's answer (with no base: the photo as it is):

* a **change** is right when the answer moves the attribute that way (``students/answer_check.moves``,
  the table of the plain corrections), wrong way or no move otherwise;
* a **hold** of a colour or of saturation is read on the picture: on swatches of the colour (two
  saturations, two values; saturation: all six colours) rendered through the answer, the chroma left must
  be 85–115 % of the photo's for ``0`` ("keep the skin natural"), at most 110 % for ``1`` ("no orange
  skin"), at least 90 % for ``-1`` ("don't lose the colour"): the colour as it looks, however the sliders
  get there (the teacher keeps skin natural under a warm look by easing the orange range). Any other hold is
  kept when nothing the attribute owns moves the forbidden way (``0``: either way);
* a **colour splash** is kept when, on swatches of the six colours rendered through the answer (two
  saturations, two values each), the kept colour keeps at least 60 % of its chroma and every other colour
  keeps at most 35 % (nearly grey; purple has no range of its own and is not checked beside red or blue);
* per request: **all right** when every change is right, every hold kept and the splash kept.

Two sets of 400 (data/vibes/limits/README.md): authors a and b (read), c and d (never read).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
DATA = ROOT / "data/vibes/limits"

import blind_sets  # noqa: E402  (what the blind-set evals share)
from blind_sets import read_author_rows  # noqa: E402
from plain_corrections_eval import ATTRS, SIZES  # noqa: E402  (the same labels and table)

PROG = "limits_eval"
COLOURS = ("red", "orange", "yellow", "green", "blue", "purple")
KEPT, GREY = 0.60, 0.35
# swatch hues in degrees (HSV), one per colour a request can hold or keep
_HUES = {"red": 0.0, "orange": 28.0, "yellow": 55.0, "green": 120.0, "blue": 220.0, "purple": 285.0}
#: a held colour's (or the colours') chroma, as a share of the photo's: left alone, not more, not less
HELD = {0: (0.85, 1.15), 1: (0.0, 1.10), -1: (0.90, float("inf"))}
# the selective ranges that hold each colour (purple lies between red and blue)
_RANGES = {c: (c,) for c in COLOURS if c != "purple"} | {"purple": ("red", "blue")}


def _bad_change(c: object) -> bool:
    return (not isinstance(c, dict) or c.get("attribute") not in ATTRS or c.get("direction") not in (1, -1)
            or c.get("size") not in SIZES)


def _bad_hold(h: object) -> bool:
    return not isinstance(h, dict) or h.get("attribute") not in ATTRS or h.get("direction") not in (1, 0, -1)


def read_rows(authors: list[str] | None = None, data: Path = DATA) -> list[dict]:
    """The labelled rows of ``data``/author_*.jsonl (of ``authors`` only, where given): a non-empty
    request, a base (text, may be empty), zero to two changes with different attributes, zero to three
    holds, a keep colour (one of :data:`COLOURS` or empty), and something to check; a bad row exits with
    its file and line."""
    def valid(r: dict) -> bool:
        changes, holds, keep = r.get("changes"), r.get("hold"), r.get("keep_colour")
        return (bool(str(r.get("request", "")).strip()) and isinstance(r.get("base"), str)
                and isinstance(changes, list) and len(changes) <= 2 and not any(map(_bad_change, changes))
                and len({c["attribute"] for c in changes}) == len(changes)
                and isinstance(holds, list) and len(holds) <= 3 and not any(map(_bad_hold, holds))
                and keep in ("", *COLOURS) and bool(changes or holds or keep))

    return read_author_rows(authors, data, PROG, valid)


def swatches() -> np.ndarray:
    """``(6, 4, 3)`` encoded RGB in [0, 1]: per colour of :data:`COLOURS`, its hue at saturation 0.5 and
    0.8 and value 0.5 and 0.8. (The eval renders its own swatches through ``tools.chain`` rather than
    reuse the module it measures; ``students.limits`` holds the same ones.)"""
    import colorsys

    return np.array([[colorsys.hsv_to_rgb(_HUES[c] / 360.0, s, v) for s in (0.5, 0.8) for v in (0.5, 0.8)]
                     for c in COLOURS], dtype=np.float32)


def chroma_kept(chain) -> dict[str, float]:
    """Per colour of :data:`COLOURS`, the share of its swatches' chroma (max − min of RGB) left after
    ``chain``."""
    from vibegrade.tools.chain import color_transform

    x = swatches()
    y = color_transform(chain)(x)
    before = (x.max(-1) - x.min(-1)).mean(-1)
    after = (y.max(-1) - y.min(-1)).mean(-1)
    return {c: float(a / b) for c, a, b in zip(COLOURS, after, before)}


def splash_kept(chain, colour: str) -> bool:
    """The colour keeps at least :data:`KEPT` of its chroma and every other at most :data:`GREY`; purple,
    which has no range of its own, is not checked beside red or blue, nor they beside it."""
    kept = chroma_kept(chain)
    spared = set(_RANGES[colour]) | ({"purple"} if colour in _RANGES["purple"] else set())
    return kept[colour] >= KEPT and all(v <= GREY for c, v in kept.items() if c != colour and c not in spared)


def hold_kept(before, after, attr: str, direction: int, from_before: bool = False) -> bool:
    """A colour, or saturation: its swatches' chroma after ``after`` is within :data:`HELD` of the photo's
    (``from_before``: of ``before``'s, a follow-up's current chain; saturation: the mean over the six
    colours). Anything else: nothing ``attr`` owns moves from ``before`` to ``after`` the forbidden way
    (``0``: either way)."""
    from vibegrade.students.answer_check import moves_change

    if attr in COLOURS or attr == "saturation":
        kept = chroma_kept(after)
        if from_before:
            was = chroma_kept(before)
            kept = {c: v / max(was[c], 1e-6) for c, v in kept.items()}
        ratio = kept[attr] if attr in COLOURS else float(np.mean(list(kept.values())))
        lo, hi = HELD[direction]
        return lo <= ratio <= hi
    signs = (1, -1) if direction == 0 else (direction,)
    name = ATTRS[attr]
    return not any(moves_change(before, after, name, s) for s in signs)


def verdicts(row: dict, answer, base) -> dict:
    """Per change its verdict, per hold kept or not, and the splash (``None`` where there is none)."""
    from vibegrade.students.answer_check import moves_change

    def verdict(attr: str, sign: int) -> str:
        if moves_change(base, answer, ATTRS[attr], sign):
            return "right"
        return "wrong way" if moves_change(base, answer, ATTRS[attr], -sign) else "no move"

    return {"changes": [verdict(c["attribute"], c["direction"]) for c in row["changes"]],
            "holds": [hold_kept(base, answer, h["attribute"], h["direction"]) for h in row["hold"]],
            "splash": splash_kept(answer, row["keep_colour"]) if row["keep_colour"] else None}


def all_right(v: dict) -> bool:
    return all(x == "right" for x in v["changes"]) and all(v["holds"]) and v["splash"] is not False


def kind(row: dict) -> str:
    """The row's kind for the per-kind figures: splash, look, hold (a change with a limit or something
    left alone), or change (changes only: takings-out and negated states)."""
    if row["keep_colour"]:
        return "splash"
    if row["base"].strip():
        return "look"
    return "hold" if row["hold"] else "change"


def score(rows: list[dict], answers: list, bases: list) -> dict:
    """The figures of the module docstring for ``answers`` (one per row) against ``bases``."""
    vs = [verdicts(r, a, b) for r, a, b in zip(rows, answers, bases)]
    ch = [x for v in vs for x in v["changes"]]
    holds = [x for v in vs for x in v["holds"]]
    splashes = [v["splash"] for v in vs if v["splash"] is not None]
    by_kind = {}
    for k in ("splash", "hold", "change", "look"):
        idx = [i for i, r in enumerate(rows) if kind(r) == k]
        if idx:
            right = float(np.mean([all_right(vs[i]) for i in idx]))
            by_kind[k] = {"n": len(idx), "all_right": round(right, 4)}
    return {"requests": len(rows), "changes": len(ch), "holds": len(holds), "splashes": len(splashes),
            "all_right": round(float(np.mean([all_right(v) for v in vs])), 4),
            "changes_right": round(ch.count("right") / len(ch), 4) if ch else None,
            "changes_wrong_way": round(ch.count("wrong way") / len(ch), 4) if ch else None,
            "holds_kept": round(float(np.mean(holds)), 4) if holds else None,
            "splashes_kept": round(float(np.mean(splashes)), 4) if splashes else None,
            "by_kind": by_kind, "_verdicts": vs}


def main() -> int:
    ap = blind_sets.parser(__doc__, "list the requests that are not all right")
    ap.add_argument("--dump", type=Path, help="also write the answers (request and base per row, JSON) here")
    ap.add_argument("--answers", type=Path,
                    help="score these answers (a --dump of the same rows, e.g. from older code) instead of "
                         "the student's")
    a = ap.parse_args()

    from vibegrade.schema import ToolChain, parse_chain

    rows = read_rows(blind_sets.authors(a.authors))
    if a.answers:
        try:
            got = json.loads(a.answers.read_text(encoding="utf-8"))
            answers, bases = ([parse_chain(x) for x in got[k]] for k in ("answers", "bases"))
        except (OSError, ValueError, TypeError, KeyError) as e:
            sys.exit(f"{PROG}: cannot read answers from {a.answers}: {e}")
        if len(answers) != len(rows) or len(bases) != len(rows):
            sys.exit(f"{PROG}: {a.answers} has {len(answers)} answers for {len(rows)} rows")
    else:
        student = blind_sets.student(a.model, PROG)
        answers = student.predict([r["request"] for r in rows])
        looks = sorted({r["base"] for r in rows if r["base"].strip()})
        got_looks = dict(zip(looks, student.predict(looks))) if looks else {}
        bases = [got_looks.get(r["base"], ToolChain()) for r in rows]
    if a.dump:
        a.dump.write_text(json.dumps({k: [c.model_dump(mode="json") for c in v] for k, v in
                                      (("answers", answers), ("bases", bases))}) + "\n", encoding="utf-8")
    out = {"authors": sorted({r["author"] for r in rows}), **score(rows, answers, bases)}
    vs = out.pop("_verdicts")
    if a.failures:
        for c, r, v in zip(answers, rows, vs):
            if not all_right(v):
                labels = [f"{x['attribute']}{x['direction']:+d}:{y}"
                          for x, y in zip(r["changes"], v["changes"])]
                labels += [f"hold {x['attribute']}{x['direction']:+d}:{'kept' if y else 'BROKEN'}"
                           for x, y in zip(r["hold"], v["holds"])]
                if r["keep_colour"]:
                    kept = chroma_kept(c)
                    shares = " ".join(f"{k[:3]}{kept[k]:.2f}" for k in COLOURS)
                    labels.append(f"keep {r['keep_colour']}: {shares}")
                base = f" (base {r['base']!r})" if r["base"].strip() else ""
                print(f"{r['request']!r}{base}\n    {', '.join(labels)}\n    -> {blind_sets.moved(c)}")
    blind_sets.emit(out, a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
