"""Render some rows of a vibes JSONL file on a sample image as a labelled grid, for eyeball review.

Usage: .venv/bin/python scripts/render_rows_sheet.py FILE.jsonl OUT.png [--start 0] [--n 40] [--image astronaut]
(A stop-gap until `vibegrade data sheet` exists.)
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from PIL import Image, ImageDraw

from vibegrade.samples import sample_path
from vibegrade.schema import parse_chain
from vibegrade.tools.chain import render


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("out")
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--image", default="astronaut")
    ap.add_argument("--cols", type=int, default=8)
    a = ap.parse_args()
    rows = [json.loads(x) for x in open(a.file, encoding="utf-8") if x.strip()][a.start:a.start + a.n]
    with Image.open(sample_path(a.image)) as im:
        base = im.convert("RGB")
        base.thumbnail((180, 180))
        src = np.asarray(base)
    h, w = src.shape[:2]
    cells = [("(original)", src)] + [
        (r["intent"], render(src, parse_chain({k: r[k] for k in ("adjust", "selective_adjust", "filter")})))
        for r in rows]
    cols = a.cols
    rows_n = (len(cells) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * (w + 6), rows_n * (h + 22)), "white")
    d = ImageDraw.Draw(sheet)
    for i, (label, img) in enumerate(cells):
        x, y = (i % cols) * (w + 6), (i // cols) * (h + 22)
        sheet.paste(Image.fromarray(img), (x, y + 18))
        d.text((x + 2, y + 3), label[:30], fill="black")
    sheet.save(a.out)
    print(f"wrote {a.out} ({len(cells) - 1} rows)")


if __name__ == "__main__":
    main()
