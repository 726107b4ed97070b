"""Main subject (and background = 1 - subject): what the photo is about.

With faces found, the subject is the people (:mod:`.people`); standing figures found without a face
join the salient object below. Otherwise a classical salient-object estimate
at a ~128 px proxy, then cut out at working resolution:

* Boundary contrast (the background prior of Wei et al., "Geodesic saliency using background priors",
  ECCV 2012, in its simplest form): the CIE L*a*b* distance (Delta E 1976) from every pixel to the
  nearest of the colours sampled along the frame's border; what the border does not contain stands out.
* Focus: the local energy of the Laplacian of L*, relative to the image's strongest, because the
  subject is usually the sharp part (bokeh backgrounds).
* Centre-surround contrast: Montabone & Soto's fine-grained saliency ("Human detection using a mobile
  platform and novel features derived from a visual saliency mechanism", Image and Vision Computing
  2010; OpenCV contrib's ``cv2.saliency.StaticSaliencyFineGrained``).
* A centre prior (a Gaussian of 0.35 frame sizes) and no sky.

Their product, normalised to [0, 1], is thresholded (Otsu); the parts that carry most of the saliency
seed a GrabCut (as in :mod:`.people`) and the cut is softened by the colour guided filter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from vibegrade.tools.regions.proxy import grab_cut

if TYPE_CHECKING:
    from vibegrade.tools.regions.proxy import Proxy

__all__ = ["saliency", "subject_mask"]

SALIENCY_SIZE = 128
#: the centre prior's standard deviation (frame sizes) and the weight of focus in the saliency
CENTRE_SIGMA = 0.35
FOCUS_WEIGHT = 0.6
#: the weight of the fine-grained (centre-surround) saliency
FINE_WEIGHT = 0.7
#: below this fraction of the Otsu threshold, saliency marks certain background for the cut
BG_FRACTION = 0.5
CUT_SIZE = 200
CUT_ITERATIONS = 2
BORDER_SAMPLES = 256


def saliency(proxy: Proxy, sky: np.ndarray | None = None) -> np.ndarray:
    """Salient-object map at working resolution, ``(h, w)`` float32 in [0, 1]."""
    h, w = proxy.shape
    s = min(1.0, SALIENCY_SIZE / max(h, w))
    sh, sw = max(8, round(h * s)), max(8, round(w * s))
    lab = cv2.resize(proxy.lab, (sw, sh), interpolation=cv2.INTER_AREA)
    lab = cv2.GaussianBlur(lab, (0, 0), 1.0)
    b = max(1, round(0.04 * min(sh, sw)))
    border = np.concatenate([lab[:b].reshape(-1, 3), lab[-b:].reshape(-1, 3),
                             lab[:, :b].reshape(-1, 3), lab[:, -b:].reshape(-1, 3)])
    step = max(1, len(border) // BORDER_SAMPLES)
    samples = border[::step]
    flat = lab.reshape(-1, 3)
    d2 = (flat * flat).sum(1)[:, None] - 2 * flat @ samples.T + (samples * samples).sum(1)[None, :]
    contrast = np.sqrt(np.maximum(np.partition(d2, 2, axis=1)[:, 2], 0)).reshape(sh, sw)
    contrast = cv2.GaussianBlur(contrast, (0, 0), 2.0)
    contrast = np.asarray(contrast, dtype=np.float32) / max(float(contrast.max()), 1e-6)
    # focus from the working-resolution L*, pooled to the saliency size
    lap = np.abs(cv2.Laplacian(proxy.lab[..., 0], cv2.CV_32F, ksize=3))
    focus = cv2.resize(cv2.GaussianBlur(lap, (0, 0), 3.0), (sw, sh), interpolation=cv2.INTER_AREA)
    focus = np.clip(focus / max(float(np.quantile(focus, 0.98)), 1e-6), 0.0, 1.0)
    yy = ((np.arange(sh, dtype=np.float32) + 0.5) / sh - 0.5)[:, None]
    xx = ((np.arange(sw, dtype=np.float32) + 0.5) / sw - 0.5)[None, :]
    centre = np.exp(-(xx * xx + yy * yy) / (2 * CENTRE_SIGMA ** 2))
    sal = contrast * (1.0 - FOCUS_WEIGHT + FOCUS_WEIGHT * focus) * centre
    fine = _fine_grained(cv2.resize(proxy.u8, (sw, sh), interpolation=cv2.INTER_AREA))
    sal *= 1.0 - FINE_WEIGHT + FINE_WEIGHT * fine
    if sky is not None:
        sal *= 1.0 - cv2.resize(sky, (sw, sh), interpolation=cv2.INTER_AREA)
    sal = sal / max(float(sal.max()), 1e-6)
    return cv2.resize(sal.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)


def _fine_grained(u8: np.ndarray) -> np.ndarray:
    """Montabone & Soto's fine-grained static saliency (centre-surround differences of intensity over
    several scales, OpenCV contrib's ``StaticSaliencyFineGrained``), blurred and normalised to [0, 1]."""
    detector = cv2.saliency.StaticSaliencyFineGrained.create()
    ok, sal = detector.computeSaliency(cv2.cvtColor(u8, cv2.COLOR_RGB2BGR))
    if not ok:
        return np.ones(u8.shape[:2], dtype=np.float32)
    sal = cv2.GaussianBlur(np.asarray(sal, dtype=np.float32), (0, 0), 2.0)
    return sal / max(float(sal.max()), 1e-6)


def subject_mask(proxy: Proxy, people: np.ndarray, sky: np.ndarray) -> np.ndarray:
    """Soft subject mask at working resolution, ``(h, w)`` float32 in [0, 1]."""
    if proxy.faces and float(people.mean()) > 0.005:
        return people
    h, w = proxy.shape
    sal = saliency(proxy, sky)
    s = min(1.0, CUT_SIZE / max(h, w))
    ch, cw = max(8, round(h * s)), max(8, round(w * s))
    sal_s = cv2.resize(sal, (cw, ch), interpolation=cv2.INTER_AREA)
    sal_u8 = np.clip(sal_s * 255, 0, 255).astype(np.uint8)
    thr, fg = cv2.threshold(sal_u8, 0, 1, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
    if n <= 1:
        return people.copy()
    mass = np.bincount(labels.ravel(), weights=sal_s.ravel(), minlength=n)
    mass[0] = 0
    keep = mass >= 0.25 * mass.max()
    seed = keep[labels]
    gc = np.full((ch, cw), cv2.GC_PR_BGD, dtype=np.uint8)
    sure_bg = sal_s < BG_FRACTION * thr / 255.0
    sky_s = cv2.resize(sky, (cw, ch), interpolation=cv2.INTER_AREA) > 0.5
    gc[sure_bg | sky_s] = cv2.GC_BGD
    gc[seed] = cv2.GC_PR_FGD
    gc[seed & (sal_s > min(0.95, 1.5 * thr / 255.0))] = cv2.GC_FGD
    cut = grab_cut(proxy.u8, gc, CUT_ITERATIONS)
    if cut is None:
        cut = seed.astype(np.float32)
    up = cv2.resize(cut, (w, h), interpolation=cv2.INTER_LINEAR)
    # figures found without a face (less certain than a face) join the salient object
    return np.maximum(proxy.refine_guide.filter(up), people)
