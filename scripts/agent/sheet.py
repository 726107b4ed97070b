"""A contact sheet of agent runs: original, the single-shot student, the agent (shipped models).

    .venv/bin/python scripts/agent/sheet.py --out docs/images/agent_sheet.jpg

Each row is one (photo, request) from ROWS: the photo, the single-shot student's global look for the
request, and the agent's result (offline planner, default mode and budget), with the checklist share the
judge gives each (on the agent's own plan) written under it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from vibegrade.agent.run import run_agent  # noqa: E402
from vibegrade.agent.training import PhotoBank  # noqa: E402
from vibegrade.tools.chain import render  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "photos"
ROWS = (
    ("red_barn_pond_sky.jpg", "make the sky dramatic but keep the barn warm"),
    ("portrait_girl_red_hat.jpg", "cold winter morning but keep the face warm"),
    ("food_fig_red_plate.jpg", "make the product pop, darker background"),
    ("coast_lighthouse_sky.jpg", "like a faded summer memory"),
)
WIDTH = 360


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    bank = PhotoBank(PHOTOS)
    rows = []
    for photo, request in ROWS:
        full = bank.load(photo)
        res = run_agent(full, request)
        s = WIDTH / full.shape[1]
        size = (WIDTH, round(full.shape[0] * s))
        small = cv2.resize(full, size, interpolation=cv2.INTER_AREA)
        masks = {k: cv2.resize(m, size, interpolation=cv2.INTER_AREA) for k, m in res.masks.items()}
        tiles = [small, render(small, res.baseline_chain), render(small, res.chain, masks=masks)]
        labels = ["original", f"single shot: {res.baseline_verdict.checklist_satisfied:.0%} of the plan met",
                  f"agent: {res.verdict.checklist_satisfied:.0%} met, {len(res.steps)} steps"]
        gap = np.full((size[1], 6, 3), 255, np.uint8)
        strip = np.hstack([tiles[0], gap, tiles[1], gap, tiles[2]])
        canvas = Image.new("RGB", (strip.shape[1], strip.shape[0] + 44), "white")
        canvas.paste(Image.fromarray(strip), (0, 22))
        d = ImageDraw.Draw(canvas)
        d.text((4, 4), f'"{request}"', fill="black")
        for i, text in enumerate(labels):
            d.text((4 + i * (WIDTH + 6), strip.shape[0] + 26), text, fill="black")
        rows.append(np.asarray(canvas))
        print(photo, request, [i.id for i in res.checklist.items], res.verdict.checklist_satisfied,
              file=sys.stderr)
    width = max(r.shape[1] for r in rows)
    sheet = np.vstack([np.pad(r, ((0, 8), (0, width - r.shape[1]), (0, 0)), constant_values=255)
                       for r in rows])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(args.out, quality=88)
    return 0


if __name__ == "__main__":
    sys.exit(main())
