"""People: whole persons (head, hair, body, clothes) grown from detected faces and standing figures.

No segmentation model ships in an installable wheel here (see the package docstring), so each person
starts as a template:

* under each detected face (:mod:`.faces`), in face-box units ``f`` (the box's width): a head ellipse
  that takes in the hair, a neck, and a torso widening from shoulders 2.6 f wide down to the bottom of
  the frame or 7 f below the chin;
* for each standing figure found by OpenCV's HOG people detector (Dalal & Triggs, CVPR 2005; its linear
  SVM is compiled into OpenCV, ``cv2.HOGDescriptor_getDefaultPeopleDetector``) that no face explains:
  the middle of its window, where the detector's training figures stand.

GrabCut (Rother, Kolmogorov & Blake, SIGGRAPH 2004; ``cv2.grabCut``) then cuts the people out of the
templates at about 200 px: the face and the middle of the chest (the figure's spine) are certain
foreground, the template probable foreground, a ring around it probable background and the rest
certain background. The cut is softened by the colour guided filter so its edge follows the picture's.
With neither a face nor a figure the mask is all zero (people seen from behind, under helmets, sitting,
lying or too small for either detector are missed).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import cv2
import numpy as np

from vibegrade.tools.regions.proxy import grab_cut

if TYPE_CHECKING:
    from vibegrade.tools.regions.faces import Face
    from vibegrade.tools.regions.proxy import Proxy

__all__ = ["body_template", "people_mask"]

#: long side (px) of the image GrabCut runs on
CUT_SIZE = 200
CUT_ITERATIONS = 2
#: long side (px) of the image the HOG people detector runs on, and its SVM score threshold
HOG_SIZE = 400
HOG_THRESHOLD = 0.5


_LOCAL = threading.local()


def _hog() -> cv2.HOGDescriptor:
    """OpenCV's default HOG people detector, one per thread."""
    hog = getattr(_LOCAL, "hog", None)
    if hog is None:
        hog = cv2.HOGDescriptor()
        hog.setSVMDetector(np.asarray(cv2.HOGDescriptor.getDefaultPeopleDetector(), dtype=np.float32))
        _LOCAL.hog = hog
    return hog


def detect_figures(proxy: Proxy) -> list[tuple[float, float, float, float]]:
    """Standing figures (HOG people detector) as boxes ``(x, y, w, h)`` in working-resolution pixels,
    leaving out those that hold a detected face (the face's template covers them)."""
    h, w = proxy.shape
    s = min(1.0, HOG_SIZE / max(h, w))
    small = proxy.u8 if s == 1.0 else cv2.resize(proxy.u8, (round(w * s), round(h * s)),
                                                 interpolation=cv2.INTER_AREA)
    if min(small.shape[:2]) < 128:
        return []
    rects, weights = _hog().detectMultiScale(small, winStride=(8, 8), padding=(8, 8), scale=1.1)
    out = []
    for (x, y, bw, bh), score in zip(np.asarray(rects).reshape(-1, 4).tolist(), np.ravel(weights).tolist()):
        if score < HOG_THRESHOLD:
            continue
        box = (x / s, y / s, bw / s, bh / s)
        if any(box[0] <= f.center[0] <= box[0] + box[2] and box[1] <= f.center[1] <= box[1] + box[3]
               for f in proxy.faces):
            continue
        out.append(box)
    return out


def body_template(faces: list[Face], figures: list[tuple[float, float, float, float]],
                  shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The people template and its certain core at ``shape`` (coordinates of ``faces`` and ``figures``
    scaled to it beforehand): two uint8 ``(h, w)`` masks of 0 / 1."""
    h, w = shape
    templ = np.zeros(shape, dtype=np.uint8)
    core = np.zeros(shape, dtype=np.uint8)
    for x, y, bw, bh in figures:
        # the detector's 64 x 128 window holds a figure about 40 x 100 px in its middle (or a few close
        # together): the whole window is probable foreground, its spine certain
        cv2.ellipse(templ, (round(x + bw / 2), round(y + 0.5 * bh)), (round(0.45 * bw), round(0.47 * bh)),
                    0, 0, 360, 1, -1)
        cv2.rectangle(core, (round(x + 0.45 * bw), round(y + 0.25 * bh)),
                      (round(x + 0.55 * bw), round(y + 0.7 * bh)), 1, -1)
    for f in faces:
        cx, cy = f.center
        fw = f.w
        # head and hair
        cv2.ellipse(templ, (round(cx), round(cy - 0.1 * fw)), (round(0.75 * fw), round(0.95 * fw)),
                    0, 0, 360, 1, -1)
        cv2.ellipse(core, (round(cx), round(cy + 0.05 * fw)), (round(0.3 * fw), round(0.4 * fw)),
                    0, 0, 360, 1, -1)
        chin = cy + 0.55 * fw
        shoulders = chin + 0.45 * fw
        foot = min(h - 1.0, chin + 7.0 * fw)
        neck = np.array([[cx - 0.35 * fw, chin - 0.1 * fw], [cx + 0.35 * fw, chin - 0.1 * fw],
                         [cx + 0.4 * fw, shoulders], [cx - 0.4 * fw, shoulders]])
        spread = 1.3 * fw + 0.25 * max(0.0, foot - shoulders)
        torso = np.array([[cx - 1.3 * fw, shoulders], [cx + 1.3 * fw, shoulders],
                          [cx + min(spread, 2.0 * fw), foot], [cx - min(spread, 2.0 * fw), foot]])
        cv2.fillPoly(templ, [np.round(neck).astype(np.int32), np.round(torso).astype(np.int32)], 1)
        chest = np.array([[cx - 0.5 * fw, shoulders + 0.2 * fw], [cx + 0.5 * fw, shoulders + 0.2 * fw],
                          [cx + 0.5 * fw, min(foot, shoulders + 1.5 * fw)],
                          [cx - 0.5 * fw, min(foot, shoulders + 1.5 * fw)]])
        cv2.fillPoly(core, [np.round(chest).astype(np.int32)], 1)
    return templ, core


def people_mask(proxy: Proxy) -> np.ndarray:
    """Soft people mask at working resolution, ``(h, w)`` float32 in [0, 1] (all 0 without faces)."""
    faces = proxy.faces
    figures = detect_figures(proxy)
    h, w = proxy.shape
    if not faces and not figures:
        return np.zeros(proxy.shape, dtype=np.float32)
    s = min(1.0, CUT_SIZE / max(h, w))
    ch, cw = max(8, round(h * s)), max(8, round(w * s))
    from vibegrade.tools.regions.faces import Face

    scaled = [Face(f.x * s, f.y * s, f.w * s, f.h * s, f.score) for f in faces]
    boxes = [(x * s, y * s, bw * s, bh * s) for x, y, bw, bh in figures]
    templ, core = body_template(scaled, boxes, (ch, cw))
    unit = min([f.w for f in scaled] + [0.4 * bw * s for _, _, bw, _ in figures])
    k = max(3, round(0.8 * unit) | 1)
    ring = cv2.dilate(templ, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    gc = np.full((ch, cw), cv2.GC_BGD, dtype=np.uint8)
    gc[ring > 0] = cv2.GC_PR_BGD
    gc[templ > 0] = cv2.GC_PR_FGD
    gc[core > 0] = cv2.GC_FGD
    fg = grab_cut(proxy.u8, gc, CUT_ITERATIONS)
    if fg is None:  # a degenerate model (e.g. no background pixels): keep the template
        fg = templ.astype(np.float32)
    up = cv2.resize(fg, (w, h), interpolation=cv2.INTER_LINEAR)
    return proxy.refine_guide.filter(up)
