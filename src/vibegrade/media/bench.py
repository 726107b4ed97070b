"""Render benchmarks (``vibegrade bench render``): vibegrade's render path against the fastest alternatives,
in the same run.

Figures (milliseconds are medians over ``repeats`` runs on one 1920x1080 8-bit frame):

* ``color_1080p_ms`` -- a chain with every per-pixel adjust parameter set, selective adjust and a
  filter, already prepared (LUT baked, as for every frame of a video or each slider re-render).
* ``color_1080p_cold_ms`` -- the same including baking the LUT for a new chain.
* ``pillow_color3dlut_1080p_ms`` -- Pillow's ``ImageFilter.Color3DLUT`` applying a 33^3 LUT to
  the same frame (array in, array out), the fastest thing a Python user would otherwise reach for.
* ``full_1080p_ms`` -- the same chain plus bloom, sharpen and structure.
* ``video_1080p_fps`` / ``ffmpeg_lut3d_fps`` -- see :func:`bench_video`: our streaming pipeline vs FFmpeg's
  own ``lut3d`` filter, same encoder, same clip.

Everything is generated in memory/temp files with PyAV (no FFmpeg binary).
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from vibegrade.media.video import DEFAULT_CRF, DEFAULT_PRESET, transcode_video
from vibegrade.samples import sample_path
from vibegrade.schema import ToolChain
from vibegrade.tools.chain import DEFAULT_LUT_SIZE, Renderer, _bake_cached, _pillow_cached, bake_lut
from vibegrade.tools.filters import preset_names
from vibegrade.tools.lut import apply_lut_u8, pillow_lut, write_cube

__all__ = ["bench_render", "test_frame", "make_test_clip", "bench_video", "ffmpeg_lut3d_transcode"]

COLOR_CHAIN: dict[str, Any] = {
    "adjust": {"exposure": 20, "contrast": 30, "brightness": 10, "highlights": -25, "shadows": 20,
               "saturation": 15, "vibrance": 25, "temperature": 30, "tint": -10, "hue": 10,
               "linearOffset": 10},
    "selective_adjust": {"orange": {"saturation": 20, "luminance": 10},
                         "blue": {"saturation": -20, "luminance": -10}},
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
    with Image.open(sample_path("rocket")) as im:
        return np.asarray(im.convert("RGB").resize((width, height), Image.Resampling.BICUBIC))


def bench_render(repeats: int = 10, video_seconds: float | None = 3.0) -> dict[str, Any]:
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
        out.update(bench_video(lut, seconds=video_seconds))
        if out.get("ffmpeg_lut3d_fps"):
            out["video_vs_ffmpeg"] = round(out["video_1080p_fps"] / out["ffmpeg_lut3d_fps"], 3)
    out["machine"] = f"{platform.machine()} {os.cpu_count()} cores, {platform.python_implementation()} " \
                     f"{platform.python_version()}"
    return out


_AUDIO_RATE = 48_000


def make_test_clip(path: str | os.PathLike[str], seconds: float = 3, size: tuple[int, int] = (1920, 1080),
                   fps: int = 30, audio: bool = True) -> Path:
    """Write a synthetic H.264/AAC MP4: a moving, textured colour pattern plus a 440 Hz sine tone.

    Args:
        path: output file (``.mp4`` recommended).
        seconds: clip length in seconds.
        size: ``(width, height)`` in pixels.
        fps: frames per second.
        audio: add a stereo 48 kHz AAC sine track.

    The picture is a scrolling sum of colour sinusoids with a 48-px checker, mild fixed grain and a moving
    inverted square, so that the encoder has realistic (not trivial) work; it is encoded with libx264
    ``veryfast`` / CRF 20 like a typical camera/phone export (High profile, B-frames).
    """
    import av

    w, h = int(size[0]), int(size[1])
    n = max(1, int(round(seconds * fps)))
    rng = np.random.default_rng(7)
    span = w + 8 * n + 8  # the texture scrolls 8 px per frame
    yy = np.arange(h, dtype=np.float32)[:, None]
    xx = np.arange(span, dtype=np.float32)[None, :]
    base = np.empty((h, span, 3), np.float32)
    base[..., 0] = 128 + 90 * np.sin(xx / 97 + yy / 61)
    base[..., 1] = 128 + 90 * np.sin(xx / 143 - yy / 83 + 1)
    base[..., 2] = 128 + 90 * np.cos(xx / 71 + yy / 113)
    base += ((((xx // 48) + (yy // 48)) % 2) * 30 - 15)[..., None]
    base += rng.normal(0, 3, (h, span, 1)).astype(np.float32)
    texture = np.clip(base, 0, 255).astype(np.uint8)
    del base
    box = max(8, h // 7)

    out_path = Path(path)
    with av.open(str(out_path), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.options = {"crf": "20", "preset": "veryfast"}
        if audio:
            a = out.add_stream("aac", rate=_AUDIO_RATE)
            a.layout = "stereo"
        samples = 0
        for i in range(n):
            img = texture[:, 8 * i:8 * i + w].copy()
            cy = int(h / 2 + h / 3 * np.sin(i / 15)) - box // 2
            cx = int(w / 2 + w / 3 * np.cos(i / 20)) - box // 2
            sl = (slice(max(0, cy), max(0, cy + box)), slice(max(0, cx), max(0, cx + box)))
            img[sl] = 255 - img[sl]
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for pkt in vs.encode(frame):
                out.mux(pkt)
            while audio and samples < (i + 1) * _AUDIO_RATE / fps:
                t = (samples + np.arange(1024)) / _AUDIO_RATE
                tone = (0.25 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
                af = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
                af.sample_rate = _AUDIO_RATE
                af.pts = samples
                for pkt in a.encode(af):
                    out.mux(pkt)
                samples += 1024
        for pkt in vs.encode():
            out.mux(pkt)
        if audio:
            for pkt in a.encode():
                out.mux(pkt)
    return out_path


def ffmpeg_lut3d_transcode(src: str | os.PathLike[str], dst: str | os.PathLike[str],
                           cube: str | os.PathLike[str], *, crf: int = DEFAULT_CRF,
                           preset: str = DEFAULT_PRESET) -> int:
    """Reference path: decode → FFmpeg filter graph ``buffer → lut3d=file=cube → format=yuv420p → buffersink``
    → the same libx264 settings → MP4, audio packets copied. Returns the number of frames written."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        vin.thread_type = "AUTO"
        ain = list(inp.streams.audio)
        graph = av.filter.Graph()
        buf = graph.add_buffer(template=vin)
        cube_arg = str(cube).replace("\\", "/").replace(":", "\\:").replace("'", "\\'")
        lut = graph.add("lut3d", f"file={cube_arg}")
        fmt = graph.add("format", "yuv420p")
        sink = graph.add("buffersink")
        buf.link_to(lut)
        lut.link_to(fmt)
        fmt.link_to(sink)
        graph.configure()

        vout = out.add_stream("libx264", rate=vin.average_rate or 30)
        vout.width, vout.height, vout.pix_fmt = vin.codec_context.width, vin.codec_context.height, "yuv420p"
        assert vin.time_base is not None, "a demuxed video stream has a time base"
        vout.time_base = vin.time_base
        vout.codec_context.time_base = vin.time_base
        vout.options = {"crf": str(crf), "preset": str(preset)}
        amap = {a.index: out.add_stream_from_template(a) for a in ain}
        n = 0

        def drain() -> None:
            nonlocal n
            while True:
                try:
                    f = graph.pull()
                except (av.BlockingIOError, av.EOFError):
                    return
                assert isinstance(f, av.VideoFrame), "a video filter graph yields video frames"
                f.pict_type = av.video.frame.PictureType.NONE
                for pkt in vout.encode(f):
                    out.mux(pkt)
                n += 1

        for packet in inp.demux([vin, *ain]):
            if not packet.size:
                continue
            if packet.stream_index != vin.index:
                packet.stream = amap[packet.stream_index]
                out.mux(packet)
                continue
            for frame in vin.decode(packet):
                graph.push(frame)
                drain()
        for frame in vin.decode(None):
            graph.push(frame)
            drain()
        graph.push(None)
        drain()
        for pkt in vout.encode(None):
            out.mux(pkt)
    return n


