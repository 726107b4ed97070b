"""Agent speed (``vibegrade bench agent``): a whole run on a 1080p photo and the final regional render, each
next to the single-shot student measured in the same run.

Figures (seconds or milliseconds; p50/p90 over ``runs`` timed runs after one warm-up run, which loads the
models):

* ``agent_p50_s`` / ``agent_p90_s`` -- a whole agent run on a 1920x1080 8-bit photo with the offline
  backends at the given budget: plan, region masks at full size, baseline, orchestration on the proxy,
  judge, then the final render at 1080p (what ``vibegrade agent`` does between reading and writing the
  file). The requests cycle through :data:`REQUESTS`.
* ``single_shot_p50_s`` / ``single_shot_p90_s`` -- the baseline in the same run: the student's predict and
  its (global) render at 1080p for the same requests.
* ``regional_render_1080p_ms`` -- the final render of a regional chain at 1080p with precomputed masks
  (median; :data:`REGIONAL_CHAIN`: global adjust, a selective range, three regional edits), next to
  ``global_render_1080p_ms``, the same chain without its regional edits;
  ``agent_final_regional_render_1080p_ms`` -- the median final render of the timed runs whose chain has
  regional edits (``runs_with_regional_edits``), with the run's masks.
* ``stages_ms`` -- the median time of each stage of a run (:attr:`AgentResult.timings`);
  ``agent_cpu_p50_s`` -- the median CPU time of the process per whole run (all threads), which other
  processes on the machine inflate less than the wall time; ``load_average_1min`` says how busy the machine
  was.

``cores`` limits the process to that many CPUs (``sched_setaffinity`` and OpenCV's thread count; the CLI
also sets the BLAS threads before NumPy loads).
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vibegrade.schema import ToolChain

__all__ = ["REQUESTS", "REGIONAL_CHAIN", "DEFAULT_PHOTO", "bench_photo", "limit_cores", "bench_agent",
           "format_table"]

#: Abstract requests timed in turn (regional and global items, one with an infeasible part).
REQUESTS = (
    "a cold winter morning but keep the faces warm",
    "make it feel more premium",
    "like a summer memory",
    "warmer sky, darker edges",
    "less clinical, and add a sunset",
)
#: A representative final chain with regional work (the render figure).
REGIONAL_CHAIN: dict[str, Any] = {
    "adjust": {"exposure": 5, "contrast": 10, "temperature": -15, "saturation": 5},
    "selective_adjust": {"blue": {"saturation": 15, "luminance": -5}},
    "regional": [{"region": "sky", "adjust": {"temperature": -20, "saturation": 10}},
                 {"region": "subject", "adjust": {"exposure": 8, "vibrance": 10}},
                 {"region": "edges", "adjust": {"exposure": -12}}],
    "filter": {"name": "none", "intensity": 0},
}
#: The shared photo used by default (sky, sand and small figures), looked up beside the checkout.
DEFAULT_PHOTO = "desert_dune_hikers_sky.jpg"


def _shared_photos() -> Path:
    # src/vibegrade/agent/bench.py -> the checkout's parent -> shared/photos
    return Path(__file__).resolve().parents[3].parent / "shared" / "photos"


def bench_photo(path: str | os.PathLike[str] | None = None, size: tuple[int, int] = (1920, 1080)
                ) -> tuple[np.ndarray, str]:
    """``(rgb, name)``: a photo centre-cropped to 16:9 and resized to ``size`` (8-bit RGB). ``path``
    ``None``: :data:`DEFAULT_PHOTO` from the shared photos when present, else the bundled rocket sample."""
    from vibegrade.media.bitdepth import to_8bit
    from vibegrade.media.image import read_image

    if path is None:
        shared = _shared_photos() / DEFAULT_PHOTO
        if shared.is_file():
            path = shared
        else:
            from vibegrade.samples import sample_path

            path = sample_path("rocket")
    rgb = to_8bit(read_image(path).rgb)
    w, h = size
    ih, iw = rgb.shape[:2]
    if iw * h > ih * w:  # wider than the target: crop the sides
        cw = round(ih * w / h)
        rgb = rgb[:, (iw - cw) // 2:(iw - cw) // 2 + cw]
    else:
        ch = round(iw * h / w)
        rgb = rgb[(ih - ch) // 2:(ih - ch) // 2 + ch]
    interp = cv2.INTER_AREA if rgb.shape[1] > w else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(rgb, (w, h), interpolation=interp)), Path(path).name


def limit_cores(cores: int) -> int:
    """Run this process on at most ``cores`` CPUs (affinity and OpenCV threads); returns the count used."""
    n = cores
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        n = min(cores, len(cpus))
        os.sched_setaffinity(0, cpus[:n])
    cv2.setNumThreads(n)
    return n


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def _median_ms(fn: Callable[[], Any], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 2)


def bench_agent(runs: int = 7, budget: int | None = None, photo: str | os.PathLike[str] | None = None,
                cores: int = 2, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Time whole agent runs and the single-shot baseline (see the module docstring)."""
    from vibegrade.agent.planner import load_planner
    from vibegrade.agent.policy import load_policy
    from vibegrade.agent.run import DEFAULT_BUDGET, run_agent
    from vibegrade.students import load_student
    from vibegrade.tools.chain import render

    say = progress or (lambda _msg: None)
    used = limit_cores(cores)
    k = DEFAULT_BUDGET if budget is None else budget
    frame, name = bench_photo(photo)
    say(f"loading the models; photo {name} at {frame.shape[1]}x{frame.shape[0]}, {used} cores")
    planner, policy, student = load_planner(), load_policy(), load_student()

    def whole(request: str) -> tuple[float, float, float, Any]:
        """(seconds of the whole run, its CPU seconds, milliseconds of its final render, result)"""
        c = time.process_time()
        t = time.perf_counter()
        res = run_agent(frame, request, planner=planner, policy=policy, student=student, budget=k)
        t1 = time.perf_counter()
        render(frame, res.chain, masks=res.masks)
        t2 = time.perf_counter()
        return t2 - t, time.process_time() - c, (t2 - t1) * 1000, res

    def single(request: str) -> float:
        t = time.perf_counter()
        chain = student.predict([request])[0]
        render(frame, chain)
        return time.perf_counter() - t

    whole(REQUESTS[0])  # warm-up: first predictions, LUT caches, lazy imports
    single(REQUESTS[0])
    agent_s, agent_cpu_s, single_s, final_regional_ms = [], [], [], []
    stages: dict[str, list[float]] = {}
    steps, regional_runs, satisfied, base_satisfied = [], 0, [], []
    mode = ""
    masks: dict[str, np.ndarray] = {}
    for i in range(runs):
        req = REQUESTS[i % len(REQUESTS)]
        say(f"run {i + 1}/{runs}: {req!r}")
        secs, cpu, render_ms, res = whole(req)
        agent_s.append(secs)
        agent_cpu_s.append(cpu)
        if res.chain.regional_used:
            final_regional_ms.append(render_ms)
        single_s.append(single(req))
        mode = res.mode
        for key, v in res.timings.items():
            stages.setdefault(key, []).append(v * 1000)
        steps.append(len(res.steps))
        regional_runs += bool(res.chain.regional_used)
        satisfied.append(res.checklist_satisfied)
        base_satisfied.append(float(res.baseline_verdict.checklist_satisfied))
        masks.update(res.masks)

    say("final render of a regional chain at 1080p")
    from vibegrade.tools.regions import compute_masks

    chain = ToolChain.model_validate(REGIONAL_CHAIN)
    need = [e.region for e in chain.regional]
    region_masks = compute_masks(frame, need)
    reps = max(5, runs)
    regional_ms = _median_ms(lambda: render(frame, chain, masks=region_masks), reps)
    global_ms = _median_ms(lambda: render(frame, chain.without_regional()), reps)
    return {
        "agent_p50_s": round(statistics.median(agent_s), 3),
        "agent_p90_s": round(_pct(agent_s, 90), 3),
        "agent_cpu_p50_s": round(statistics.median(agent_cpu_s), 3),
        "single_shot_p50_s": round(statistics.median(single_s), 3),
        "single_shot_p90_s": round(_pct(single_s, 90), 3),
        "agent_vs_single_shot": round(statistics.median(agent_s) / max(statistics.median(single_s), 1e-9), 1),
        "regional_render_1080p_ms": regional_ms,
        "global_render_1080p_ms": global_ms,
        "regional_edits": len(need),
        "agent_final_regional_render_1080p_ms": round(statistics.median(final_regional_ms), 2)
        if final_regional_ms else None,
        "stages_ms": {key: round(statistics.median(v), 1) for key, v in stages.items()},
        "checklist_satisfied_mean": round(statistics.fmean(satisfied), 3),
        "single_shot_checklist_satisfied_mean": round(statistics.fmean(base_satisfied), 3),
        "steps_mean": round(statistics.fmean(steps), 2),
        "runs_with_regional_edits": regional_runs,
        "runs": runs,
        "budget": k,
        "mode": mode,
        "photo": f"{name} -> {frame.shape[1]}x{frame.shape[0]}",
        "cores": used,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_implementation()} "
                   f"{platform.python_version()}",
        "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def format_table(res: dict[str, Any]) -> str:
    """The figures as aligned ``name value`` lines (stages indented)."""
    lines = []
    for key, v in res.items():
        if isinstance(v, dict):
            lines.append(key)
            lines += [f"  {k:30s} {x}" for k, x in v.items()]
        else:
            lines.append(f"{key:32s} {v}")
    return "\n".join(lines)
