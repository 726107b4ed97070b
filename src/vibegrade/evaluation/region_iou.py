"""Quality of the regional tool's masks against hand-drawn reference masks (``data/agent/masks``).

A reference file draws four regions of one photo (``sky``, ``people``, ``faces``, ``subject``) as
filled polygons, with optional holes, in pixels of the EXIF-oriented photo, and lists the regions the
photo lacks in ``absent``. Each is rasterised with ``cv2.fillPoly`` (holes subtracted).

Scores per region, our soft mask thresholded at 0.5:

* region drawn: intersection over union (IoU) in [0, 1];
* region absent: the false-positive area share, the fraction of the frame our mask claims, in [0, 1]
  (0 is right).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

__all__ = ["REFERENCE_REGIONS", "Reference", "RegionScore", "load_reference", "rasterise", "score_region",
           "score_photo"]

REFERENCE_REGIONS: tuple[str, ...] = ("sky", "people", "faces", "subject")
THRESHOLD = 0.5


@dataclass(frozen=True)
class Reference:
    """One photo's reference: boolean masks ``(height, width)`` of the drawn regions, and the absent
    ones."""

    photo: str
    width: int
    height: int
    masks: dict[str, np.ndarray]
    absent: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class RegionScore:
    """``kind`` is ``"iou"`` (region drawn) or ``"fp_share"`` (region absent); ``value`` in [0, 1]."""

    region: str
    kind: str
    value: float
    predicted_share: float
    reference_share: float


def _polygons(value: object, where: str) -> list[np.ndarray]:
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list of polygons")
    out = []
    for i, poly in enumerate(value):
        arr = np.asarray(poly, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != 2 or len(arr) < 3:
            raise ValueError(f"{where}[{i}]: a polygon is a list of at least 3 [x, y] points")
        out.append(np.round(arr).astype(np.int32))
    return out


def rasterise(polygons: list[np.ndarray], holes: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """Filled ``polygons`` minus filled ``holes`` as a boolean ``shape`` mask."""
    m = np.zeros(shape, dtype=np.uint8)
    if polygons:
        cv2.fillPoly(m, polygons, 1)
    if holes:
        cv2.fillPoly(m, holes, 0)
    return m.astype(bool)


def load_reference(path: str | os.PathLike[str]) -> Reference:
    """Read and rasterise one reference file; ``ValueError`` with the file's name when it is malformed."""
    p = Path(path)
    try:
        data = json.loads(p.read_text())
        width, height = int(data["width"]), int(data["height"])
        regions = data["regions"]
        holes = data.get("holes") or {}
        absent = frozenset(data.get("absent") or ())
        photo = str(data["photo"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{p.name}: not a reference mask file ({e})") from None
    if width < 1 or height < 1:
        raise ValueError(f"{p.name}: bad size {width}x{height}")
    masks = {}
    for name in REFERENCE_REGIONS:
        if name in regions:
            polys = _polygons(regions[name], f"{p.name}: regions.{name}")
            cut = _polygons(holes.get(name, []), f"{p.name}: holes.{name}")
            masks[name] = rasterise(polys, cut, (height, width))
        elif name not in absent:
            raise ValueError(f"{p.name}: region {name!r} neither drawn nor absent")
    return Reference(photo, width, height, masks, absent)


def score_region(name: str, predicted: np.ndarray, reference: np.ndarray | None) -> RegionScore:
    """Score one soft mask against the reference (None: the region is absent from the photo)."""
    pred = np.asarray(predicted) >= THRESHOLD
    share = float(pred.mean())
    if reference is None:
        return RegionScore(name, "fp_share", share, share, 0.0)
    if reference.shape != pred.shape:
        raise ValueError(f"{name}: mask shape {pred.shape} differs from the reference's {reference.shape}")
    union = int(np.count_nonzero(pred | reference))
    inter = int(np.count_nonzero(pred & reference))
    iou = inter / union if union else 1.0
    return RegionScore(name, "iou", iou, share, float(reference.mean()))


def score_photo(masks: dict[str, np.ndarray], reference: Reference) -> dict[str, RegionScore]:
    """Score the photo's masks on every region of the reference (drawn or absent)."""
    out = {}
    for name in REFERENCE_REGIONS:
        if name in reference.masks:
            out[name] = score_region(name, masks[name], reference.masks[name])
        elif name in reference.absent:
            out[name] = score_region(name, masks[name], None)
    return out
