"""``vibegrade data sheet``: render requests on a sample image as a labelled grid (for human review)."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vibegrade.data.rows import VibeRow
from vibegrade.tools.chain import render

__all__ = ["contact_sheet"]


def contact_sheet(rows: Sequence[VibeRow], image: np.ndarray, out: str | os.PathLike[str], *, cols: int = 8,
                  tile: int = 200, show_settings: bool = True) -> Path:
    """Render every row's chain on ``image`` (8-bit RGB) and save a grid with the request as label.

    The first tile is the untouched image. Labels show the request and, with ``show_settings``, the
    preset and intensity, so a reviewer can spot rows whose picture does not match the request.
    """
    base = Image.fromarray(image)
    base.thumbnail((tile, tile))
    src = np.asarray(base.convert("RGB"))
    h, w = src.shape[:2]
    font = ImageFont.load_default()
    label_h = 30
    cells = [("(original)", "", src)]
    for r in rows:
        f = r.chain.filter
        detail = f"{f.name} {f.intensity}" if f.used else "no filter"
        cells.append((r.intent, detail, render(src, r.chain)))
    n_rows = (len(cells) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * (w + 6) + 6, n_rows * (h + label_h + 6) + 6), (245, 245, 245))
    draw = ImageDraw.Draw(sheet)
    for i, (label, detail, img) in enumerate(cells):
        x = 6 + (i % cols) * (w + 6)
        y = 6 + (i // cols) * (h + label_h + 6)
        draw.text((x, y), textwrap.shorten(label, width=max(10, w // 6), placeholder="…"),
                  fill=(0, 0, 0), font=font)
        if show_settings and detail:
            draw.text((x, y + 13), detail, fill=(90, 90, 90), font=font)
        sheet.paste(Image.fromarray(img), (x, y + label_h))
    from vibegrade.media.image import write_image

    write_image(out, np.asarray(sheet))
    return Path(out)
