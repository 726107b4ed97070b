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

import contextlib
import logging
import os
import queue
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from vibegrade.files import atomic_path
from vibegrade.media.image import MediaError, max_pixels_limit

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
PIPELINE_DEPTH = 8
"""Most frames that may wait between decoding and encoding; fewer for big frames so that the queue holds at
most ~96 MiB of RGB (8 at 1080p, 3 at 4K). Memory is bounded by about 2 × (depth + workers) RGB frames."""
_QUEUE_BYTES = 96 << 20

ProgressCallback = Callable[[int, int], None]


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

def _short(e: BaseException) -> str:
    msg = " ".join(str(e).split()) or type(e).__name__
    return msg if len(msg) <= 160 else msg[:157] + "..."


def _check_input(p: Path) -> None:
    if not p.exists():
        raise MediaError(f"{p}: file not found")
    if p.is_dir():
        raise MediaError(f"{p}: is a folder, not a video file")
    if p.stat().st_size == 0:
        raise MediaError(f"{p}: empty file (0 bytes)")


def _open_input(p: Path):
    import av

    _check_input(p)
    try:
        return av.open(str(p), mode="r", metadata_errors="replace")
    except av.FFmpegError as e:
        raise MediaError(f"{p}: not a readable video file ({_short(e)})") from e
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise MediaError(f"{p}: cannot open video ({_short(e)})") from e


def _video_stream(container, p: Path):
    for s in container.streams.video:
        if not (int(s.disposition) & 0x400):  # AV_DISPOSITION_ATTACHED_PIC (cover art)
            return s
    raise MediaError(f"{p}: no video stream in this file")


def _frame_rate(stream) -> Fraction | None:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and rate > 0:
            return Fraction(rate)
    return None


def _normalise_rotation(deg: float) -> int:
    """Counter-clockwise degrees in [0, 360), snapped to a multiple of 90 when within 1 degree of one."""
    r = float(deg) % 360.0
    snapped = round(r / 90.0) * 90
    return int(snapped % 360) if abs(r - snapped) <= 1.0 else int(round(r)) % 360


def _stream_rotation(stream, first_frame) -> int:
    rot = 0.0
    if first_frame is not None:
        with contextlib.suppress(Exception):
            rot = float(first_frame.rotation or 0)
    if not rot:
        tag = (stream.metadata or {}).get("rotate")
        if tag:
            with contextlib.suppress(ValueError):
                rot = -float(tag)  # legacy tag: clockwise degrees
    return _normalise_rotation(rot)


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
    with _open_input(p) as container:
        vs = _video_stream(container, p)
        vs.thread_type = "SLICE"  # one frame needed: skip frame-thread start-up
        first = None
        try:
            for frame in container.decode(vs):
                first = frame
                break
        except av.FFmpegError as e:
            raise MediaError(f"{p}: video data cannot be decoded ({_short(e)})") from e
        if first is None:
            raise MediaError(f"{p}: the video stream contains no decodable frames")
        return _describe(p, container, vs, first, count_frames=count_frames)


def _describe(p: Path, container, vs, first, *, count_frames: bool, rotation: int | None = None,
              frames: int | None = None) -> VideoInfo:
    """VideoInfo from an open container (``first``: a decoded frame or None)."""
    cc = vs.codec_context
    width = int(first.width) if first is not None else int(cc.width)
    height = int(first.height) if first is not None else int(cc.height)
    fps = _frame_rate(vs)
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
        rotation = _stream_rotation(vs, first)
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

_END = object()


@dataclass
class _VideoItem:
    pts: int | None
    duration: int | None
    result: Future | np.ndarray


class _Failure:
    def __init__(self, exc: BaseException):
        self.exc = exc


class _Stopped(Exception):
    """Internal: the reader was asked to stop."""


@dataclass
class _First:
    """Facts taken from the first decoded frame (the header can be wrong or silent about them)."""

    width: int
    height: int
    rotation: int
    colorspace: int
    color_range: int


