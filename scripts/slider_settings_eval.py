#!/usr/bin/env python3
"""Slider settings typed as numbers, by authors who never saw the student or its data: does "contrast
+20, sat -10" give contrast 20 and saturation -10, and "golden hour, contrast +20" golden hour with 20 more
contrast? (data/vibes/slider_settings/, BRIEF.md)

    .venv/bin/python scripts/slider_settings_eval.py [--authors a,b] [--model DIR] [--json OUT] [--failures]

Each row carries the author's label: the look in the request (``look``, or null) and each slider given a
number, in the tools' units, as a change (``"+20"``) or the value it ends at (``"=40"``). The expected
answer is the look's answer (the student's answer to ``look`` typed alone; no look: the photo as it is)
with those settings made. A row is

* **right** when every slider the author set is within 2 of the expected value (a preset: the same preset,
  intensity within 2), no other value is 10 or more away from it, and the preset is the expected one;
* **settings right**: the share of the settings (one slider each) within 2 of the expected value.

Rows whose numbers are not slider settings ("portra 400", "blade runner 2049", ``settings: {}``) are
right when the answer is the one the student gives with the slider reader off (``retrieval.sliders = 0``;
a student without the reader gives that answer anyway): a name with a number in it is not misread.

Two sets of 600 (data/vibes/slider_settings/README.md): authors a and b (read), c and d (never read).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
DATA = ROOT / "data/vibes/slider_settings"
PROG = "slider_settings_eval"

import blind_sets  # noqa: E402  (what the blind-set evals share)
from blind_sets import read_author_rows  # noqa: E402

_VALUE = re.compile(r"[+\-=]-?\d+(?:\.\d+)?")
_PRESET = re.compile(r"=[A-Za-z0-9_]+@\d+")
TOLERANCE = 2  # rounding of stops and fractions
RESTRAINT = 10  # a value nobody asked for that moves this much is a wrong answer


def _keys() -> set[str]:
    from vibegrade.students.refine_features import PARAM_KEYS

    return set(PARAM_KEYS) - {"intensity"}


def read_rows(authors: list[str] | None = None, data: Path = DATA) -> list[dict]:
    """The labelled rows of ``data``/author_*.jsonl (of ``authors`` only, where given); a bad row exits
    with its file and line."""
    keys = _keys()

    def valid(r: dict) -> bool:
        s = r.get("settings")
        look = r.get("look")
        if not str(r.get("request", "")).strip() or not isinstance(s, dict) or \
                not (look is None or (isinstance(look, str) and look.strip())):
            return False
        return all((k in keys and isinstance(v, str) and _VALUE.fullmatch(v)) or
                   (k == "filter" and isinstance(v, str) and _PRESET.fullmatch(v)) for k, v in s.items())

    return read_author_rows(authors, data, PROG, valid)


def kind(row: dict) -> str:
    if not row["settings"]:
        return "names"
    return "look" if row["look"] else "settings"


def expected(row: dict, base):
    """``base`` (a ToolChain) with the row's settings made: ``=`` sets, ``+`` / ``-`` adds (hue around
    the circle), clamped to the ranges."""
    from vibegrade.students.refine_features import PARAM_KEYS, chain_vector, vector_chain

    v = chain_vector(base)
    name = base.filter.name if base.filter.used else "none"
    for k, raw in row["settings"].items():
        if k == "filter":
            name, pct = raw[1:].split("@")
            v[-1] = float(pct)
            continue
        i = PARAM_KEYS.index(k)
        x = float(raw[1:]) if raw[0] == "=" else v[i] + float(raw)
        v[i] = x % 360 if k == "hue" else x
    return vector_chain(v, name)


def judge(row: dict, want, got) -> tuple[bool, int, int]:
    """(right, settings right, settings) of one answer against the expected chain."""
    from vibegrade.students.refine_features import PARAM_KEYS, chain_vector

    a, b = chain_vector(got), chain_vector(want)
    gap = np.abs(a - b)
    hue = PARAM_KEYS.index("hue")
    gap[hue] = min(gap[hue], 360 - gap[hue])
    ok_n = 0
    for k in row["settings"]:
        if k == "filter":
            ok_n += int(got.filter.name == want.filter.name and gap[-1] <= TOLERANCE)
        else:
            ok_n += int(gap[PARAM_KEYS.index(k)] <= TOLERANCE)
    named = {PARAM_KEYS.index(k) for k in row["settings"] if k != "filter"}
    others = [i for i in range(len(PARAM_KEYS) - 1) if i not in named]
    right = (ok_n == len(row["settings"]) and bool(np.all(gap[others] < RESTRAINT))
             and (got.filter.name if got.filter.used else "none") == (want.filter.name if want.filter.used
                                                                        else "none"))
    return right, ok_n, len(row["settings"])


def score(rows: list[dict], wants: list, answers: list, plain: list) -> tuple[dict, list[bool]]:
    """The figures of the module docstring, and each row's verdict."""
    verdicts: list[bool] = []
    per: dict[str, list] = {"settings": [], "look": [], "names": []}
    for r, w, g, p in zip(rows, wants, answers, plain):
        if kind(r) == "names":
            ok = g == p
            per["names"].append((ok, 0, 0))
        else:
            ok, n_ok, n = judge(r, w, g)
            per[kind(r)].append((ok, n_ok, n))
        verdicts.append(ok)
    out: dict = {"n": len(rows)}
    for name, got in per.items():
        if got:
            d = {"n": len(got), "right": round(float(np.mean([x[0] for x in got])), 4)}
            if name != "names":
                d["settings_right"] = round(sum(x[1] for x in got) / sum(x[2] for x in got), 4)
            out[name] = d
    numbered = per["settings"] + per["look"]
    out["right_with_numbers"] = round(float(np.mean([x[0] for x in numbered])), 4) if numbered else None
    out["settings_right"] = round(sum(x[1] for x in numbered) / max(1, sum(x[2] for x in numbered)), 4)
    return out, verdicts


def main() -> int:
    a = blind_sets.parser(__doc__, "list the requests that are not right").parse_args()

    from vibegrade.schema import ToolChain

    rows = read_rows(blind_sets.authors(a.authors))
    student = blind_sets.student(a.model, PROG)
    answers = student.predict([r["request"] for r in rows])
    looks = [r["look"] for r in rows if kind(r) == "look"]
    bases = iter(student.predict(looks))
    wants = [expected(r, next(bases) if kind(r) == "look" else ToolChain()) for r in rows]
    names = [r["request"] for r in rows if kind(r) == "names"]
    retrieval = getattr(student, "retrieval", None)
    if isinstance(retrieval, dict) and "sliders" in retrieval:
        retrieval["sliders"] = 0  # the answers of the same student without the slider reader
        off = iter(student.predict(names))
        retrieval["sliders"] = 1
    else:
        off = iter(student.predict(names))
    plain = [next(off) if kind(r) == "names" else None for r in rows]
    out, verdicts = score(rows, wants, answers, plain)
    out = {"authors": sorted({r["author"] for r in rows}), **out}
    if a.failures:
        from vibegrade.students.refine_features import PARAM_KEYS, chain_vector

        for r, w, g, ok in zip(rows, wants, answers, verdicts):
            if ok:
                continue
            d = [f"{k} {int(x):+d}≠{int(y):+d}"
                 for k, x, y in zip(PARAM_KEYS, chain_vector(g), chain_vector(w)) if abs(x - y) > TOLERANCE]
            print(f"{kind(r):8s} {r['request']!r} {r['settings']} -> {', '.join(d)} "
                  f"{g.filter.name}/{w.filter.name}")
    blind_sets.emit(out, a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
