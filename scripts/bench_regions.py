"""Latency of the regional tool's masks on a 1920x1080 photo, per region and all together, with the
upsampling step next to its baselines in the same run.

    PYTHONPATH=src .venv/bin/python scripts/bench_regions.py [--photo NAME] [--rounds 5] [--json OUT]

Per region: ``compute_masks(img, [name])`` alone (so it includes what that region needs: faces for
people, sky for subject, ...). All: every region in one call (shared work done once), at 1080p; the
same with the semantic masks upsampled by a plain bilinear resize instead of the guided filter (the
baseline); and on a 512x288 proxy (what the agent's judge works on). Upsampling one working-size
(512 px) mask to 1080p: plain ``cv2.resize`` (the baseline, not edge-aware), our fast colour guided
filter (coefficients at 512 px, applied at 1080p), and OpenCV contrib's full-resolution
``cv2.ximgproc.guidedFilter`` (radius 8). Each figure: median and fastest of ``--rounds`` runs after
a warm-up (on a shared machine the fastest is the closer estimate of the uncontended cost).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[1]


def timed(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    """(median, fastest) wall time of ``fn`` in ms over ``rounds`` runs after one warm-up run."""
    fn()
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return float(np.median(out) * 1000), float(np.min(out) * 1000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photo", default="people_pair_portrait_office.jpg")
    ap.add_argument("--photos", type=Path, default=ROOT.parent / "shared" / "photos")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    from vibegrade.schema import REGION_NAMES
    from vibegrade.tools.regions import compute_masks
    from vibegrade.tools.regions.guided import ColourGuide, guided_upsample

    with Image.open(a.photos / a.photo) as im:
        img = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    img = cv2.resize(img, (1920, 1080), interpolation=cv2.INTER_CUBIC)
    print(f"{a.photo} at 1920x1080, cv2 threads {cv2.getNumThreads()}, cpus {os.cpu_count()}, "
          f"{a.rounds} rounds; ms median / fastest")
    rows: dict[str, tuple[float, float]] = {}
    for n in REGION_NAMES:
        rows[n] = timed(lambda n=n: compute_masks(img, [n]), a.rounds)
    rows["ALL (one call)"] = timed(lambda: compute_masks(img), a.rounds)
    edge_aware = ColourGuide.upsample
    ColourGuide.upsample = lambda self, m, g: cv2.resize(m, (g[0].shape[1], g[0].shape[0]))  # type: ignore
    rows["ALL, plain resize upsampling (baseline)"] = timed(lambda: compute_masks(img), a.rounds)
    ColourGuide.upsample = edge_aware  # type: ignore
    proxy = cv2.resize(img, (512, 288), interpolation=cv2.INTER_AREA)
    rows["ALL on the 512x288 proxy"] = timed(lambda: compute_masks(proxy), a.rounds)

    lo_img = proxy.astype(np.float32) / 255.0
    mask_lo = cv2.resize(compute_masks(img, ["people"])["people"], (512, 288), interpolation=cv2.INTER_AREA)
    full = img.astype(np.float32) / 255.0
    guide = [np.ascontiguousarray(full[..., c]) for c in range(3)]
    up = {
        "plain cv2.resize (baseline)": timed(lambda: cv2.resize(mask_lo, (1920, 1080)), a.rounds),
        "fast colour guided filter (ours)": timed(lambda: guided_upsample(lo_img, mask_lo, guide), a.rounds),
    }
    if hasattr(cv2, "ximgproc"):
        up["cv2.ximgproc.guidedFilter at 1080p"] = timed(
            lambda: cv2.ximgproc.guidedFilter(full, cv2.resize(mask_lo, (1920, 1080)), 8, 1e-3), a.rounds)
    print(f"\n{'masks':42s} {'median':>8s} {'fastest':>8s}")
    for k, (med, best) in rows.items():
        print(f"{k:42s} {med:8.1f} {best:8.1f}")
    print(f"\n{'upsample one 512 px mask to 1080p':42s} {'median':>8s} {'fastest':>8s}")
    for k, (med, best) in up.items():
        print(f"{k:42s} {med:8.1f} {best:8.1f}")
    if a.json:
        def ms(d: dict[str, tuple[float, float]]) -> dict[str, dict[str, float]]:
            return {k: {"median": round(m, 1), "fastest": round(b, 1)} for k, (m, b) in d.items()}

        out = {"photo": a.photo, "size": [1920, 1080], "rounds": a.rounds, "cpus": os.cpu_count(),
               "masks_ms": ms(rows), "upsample_ms": ms(up)}
        a.json.write_text(json.dumps(out, indent=1) + "\n")
        print(f"\nwrote {a.json}")


if __name__ == "__main__":
    main()
