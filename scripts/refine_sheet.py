#!/usr/bin/env python3
"""Render conversations (a first look, then follow-ups) with the shipped student and refinement model, one
row per conversation, one tile per turn: what a user sees while refining.

    .venv/bin/python scripts/refine_sheet.py ../shared/photos/red_barn_pond_sky.jpg \
        docs/images/refine_turns_barn.jpg

``--set vivid`` (``--set which``: the eighth session's which-way mends) renders vivid follow-ups
(complaints, pointers back, slider talk) on their first looks
instead; ``--label`` prefixes each follow-up's tile and ``--beside`` puts another sheet of the same
height to the left, for a before / now sheet of two versions of the code:

    git worktree add /tmp/before 9cbda53
    PYTHONPATH=/tmp/before/src .venv/bin/python scripts/refine_sheet.py --set vivid --label 9cbda53 \
        ../shared/photos/caps_colourful_wall_sky.jpg /tmp/vivid_before.png
    .venv/bin/python scripts/refine_sheet.py --set vivid --label now --beside /tmp/vivid_before.png \
        ../shared/photos/caps_colourful_wall_sky.jpg docs/images/refine_vivid_caps.jpg
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
VIVID = [
    ["golden hour", "the oranges look like traffic cones, pull them way down"],
    ["teal and orange", "teal --- heaps"],
    ["moody", "the darks are too closed up"],
    ["golden hour", "tad warm rn"],
    ["cinematic", "nix the glow and give it some bite"],
]
# December 7, eighth session: the reader's which-way mends and the scale check
WHICH = [
    ["golden hour", "cool down the tones"],
    ["golden hour", "as toasty as it can possibly be"],
    ["moody", "take it further"],
    ["teal and orange", "the effect is twice as strong as it should be"],
    ["cinematic", "temp - exposure - pls"],
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("photo", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--width", type=int, default=260)
    ap.add_argument("--set", choices=("turns", "vivid", "which"), default="turns", help="which conversations")
    ap.add_argument("--label", default="", help="written before each follow-up on its tile")
    ap.add_argument("--beside", type=Path, help="a sheet of the same height to put on the left")
    a = ap.parse_args()

    from PIL import Image, ImageDraw

    import vibegrade
    from vibegrade.students.conversation import History
    from vibegrade.students.refine import apply, load_refiner

    src = Image.open(a.photo).convert("RGB")
    src = src.resize((a.width, round(src.height * a.width / src.width)), Image.Resampling.LANCZOS)
    refiner = load_refiner()
    rows = []
    for conv in {"turns": CONVERSATIONS, "vivid": VIVID, "which": WHICH}[a.set]:
        history = History.start(vibegrade.predict(conv[0]), conv[0])
        tiles = [(conv[0], history.current)]
        for text in conv[1:]:
            r = refiner.refine(history.current, text)
            apply(history, r)
            tiles.append((f"{a.label + ': ' if a.label else ''}{text} [{r.op}]", history.current))
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
    if a.beside is not None:
        left = Image.open(a.beside).convert("RGB")
        if left.height != sheet.height:
            raise SystemExit(f"refine_sheet: {a.beside} is {left.height} px high, this sheet {sheet.height}")
        both = Image.new("RGB", (left.width + 6 + sheet.width, sheet.height), "white")
        both.paste(left, (0, 0))
        both.paste(sheet, (left.width + 6, 0))
        sheet = both
    a.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(a.out, quality=88)
    print(f"wrote {a.out} ({sheet.width}x{sheet.height})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
