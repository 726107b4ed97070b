"""Time one call of the agent's programmatic judge on a working proxy (long side 384), next to scikit-image's
CIEDE2000 on the same proxy in the same run (the baseline: what a single full-image ΔE00 costs with the
reference implementation, before any item, preservation or guard is measured).

    PYTHONPATH=src .venv/bin/python scripts/bench_judge.py [--photo red_barn_pond_sky.jpg] [--rounds 20]

The masks come from ``vibegrade.tools.regions.compute_masks`` when it is installed, else simple geometric
ones (top half = sky, a central ellipse = faces). Calls are interleaved (judge, baseline, judge, ...) so
both see the same machine load.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "photos"


def load(name: str) -> np.ndarray:
    from PIL import Image, ImageOps

    path = PHOTOS / name
    if not path.is_file():
        from vibegrade.samples import SAMPLE_IMAGES

        path = Path(SAMPLE_IMAGES["astronaut"])
        print(f"{PHOTOS / name} missing: using the bundled sample {path.name}")
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def masks_for(proxy: np.ndarray) -> tuple[dict[str, np.ndarray], str]:
    try:
        from vibegrade.tools.regions import compute_masks  # type: ignore[attr-defined]

        return compute_masks(proxy), "compute_masks"
    except (ImportError, AttributeError):
        h, w = proxy.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        sky = (yy < h / 2).astype(np.float32)
        faces = (((yy - h * 0.55) / (h * 0.15)) ** 2 + ((xx - w / 2) / (w * 0.1)) ** 2 < 1).astype(np.float32)
        return {"sky": sky, "bottom": 1 - sky, "faces": faces}, "geometric (top half, central ellipse)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photo", default="red_barn_pond_sky.jpg")
    ap.add_argument("--rounds", type=int, default=20)
    a = ap.parse_args()

    from skimage.color import deltaE_ciede2000, rgb2lab

    from vibegrade.agent.checklist import parse_checklist
    from vibegrade.agent.judge import Scene, judge, working_proxy
    from vibegrade.agent.measure import delta_e00, to_lab
    from vibegrade.api import render

    proxy = working_proxy(load(a.photo))
    masks, how = masks_for(proxy)
    t0 = time.perf_counter()
    scene = Scene.from_image(proxy, masks)
    t_scene = (time.perf_counter() - t0) * 1000
    checklist = parse_checklist({"items": [
        {"id": "warmer", "text": "warmer overall", "region": "global", "property": "warmth",
         "direction": "increase", "size": "slight"},
        {"id": "bright_sky", "text": "a brighter sky", "region": "sky", "property": "luminance",
         "direction": "increase"},
        {"id": "faces_keep", "text": "faces stay", "region": "faces", "property": "color",
         "direction": "keep"},
        {"id": "snow", "text": "add snow", "region": "global", "property": "content", "direction": "increase",
         "feasible": False, "reason": "colour tools cannot add objects"}]})
    sky = scene.masks["sky"][..., None]
    candidates = [render(proxy, {"adjust": {"temperature": t, "exposure": e}})
                  for t, e in ((20, 0), (40, 20))]
    bright = render(proxy, {"adjust": {"exposure": 40}})
    candidates += [proxy + sky * (bright - proxy), proxy + 0.5 * sky * (bright - proxy)]
    lab0 = scene.lab.astype(np.float64)
    for c in candidates:  # warm up (buffers, plans)
        judge(scene, checklist, c)
    t_judge, t_base, t_base_de, t_ours = [], [], [], []
    for _ in range(a.rounds):
        for c in candidates:
            t = time.perf_counter()
            judge(scene, checklist, c)
            t_judge.append(time.perf_counter() - t)
            t = time.perf_counter()
            lab1 = rgb2lab(c)
            t1 = time.perf_counter()
            deltaE_ciede2000(lab0, lab1)
            t_base.append(time.perf_counter() - t)
            t_base_de.append(time.perf_counter() - t1)
            t = time.perf_counter()
            delta_e00(scene.lab, to_lab(c))
            t_ours.append(time.perf_counter() - t)

    def fmt(xs: list[float]) -> str:
        ms = np.array(xs) * 1000
        return f"p50 {np.median(ms):6.2f} ms  p90 {np.percentile(ms, 90):6.2f} ms"

    h, w = proxy.shape[:2]
    print(f"proxy {w}x{h} of {a.photo}; masks: {how}; Scene.from_image {t_scene:.1f} ms (once per photo)")
    print(f"judge (3 feasible items + 1 infeasible, preservation, skin, guards)  {fmt(t_judge)}  "
          f"n={len(t_judge)}")
    print(f"baseline: skimage rgb2lab + deltaE_ciede2000, full proxy           {fmt(t_base)}")
    print(f"baseline: skimage deltaE_ciede2000 alone, full proxy               {fmt(t_base_de)}")
    print(f"ours: to_lab + delta_e00, full proxy                               {fmt(t_ours)}")


if __name__ == "__main__":
    main()