def bench_video(lut_array_33: np.ndarray, seconds: float = 3, repeats: int = 2) -> dict:
    """Time a 1080p30 clip through :func:`transcode_video` (per-frame ``apply_lut_u8``) and through FFmpeg's
    ``lut3d`` filter with identical encoder settings, in the same run.

    Both paths are warmed up once on a short 1080p clip, then timed ``repeats`` times, alternating; the best
    run of each counts (the least disturbed by other work on the machine).

    Args:
        lut_array_33: ``(N, N, N, 3)`` float LUT (33³ expected) indexed ``[r, g, b]``.
        seconds: length of the synthetic 1080p clip.
        repeats: timed runs per path.

    Returns:
        ``{"video_1080p_fps", "ffmpeg_lut3d_fps", "video_vs_ffmpeg", "frames", "encoder"}``; fps = frames /
        wall-clock seconds for the whole job (open, decode, grade, encode, mux, audio copy, close).
    """
    lut = np.asarray(lut_array_33, dtype=np.float32)
    flt = pillow_lut(lut)

    def process(rgb: np.ndarray) -> np.ndarray:
        return apply_lut_u8(rgb, flt)

    best_ours = best_ff = float("inf")
    frames = 0
    with tempfile.TemporaryDirectory(prefix="vibegrade-bench-") as td:
        tdp = Path(td)
        cube = tdp / "look.cube"
        write_cube(cube, lut)
        clip = make_test_clip(tdp / "clip.mp4", seconds=seconds, size=(1920, 1080), fps=30, audio=True)
        warm = make_test_clip(tdp / "warm.mp4", seconds=0.5, size=(1920, 1080), fps=30, audio=True)
        transcode_video(warm, tdp / "w1.mp4", process)
        ffmpeg_lut3d_transcode(warm, tdp / "w2.mp4", cube)
        for _ in range(max(1, int(repeats))):
            t = time.perf_counter()
            info = transcode_video(clip, tdp / "ours.mp4", process)
            best_ours = min(best_ours, time.perf_counter() - t)
            t = time.perf_counter()
            n_ff = ffmpeg_lut3d_transcode(clip, tdp / "ffmpeg.mp4", cube)
            best_ff = min(best_ff, time.perf_counter() - t)
            frames = info.frames
    ours = frames / best_ours
    theirs = n_ff / best_ff
    return {
        "video_1080p_fps": round(ours, 2),
        "ffmpeg_lut3d_fps": round(theirs, 2),
        "video_vs_ffmpeg": round(ours / theirs, 3),
        "frames": int(frames),
        "encoder": f"libx264 preset={DEFAULT_PRESET} crf={DEFAULT_CRF}",
    }
