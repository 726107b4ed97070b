#!/usr/bin/env python3
"""What the slider reader costs the shipped student: batch predict with ``retrieval.sliders`` on and off,
in the same process, interleaved, on three kinds of requests (docs/experiments.md, "Slider settings
typed as numbers"):

* ``plain``: the requests of ``vibegrade bench predict`` (no digit: the reader is skipped by one regular
  expression);
* ``numbered``: the same with a number after each, as ``bench predict`` batches them ("golden hour 37":
  the reader tries, and gives up);
* ``sliders``: slider settings alone and after a look ("contrast +20, sat -10", "golden hour, contrast
  +20"), which the reader answers.

    .venv/bin/python scripts/bench_sliders.py [--repeats 5] [--json OUT]

Figures are milliseconds per request (median over the repeats of a batch of 256) and depend on the
machine; compare the two columns of one run only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

SLIDERS = ["contrast +20, sat -10", "golden hour, contrast +20", "exposure +0.5 ev", "red sat -30",
           "set saturation to -100", "vivid filter at 50%", "temp -15 tint +5", "noir, exposure -1"]


def time_setting(student, key: str, batches: dict[str, list[str]], repeats: int) -> dict:
    """Per batch, milliseconds a request (median over ``repeats``) with ``retrieval[key]`` off and on,
    interleaved in this process; the setting is left on."""
    retrieval = student.retrieval
    student.predict(next(iter(batches.values()))[:8])  # load the encoder and the memory
    out: dict = {}
    for name, batch in batches.items():
        times: dict[str, list[float]] = {"off": [], "on": []}
        for _ in range(repeats):
            for mode in ("off", "on"):
                retrieval[key] = int(mode == "on")
                t = time.perf_counter()
                student.predict(batch)
                times[mode].append((time.perf_counter() - t) / len(batch) * 1e3)
        retrieval[key] = 1
        out[name] = {m: round(statistics.median(v), 3) for m, v in times.items()}
    return out


def run(doc: str, key: str, batches: Callable[[Sequence[str]], dict[str, list[str]]]) -> int:
    """The command line of a reader's benchmark: ``--repeats`` and ``--json``; ``batches(requests)`` makes
    the batches from the requests of ``vibegrade bench predict``; ``retrieval[key]`` is timed off and on
    (:func:`time_setting`) and the figures printed, and written where asked."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()

    from vibegrade.students import load_student
    from vibegrade.students.bench import REQUESTS

    student = load_student()
    if not isinstance(getattr(student, "retrieval", None), dict):
        sys.exit(f"bench_{key}: the shipped student has no retrieval settings")
    out = time_setting(student, key, batches(REQUESTS), a.repeats)
    print(json.dumps(out, indent=1))
    if a.json:
        a.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


def main() -> int:
    return run(__doc__, "sliders", lambda requests: {
        "plain": [requests[i % len(requests)] for i in range(256)],
        "numbered": [f"{requests[i % len(requests)]} {i}" for i in range(256)],
        "sliders": [SLIDERS[i % len(SLIDERS)] for i in range(256)],
    })


if __name__ == "__main__":
    sys.exit(main())
