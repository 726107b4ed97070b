"""Latency of the regional tool's masks on a 1920x1080 photo, per region and all together, with the
upsampling step next to its baselines in the same run.

    PYTHONPATH=src .venv/bin/python scripts/bench_regions.py [--photo NAME] [--rounds 5] [--json OUT]

Per region: ``compute_masks(img, [name])`` alone (so it includes what that region needs: faces for
people, sky for subject, ...), median of ``--rounds`` runs after a warm-up. All: every region in one
call (shared work done once), at 1080p, at 1080p with a plain bilinear upsample of the semantic masks
instead of the guided one (the baseline), and on a 512x288 proxy (what the agent's judge works on).
Upsampling one working-size (512 px) mask to 1080p: a plain bilinear
``cv2.resize`` (the baseline, not edge-aware), our fast colour guided filter (coefficients at 512 px,
applied at 1080p), and OpenCV contrib's full-resolution ``cv2.ximgproc.guidedFilter`` (radius 8).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[1]


def median_ms(fn, rounds: int) -> float:
    fn()
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return float(np.median(out) * 1000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photo", default="people_pair_portrait_office.jpg")
    ap.add_argument("--photos", type=Path, default=ROOT.parent / "shared" / "photos")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    from vibegrade.schema import REGION_NAMES
    from vibegrade.tools.regions import compute_masks
    from vibegrade.tools.regions.guided import guided_upsample

    with Image.open(a.photos / a.photo) as im:
        img = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    img = cv2.resize(img, (1920, 1080), interpolation=cv2.INTER_CUBIC)
    print(f"{a.photo} at 1920x1080, cv2 threads {cv2.getNumThreads()}, cpus {os.cpu_count()}, "
          f"median of {a.rounds}")
    per = {n: median_ms(lambda n=n: compute_masks(img, [n]), a.rounds) for n in REGION_NAMES}
    all_ms = median_ms(lambda: compute_masks(img), a.rounds)
    # the same call with the semantic masks upsampled by a plain bilinear resize (the baseline)
    from vibegrade.tools.regions.guided import ColourGuide
    edge_aware = ColourGuide.upsample
    ColourGuide.upsample = lambda self, m, g: cv2.resize(m, (g[0].shape[1], g[0].shape[0]))  # type: ignore
    plain_all_ms = median_ms(lambda: compute_masks(img), a.rounds)
    ColourGuide.upsample = edge_aware  # type: ignore
    proxy = cv2.resize(img, (512, 288), interpolation=cv2.INTER_AREA)
    proxy_ms = median_ms(lambda: compute_masks(proxy), a.rounds)

    lo_img = cv2.resize(img, (512, 288), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    mask_lo = compute_masks(img, ["people"])["people"]
    mask_lo = cv2.resize(mask_lo, (512, 288), interpolation=cv2.INTER_AREA)
    full = img.astype(np.float32) / 255.0
    guide = [np.ascontiguousarray(full[..., c]) for c in range(3)]
    up = {
        "plain cv2.resize (baseline)": median_ms(lambda: cv2.resize(mask_lo, (1920, 1080)), a.rounds),
        "fast guided filter (ours)": median_ms(lambda: guided_upsample(lo_img, mask_lo, guide), a.rounds),
    }
    if hasattr(cv2, "ximgproc"):
        up["cv2.ximgproc.guidedFilter, full res"] = median_ms(
            lambda: cv2.ximgproc.guidedFilter(full, cv2.resize(mask_lo, (1920, 1080)), 8, 1e-3), a.rounds)
    print(f"\n{'region':12s} {'ms':>8s}")
    for n, ms in per.items():
        print(f"{n:12s} {ms:8.1f}")
    print(f"{'ALL (1 call)':12s} {all_ms:8.1f}")
    print(f"{'ALL, plain resize upsampling (baseline)':40s} {plain_all_ms:8.1f}")
    print(f"{'ALL at 512x288 (the agent proxy)':40s} {proxy_ms:8.1f}")
    print(f"\n{'upsample one 512 px mask to 1080p':40s} {'ms':>8s}")
    for k, ms in up.items():
        print(f"{k:40s} {ms:8.1f}")
    if a.json:
        a.json.write_text(json.dumps({"photo": a.photo, "size": [1920, 1080], "rounds": a.rounds,
                                      "per_region_ms": {k: round(v, 1) for k, v in per.items()},
                                      "all_ms": round(all_ms, 1), "all_512_ms": round(proxy_ms, 1),
                                      "all_plain_upsample_ms": round(plain_all_ms, 1),
                                      "upsample_ms": {k: round(v, 1) for k, v in up.items()}},
                                     indent=1) + "\n")


if __name__ == "__main__":
    main()
