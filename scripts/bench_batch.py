"""Folder grading speed: images per second of ``vibegrade edit FOLDER OUT "look"`` (media/batch.py) with one
worker against N worker processes, next to two baselines measured in the same run.

* ``loop``: the same images graded serially in this process by a plain loop over
  :func:`vibegrade.media.pipeline.render_file` (what a Python script did before; the chain predicted once).
* ``cli per file``: ``vibegrade edit FILE OUT "look"`` started once per file, as a shell loop would
  (a new process, model load and prediction per image); measured on the first ``--cli-files`` images.
* ``jobs=1``: :func:`vibegrade.media.batch.grade_folder` in this process.
* ``jobs=N``: the same on N worker processes (pool start-up included: the wall time a user waits).

The folder's images are copied ``--copies`` times into a temporary folder (so a run lasts long enough to
measure), and every configuration runs ``--runs`` times, interleaved. On a machine shared with other work
the best run (as ``timeit`` reports) is the least disturbed one: images/s is the best run's; the median run
is given next to it, and the load average before and after.

    .venv/bin/python scripts/bench_batch.py                       # ../shared/photos, jobs 1 and CPU count
    .venv/bin/python scripts/bench_batch.py PHOTOS --jobs 1,2,4 --copies 3 --runs 3 --json
    .venv/bin/python scripts/bench_batch.py --as-dng        # the photos as camera RAW (DNG) files

``--as-dng`` turns every photo into a DNG (a Bayer mosaic written with tifffile, as the tests do:
tests/media/formats_helpers.py), so the run measures RAW development (LibRaw) as well.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vibegrade.api import predict
from vibegrade.media.batch import CONVERTED, default_jobs, grade_folder
from vibegrade.media.image import READ_EXTENSIONS, read_image_header
from vibegrade.media.pipeline import render_file

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
LOOK = "golden hour"


def _out_name(p: Path) -> str:
    """The name folder grading gives ``p``'s output (HEIC -> .jpg, RAW -> .tif, others kept)."""
    return p.stem + CONVERTED.get(p.suffix.lower(), p.suffix)


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in READ_EXTENSIONS)


def _rates(n: int, runs: list[float]) -> dict:
    best, median = min(runs), statistics.median(runs)
    return {"images": n, "seconds": round(best, 3), "images_per_s": round(n / best, 2),
            "median_images_per_s": round(n / median, 2), "runs_s": [round(r, 3) for r in runs]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", nargs="?", type=Path, default=ROOT.parent / "shared" / "photos")
    ap.add_argument("--jobs", default=f"1,{default_jobs()}", help="comma-separated worker counts")
    ap.add_argument("--copies", type=int, default=2, help="copies of each image in the benchmark folder")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cli-files", type=int, default=6, help="images for the per-file CLI baseline (0: skip)")
    ap.add_argument("--as-dng", action="store_true", help="grade the photos as DNG files (RAW development)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    src = _images(args.folder)
    if not src:
        sys.exit(f"{args.folder}: no images")
    pixels = sum(read_image_header(p).pixels for p in src) * args.copies
    chain = predict(LOOK)
    jobs = [int(j) for j in args.jobs.split(",")]
    res: dict = {"load_before": os.getloadavg(), "folder": str(args.folder), "as_dng": args.as_dng,
                 "images": len(src) * args.copies,
                 "megapixels": round(pixels / 1e6, 1), "look": LOOK, "cpus": default_jobs(),
                 "python": platform.python_version(), "machine": platform.machine(), "results": {}}
    with tempfile.TemporaryDirectory(prefix="vibegrade-bench-batch-") as tmp:
        inp = Path(tmp) / "in"
        inp.mkdir()
        if args.as_dng:
            from tests.media.formats_helpers import write_dng
            from vibegrade.media.image import read_image
        for k in range(args.copies):
            for p in src:
                if args.as_dng:
                    write_dng(inp / f"{p.stem}_{k}.dng", read_image(p).rgb)
                else:
                    shutil.copy(p, inp / f"{p.stem}_{k}{p.suffix}")
        files = _images(inp)
        n = len(files)
        render_file(files[0], Path(tmp) / _out_name(files[0]), chain)  # LUT baked, imports done

        def loop() -> float:
            out = Path(tmp) / "loop"
            out.mkdir(exist_ok=True)
            t = time.perf_counter()
            for f in files:
                render_file(f, out / _out_name(f), chain)
            return time.perf_counter() - t

        def batch(j: int) -> float:
            t = time.perf_counter()
            rep = grade_folder(inp, Path(tmp) / f"out{j}", chain, jobs=j)
            el = time.perf_counter() - t
            assert len(rep.done) == n and not rep.failed, rep.failed
            return el

        configs = [("loop", loop)] + [(f"jobs={j}", lambda j=j: batch(j)) for j in jobs]
        times: dict[str, list[float]] = {name: [] for name, _ in configs}
        for _ in range(args.runs):  # interleaved, so that a busy moment of the machine hits every config
            for name, fn in configs:
                times[name].append(fn())
        for name, _ in configs:
            res["results"][name] = _rates(n, times[name])
        if args.cli_files > 0:
            exe = Path(sys.executable).with_name("vibegrade")
            sub = files[: args.cli_files]
            out = Path(tmp) / "cli"
            out.mkdir()
            t = time.perf_counter()
            for f in sub:
                subprocess.run([str(exe), "edit", str(f), str(out / _out_name(f)), LOOK, "--quiet"],
                               check=True, capture_output=True)
            res["results"]["cli per file"] = _rates(len(sub), [time.perf_counter() - t])
    res["load_after"] = os.getloadavg()
    base = res["results"]["loop"]["images_per_s"]
    for r in res["results"].values():
        r["vs_loop"] = round(r["images_per_s"] / base, 2)
    if args.json:
        print(json.dumps(res, indent=2))
        return
    print(f"{res['images']} images ({res['megapixels']} MP) from {args.folder}"
          f"{' as DNG' if args.as_dng else ''}, look {LOOK!r}, "
          f"{res['cpus']} CPUs, best and median of {args.runs} runs")
    print(f"{'configuration':<14} {'images/s':>9} {'seconds':>8} {'vs loop':>8} {'median images/s':>16}")
    for name, r in res["results"].items():
        print(f"{name:<14} {r['images_per_s']:>9.2f} {r['seconds']:>8.2f} {r['vs_loop']:>7.2f}x "
              f"{r['median_images_per_s']:>16.2f}")
    print("load average (1, 5, 15 min) before: " + " ".join(f"{x:.2f}" for x in res["load_before"])
          + ", after: " + " ".join(f"{x:.2f}" for x in res["load_after"]))


if __name__ == "__main__":
    main()
