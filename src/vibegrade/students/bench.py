"""Latency and throughput of a student on this machine (``vibegrade bench predict``)."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from vibegrade.students import Student

#: Requests of typical shapes (1-4 words, some longer) used for timing.
REQUESTS = ["golden hour", "the matrix", "x-ray", "morocco", "wes anderson vibes",
            "make it look like blade runner",
            "cozy autumn evening", "less yellow", "portra 400", "cyberpunk city at night", "moody forest",
            "make it look like an old photo from the 70s", "brighter", "studio ghibli", "winter morning fog"]


def single_request_ms(predict: Callable[[list[str]], object], requests: Sequence[str], n: int) -> list[float]:
    """Milliseconds of ``n`` single-request calls of ``predict``, cycling through ``requests`` (each
    called once first, untimed, as a warm-up)."""
    for r in requests:
        predict([r])
    times = []
    for i in range(n):
        t = time.perf_counter()
        predict([requests[i % len(requests)]])
        times.append((time.perf_counter() - t) * 1000)
    return times


def bench_student(student: Student, n: int = 300, batch: int = 256) -> dict[str, Any]:
    """p50/p95 of single-request latency (all three tools) and batched requests per second."""
    times = single_request_ms(student.predict, REQUESTS, n)
    reqs = [REQUESTS[i % len(REQUESTS)] + ("" if i < len(REQUESTS) else f" {i}") for i in range(batch)]
    student.predict(reqs[:16])
    t = time.perf_counter()
    rounds = 3
    for _ in range(rounds):
        student.predict(reqs)
    rps = rounds * batch / (time.perf_counter() - t)
    return {
        "p50_ms": round(statistics.median(times), 3),
        "p95_ms": round(float(np.percentile(times, 95)), 3),
        "mean_ms": round(statistics.fmean(times), 3),
        "throughput_rps": round(rps, 1),
        "batch": batch,
        "model": getattr(student, "name", student.kind),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
    }
