"""Build tiny test videos with PyAV (no files needed)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def make_clip(path: Path, *, seconds: float = 1.0, size: tuple[int, int] = (160, 120), fps: int = 24,
              audio: str | None = "aac", rotation: int = 0, vcodec: str = "libx264",
              pix_fmt: str = "yuv420p", pts: list[int] | None = None) -> Path:
    """A gradient clip whose blue channel changes every frame, with an optional 48 kHz stereo sine track.

    ``pts`` (in units of 1/fps) gives explicit, possibly irregular, frame timestamps.
    """
    w, h = size
    n = len(pts) if pts is not None else int(round(seconds * fps))
    with av.open(str(path), "w") as out:
        vs = out.add_stream(vcodec, rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, pix_fmt
        if vcodec == "libx264":
            vs.options = {"preset": "ultrafast", "crf": "12"}
        vs.codec_context.time_base = Fraction(1, fps)
        if rotation:
            vs.set_display_rotation(rotation)
        if audio:
            a = out.add_stream(audio, rate=48000)
            a.layout = "stereo"
        yy, xx = np.mgrid[0:h, 0:w]
        samples = 0
        for i in range(n):
            img = np.empty((h, w, 3), np.uint8)
            img[..., 0] = 30 + xx * 150 // max(1, w - 1)
            img[..., 1] = 40 + yy * 120 // max(1, h - 1)
            img[..., 2] = 60 + (i * 7) % 120
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = pts[i] if pts is not None else i
            frame.time_base = Fraction(1, fps)
            for pkt in vs.encode(frame):
                out.mux(pkt)
            end = (pts[i] + 1 if pts is not None else i + 1) * 48000 / fps
            while audio and samples < end:
                t = (samples + np.arange(1024)) / 48000
                tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
                fmt = a.codec_context.format.name
                planar = fmt.endswith("p")
                arr = np.stack([tone, tone]) if planar else np.stack([tone, tone], axis=1).reshape(1, -1)
                if fmt.startswith("s16"):
                    arr = (arr * 32767).astype(np.int16)
                af = av.AudioFrame.from_ndarray(arr, format=fmt, layout="stereo")
                af.sample_rate = 48000
                af.pts = samples
                for pkt in a.encode(af):
                    out.mux(pkt)
                samples += 1024
        for pkt in vs.encode():
            out.mux(pkt)
        if audio:
            for pkt in a.encode():
                out.mux(pkt)
    return path


def audio_packets(path: Path) -> list[tuple[bytes, float]]:
    """(payload, pts in seconds) of every audio packet of the first audio stream."""
    with av.open(str(path)) as c:
        s = c.streams.audio[0]
        return [(bytes(p), float(p.pts * p.time_base)) for p in c.demux(s) if p.size]


def video_frames(path: Path) -> tuple[list[np.ndarray], list[float]]:
    """All frames as RGB arrays, and their presentation times in seconds."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        frames, times = [], []
        for f in c.decode(s):
            frames.append(f.to_ndarray(format="rgb24"))
            times.append(float(f.pts * f.time_base))
        return frames, times