def _colour_params(frame, height: int) -> tuple[int, int]:
    """(colorspace, range) to convert this frame's YUV with; unspecified → BT.709 (HD) / BT.601, limited."""
    from av.video.reformatter import ColorRange, Colorspace

    cs = int(frame.colorspace or 2)
    if cs in (0, 2, 3):  # RGB/GBR (decoded as YUV anyway), unspecified, reserved
        cs = int(Colorspace.ITU709) if height >= 720 else int(Colorspace.ITU601)
    rng = int(frame.color_range or 0)
    if rng not in (1, 2):
        rng = int(ColorRange.MPEG)
    return cs, rng


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
        raise MediaError(f"{dst_p}: cannot write {ext or 'files without an extension'}; "
                         f"use one of {', '.join(sorted(OUTPUT_VIDEO_EXTENSIONS))}")
    if str(dst_p.parent) and not dst_p.parent.is_dir():
        raise MediaError(f"{dst_p}: output folder does not exist ({dst_p.parent})")
    _check_input(src_p)
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
            done, rotation = _run_pipeline(src_p, tmp, process, codec=codec, crf=crf, preset=preset,
                                           progress=progress, workers=workers, limit=limit, notes=notes)
            elapsed = time.perf_counter() - t0
            with av.open(str(tmp), metadata_errors="replace") as c:  # headers only, nothing decoded
                vs = _video_stream(c, dst_p)
                out = _describe(dst_p, c, vs, None, count_frames=False, rotation=rotation, frames=done)
    except MediaError:
        raise
    except av.FFmpegError as e:
        raise MediaError(f"{src_p}: transcoding failed ({_short(e)})") from e
    except OSError as e:
        raise MediaError(f"{dst_p}: cannot write video ({_short(e)})") from e
    notes.append(f"{done} frames in {elapsed:.2f} s ({done / max(elapsed, 1e-9):.1f} fps)")
    out.notes = tuple(notes)
    return out


def _progress_reporter(progress: bool | ProgressCallback, total: int, label: str):
    """Return (callback(done), close()) for the requested progress style."""
    if callable(progress):
        return (lambda done: progress(done, total)), (lambda: None)
    if not progress:
        return (lambda done: None), (lambda: None)
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[fps]:>6.1f} fps"), TimeElapsedColumn(), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=False)
    task = bar.add_task(label, total=total or None, fps=0.0)
    bar.start()
    start = time.perf_counter()
    last = [0.0]

    def update(done: int) -> None:
        now = time.perf_counter()
        if now - last[0] >= 0.1 or done == total:
            last[0] = now
            bar.update(task, completed=done, fps=done / max(now - start, 1e-9))

    def close() -> None:
        bar.stop()

    return update, close


def _setup_audio(out, ain: list, suffix: str, src: Path, notes: list[str]) -> dict[int, tuple[Any, bool]]:
    """Output stream per input audio stream: copy when the container takes the codec, else AAC."""
    audio_map: dict[int, tuple[Any, bool]] = {}
    for a in ain:
        name = a.codec_context.name
        try:
            aout = out.add_stream_from_template(a)
            with contextlib.suppress(Exception):
                for k in ("language", "title", "handler_name"):
                    if (a.metadata or {}).get(k):
                        aout.metadata[k] = a.metadata[k]
            audio_map[a.index] = (aout, True)
            notes.append(f"audio #{a.index}: {name} copied without re-encoding")
        except ValueError:
            aout = out.add_stream("aac", rate=a.codec_context.sample_rate or 48000)
            with contextlib.suppress(Exception):
                aout.layout = a.codec_context.layout
            aout.bit_rate = 192_000
            with contextlib.suppress(Exception):
                if (a.metadata or {}).get("language"):
                    aout.metadata["language"] = a.metadata["language"]
            audio_map[a.index] = (aout, False)
            msg = f"audio #{a.index}: {name} cannot be stored in {suffix} files; re-encoded to AAC 192 kb/s"
            notes.append(msg)
            log.warning("%s: %s", src, msg)
    if not ain:
        notes.append("audio: none in source")
    return audio_map


