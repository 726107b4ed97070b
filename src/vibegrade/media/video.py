"""Stream a video through a per-frame function and re-encode it (H.264 MP4 by default), with PyAV.

Guarantees of :func:`transcode_video`
-------------------------------------
* Input: anything the bundled FFmpeg libraries decode (MP4/MOV/MKV/WebM/AVI/..., H.264/HEVC/VP9/AV1/
  ProRes/MJPEG/...). Output: H.264 (``libx264``), 8-bit ``yuv420p``, in the container named by the
  destination extension (``.mp4`` default; ``.m4v``, ``.mov``, ``.mkv`` also accepted).
* Frames are streamed: at most a handful of frames (:data:`PIPELINE_DEPTH` + worker count, fewer for
  big frames) exist at any moment, whatever the length of the video. ``process`` receives each frame
  as an ``(H, W, 3)`` ``uint8`` RGB array (coded orientation, i.e. before the rotation metadata is
  applied) and must return an array of the same shape and dtype.
* Every decoded frame is encoded once: frame count, presentation timestamps (pts in the source
  stream's time base, kept as times in seconds), frame rate (including variable frame rate) and the
  rotation (display matrix) are kept; so are the colour tags (matrix, range, primaries, transfer) and
  the sample aspect ratio. Container metadata (title, creation time, location, ...) is copied.
* Audio streams are copied packet-for-packet (no re-encoding). When the output container cannot hold
  an audio codec (e.g. μ-law or ADPCM in MP4) that stream is re-encoded to AAC 192 kb/s and the returned
  :class:`VideoInfo` says so in ``notes`` (also logged).
* Odd widths/heights (impossible in 4:2:0) are padded to the next even size by repeating the last
  column/row; the returned info and ``notes`` say so.
* Source colour conversion uses the stream's matrix and range (unspecified: BT.709 for height ≥ 720,
  BT.601 below, limited range); the same matrix converts back, so an identity ``process`` keeps colours.
* The output appears atomically: on any error (or Ctrl-C) no partial file is left.
* Corrupt, truncated-beyond-repair or non-video input raises :class:`MediaError` with one line.

Speed
-----
Decoding (FFmpeg frame threads) runs in a background thread, ``process`` runs on a small thread pool
(``workers`` frames at a time) and colour conversion + encoding + muxing run in the calling thread,
so on 2 cores the three stages overlap (PyAV and Pillow release the GIL in their C code).
The default preset is ``ultrafast``: with a colour-only ``process`` costing ~44 ms of CPU per 1080p
frame (Pillow's 3D-LUT) and ~61 ms for the whole job per frame (x264 ultrafast ~9 ms, decode ~4 ms,
YUV↔RGB ~5 ms), it is the only libx264 preset that leaves two cores enough time for 1080p at
≥ 30 fps (superfast needs ~18 ms/frame to encode); ``crf=18`` keeps it visually transparent (files
are larger than with slower presets). Pass ``preset="veryfast"`` (or slower) for smaller files when
speed matters less.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from vibegrade.files import atomic_path
from vibegrade.media.errors import Corrupt, MediaError, UnsupportedFormat, WriteError, short
from vibegrade.media.image import max_pixels_limit
from vibegrade.media.streams import check_input, frame_rate, open_input, stream_rotation, video_stream
from vibegrade.media.transcoder import PIPELINE_DEPTH, ProgressCallback, Transcoder

__all__ = [
    "VIDEO_EXTENSIONS",
    "OUTPUT_VIDEO_EXTENSIONS",
    "DEFAULT_PRESET",
    "DEFAULT_CRF",
    "PIPELINE_DEPTH",
    "VideoInfo",
    "is_video_path",
    "probe_video",
    "transcode_video",
]

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS: frozenset[str] = frozenset({
    ".mp4", ".m4v", ".mov", ".qt", ".mkv", ".webm", ".avi", ".mts", ".m2ts", ".ts", ".mpg", ".mpeg",
    ".wmv", ".flv", ".3gp", ".3g2", ".mxf", ".ogv", ".vob", ".dv",
})
"""Lower-case extensions (with the dot) recognised as video files by :func:`is_video_path`."""

OUTPUT_VIDEO_EXTENSIONS: frozenset[str] = frozenset({".mp4", ".m4v", ".mov", ".mkv"})
"""Extensions :func:`transcode_video` can write (containers that hold H.264)."""

DEFAULT_PRESET = "ultrafast"
"""libx264 preset used by default; see the module docstring for why."""
DEFAULT_CRF = 18
"""libx264 constant-rate factor used by default (lower = better quality, 18 ≈ visually lossless)."""


@dataclass
class VideoInfo:
    """What :func:`probe_video` finds (and :func:`transcode_video` returns for its output).

    Attributes:
        width, height: coded frame size in pixels (before rotation is applied for display).
        fps: average frame rate in frames per second (exact ``Fraction`` when known).
        frames: number of video frames (from the container index, else counted by demuxing; 0 if unknown).
        duration: video duration in seconds.
        rotation: display rotation in degrees counter-clockwise (0, 90, 180 or 270; phone portrait
            clips are usually 270, i.e. "-90").
        has_audio: whether there is at least one audio stream.
        codec: video codec name (e.g. ``"h264"``).
        pix_fmt: decoded pixel format (e.g. ``"yuv420p"``).
        audio_codecs: codec name of each audio stream.
        notes: human-readable remarks (audio re-encoded, size padded, frames skipped, encoder settings).
    """

    width: int
    height: int
    fps: Fraction | float
    frames: int
    duration: float
    rotation: int
    has_audio: bool
    codec: str
    pix_fmt: str | None = None
    audio_codecs: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())


def is_video_path(path: str | os.PathLike[str]) -> bool:
    """True when ``path``'s extension is one of :data:`VIDEO_EXTENSIONS` (case-insensitive)."""
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


