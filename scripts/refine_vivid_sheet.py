#!/usr/bin/env python3
"""Render vivid follow-ups (complaints, pointers back, slider talk), each on its first look, as one row of
tiles with the shipped student and refinement model; ``--above`` stacks a row rendered by other code
(e.g. an older commit) above it, for a before / now sheet.

    git worktree add /tmp/before 9cbda53
    PYTHONPATH=/tmp/before/src .venv/bin/python scripts/refine_vivid_sheet.py \\
        ../shared/photos/caps_colourful_wall_sky.jpg /tmp/vivid_before.png --label 9cbda53
    .venv/bin/python scripts/refine_vivid_sheet.py ../shared/photos/caps_colourful_wall_sky.jpg \\
        docs/images/refine_vivid_caps.jpg --label now --above /tmp/vivid_before.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

CASES = [("golden hour", "the oranges look like traffic cones, pull them way down"),
         ("teal and orange", "teal --- heaps"),
         ("moody", "the darks are too closed up"),
         ("golden hour", "tad warm rn"),
         ("cinematic", "nix the glow and give it some bite")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("photo", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--label", default="now", help="written on each tile (default: now)")
    ap.add_argument("--above", type=Path, help="an image of the same width to stack above this row")
    ap.add_argument("--width", type=int, default=256, help="tile width in pixels (default: 256)")
    a = ap.parse_args()

    import numpy as np
    from PIL import Image, ImageDraw

    import vibegrade
    from vibegrade.students.conversation import History
    from vibegrade.students.refine import apply, load_refiner

    src = Image.open(a.photo).convert("RGB")
    src = src.resize((a.width, round(src.height * a.width / src.width)), Image.Resampling.LANCZOS)
    pixels = np.asarray(src)
    refiner = load_refiner()
    row = Image.new("RGB", (a.width * len(CASES), src.height), "white")
    for k, (look, follow_up) in enumerate(CASES):
        history = History.start(vibegrade.predict(look), look)
        apply(history, refiner.refine(history.current, follow_up))
        tile = Image.fromarray(vibegrade.render(pixels, history.current))
        draw = ImageDraw.Draw(tile)
        draw.rectangle([0, 0, a.width, 26], fill=(0, 0, 0))
        draw.text((3, 1), f"{a.label}: {look} +", fill=(255, 255, 255))
        draw.text((3, 13), follow_up[:42], fill=(255, 255, 255))
        row.paste(tile, (k * a.width, 0))
    if a.above is not None:
        top = Image.open(a.above).convert("RGB")
        if top.width != row.width:
            raise SystemExit(f"refine_vivid_sheet: {a.above} is {top.width} px wide, this row {row.width}")
        sheet = Image.new("RGB", (row.width, top.height + 4 + row.height), "white")
        sheet.paste(top, (0, 0))
        sheet.paste(row, (0, top.height + 4))
        row = sheet
    a.out.parent.mkdir(parents=True, exist_ok=True)
    row.save(a.out, quality=88)
    print(f"wrote {a.out} ({row.width}x{row.height})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
