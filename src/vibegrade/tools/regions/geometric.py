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

import numpy as np

from vibegrade.tools.color import smoothstep

__all__ = ["GEOMETRIC_NAMES", "geometric_masks"]

GEOMETRIC_NAMES: tuple[str, ...] = ("center", "edges", "top", "bottom")
CENTER_EDGES = (0.25, 0.95)
TOP_EDGES = (0.1, 0.6)
BOTTOM_EDGES = (0.4, 0.9)


def geometric_masks(shape: tuple[int, int], names: tuple[str, ...] = GEOMETRIC_NAMES
                    ) -> dict[str, np.ndarray]:
    """The asked geometric masks for an image of ``shape`` (H, W): float32 in [0, 1], each (H, W)."""
    height, width = shape
    v = ((np.arange(height, dtype=np.float32) + 0.5) / height)[:, None]
    u = ((np.arange(width, dtype=np.float32) + 0.5) / width)[None, :]
    out: dict[str, np.ndarray] = {}
    if "center" in names or "edges" in names:
        r = np.sqrt((2 * u - 1) ** 2 + (2 * v - 1) ** 2)
        center = 1.0 - smoothstep(CENTER_EDGES[0], CENTER_EDGES[1], r)
        if "center" in names:
            out["center"] = center.astype(np.float32)
        if "edges" in names:
            out["edges"] = (1.0 - center).astype(np.float32)
    if "top" in names:
        out["top"] = np.repeat(1.0 - smoothstep(TOP_EDGES[0], TOP_EDGES[1], v), width, axis=1)
    if "bottom" in names:
        out["bottom"] = np.repeat(smoothstep(BOTTOM_EDGES[0], BOTTOM_EDGES[1], v), width, axis=1)
    return {k: np.ascontiguousarray(out[k], dtype=np.float32) for k in names if k in out}
