"""IoU of the regional tool's masks against the hand-drawn references in data/agent/masks.

For every reference file present: the photo (../shared/photos) through ``compute_masks``, each of
sky / people / faces / subject thresholded at 0.5 and scored: IoU where the region is drawn, the
false-positive area share where the reference lists it absent. Prints a per-photo and a per-region
table and writes docs/results/masks_iou.json.

The methods' few constants were tuned looking at the photos of the tuning half (``TUNED_ON``: the
shared photos at even positions in name order); the other half is held out, and the summary is given
for both halves and for all.

    PYTHONPATH=src .venv/bin/python scripts/agent/mask_iou.py [--masks DIR] [--photos DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[2]


def tuning_half(photos: list[str]) -> set[str]:
    """The photos the methods were tuned on: every other shared photo in name order (0, 2, 4, ...)."""
    return set(sorted(photos)[::2])


def _summary(rows: list[dict], regions: tuple[str, ...]) -> dict:
    out = {}
    for r in regions:
        got = [x["scores"][r] for x in rows if r in x["scores"]]
        ious = [s["value"] for s in got if s["kind"] == "iou"]
        fps = [s["value"] for s in got if s["kind"] == "fp_share"]
        out[r] = {"mean_iou": round(float(np.mean(ious)), 4) if ious else None, "n_present": len(ious),
                  "mean_fp_share": round(float(np.mean(fps)), 4) if fps else None, "n_absent": len(fps)}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--masks", type=Path, default=ROOT / "data" / "agent" / "masks")
    ap.add_argument("--photos", type=Path, default=ROOT.parent / "shared" / "photos")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "masks_iou.json")
    ap.add_argument("--working-size", type=int, default=512)
    a = ap.parse_args()
    from vibegrade.evaluation.region_iou import REFERENCE_REGIONS, load_reference, score_photo
    from vibegrade.tools.regions import compute_masks

    files = sorted(a.masks.glob("*.json"))
    if not files:
        print(f"no reference mask files in {a.masks}", file=sys.stderr)
        return 1
    if not a.photos.is_dir():
        print(f"photo folder {a.photos} missing", file=sys.stderr)
        return 1
    tuned = tuning_half([p.name for p in a.photos.glob("*.jpg")])
    rows = []
    for f in files:
        try:
            ref = load_reference(f)
        except ValueError as e:
            print(f"skipped: {e}", file=sys.stderr)
            continue
        path = a.photos / ref.photo
        if not path.is_file():
            print(f"skipped {f.name}: photo {ref.photo} missing", file=sys.stderr)
            continue
        with Image.open(path) as im:
            rgb = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
        if rgb.shape[:2] != (ref.height, ref.width):
            print(f"skipped {f.name}: photo is {rgb.shape[1]}x{rgb.shape[0]}, reference "
                  f"{ref.width}x{ref.height}", file=sys.stderr)
            continue
        t = time.perf_counter()
        masks = compute_masks(rgb, REFERENCE_REGIONS, working_size=a.working_size)
        ms = (time.perf_counter() - t) * 1000
        scores = score_photo(masks, ref)
        rows.append({"photo": ref.photo, "split": "tuned" if ref.photo in tuned else "held_out",
                     "ms": round(ms, 1),
                     "scores": {k: {"kind": s.kind, "value": round(s.value, 4),
                                    "predicted_share": round(s.predicted_share, 4),
                                    "reference_share": round(s.reference_share, 4)}
                                for k, s in scores.items()}})

    def cell(x: dict, r: str) -> str:
        s = x["scores"].get(r)
        if s is None:
            return "-".rjust(9)
        return (f"{s['value']:.2f}" if s["kind"] == "iou" else f"fp {s['value']:.2f}").rjust(9)

    print(f"{'photo':44s} {'split':8s}" + "".join(r.rjust(9) for r in REFERENCE_REGIONS))
    for x in rows:
        print(f"{x['photo'][:44]:44s} {x['split']:8s}" + "".join(cell(x, r) for r in REFERENCE_REGIONS))
    result = {"threshold": 0.5, "working_size": a.working_size,
              "summary": {"all": _summary(rows, REFERENCE_REGIONS),
                          "tuned": _summary([x for x in rows if x["split"] == "tuned"], REFERENCE_REGIONS),
                          "held_out": _summary([x for x in rows if x["split"] == "held_out"],
                                               REFERENCE_REGIONS)},
              "photos": rows}
    print()
    print(f"{'region':10s} {'split':9s} {'mean IoU':>9s} {'n':>3s} {'mean FP share':>14s} {'n':>3s}")
    for r in REFERENCE_REGIONS:
        for split in ("tuned", "held_out", "all"):
            s = result["summary"][split][r]
            iou = "-" if s["mean_iou"] is None else f"{s['mean_iou']:.3f}"
            fp = "-" if s["mean_fp_share"] is None else f"{s['mean_fp_share']:.3f}"
            print(f"{r:10s} {split:9s} {iou:>9s} {s['n_present']:3d} {fp:>14s} {s['n_absent']:3d}")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\nwrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
