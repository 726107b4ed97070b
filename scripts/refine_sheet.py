#!/usr/bin/env python3
"""Render conversations (a first look, then follow-ups) with the shipped student and refinement model, one
row per conversation, one tile per turn: what a user sees while refining.

    .venv/bin/python scripts/refine_sheet.py ../shared/photos/red_barn_pond_sky.jpg \
        docs/images/refine_turns_barn.jpg
"""

from __future__ import annotations

import argparse
from pathlib import Path

CONVERSATIONS = [
    ["golden hour", "slightly warmer", "way too orange now", "lift the shadows a bit", "undo"],
    ["cinematic", "less", "more contrast", "drop the filter", "make it black and white"],
    ["vintage", "a bit more faded", "cooler", "more like the matrix", "start over"],
    ["moody", "too dark", "less saturated", "warmer skin", "push it"],
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("photo", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--width", type=int, default=260)
    a = ap.parse_args()

    from PIL import Image, ImageDraw

    import vibegrade
    from vibegrade.students.conversation import History
    from vibegrade.students.refine import apply, load_refiner

    src = Image.open(a.photo).convert("RGB")
    src = src.resize((a.width, round(src.height * a.width / src.width)), Image.Resampling.LANCZOS)
    refiner = load_refiner()
    rows = []
    for conv in CONVERSATIONS:
        history = History.start(vibegrade.predict(conv[0]), conv[0])
        tiles = [(conv[0], history.current)]
        for text in conv[1:]:
            r = refiner.refine(history.current, text)
            apply(history, r)
            tiles.append((f"{text} [{r.op}]", history.current))
        rows.append(tiles)
    th = src.height + 22
    cols = max(len(r) for r in rows)
    sheet = Image.new("RGB", (cols * src.width, len(rows) * th), "white")
    for y, tiles in enumerate(rows):
        for x, (label, chain) in enumerate(tiles):
            tile = Image.new("RGB", (src.width, th), "white")
            tile.paste(vibegrade.render(src, chain), (0, 22))
            ImageDraw.Draw(tile).text((4, 5), ("> " if x else "") + label[:40], fill="black")
            sheet.paste(tile, (x * src.width, y * th))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(a.out, quality=88)
    print(f"wrote {a.out} ({sheet.width}x{sheet.height})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
