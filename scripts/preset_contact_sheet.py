#!/usr/bin/env python
"""Render every filter preset on the bundled sample images into one labelled contact sheet.

Each cell shows one preset (at intensity 100) applied to the four sample images plus a synthetic
test chart (hue sweep from tint through full colour to shade, over a grey ramp), which shows banding,
clipping and hue flips that photos can hide. The first cell is the untouched originals.

    .venv/bin/python scripts/preset_contact_sheet.py                      # -> out/presets_sheet.png
    .venv/bin/python scripts/preset_contact_sheet.py --only faded_Retro faded_Mist --scale 2
    .venv/bin/python scripts/preset_contact_sheet.py --from-design        # recipes, not the .cube files
"""

from __future__ import annotations

import argparse
import colorsys
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vibegrade.tools.filters import load_preset, preset_names, refresh_presets
from vibegrade.tools.lut import apply_lut_u8

SAMPLES = ("astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg")
ROOT = Path(__file__).resolve().parents[1]
SAMPLES_DIR = ROOT / "src" / "vibegrade" / "samples"
TILE_H = 133  # landscape samples downscaled to 200 px wide are 200x133
GAP = 4
LABEL_H = 18


def load_tiles(height: int) -> list[np.ndarray]:
    """The sample images scaled to a common ``height`` (the 3:2 ones are then ~200 px wide)."""
    tiles = []
    for name in SAMPLES:
        im = Image.open(SAMPLES_DIR / name).convert("RGB")
        w = round(im.width * height / im.height)
        tiles.append(np.asarray(im.resize((w, height), Image.LANCZOS)))
    tiles.append(test_chart(round(height * 1.5), height))
    return tiles


def test_chart(w: int, h: int) -> np.ndarray:
    """Hue sweep (left to right) from pale tint (top) through full colour to shade, above a grey ramp."""
    ramp_h = max(8, h // 5)
    sweep_h = h - ramp_h
    hues = np.linspace(0, 1, w, endpoint=False)
    rows = np.linspace(0, 1, sweep_h)
    img = np.zeros((h, w, 3), np.float32)
    rgb = np.array([colorsys.hsv_to_rgb(hh, 1.0, 1.0) for hh in hues], np.float32)  # (w, 3), w ~ 200
    for i, t in enumerate(rows):  # t: 0 = tint, 0.5 = full colour, 1 = dark shade
        if t < 0.5:
            img[i] = 1.0 + (rgb - 1.0) * (t / 0.5)
        else:
            img[i] = rgb * (1.0 - (t - 0.5) / 0.5 * 0.9)
    img[sweep_h:] = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    return (img * 255 + 0.5).astype(np.uint8)


def strip(tiles: list[np.ndarray]) -> np.ndarray:
    h = tiles[0].shape[0]
    parts = []
    for t in tiles:
        parts += [t, np.full((h, GAP, 3), 255, np.uint8)]
    return np.concatenate(parts[:-1], axis=1)


def font(size: int) -> ImageFont.ImageFont:
    for name in ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf", "Arial.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default()


def render(names: list[str], luts: dict[str, np.ndarray], scale: float, cols: int) -> Image.Image:
    height = round(TILE_H * scale)
    tiles = load_tiles(height)
    cells = [("original", strip(tiles))]
    for n in names:
        cells.append((n, strip([apply_lut_u8(t, luts[n]) for t in tiles])))
    cw, ch = cells[0][1].shape[1], cells[0][1].shape[0] + LABEL_H
    rows = (len(cells) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * cw + (cols + 1) * 10, rows * ch + (rows + 1) * 8), (245, 245, 245))
    draw = ImageDraw.Draw(sheet)
    f = font(14)
    for k, (label, arr) in enumerate(cells):
        x = 10 + (k % cols) * (cw + 10)
        y = 8 + (k // cols) * (ch + 8)
        draw.text((x + 2, y + 1), label, fill=(0, 0, 0), font=f)
        sheet.paste(Image.fromarray(arr), (x, y + LABEL_H))
    return sheet


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "presets_sheet.png")
    ap.add_argument("--only", nargs="*", default=None, help="preset names (default: every installed preset)")
    ap.add_argument("--cols", type=int, default=2, help="preset cells per row (default 2)")
    ap.add_argument("--scale", type=float, default=1.0, help="tile size factor (1 = 200x133 px samples)")
    ap.add_argument("--from-design", action="store_true",
                    help="evaluate the recipes in design.py instead of reading the .cube files")
    args = ap.parse_args(argv)

    if args.from_design:
        from vibegrade.tools.filters.design import RECIPES, generate

        names = args.only or list(RECIPES)
        luts = {n: generate(n) for n in names}
    else:
        refresh_presets()
        names = args.only or preset_names()
        luts = {n: load_preset(n) for n in names}
    sheet = render(names, luts, args.scale, args.cols)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out)
    print(f"wrote {args.out} ({sheet.width}x{sheet.height}, {len(names)} presets)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