def _run_pipeline(src: Path, tmp: Path, process, *, codec: str, crf: float, preset: str, progress,
                  workers: int, limit: int, notes: list[str]) -> tuple[int, int]:
    """Decode (thread) → process (pool) → convert/encode/mux (this thread). Returns (frames, rotation)."""
    import av
    from av.video.reformatter import VideoReformatter

    inp = _open_input(src)
    out = None
    stop = threading.Event()
    q: queue.Queue = queue.Queue()
    pool: ThreadPoolExecutor | None = None
    reader: threading.Thread | None = None
    try:
        vin = _video_stream(inp, src)
        icc = vin.codec_context
        if icc.width and icc.height and icc.width * icc.height > limit:
            raise MediaError(f"{src}: {icc.width}×{icc.height} frames are over the limit of {limit} pixels")
        vin.thread_type = "AUTO"
        icc.thread_count = 0
        ain = list(inp.streams.audio)
        frame_bytes = 3 * (icc.width or 1920) * (icc.height or 1080)
        q.maxsize = max(3, min(PIPELINE_DEPTH, _QUEUE_BYTES // max(1, frame_bytes)))
        fps = _frame_rate(vin) or Fraction(30)
        tb = vin.time_base or Fraction(1, 90000)
        duration = float(vin.duration * tb) if vin.duration else (inp.duration or 0) / 1_000_000
        total = int(vin.frames or 0) or int(round(duration * fps))

        out = av.open(str(tmp), mode="w")
        with contextlib.suppress(Exception):
            for k, v in (inp.metadata or {}).items():
                if k.lower() not in ("encoder", "major_brand", "minor_version", "compatible_brands"):
                    out.metadata[k] = v
        vout = out.add_stream(codec, rate=fps)
        vout.pix_fmt = "yuv420p"
        vout.time_base = tb
        vcc = vout.codec_context
        vcc.time_base = tb
        vcc.thread_count = 0
        vout.options = {"crf": str(crf), "preset": str(preset)}
        for attr in ("color_range", "color_primaries", "color_trc", "colorspace"):
            with contextlib.suppress(Exception):
                setattr(vcc, attr, getattr(icc, attr))
        with contextlib.suppress(Exception):
            if icc.sample_aspect_ratio and icc.sample_aspect_ratio > 0:
                vcc.sample_aspect_ratio = icc.sample_aspect_ratio
        with contextlib.suppress(Exception):
            if (vin.metadata or {}).get("language"):
                vout.metadata["language"] = vin.metadata["language"]
        audio_map = _setup_audio(out, ain, tmp.suffix, src, notes)

        if process is not None:
            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vibegrade-frame")
        to_rgb, to_yuv = VideoReformatter(), VideoReformatter()
        first: list[_First] = []
        skipped = [0]

        def put(item, force: bool = False) -> None:
            while True:
                if stop.is_set() and not force:
                    raise _Stopped()
                try:
                    q.put(item, timeout=0.1)
                    return
                except queue.Full:
                    if force and stop.is_set():
                        return

        def convert(frame) -> _VideoItem:
            if not first:
                w0, h0 = int(frame.width), int(frame.height)
                if w0 * h0 > limit:
                    raise MediaError(f"{src}: {w0}×{h0} frames are over the limit of {limit} pixels")
                cs0, rng0 = _colour_params(frame, h0)
                first.append(_First(w0, h0, _stream_rotation(vin, frame), cs0, rng0))
            f0 = first[0]
            # frames that change size mid-stream are scaled to the first frame's size
            rgb = to_rgb.reformat(frame, width=f0.width, height=f0.height, format="rgb24",
                                  src_colorspace=f0.colorspace, dst_colorspace=f0.colorspace,
                                  src_color_range=f0.color_range, dst_color_range=f0.color_range,
                                  threads=1).to_ndarray()
            dur = frame.duration or None
            if pool is not None:
                return _VideoItem(frame.pts, dur, pool.submit(process, rgb))
            return _VideoItem(frame.pts, dur, rgb)

        def read() -> None:
            """Background thread: demux, decode video to RGB (handed to the pool), forward audio packets."""
            try:
                for packet in inp.demux([vin, *ain]):
                    if stop.is_set():
                        return
                    if not packet.size:
                        continue  # demux's end-of-stream markers; the decoder is flushed below
                    if packet.stream_index != vin.index:
                        put(("a", packet))
                        continue
                    try:
                        frames = vin.decode(packet)
                    except av.InvalidDataError:
                        skipped[0] += 1
                        continue
                    for frame in frames:
                        put(("v", convert(frame)))
                with contextlib.suppress(av.EOFError, av.InvalidDataError):
                    for frame in vin.decode(None):
                        put(("v", convert(frame)))
                put(_END)
            except BaseException as e:  # noqa: BLE001 - handed to the main thread
                put(_Failure(e), force=True)

        reader = threading.Thread(target=read, name="vibegrade-decode", daemon=True)
        reader.start()

        report, close_report = _progress_reporter(progress, total, src.name)
        done = 0
        last_pts: int | None = None
        step = max(1, int(round(1 / (fps * tb))))
        pending_audio: list = []
        size: tuple[int, int, int, int] | None = None  # w, h, encoded w, encoded h

        def mux_audio(packet) -> None:
            aout, copy = audio_map[packet.stream_index]
            if copy:
                packet.stream = aout
                out.mux(packet)
                return
            for af in packet.decode():
                af.pts = None  # the encoder counts samples itself
                for pk in aout.encode(af):
                    out.mux(pk)

        try:
            while True:
                item = q.get()
                if item is _END:
                    break
                if isinstance(item, _Failure):
                    if isinstance(item.exc, _Stopped):
                        break
                    raise item.exc
                kind, payload = item
                if kind == "a":
                    if size is None:
                        pending_audio.append(payload)  # the header waits for the first video frame
                    else:
                        mux_audio(payload)
                    continue
                if size is None:  # first video frame: finish configuring, then write the header
                    f0 = first[0]
                    ew, eh = f0.width + (f0.width & 1), f0.height + (f0.height & 1)
                    size = (f0.width, f0.height, ew, eh)
                    if (ew, eh) != (f0.width, f0.height):
                        notes.append(f"frame size {f0.width}×{f0.height} padded to {ew}×{eh} "
                                     f"(4:2:0 needs even sizes)")
                    vout.width, vout.height = ew, eh
                    if f0.rotation:
                        vout.set_display_rotation(f0.rotation)
                w, h, ew, eh = size
                rgb = payload.result.result() if isinstance(payload.result, Future) else payload.result
                rgb = _check_processed(rgb, h, w)
                if (ew, eh) != (w, h):
                    rgb = np.pad(rgb, ((0, eh - h), (0, ew - w), (0, 0)), mode="edge")
                f0 = first[0]
                yuv = to_yuv.reformat(av.VideoFrame.from_numpy_buffer(rgb, format="rgb24"), format="yuv420p",
                                      src_colorspace=f0.colorspace, dst_colorspace=f0.colorspace,
                                      src_color_range=f0.color_range, dst_color_range=f0.color_range,
                                      threads=1)
                pts = payload.pts
                if pts is None or (last_pts is not None and pts <= last_pts):
                    pts = 0 if last_pts is None else last_pts + (payload.duration or step)
                last_pts = pts
                yuv.pts = pts
                yuv.time_base = tb
                for pk in vout.encode(yuv):
                    out.mux(pk)
                while pending_audio:
                    mux_audio(pending_audio.pop(0))
                done += 1
                report(done)
            if done == 0:
                raise MediaError(f"{src}: no video frame could be decoded")
            for pk in vout.encode(None):
                out.mux(pk)
            for aout, copy in audio_map.values():
                if not copy:
                    for pk in aout.encode(None):
                        out.mux(pk)
        finally:
            close_report()
        if skipped[0]:
            notes.append(f"{skipped[0]} corrupt video packets skipped")
            log.warning("%s: %d corrupt video packets skipped", src, skipped[0])
        out.close()
        return done, first[0].rotation
    finally:
        stop.set()
        if reader is not None:
            while reader.is_alive():
                with contextlib.suppress(queue.Empty):
                    while True:
                        q.get_nowait()
                reader.join(timeout=0.05)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        with contextlib.suppress(Exception):
            if out is not None:
                out.close()
        with contextlib.suppress(Exception):
            inp.close()


def _check_processed(rgb: Any, h: int, w: int) -> np.ndarray:
    if not isinstance(rgb, np.ndarray) or rgb.shape != (h, w, 3) or rgb.dtype != np.uint8:
        got = f"{type(rgb).__name__} {getattr(rgb, 'shape', '')} {getattr(rgb, 'dtype', '')}".strip()
        raise ValueError(f"process must return a ({h}, {w}, 3) uint8 array, got {got}")
    if not rgb.flags.c_contiguous:
        rgb = np.ascontiguousarray(rgb)
    return rgb


def iter_frames(path: str | os.PathLike[str]) -> Iterator[np.ndarray]:
    """Yield the frames of a video as ``(H, W, 3)`` uint8 RGB arrays, one at a time (for tests and tools)."""
    import av

    p = Path(path)
    with _open_input(p) as c:
        vs = _video_stream(c, p)
        vs.thread_type = "AUTO"
        try:
            for frame in c.decode(vs):
                yield frame.to_ndarray(format="rgb24")
        except av.FFmpegError as e:
            raise MediaError(f"{p}: video data cannot be decoded ({_short(e)})") from e
