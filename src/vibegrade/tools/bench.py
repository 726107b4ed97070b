"""Render benchmark: vibegrade's render path against the fastest alternatives, in the same run.

Figures (milliseconds are medians over ``repeats`` runs on one 1920x1080 8-bit frame):

* ``color_1080p_ms`` -- a chain with every per-pixel adjust parameter set, selective adjust and a
  filter, already prepared (LUT baked, as for every frame of a video or each slider re-render).
* ``color_1080p_cold_ms`` -- the same including baking the LUT for a new chain.
* ``pillow_color3dlut_1080p_ms`` -- Pillow's ``ImageFilter.Color3DLUT`` applying a 33^3 LUT to
  the same frame (array in, array out), the fastest thing a Python user would otherwise reach for.
* ``full_1080p_ms`` -- the same chain plus bloom, sharpen and structure.
* ``video_1080p_fps`` / ``ffmpeg_lut3d_fps`` -- see :func:`vibegrade.media.bench.bench_video`.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from typing import Any, Callable

import numpy as np

from vibegrade.schema import ToolChain
from vibegrade.tools.chain import DEFAULT_LUT_SIZE, Renderer, _bake_cached, _pillow_cached, bake_lut

COLOR_CHAIN: dict[str, Any] = {
    "adjust": {"exposure": 20, "contrast": 30, "brightness": 10, "highlights": -25, "shadows": 20,
               "saturation": 15, "vibrance": 25, "temperature": 30, "tint": -10, "hue": 10, "linearOffset": 10},
    "selective_adjust": {"orange": {"saturation": 20, "luminance": 10}, "blue": {"saturation": -20, "luminance": -10}},
    "filter": {"name": "teal_and_orange_1", "intensity": 60},
}
SPATIAL = {"bloom": 40, "sharpen": 40, "structure": 40}


def _median_ms(fn: Callable[[], Any], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000.0)
    return round(statistics.median(times), 2)


def test_frame(width: int = 1920, height: int = 1080) -> np.ndarray:
    """A natural photo (bundled rocket sample) resized to the frame size, 8-bit RGB."""
    from PIL import Image

    from vibegrade.samples import sample_path

    with Image.open(sample_path("rocket")) as im:
        return np.asarray(im.convert("RGB").resize((width, height), Image.Resampling.BICUBIC))


def bench_render(repeats: int = 10, video_seconds: float | None = 3.0) -> dict[str, Any]:
    from PIL import Image, ImageFilter

    from vibegrade.tools.filters import preset_names

    chain_dict = dict(COLOR_CHAIN)
    if chain_dict["filter"]["name"] not in preset_names():
        chain_dict["filter"] = {"name": preset_names()[0], "intensity": 60}
    color = ToolChain.model_validate(chain_dict)
    full = ToolChain.model_validate({**chain_dict, "adjust": {**chain_dict["adjust"], **SPATIAL}})
    frame = test_frame()

    r_color, r_full = Renderer(color), Renderer(full)

    def cold() -> None:
        _bake_cached.cache_clear()
        _pillow_cached.cache_clear()
        r_color(frame)

    cold_ms = _median_ms(cold, max(3, repeats // 2))
    color_ms = _median_ms(lambda: r_color(frame), repeats)
    full_ms = _median_ms(lambda: r_full(frame), repeats)

    lut = bake_lut(color, DEFAULT_LUT_SIZE)
    table = np.ascontiguousarray(lut.transpose(2, 1, 0, 3).reshape(-1, 3))
    pil_lut = ImageFilter.Color3DLUT(DEFAULT_LUT_SIZE, table)
    pillow_ms = _median_ms(lambda: np.asarray(Image.fromarray(frame).filter(pil_lut)), repeats)

    out: dict[str, Any] = {
        "color_1080p_ms": color_ms,
        "color_1080p_cold_ms": cold_ms,
        "pillow_color3dlut_1080p_ms": pillow_ms,
        "color_vs_pillow": round(color_ms / pillow_ms, 3),
        "full_1080p_ms": full_ms,
        "lut_size": DEFAULT_LUT_SIZE,
    }
    if video_seconds:
        from vibegrade.media.bench import bench_video

        out.update(bench_video(lut, seconds=video_seconds))
        if out.get("ffmpeg_lut3d_fps"):
            out["video_vs_ffmpeg"] = round(out["video_1080p_fps"] / out["ffmpeg_lut3d_fps"], 3)
    out["machine"] = f"{platform.machine()} {os.cpu_count()} cores, {platform.python_implementation()} " \
                     f"{platform.python_version()}"
    return out
