#!/usr/bin/env python3
"""What composing costs: single-request latency of requests that are split (a look and a change, "gothic but
brighter"; changes and no look, "brighter, warmer, more contrast") and of requests that are not, with
composing on and, as the baseline in the same process, off (``retrieval.compose``; docs/experiments.md,
"Latency").

    .venv/bin/python scripts/bench_compose.py [--model DIR] [--n 300] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

SPLIT = ["gothic but brighter", "kodak gold w/ deeper blacks", "the matrix but more green",
         "90s but slightly muted", "fincher look but a little warmer pls"]
# several changes and no look: split into changes, each answered (or taken from the memory) and summed
CHANGES = ["brighter, warmer, more contrast", "lift shadows and lower highlights", "a bit darker and cooler",
           "add some red, take out some green", "its super cold and flat"]


def p50_ms(predict, requests: list[str], n: int) -> float:
    from vibegrade.students.bench import single_request_ms

    return round(statistics.median(single_request_ms(predict, requests, n)), 2)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, help="a student folder (default: the shipped one)")
    ap.add_argument("--n", type=int, default=300, help="timed requests per measurement")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    if a.n < 1:
        sys.exit("bench_compose: --n must be at least 1")

    from vibegrade.students import StudentLoadError, load_student
    from vibegrade.students.bench import REQUESTS

    try:
        student = load_student(a.model)
    except StudentLoadError as e:
        sys.exit(f"bench_compose: {e}")
    if not hasattr(student, "retrieval"):
        sys.exit(f"bench_compose: {student.kind!r} students do not compose")
    out: dict = {"n": a.n, "split_requests": SPLIT, "changes_requests": CHANGES}
    for flag in (0, 1, 0, 1):  # alternating, twice each: the machine's speed drifts
        student.retrieval["compose"] = flag  # type: ignore[attr-defined]
        key = "compose_on" if flag else "compose_off"
        got = {"split": p50_ms(student.predict, SPLIT, a.n), "changes": p50_ms(student.predict, CHANGES, a.n),
               "bench": p50_ms(student.predict, REQUESTS, a.n)}
        out.setdefault(key, []).append(got)
        print(f"{key:12s} p50 look + change {got['split']:6.2f} ms   changes {got['changes']:6.2f} ms   "
              f"bench requests {got['bench']:6.2f} ms")
    if a.json:
        a.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
