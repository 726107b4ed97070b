"""Face detection (OpenCV's Haar cascade) and the soft face mask.

Detector: Viola & Jones' boosted Haar cascade for frontal faces as trained for OpenCV
(``haarcascade_frontalface_default.xml``), shipped inside the ``opencv-contrib-python-headless`` wheel
(``cv2.data.haarcascades``); nothing is downloaded. It runs on histogram-equalised luma with the long side
at :data:`DETECT_SIZE` px, so it finds faces of about 5 % of the long side and more (a portrait, a group
at a meeting; not the tiny faces of a wide beach scene, and no faces seen in profile or under helmets).
A detection is kept only when the inner part of its box is mostly skin-coloured (the generic model of
:mod:`.skin`), which removes the cascade's false alarms on textures, windows and ornaments.

Mask: each face is a soft ellipse fitted to the cascade's box (forehead to chin, ear to ear), weighted
towards the skin-coloured pixels inside it; values in [0, 1], 0 where no face was found.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from vibegrade.tools.regions.proxy import Proxy

__all__ = ["Face", "detect_faces", "face_ellipses", "face_mask"]

#: smallest face searched for (px at the detection size)
MIN_FACE_PX = 20
#: the detection image's long side (px)
DETECT_SIZE = 448
#: share of a face box's inner pixels that must be skin-coloured
MIN_SKIN_SHARE = 0.5
#: cascade neighbours (overlapping raw detections) that make a face certain without the skin check's
#: help; weaker ones (down to the cascade's minimum) need the skin check
STRONG_NEIGHBOURS = 8


@dataclass(frozen=True)
class Face:
    """One face: box in working-resolution pixels (x, y to the right and down) and the number of
    overlapping raw detections that support it (the cascade's confidence)."""

    x: float
    y: float
    w: float
    h: float
    score: float

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


_LOCAL = threading.local()


def _cascade(name: str) -> cv2.CascadeClassifier:
    """The cascade, loaded once per thread (a CascadeClassifier is not safe to share between threads)."""
    cascades: dict[str, cv2.CascadeClassifier] = _LOCAL.__dict__.setdefault("cascades", {})
    if name not in cascades:
        path = cv2.data.haarcascades + name  # type: ignore[attr-defined]
        c = cv2.CascadeClassifier(path)
        if c.empty():
            raise RuntimeError(f"OpenCV Haar cascade {path} missing: install opencv-contrib-python-headless")
        cascades[name] = c
    return cascades[name]


def detect_faces(proxy: Proxy) -> list[Face]:
    """Faces of the picture in working-resolution coordinates, most confident first."""
    from vibegrade.tools.regions.skin import generic_skin

    height, width = proxy.full_shape
    s = min(1.0, DETECT_SIZE / max(height, width))
    if abs(s - proxy.scale) < 1e-9:
        det = proxy.u8
    else:  # from the working image when it is larger than the detection size (cheaper than full size)
        src = proxy.u8 if proxy.scale > s else proxy.full_u8
        det = cv2.resize(src, (round(width * s), round(height * s)), interpolation=cv2.INTER_AREA)
    gray = cv2.equalizeHist(cv2.cvtColor(det, cv2.COLOR_RGB2GRAY))
    rects, neighbours = _cascade("haarcascade_frontalface_default.xml").detectMultiScale2(
        gray, scaleFactor=1.2, minNeighbors=3, minSize=(MIN_FACE_PX, MIN_FACE_PX))
    if len(rects) == 0:
        return []
    skin = generic_skin(det.astype(np.float32) / 255.0)
    k = proxy.scale / s
    kept: list[Face] = []
    for (x, y, w, h), n in sorted(zip(np.asarray(rects).reshape(-1, 4).tolist(),
                                        np.ravel(neighbours).tolist()), key=lambda r: -r[1]):
        # the skin check on the box's inner part (cheeks, nose, mouth)
        inner = skin[int(y + 0.3 * h):int(y + 0.8 * h), int(x + 0.25 * w):int(x + 0.75 * w)]
        share = float((inner > 0.5).mean()) if inner.size else 0.0
        if share < MIN_SKIN_SHARE and not (n >= STRONG_NEIGHBOURS and share >= MIN_SKIN_SHARE / 2):
            continue
        kept.append(Face(x * k, y * k, w * k, h * k, float(n)))
    return kept


#: the face mask's value on non-skin pixels inside the ellipse (1 on skin)
SKIN_FLOOR = 0.2
#: the face ellipse relative to the cascade's box: centre offset (x, y) and radii, in box sizes
ELLIPSE = (0.0, 0.05, 0.46, 0.56)


def face_ellipses(faces: list[Face], shape: tuple[int, int], scale: float = 1.0,
                  softness: float = 0.12) -> np.ndarray:
    """Union of the soft face ellipses, ``(h, w)`` float32 in [0, 1] (1 inside, a ramp of ``softness``
    radii at the rim); ``scale`` grows every ellipse."""
    h, w = shape
    out = np.zeros(shape, dtype=np.float32)
    if not faces:
        return out
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for f in faces:
        cx, cy = f.center
        cx += ELLIPSE[0] * f.w
        cy += ELLIPSE[1] * f.h
        rx, ry = ELLIPSE[2] * f.w * scale, ELLIPSE[3] * f.h * scale
        d = np.sqrt(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2)
        out = np.maximum(out, np.clip((1.0 + softness - d) / (2 * softness), 0.0, 1.0))
    return out


def face_mask(proxy: Proxy, skin_colour: np.ndarray) -> np.ndarray:
    """Soft face mask at working resolution, ``(h, w)`` float32 in [0, 1].

    Args:
        skin_colour: the picture's skin-colour likelihood at working resolution (0..1).
    """
    ell = face_ellipses(proxy.faces, proxy.shape)
    if not ell.any():
        return ell
    # inside the ellipse keep the skin-coloured pixels (eyes, brows and lips stay in through the blur)
    skin = cv2.GaussianBlur(skin_colour, (0, 0), max(1.0, 0.01 * max(proxy.shape)))
    floor = SKIN_FLOOR
    return np.clip(ell * (floor + (1 - floor) * np.clip(skin * 1.5, 0, 1)), 0.0, 1.0).astype(np.float32)
