"""The transcoder behind :func:`vibegrade.media.video.transcode_video`: decode (a thread) → process (a pool)
→ convert/encode/mux (the calling thread), as one small object whose methods are the steps.

See :mod:`vibegrade.media.video` for the guarantees and the speed notes.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from vibegrade.media.errors import Corrupt, TooLarge
from vibegrade.media.streams import frame_rate, open_input, stream_rotation, video_stream

__all__ = ["PIPELINE_DEPTH", "ProgressCallback", "Transcoder"]

log = logging.getLogger("vibegrade.media.video")

PIPELINE_DEPTH = 8
"""Most frames that may wait between decoding and encoding; fewer for big frames so that the queue holds at
most ~96 MiB of RGB (8 at 1080p, 3 at 4K). Memory is bounded by about 2 × (depth + workers) RGB frames."""
_QUEUE_BYTES = 96 << 20

ProgressCallback = Callable[[int, int], None]

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

def _progress_reporter(progress: bool | ProgressCallback, total: int, label: str):
    """Return (callback(done), close()) for the requested progress style."""
    if callable(progress):
        return (lambda done: progress(done, total)), (lambda: None)
    if not progress:
        return (lambda done: None), (lambda: None)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

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
            for k in ("language", "title", "handler_name"):
                if (a.metadata or {}).get(k):
                    aout.metadata[k] = a.metadata[k]
            audio_map[a.index] = (aout, True)
            notes.append(f"audio #{a.index}: {name} copied without re-encoding")
        except ValueError:
            aout = out.add_stream("aac", rate=a.codec_context.sample_rate or 48000)
            # An unset (None) or exotic source layout is refused (TypeError/ValueError): the AAC encoder
            # then keeps its default layout, which is what we want rather than failing the whole job.
            with contextlib.suppress(AttributeError, TypeError, ValueError):
                aout.layout = a.codec_context.layout
            aout.bit_rate = 192_000
            if (a.metadata or {}).get("language"):
                aout.metadata["language"] = a.metadata["language"]
            audio_map[a.index] = (aout, False)
            msg = f"audio #{a.index}: {name} cannot be stored in {suffix} files; re-encoded to AAC 192 kb/s"
            notes.append(msg)
            log.warning("%s: %s", src, msg)
    if not ain:
        notes.append("audio: none in source")
    return audio_map


_SKIPPED_CONTAINER_TAGS = frozenset({"encoder", "major_brand", "minor_version", "compatible_brands"})
"""Container tags that describe the source file's muxer, not the content: the output gets its own."""


