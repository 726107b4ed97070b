"""Perceptual view of prediction quality: how different do the two looks actually look?

Parameter cosines punish different settings that produce the same picture (a warm preset versus a
temperature shift). Here the predicted and the ground-truth chains are both rendered on the bundled
sample photos (downscaled) and compared pixel by pixel with the CIEDE2000 colour difference
(G. Sharma, W. Wu, E. N. Dalal, "The CIEDE2000 color-difference formula", Color Research &
Application 30(1), 2005; implementation: scikit-image). Lower is better; about 2.3 is a just
noticeable difference.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from vibegrade.extras import require
from vibegrade.samples import SAMPLE_IMAGES
from vibegrade.schema import ToolChain
from vibegrade.tools.chain import render_direct

__all__ = ["perceptual_score", "sample_thumbnails"]


@lru_cache(maxsize=4)
def sample_thumbnails(max_side: int = 96) -> tuple[np.ndarray, ...]:
    """The bundled sample photos as float32 RGB in [0, 1], longest side ``max_side`` px."""
    from PIL import Image

    out = []
    for path in SAMPLE_IMAGES.values():
        with Image.open(path) as im:
            rgb = im.convert("RGB")
            rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            out.append(np.asarray(rgb, dtype=np.float32) / 255.0)
    return tuple(out)


def _render(img: np.ndarray, chain: ToolChain) -> np.ndarray:
    return render_direct(img, chain)


def perceptual_score(preds: Sequence[ToolChain], truths: Sequence[ToolChain], max_side: int = 96,
                     jnd: float = 5.0) -> dict[str, Any]:
    """Mean CIEDE2000 between renders of predicted and true chains over the sample photos.

    Returns ``{"mean_delta_e": ..., "median_delta_e": ..., "share_below_<jnd>": ..., "images": k}``;
    ``share_below`` is the fraction of requests whose mean difference is under ``jnd``.
    """
    color = require("skimage.color", "eval", "the perceptual score")
    deltaE_ciede2000, rgb2lab = color.deltaE_ciede2000, color.rgb2lab

    imgs = sample_thumbnails(max_side)
    cache: dict[str, list[np.ndarray]] = {}

    def labs(chain: ToolChain) -> list[np.ndarray]:
        key = chain.model_dump_json()
        if key not in cache:
            cache[key] = [rgb2lab(_render(im, chain)) for im in imgs]
        return cache[key]

    per_request = []
    for p, t in zip(preds, truths):
        lp, lt = labs(p), labs(t)
        per_request.append(float(np.mean([deltaE_ciede2000(a, b).mean() for a, b in zip(lp, lt)])))
    arr = np.asarray(per_request)
    return {
        "mean_delta_e": round(float(arr.mean()), 3) if arr.size else None,
        "median_delta_e": round(float(np.median(arr)), 3) if arr.size else None,
        f"share_below_{jnd:g}": round(float((arr < jnd).mean()), 4) if arr.size else None,
        "images": len(imgs),
        "max_side": max_side,
    }
