"""Geometric regions: a radial spotlight and its vignette, and two linear (graduated) gradients.

Positions are normalised to the frame: ``u`` = x / width and ``v`` = y / height, both in [0, 1].

* center: ``1 - smoothstep(0.25, 0.95, r)`` with ``r`` the elliptical radius ``hypot(2u - 1, 2v - 1)``
  (0 at the centre, 1 at the middle of each side, 1.41 in the corners): 1 on the middle of the frame,
  fading to 0 just inside the sides.
* edges: ``1 - center`` (the vignette).
* top: ``1 - smoothstep(0.1, 0.6, v)``: full over the top tenth, gone below 60 % of the height (a
  graduated filter for a sky).
* bottom: ``smoothstep(0.4, 0.9, v)``: its mirror image (foreground, water).
"""

from __future__ import annotations

import cv2
import numpy as np

from vibegrade.tools.color import smoothstep

__all__ = ["GEOMETRIC_NAMES", "geometric_masks"]

GEOMETRIC_NAMES: tuple[str, ...] = ("center", "edges", "top", "bottom")
CENTER_EDGES = (0.25, 0.95)
TOP_EDGES = (0.1, 0.6)
BOTTOM_EDGES = (0.4, 0.9)


def _column(values: np.ndarray, width: int) -> np.ndarray:
    """An ``(H, 1)`` column repeated across ``width`` columns, as a new contiguous array."""
    return np.ascontiguousarray(np.broadcast_to(values, (values.shape[0], width)), dtype=np.float32)


def geometric_masks(shape: tuple[int, int], names: tuple[str, ...] = GEOMETRIC_NAMES
                    ) -> dict[str, np.ndarray]:
    """The asked geometric masks for an image of ``shape`` (H, W): float32 in [0, 1], each (H, W).

    The radial pair is evaluated on a grid of at most 256 px and resized bilinearly (it is smooth: the
    difference from an exact evaluation is below 1e-3).
    """
    height, width = shape
    v = ((np.arange(height, dtype=np.float32) + 0.5) / height)[:, None]
    out: dict[str, np.ndarray] = {}
    if "center" in names or "edges" in names:
        s = min(1.0, 256 / max(height, width))
        gh, gw = max(2, round(height * s)), max(2, round(width * s))
        gv = ((np.arange(gh, dtype=np.float32) + 0.5) / gh)[:, None]
        gu = ((np.arange(gw, dtype=np.float32) + 0.5) / gw)[None, :]
        r = np.sqrt((2 * gu - 1) ** 2 + (2 * gv - 1) ** 2)
        center: np.ndarray = 1.0 - smoothstep(CENTER_EDGES[0], CENTER_EDGES[1], r)
        if (gh, gw) != (height, width):
            center = cv2.resize(center, (width, height), interpolation=cv2.INTER_LINEAR)
        if "center" in names:
            out["center"] = center
        if "edges" in names:
            out["edges"] = 1.0 - center
    if "top" in names:
        out["top"] = _column(1.0 - smoothstep(TOP_EDGES[0], TOP_EDGES[1], v), width)
    if "bottom" in names:
        out["bottom"] = _column(smoothstep(BOTTOM_EDGES[0], BOTTOM_EDGES[1], v), width)
    return {k: np.ascontiguousarray(out[k], dtype=np.float32) for k in names if k in out}
