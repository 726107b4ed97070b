"""Latency of one refinement with the shipped model, with its answer check off, and the shipped student's
predict on the same follow-ups in the same process (the cost of answering them as new looks instead).

    .venv/bin/python scripts/bench_refine.py [--rounds 10]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

# "too sharp" on a look without sharpening is one the answer check answers (one more student call)
FOLLOW_UPS = ["warmer", "less", "undo", "more like the matrix", "much cooler pls", "drop the filter",
              "make it black and white", "lift the shadows a bit", "too much", "actually, cyberpunk instead",
              "too sharp"]


def timed(fn, items) -> np.ndarray:
    out = []
    for x in items:
        t = time.perf_counter()
        fn(x)
        out.append(time.perf_counter() - t)
    return np.array(out) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=10)
    a = ap.parse_args()
    from vibegrade.api import load_model, predict
    from vibegrade.schema import ToolChain
    from vibegrade.students.refine import load_refiner

    t0 = time.perf_counter()
    refiner = load_refiner(student=load_model(None))
    start = ToolChain.model_validate({"adjust": {"temperature": 30, "contrast": 15},
                                      "filter": {"name": "fortune", "intensity": 35}})
    refiner.refine(start, "warmer")
    predict("warmer")
    print(f"load and first call: {time.perf_counter() - t0:.2f} s")
    items = FOLLOW_UPS * a.rounds

    def unchecked(x: str) -> object:
        refiner.answer_check = False
        try:
            return refiner.refine(start, x)
        finally:
            refiner.answer_check = True

    for name, ms in [("refine (shipped refinement model)", timed(lambda x: refiner.refine(start, x), items)),
                     ("refine, answer check off", timed(unchecked, items)),
                     ("predict (shipped student, baseline)", timed(predict, items))]:
        print(f"{name:38s} p50 {np.median(ms):6.1f} ms  p90 {np.percentile(ms, 90):6.1f} ms  (n={len(ms)})")


if __name__ == "__main__":
    main()
