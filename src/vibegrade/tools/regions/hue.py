"""Hue regions: reds, oranges, yellows, greens, cyans, blues.

Exactly the colour-range weights of the ``selective_adjust`` tool
(:func:`vibegrade.tools.selective.color_weights`): raised-cosine hue windows centred on 0, 30, 60, 120,
180 and 240 degrees (HSV hue) that sum to 1 around the circle, times a chroma ramp (smoothstep over
hexcone chroma 0..0.4), so a grey pixel belongs to no hue region and a saturated one fully to its own.
"""

from __future__ import annotations

import numpy as np

from vibegrade.schema import SELECTIVE_COLORS
from vibegrade.tools.selective import color_weights

__all__ = ["HUE_NAMES", "hue_masks"]

#: Region name of each selective colour range, in :data:`vibegrade.schema.SELECTIVE_COLORS` order.
HUE_NAMES: tuple[str, ...] = tuple(c + "s" for c in SELECTIVE_COLORS)


def hue_masks(rgb: np.ndarray) -> dict[str, np.ndarray]:
    """``{reds, ..., blues}`` float32 in [0, 1] for sRGB float ``(..., 3)`` in [0, 1]."""
    w = color_weights(np.asarray(rgb, dtype=np.float32))
    return {name: np.ascontiguousarray(w[..., i]) for i, name in enumerate(HUE_NAMES)}