class Transcoder:
    """One transcode: decode (thread) → process (pool) → convert/encode/mux (the calling thread).

    :meth:`run` returns ``(frames encoded, rotation)``; every other method is one step of it. The reader
    thread and the calling thread share only :attr:`queue` (items ``("a", packet)``, ``("v", _VideoItem)``,
    :data:`_END` or a :class:`_Failure`) and :attr:`stop`.
    """

    def __init__(self, src: Path, tmp: Path, process, *, codec: str, crf: float, preset: str, progress,
                 workers: int, limit: int, notes: list[str]) -> None:
        self.src, self.tmp, self.process = src, tmp, process
        self.codec, self.crf, self.preset, self.progress = codec, crf, preset, progress
        self.workers, self.limit, self.notes = workers, limit, notes
        self.stop = threading.Event()
        self.queue: queue.Queue = queue.Queue()
        self.pool: ThreadPoolExecutor | None = None
        self.reader: threading.Thread | None = None
        self.inp: Any = None
        self.out: Any = None
        self.first: _First | None = None  # set by the reader from the first decoded frame
        self.skipped = 0  # corrupt video packets (reader thread)
        self.audio_map: dict[int, tuple[Any, bool]] = {}
        self.pending_audio: list = []  # audio packets that arrive before the first video frame
        self.size: tuple[int, int, int, int] | None = None  # w, h, encoded w, encoded h
        self.last_pts: int | None = None

    # ------------------------------------------------------------------------------------------- run

    def run(self) -> tuple[int, int]:
        from av.video.reformatter import VideoReformatter

        self.inp = open_input(self.src)
        try:
            self._open_input_streams()
            self._open_output()
            if self.process is not None:
                self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="vibegrade-frame")
            self.to_rgb, self.to_yuv = VideoReformatter(), VideoReformatter()
            self.reader = threading.Thread(target=self._read, name="vibegrade-decode", daemon=True)
            self.reader.start()
            done = self._encode_all()
            if self.skipped:
                self.notes.append(f"{self.skipped} corrupt video packets skipped")
                log.warning("%s: %d corrupt video packets skipped", self.src, self.skipped)
            self.out.close()
            assert self.first is not None  # done > 0: a frame was converted
            return done, self.first.rotation
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        """Stop the reader (draining the queue so that it is never stuck on a full one), the pool, the
        files."""
        self.stop.set()
        if self.reader is not None:
            while self.reader.is_alive():
                with contextlib.suppress(queue.Empty):
                    while True:
                        self.queue.get_nowait()
                self.reader.join(timeout=0.05)
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        # Cleanup after success or failure: closing a half-written output (or an input FFmpeg gave up on)
        # can raise any av/OS error, which must not replace the error that got us here; on success both
        # are closed already and these are no-ops.
        with contextlib.suppress(Exception):
            if self.out is not None:
                self.out.close()
        with contextlib.suppress(Exception):
            self.inp.close()

    # ----------------------------------------------------------------------------------------- setup

    def _open_input_streams(self) -> None:
        vin = self.vin = video_stream(self.inp, self.src)
        icc = self.icc = vin.codec_context
        if icc.width and icc.height and icc.width * icc.height > self.limit:
            raise TooLarge(
                f"{self.src}: {icc.width}×{icc.height} frames are over the limit of {self.limit} pixels")
        vin.thread_type = "AUTO"
        icc.thread_count = 0
        self.ain = list(self.inp.streams.audio)
        frame_bytes = 3 * (icc.width or 1920) * (icc.height or 1080)
        self.queue.maxsize = max(3, min(PIPELINE_DEPTH, _QUEUE_BYTES // max(1, frame_bytes)))
        self.fps = frame_rate(vin) or Fraction(30)
        self.tb = vin.time_base or Fraction(1, 90000)
        duration = float(vin.duration * self.tb) if vin.duration else (self.inp.duration or 0) / 1_000_000
        self.total = int(vin.frames or 0) or int(round(duration * self.fps))
        self.step = max(1, int(round(1 / (self.fps * self.tb))))  # pts step for frames without a usable pts

    def _open_output(self) -> None:
        import av

        self.out = av.open(str(self.tmp), mode="w")
        for k, v in (self.inp.metadata or {}).items():
            if k.lower() not in _SKIPPED_CONTAINER_TAGS:
                self.out.metadata[k] = v
        vout = self.vout = self.out.add_stream(self.codec, rate=self.fps)
        vout.pix_fmt = "yuv420p"
        vout.time_base = self.tb
        vcc = vout.codec_context
        vcc.time_base = self.tb
        vcc.thread_count = 0
        vout.options = {"crf": str(self.crf), "preset": str(self.preset)}
        self._copy_colour_tags(vcc)
        if (self.vin.metadata or {}).get("language"):
            vout.metadata["language"] = self.vin.metadata["language"]
        self.audio_map = _setup_audio(self.out, self.ain, self.tmp.suffix, self.src, self.notes)

    def _copy_colour_tags(self, vcc) -> None:
        """Colour tags and sample aspect ratio, from the source stream, each on a best-effort basis."""
        # PyAV before 13 lacks some of these attributes (AttributeError) and a source that leaves one unset
        # gives None, which the setter refuses (TypeError/ValueError): the encoder keeps its default then.
        for attr in ("color_range", "color_primaries", "color_trc", "colorspace"):
            with contextlib.suppress(AttributeError, TypeError, ValueError):
                setattr(vcc, attr, getattr(self.icc, attr))
        with contextlib.suppress(AttributeError, TypeError, ValueError):
            if self.icc.sample_aspect_ratio and self.icc.sample_aspect_ratio > 0:
                vcc.sample_aspect_ratio = self.icc.sample_aspect_ratio

    # ------------------------------------------------------------------------- reader thread

    def _put(self, item, force: bool = False) -> None:
        """Queue ``item``, waiting for room; raise :class:`_Stopped` once asked to stop (``force``: give
        up)."""
        while True:
            if self.stop.is_set() and not force:
                raise _Stopped()
            try:
                self.queue.put(item, timeout=0.1)
                return
            except queue.Full:
                if force and self.stop.is_set():
                    return

    def _convert(self, frame) -> _VideoItem:
        """A decoded frame as RGB at the first frame's size, handed to the pool (or kept, without
        ``process``)."""
        if self.first is None:
            w0, h0 = int(frame.width), int(frame.height)
            if w0 * h0 > self.limit:
                raise TooLarge(f"{self.src}: {w0}×{h0} frames are over the limit of {self.limit} pixels")
            cs0, rng0 = _colour_params(frame, h0)
            self.first = _First(w0, h0, stream_rotation(self.vin, frame), cs0, rng0)
        f0 = self.first
        # frames that change size mid-stream are scaled to the first frame's size
        rgb = self.to_rgb.reformat(frame, width=f0.width, height=f0.height, format="rgb24",
                                   src_colorspace=f0.colorspace, dst_colorspace=f0.colorspace,
                                   src_color_range=f0.color_range, dst_color_range=f0.color_range,
                                   threads=1).to_ndarray()
        dur = frame.duration or None
        if self.pool is not None:
            return _VideoItem(frame.pts, dur, self.pool.submit(self.process, rgb))
        return _VideoItem(frame.pts, dur, rgb)

    def _read(self) -> None:
        """Background thread: demux, decode video to RGB (handed to the pool), forward audio packets."""
        import av

        try:
            for packet in self.inp.demux([self.vin, *self.ain]):
                if self.stop.is_set():
                    return
                if not packet.size:
                    continue  # demux's end-of-stream markers; the decoder is flushed below
                if packet.stream_index != self.vin.index:
                    self._put(("a", packet))
                    continue
                try:
                    frames = self.vin.decode(packet)
                except av.InvalidDataError:
                    self.skipped += 1
                    continue
                for frame in frames:
                    self._put(("v", self._convert(frame)))
            # flushing the decoder at a broken end of file: the frames decoded so far are kept
            with contextlib.suppress(av.EOFError, av.InvalidDataError):
                for frame in self.vin.decode(None):
                    self._put(("v", self._convert(frame)))
            self._put(_END)
        except BaseException as e:  # noqa: BLE001 - handed to the main thread
            self._put(_Failure(e), force=True)

    # ------------------------------------------------------------------------- calling thread

    def _encode_all(self) -> int:
        """Take the queue's items until the end: mux audio, encode video frames, report progress, flush."""
        report, close_report = _progress_reporter(self.progress, self.total, self.src.name)
        done = 0
        try:
            while True:
                item = self.queue.get()
                if item is _END:
                    break
                if isinstance(item, _Failure):
                    if isinstance(item.exc, _Stopped):
                        break
                    raise item.exc
                kind, payload = item
                if kind == "a":
                    self._audio(payload)
                    continue
                self._encode_frame(payload)
                done += 1
                report(done)
            if done == 0:
                raise Corrupt(f"{self.src}: no video frame could be decoded")
            self._flush()
        finally:
            close_report()
        return done

    def _audio(self, packet) -> None:
        if self.size is None:
            self.pending_audio.append(packet)  # the header waits for the first video frame
        else:
            self._mux_audio(packet)

    def _start_video(self) -> None:
        """At the first video frame: the output size (padded to even for 4:2:0) and rotation, then the
        header."""
        f0 = self.first
        assert f0 is not None  # the reader sets it before queuing any frame
        ew, eh = f0.width + (f0.width & 1), f0.height + (f0.height & 1)
        self.size = (f0.width, f0.height, ew, eh)
        if (ew, eh) != (f0.width, f0.height):
            self.notes.append(
                f"frame size {f0.width}×{f0.height} padded to {ew}×{eh} (4:2:0 needs even sizes)")
        self.vout.width, self.vout.height = ew, eh
        if f0.rotation:
            self.vout.set_display_rotation(f0.rotation)

    def _encode_frame(self, payload: _VideoItem) -> None:
        import av

        if self.size is None:
            self._start_video()
        assert self.size is not None and self.first is not None
        w, h, ew, eh = self.size
        rgb = payload.result.result() if isinstance(payload.result, Future) else payload.result
        rgb = _check_processed(rgb, h, w)
        if (ew, eh) != (w, h):
            rgb = np.pad(rgb, ((0, eh - h), (0, ew - w), (0, 0)), mode="edge")
        f0 = self.first
        yuv = self.to_yuv.reformat(av.VideoFrame.from_numpy_buffer(rgb, format="rgb24"), format="yuv420p",
                                   src_colorspace=f0.colorspace, dst_colorspace=f0.colorspace,
                                   src_color_range=f0.color_range, dst_color_range=f0.color_range, threads=1)
        yuv.pts = self._next_pts(payload)
        yuv.time_base = self.tb
        for pk in self.vout.encode(yuv):
            self.out.mux(pk)
        while self.pending_audio:
            self._mux_audio(self.pending_audio.pop(0))

    def _next_pts(self, payload: _VideoItem) -> int:
        """The frame's pts, or one step past the previous frame's when missing or not increasing."""
        pts = payload.pts
        if pts is None or (self.last_pts is not None and pts <= self.last_pts):
            pts = 0 if self.last_pts is None else self.last_pts + (payload.duration or self.step)
        self.last_pts = pts
        return pts

    def _mux_audio(self, packet) -> None:
        aout, copy = self.audio_map[packet.stream_index]
        if copy:
            packet.stream = aout
            self.out.mux(packet)
            return
        for af in packet.decode():
            af.pts = None  # the encoder counts samples itself
            for pk in aout.encode(af):
                self.out.mux(pk)

    def _flush(self) -> None:
        for pk in self.vout.encode(None):
            self.out.mux(pk)
        for aout, copy in self.audio_map.values():
            if not copy:
                for pk in aout.encode(None):
                    self.out.mux(pk)


def _check_processed(rgb: Any, h: int, w: int) -> np.ndarray:
    if not isinstance(rgb, np.ndarray) or rgb.shape != (h, w, 3) or rgb.dtype != np.uint8:
        got = f"{type(rgb).__name__} {getattr(rgb, 'shape', '')} {getattr(rgb, 'dtype', '')}".strip()
        raise ValueError(f"process must return a ({h}, {w}, 3) uint8 array, got {got}")
    if not rgb.flags.c_contiguous:
        rgb = np.ascontiguousarray(rgb)
    return rgb
