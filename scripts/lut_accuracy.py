"""Accuracy of the baked LUT path against direct per-pixel evaluation, on 8-bit images.

Usage: .venv/bin/python scripts/lut_accuracy.py [--json]

For each test chain (every parameter at full strength, plus a realistic look) and each LUT size /
interpolation, prints the maximum and mean absolute error in 8-bit levels over the bundled samples
and a gamut-covering colour cube.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from tools.test_chain import STRONG  # noqa: E402  (the same chains the accuracy test uses)

from vibegrade.samples import SAMPLE_IMAGES  # noqa: E402
from vibegrade.schema import parse_chain  # noqa: E402
from vibegrade.tools.chain import Renderer, render_direct  # noqa: E402


def images() -> list[np.ndarray]:
    from PIL import Image

    out = [np.asarray(Image.open(p).convert("RGB")) for p in SAMPLE_IMAGES.values()]
    lv = np.arange(0, 256, 4, dtype=np.uint8)
    r, g, b = np.meshgrid(lv, lv, lv, indexing="ij")
    out.append(np.stack([r, g, b], -1).reshape(512, 512, 3))
    return out


def main() -> None:
    imgs = images()
    configs = [("33 pillow-trilinear", 33, "trilinear", True), ("33 tetrahedral", 33, "tetrahedral", False),
               ("65 pillow-trilinear", 65, "trilinear", True), ("65 tetrahedral", 65, "tetrahedral", False)]
    rows = []
    for spec in STRONG:
        chain = parse_chain(spec)
        ref = [render_direct(im, chain).astype(np.int16) for im in imgs]
        row = {"chain": json.dumps({k: v for k, v in spec.items()}, separators=(",", ":"))[:70]}
        for label, size, interp, fast in configs:
            r = Renderer(chain, lut_size=size, interpolation=interp, u8_fast=fast)
            diffs = [np.abs(r(im).astype(np.int16) - ref_i) for im, ref_i in zip(imgs, ref)]
            row[label] = {"max": int(max(d.max() for d in diffs)),
                          "mean": round(float(np.mean([d.mean() for d in diffs])), 3)}
        rows.append(row)
    if "--json" in sys.argv:
        print(json.dumps(rows))
        return
    print(f"{'chain':72s}" + "".join(f"{c[0]:>22s}" for c in configs))
    for row in rows:
        print(f"{row['chain']:72s}" + "".join(
            f"{row[c[0]]['max']:>12d} / {row[c[0]]['mean']:<7.3f}" for c in configs))
    worst = {c[0]: max(r[c[0]]["max"] for r in rows) for c in configs}
    print("worst max error (8-bit levels):", worst)


if __name__ == "__main__":
    main()
