"""Drop tool settings whose effect is not visible (a perceptual form of the teacher rule
"if all values would be zero, don't use the tool").

For each row of the vibes dataset and each tool it uses, the chain is rendered with and without that
tool and the two are compared with CIEDE2000:

* adjust and filter change every pixel, so they are measured on the bundled sample photos
  (64 px thumbnails): the tool is dropped when the mean difference is below ``--photo-jnd`` (1.0);
* selective_adjust only touches its colour ranges, which the sample photos may not contain, so it is
  measured on a hue x saturation x value chart (72 x 4 x 3 colours): dropped when even the 95th
  percentile of the differences is below ``--chart-jnd`` (2.0, about one just-noticeable difference).

A dropped tool is written as unused and its rationale says why. Usage:

    .venv/bin/python scripts/vibes_trim_invisible.py data/vibes/*.jsonl [--dry-run]
"""

from __future__ import annotations

import argparse
import collections
import json

import numpy as np
from skimage.color import deltaE_ciede2000, rgb2lab

from vibegrade.data.rows import iter_rows, write_rows
from vibegrade.evaluation.perceptual import sample_thumbnails
from vibegrade.schema import Adjust, Filter, SelectiveAdjust
from vibegrade.tools.chain import render_direct
from vibegrade.tools.color import hsv_to_rgb
from vibegrade.tools.selective import apply_selective

REASON = {
    "adjust": "Not needed: the other tools already carry this look and global changes would not be visible.",
    "selective_adjust": "Not needed: no single colour range needs a visible change of its own here.",
    "filter": "No preset: a filter at a visible strength would not match this request better.",
}


def chart() -> np.ndarray:
    h, s, v = np.meshgrid(np.arange(0, 360, 5, dtype=np.float32),
                          np.array([0.25, 0.5, 0.75, 1.0], np.float32),
                          np.array([0.35, 0.65, 0.95], np.float32), indexing="ij")
    return hsv_to_rgb(np.stack([h, s, v], -1).reshape(-1, 1, 3))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--photo-jnd", type=float, default=1.0)
    ap.add_argument("--chart-jnd", type=float, default=2.0)
    ap.add_argument("--dry-run", action="store_true")
    a = ap.parse_args()
    imgs = sample_thumbnails(64)
    ch = chart()
    ch_lab = rgb2lab(ch)
    dropped = collections.Counter()
    cache: dict[str, dict[str, bool]] = {}

    def labs(c):
        return [rgb2lab(render_direct(im, c)) for im in imgs]

    def decide(chain) -> dict[str, bool]:
        key = chain.model_dump_json()
        if key in cache:
            return cache[key]
        drop = {}
        full = None
        for tool, empty in (("adjust", {"adjust": Adjust()}), ("filter", {"filter": Filter()})):
            if chain.used()[tool]:
                full = full or labs(chain)
                other = labs(chain.model_copy(update=empty))
                d = float(np.mean([deltaE_ciede2000(x, y).mean() for x, y in zip(full, other)]))
                drop[tool] = d < a.photo_jnd
        if chain.selective_adjust.used:
            d = deltaE_ciede2000(ch_lab, rgb2lab(apply_selective(ch, chain.selective_adjust)))
            drop["selective_adjust"] = float(np.percentile(d, 95)) < a.chart_jnd
        cache[key] = drop
        return drop

    for path in a.files:
        rows = []
        for row, errs, where in iter_rows(path):
            if errs or row is None:
                raise SystemExit(f"{where}: {errs}")
            drop = decide(row.chain)
            update = {}
            for tool, d in drop.items():
                if d:
                    update[tool] = {"adjust": Adjust(), "selective_adjust": SelectiveAdjust(),
                                    "filter": Filter()}[tool]
                    row.rationale[tool] = REASON[tool]
                    dropped[tool] += 1
            if update:
                row.chain = row.chain.model_copy(update=update)
            rows.append(row)
        if not a.dry_run:
            write_rows(path, rows)
    print(json.dumps({"dropped": dict(dropped)}))


if __name__ == "__main__":
    main()
