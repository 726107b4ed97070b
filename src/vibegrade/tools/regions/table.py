"""Per-pixel colour functions evaluated at full resolution through a 64^3 RGB table.

The colour regions (tonal bands, hue ranges, skin tones) depend on nothing but each pixel's colour, so at
full resolution they need no upsampling at all: the function is evaluated once on the 262,144 colours of
a 6-bit-per-channel RGB grid and every pixel looks its colour's value up (nearest grid colour, at most
2/255 away per channel). Edges are then exactly the picture's, with no halo, at the cost of one gather per
mask. Images no larger than the grid are evaluated directly instead (exact).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import cv2
import numpy as np

__all__ = ["BITS", "evaluate_on_grid", "grid_colours", "grid_index", "lookup"]

BITS = 6
_LEVELS = 1 << BITS
#: 8-bit code -> nearest grid level (0..63)
_CODE_F = np.round(np.arange(256) * (_LEVELS - 1) / 255.0).astype(np.float32)
#: grid level (r, g, b) -> index r * 4096 + g * 64 + b (sums of integers below 2^18: exact in float32)
_WEIGHTS = np.array([[_LEVELS * _LEVELS, _LEVELS, 1]], dtype=np.float32)


@lru_cache(maxsize=1)
def grid_colours() -> np.ndarray:
    """The grid's colours as sRGB float32 ``(64^3, 3)`` in [0, 1], index ``r * 4096 + g * 64 + b``."""
    lv = np.linspace(0.0, 1.0, _LEVELS, dtype=np.float32)
    r, g, b = np.meshgrid(lv, lv, lv, indexing="ij")
    grid = np.stack([r, g, b], -1).reshape(-1, 3)
    grid.setflags(write=False)
    return grid


def grid_index(u8: np.ndarray) -> np.ndarray:
    """Grid index ``(H, W)`` int32 of every pixel of an 8-bit ``(H, W, 3)`` image."""
    codes = cv2.LUT(np.ascontiguousarray(u8), _CODE_F)  # float32 grid levels, exact integers
    return np.asarray(cv2.transform(codes, _WEIGHTS)).astype(np.int32)


def lookup(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``values`` (one float per grid colour) at each pixel's grid index: float32 of ``index``'s shape."""
    return np.take(np.asarray(values, dtype=np.float32), index)


def evaluate_on_grid(fn: Callable[[np.ndarray], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """``fn`` (sRGB float ``(N, 3)`` -> ``{name: (N,)}``) evaluated on the grid colours."""
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in fn(grid_colours()).items()}
