#!/usr/bin/env python3
"""Requests beyond a colour grade, typed by authors who never saw the student or its reader: blur, noise,
smoother skin, grain, night into day. The tools cannot blur, denoise or retouch; the answer must be the
nearest thing they can make and never the opposite (sharpening a photo someone wants blurred).
(data/vibes/beyond_colour/, BRIEF.md)

    .venv/bin/python scripts/beyond_colour_eval.py [--authors p,q] [--model DIR] [--json OUT] [--failures]

Each request carries its author's ``kind``; an answer is **right**, **wrong way** or **no move**:

=============  ==========================================  =========================================
kind           right                                       wrong way
=============  ==========================================  =========================================
blur           softer (bloom up or contrast down) and no   sharpening or structure added
               sharpening or structure added
denoise        something that hides noise (bloom up;       sharpening or structure added
               contrast, shadows, black level or
               saturation down) and no sharpening or
               structure added
smooth_skin    softer (bloom up, contrast down, or the     sharpening or structure added
               orange range lighter), no texture added
add_grain      sharpening or structure added               softer and no texture added
to_day         lighter: mean L* up by 1 or more            darker by 1 or more
to_night       darker: mean L* down by 1 or more           lighter by 1 or more
to_warm_time   warmer: mean b* up by 1 or more             cooler by 1 or more
to_cold_time   cooler: mean b* down by 1 or more           warmer by 1 or more
=============  ==========================================  =========================================

The times of day and seasons are judged on what a person sees, since a preset carries much of their
light (``winter`` at 80 cools a photo with no temperature move): the answer is rendered on the bundled
sample photos (96 px) and the mean change of CIELAB lightness L* or of b* (yellow-blue) is read.
"""

from __future__ import annotations

import functools
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
DATA = ROOT / "data/vibes/beyond_colour"

import blind_sets  # noqa: E402  (what the blind-set evals share)

KINDS = ("blur", "denoise", "smooth_skin", "add_grain", "to_day", "to_night", "to_warm_time", "to_cold_time")
# the CIELAB channel a time of day or season moves, and which way (0: L*, 2: b*)
_WAY = {"to_day": (0, 1), "to_night": (0, -1), "to_warm_time": (2, 1), "to_cold_time": (2, -1)}
_SEEN = 1.0  # L* or b* units: a mean change below it is no move


@functools.lru_cache(maxsize=1)
def _photos() -> tuple[tuple[Any, Any], ...]:
    """The bundled sample photos (96 px), each with its CIELAB image (read once per run)."""
    from skimage.color import rgb2lab

    from vibegrade.evaluation.perceptual import sample_thumbnails

    return tuple((im, rgb2lab(im)) for im in sample_thumbnails(96))


def seen_change(chain, channel: int) -> float:
    """The mean change of CIELAB channel ``channel`` (0: L*, 2: b*) that ``chain`` makes on the bundled
    sample photos (96 px)."""
    import numpy as np
    from skimage.color import rgb2lab

    from vibegrade.tools.chain import render_direct

    return float(np.mean([(rgb2lab(np.clip(render_direct(im, chain), 0, 1))[..., channel]
                           - lab[..., channel]).mean() for im, lab in _photos()]))


def verdict(chain, kind: str) -> str:
    """``"right"``, ``"wrong way"`` or ``"no move"`` for ``chain`` as the answer to a request of ``kind``
    (the table above)."""
    if kind in _WAY:
        channel, sign = _WAY[kind]
        d = sign * seen_change(chain, channel)
        return "right" if d >= _SEEN else "wrong way" if d <= -_SEEN else "no move"
    a = chain.adjust
    texture = a.sharpen > 0 or a.structure > 0
    softer = a.bloom > 0 or a.contrast < 0
    if kind == "add_grain":
        return "right" if texture else "wrong way" if softer else "no move"
    if kind == "denoise":
        softer = softer or a.shadows < 0 or a.linearOffset < 0 or a.saturation < 0
    elif kind == "smooth_skin":
        softer = softer or chain.selective_adjust.orange.luminance > 0
    if texture:
        return "wrong way"
    return "right" if softer else "no move"


def main() -> int:
    a = blind_sets.parser(__doc__, "list the requests the student gets wrong", "p,q").parse_args()
    rows = blind_sets.read_author_rows(
        blind_sets.authors(a.authors), DATA, "beyond_colour_eval",
        lambda r: bool(str(r.get("request", "")).strip()) and r.get("kind") in KINDS)
    student = blind_sets.student(a.model, "beyond_colour_eval")
    answers = student.predict([r["request"] for r in rows])
    v = [verdict(c, r["kind"]) for c, r in zip(answers, rows)]
    per_kind = {}
    for k in KINDS:
        got = Counter(x for x, r in zip(v, rows) if r["kind"] == k)
        n = sum(got.values())
        if n:
            per_kind[k] = {"n": n, "right": round(got["right"] / n, 3),
                           "wrong_way": round(got["wrong way"] / n, 3)}
    out = {"n": len(rows), "authors": sorted({r["author"] for r in rows}),
           "right": round(v.count("right") / len(v), 4), "wrong_way": round(v.count("wrong way") / len(v), 4),
           "no_move": round(v.count("no move") / len(v), 4), "by_kind": per_kind}
    if a.failures:
        for c, r, x in zip(answers, rows, v):
            if x != "right":
                print(f"{x:9s} {r['kind']:12s} {r['request']!r} -> {blind_sets.moved(c)}")
    blind_sets.emit(out, a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
