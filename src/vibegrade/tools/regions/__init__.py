"""Soft masks of the regional tool's regions (:data:`vibegrade.schema.REGION_NAMES`), computed once per
image.

``compute_masks(rgb, names=None, *, working_size=512) -> {name: float32 (H, W) mask in [0, 1]}``:

* tonal bands ``shadows / midtones / highlights`` (smooth CIE L* bands summing to 1, :mod:`.tonal`);
* hue ranges ``reds .. blues`` (the ``selective_adjust`` weights, :mod:`.hue`) and ``skin`` tones
  (a skin-colour model adapted to the faces, inside the people, :mod:`.skin`);
* ``sky`` (:mod:`.sky`), ``people`` (:mod:`.people`), ``faces`` (:mod:`.faces`), ``subject`` and
  ``background`` (:mod:`.subject`);
* ``center / edges`` (radial) and ``top / bottom`` (linear gradients, :mod:`.geometric`).

Components: OpenCV (``opencv-contrib-python-headless``: its bundled Haar face cascade, GrabCut, filters)
and NumPy. No installable wheel here ships a face or person segmentation network usable with NumPy 2
(mediapipe's wheels that carry their .tflite models need NumPy < 2 and jax; its current ones carry no
models), so people, subject and sky are classical estimates; their quality against hand-drawn references
is measured by ``scripts/agent/mask_iou.py``.
"""

from vibegrade.tools.regions.masks import compute_masks, resolve_names

__all__ = ["compute_masks", "resolve_names"]
