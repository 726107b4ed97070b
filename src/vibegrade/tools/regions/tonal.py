"""Tonal bands: shadows, midtones and highlights as smooth functions of CIE L* (D65).

``shadows = 1 - smoothstep(10, 50, L*)``, ``highlights = smoothstep(50, 90, L*)`` and
``midtones = 1 - shadows - highlights``, so the three bands are in [0, 1] and sum to exactly 1 for every
pixel: pure black is all shadow, L* = 50 all midtone, pure white all highlight.
"""

from __future__ import annotations

import numpy as np

from vibegrade.tools.color import smoothstep

__all__ = ["TONAL_NAMES", "SHADOW_EDGES", "HIGHLIGHT_EDGES", "tonal_bands"]

TONAL_NAMES: tuple[str, ...] = ("shadows", "midtones", "highlights")
#: L* where the shadow band falls from 1 to 0
SHADOW_EDGES = (10.0, 50.0)
#: L* where the highlight band rises from 0 to 1
HIGHLIGHT_EDGES = (50.0, 90.0)


def tonal_bands(lstar: np.ndarray) -> dict[str, np.ndarray]:
    """``{shadows, midtones, highlights}`` float32 in [0, 1] (summing to 1) for L* in [0, 100]."""
    shadows = 1.0 - smoothstep(SHADOW_EDGES[0], SHADOW_EDGES[1], lstar)
    highlights = smoothstep(HIGHLIGHT_EDGES[0], HIGHLIGHT_EDGES[1], lstar)
    midtones = np.clip(1.0 - shadows - highlights, 0.0, 1.0)
    return {"shadows": shadows.astype(np.float32), "midtones": midtones.astype(np.float32),
            "highlights": highlights.astype(np.float32)}