# ----------------------------------------------------------------------------------------------------
# probing
# ----------------------------------------------------------------------------------------------------
def probe_video(path: str | os.PathLike[str], count_frames: bool = True) -> VideoInfo:
    """Describe a video file, decoding only its first frame (to validate it and read the rotation).

    Args:
        path: the video file.
        count_frames: when the container has no frame count (MKV, WebM, TS, ...), count the video packets
            by demuxing the whole file (fast, no decoding). If False such files report ``frames`` estimated
            from duration × fps.

    Raises:
        MediaError: missing/empty file, not a video, no video stream, first frame undecodable.
    """
    import av

    p = Path(path)
    with open_input(p) as container:
        vs = video_stream(container, p)
        vs.thread_type = "SLICE"  # one frame needed: skip frame-thread start-up
        first = None
        try:
            for frame in container.decode(vs):
                first = frame
                break
        except av.FFmpegError as e:
            raise Corrupt(f"{p}: video data cannot be decoded ({short(e)})") from e
        if first is None:
            raise Corrupt(f"{p}: the video stream contains no decodable frames")
        return _describe(p, container, vs, first, count_frames=count_frames)


def _describe(p: Path, container, vs, first, *, count_frames: bool, rotation: int | None = None,
              frames: int | None = None) -> VideoInfo:
    """VideoInfo from an open container (``first``: a decoded frame or None)."""
    cc = vs.codec_context
    width = int(first.width) if first is not None else int(cc.width)
    height = int(first.height) if first is not None else int(cc.height)
    fps = frame_rate(vs)
    tb = vs.time_base
    duration = None
    if vs.duration and tb:
        duration = float(vs.duration * tb)
    elif container.duration:
        duration = container.duration / 1_000_000
    if frames is None:
        frames = int(vs.frames or 0)
        if not frames and count_frames:
            frames = _count_packets(p, vs.index)
        if not frames and duration and fps:
            frames = int(round(duration * fps))
    if duration is None:
        duration = float(frames / fps) if fps and frames else 0.0
    if fps is None:
        fps = Fraction(frames) / Fraction(duration) if frames and duration else Fraction(0)
    if rotation is None:
        rotation = stream_rotation(vs, first)
    pix_fmt = first.format.name if first is not None else (cc.pix_fmt or None)
    return VideoInfo(
        width=width, height=height, fps=fps, frames=int(frames), duration=float(duration),
        rotation=rotation, has_audio=bool(container.streams.audio), codec=cc.name, pix_fmt=pix_fmt,
        audio_codecs=tuple(a.codec_context.name for a in container.streams.audio),
    )


def _count_packets(p: Path, index: int) -> int:
    import av

    n = 0
    try:
        with av.open(str(p), metadata_errors="replace") as c:
            s = c.streams[index]
            for pkt in c.demux(s):
                if pkt.size:
                    n += 1
    except av.FFmpegError:
        pass
    return n


# ----------------------------------------------------------------------------------------------------
# transcoding
# ----------------------------------------------------------------------------------------------------
def transcode_video(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    process: Callable[[np.ndarray], np.ndarray] | None,
    *,
    crf: int = DEFAULT_CRF,
    preset: str = DEFAULT_PRESET,
    codec: str = "libx264",
    progress: bool | ProgressCallback = False,
    max_pixels: int | None = None,
    workers: int | None = None,
) -> VideoInfo:
    """Decode ``src``, pass every frame through ``process``, encode to ``dst`` (see the module docstring).

    Args:
        src: input video.
        dst: output file; extension ``.mp4`` (recommended), ``.m4v``, ``.mov`` or ``.mkv``.
        process: function ``(H, W, 3) uint8 RGB -> (H, W, 3) uint8 RGB`` applied to each frame, or ``None`` to
            pass frames through unchanged (still re-encoded). With ``workers > 1`` it is called from several
            threads at once, so it must not keep per-call state (a pure function of the frame).
        crf: constant-rate factor (0-51 for libx264; lower = better quality, bigger file).
        preset: encoder speed preset (``ultrafast`` ... ``veryslow``), see :data:`DEFAULT_PRESET`.
        codec: FFmpeg encoder name (``libx264`` default; ``libx265`` etc. if the bundled FFmpeg has it).
        progress: ``True`` draws a progress bar on the terminal (stderr); a callable gets
            ``(frames_done, frames_total)`` after each frame (``frames_total`` may be an estimate, or 0).
        max_pixels: refuse videos whose frames have more pixels (width × height) than this (``None``: env
            ``VIBEGRADE_MAX_PIXELS`` or 100 MP).
        workers: frames processed concurrently (default 2, or 1 on a single core; 1 = strictly sequential).

    Returns:
        :class:`VideoInfo` of the written file; ``frames`` is the exact number encoded, ``notes`` lists the
        encoder settings, what happened to each audio stream, padding and skipped packets, and the speed.

    Raises:
        MediaError: bad input/output (one line). Exceptions raised by ``process`` propagate unchanged.
    """
    import av

    src_p, dst_p = Path(src), Path(dst)
    ext = dst_p.suffix.lower()
    if ext not in OUTPUT_VIDEO_EXTENSIONS:
        raise UnsupportedFormat(f"{dst_p}: cannot write {ext or 'files without an extension'}; "
                         f"use one of {', '.join(sorted(OUTPUT_VIDEO_EXTENSIONS))}")
    if str(dst_p.parent) and not dst_p.parent.is_dir():
        raise WriteError(f"{dst_p}: output folder does not exist ({dst_p.parent})")
    check_input(src_p)
    if dst_p.exists() and os.path.samefile(src_p, dst_p):
        raise MediaError(f"{dst_p}: output would overwrite the input")
    if isinstance(crf, bool) or not isinstance(crf, (int, float)) or not 0 <= crf <= 63:
        raise MediaError(f"crf must be a number from 0 to 51, got {crf!r}")
    try:
        av.codec.Codec(codec, "w")
    except Exception:
        raise MediaError(f"video encoder {codec!r} is not available in this FFmpeg build") from None
    limit = max_pixels_limit(max_pixels)
    if workers is None:
        workers = 2 if (os.cpu_count() or 1) > 1 else 1
    workers = max(1, int(workers))

    notes: list[str] = [f"video: {codec} preset={preset} crf={crf} yuv420p"]
    t0 = time.perf_counter()
    try:
        with atomic_path(dst_p) as tmp:
            done, rotation = Transcoder(src_p, tmp, process, codec=codec, crf=crf, preset=preset,
                                         progress=progress, workers=workers, limit=limit, notes=notes).run()
            elapsed = time.perf_counter() - t0
            with av.open(str(tmp), metadata_errors="replace") as c:  # headers only, nothing decoded
                vs = video_stream(c, dst_p)
                out = _describe(dst_p, c, vs, None, count_frames=False, rotation=rotation, frames=done)
    except MediaError:
        raise
    except av.FFmpegError as e:
        raise MediaError(f"{src_p}: transcoding failed ({short(e)})") from e
    except OSError as e:
        raise WriteError(f"{dst_p}: cannot write video ({short(e)})") from e
    notes.append(f"{done} frames in {elapsed:.2f} s ({done / max(elapsed, 1e-9):.1f} fps)")
    out.notes = tuple(notes)
    return out

def iter_frames(path: str | os.PathLike[str]) -> Iterator[np.ndarray]:
    """Yield the frames of a video as ``(H, W, 3)`` uint8 RGB arrays, one at a time (for tests and tools)."""
    import av

    p = Path(path)
    with open_input(p) as c:
        vs = video_stream(c, p)
        vs.thread_type = "AUTO"
        try:
            for frame in c.decode(vs):
                yield frame.to_ndarray(format="rgb24")
        except av.FFmpegError as e:
            raise Corrupt(f"{p}: video data cannot be decoded ({short(e)})") from e
