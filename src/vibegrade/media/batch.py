"""Grade a folder of images with one tool chain, in parallel worker processes.

:func:`~vibegrade.media.batch_plan.plan_folder` decides what happens to each file of the input folder (and,
with ``recursive``, of its sub-folders, mirrored in the output folder); :func:`grade_folder` grades the
images through :func:`vibegrade.media.pipeline.render_file`, one file per task, on ``jobs`` processes.

* **What is graded**: files whose extension is one :func:`~vibegrade.media.image.read_image` reads (JPEG,
  PNG, WebP, TIFF, HEIC/HEIF, camera RAW). Other files are skipped with a reason; hidden files and folders
  (name starting with ``.``) are ignored.
* **Output names**: the input's name, extension kept (``IMG_1.JPG`` → ``OUT/IMG_1.JPG``), except for
  formats we do not write: HEIC/HEIF → ``.jpg`` (8-bit, like the phone photos they are), camera RAW →
  ``.tif`` (16-bit, the development kept in full). ``out_format`` (``jpg``, ``png``, ``tif``) converts
  everything. Two inputs that would get one name (``IMG_1.heic`` and ``IMG_1.jpg``): the one keeping its
  own name wins, the other gets its old extension in the name (``IMG_1.heic.jpg``).
* **Safety**: the output folder may not be the input folder, no output may be an input file, outputs are
  written atomically (a temporary file renamed into place), and one file's failure (a corrupt file, a
  decoder that crashes its process) is reported without stopping the others.
* **Processes**: ``jobs`` worker processes (default: the CPUs this process may use), each with one thread
  for OpenCV and OpenMP, fed one file at a time; ``jobs=1`` grades in this process. A worker that dies is
  replaced; the files it was grading are retried one at a time, and a file that kills a worker alone fails.
  Ctrl-C ends the workers at once: the images they had in hand are not written (their temporary files are
  removed), those already written stay.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from vibegrade.files import sweep_partial_files
from vibegrade.media.batch_plan import CONVERTED, OUTPUT_FORMATS, BatchItem, Outcome, Status, plan_folder
from vibegrade.media.errors import MediaError
from vibegrade.media.image import READ_EXTENSIONS
from vibegrade.schema import ToolChain
from vibegrade.tools.chain import DEFAULT_LUT_SIZE

__all__ = ["OUTPUT_FORMATS", "CONVERTED", "BatchItem", "Outcome", "BatchReport", "default_jobs",
           "plan_folder", "grade_folder", "grade_one", "start_fork_server"]

WorkResult = tuple[Status, str, int, int]
"""What a worker returns for one file: ``(status, reason, width, height)``."""


@dataclass
class BatchReport:
    """Every file's outcome, in the order they finished, and the wall time in seconds."""

    input_dir: Path
    output_dir: Path
    jobs: int
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def _with(self, status: Status) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def done(self) -> list[Outcome]:
        return self._with("done")

    @property
    def skipped(self) -> list[Outcome]:
        return self._with("skipped")

    @property
    def failed(self) -> list[Outcome]:
        return self._with("failed")


def default_jobs() -> int:
    """The number of CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# --------------------------------------------------------------------------------------------- grading


def grade_one(src: str, dst: str, chain: ToolChain, quality: int, max_pixels: int | None,
              lut_size: int) -> WorkResult:
    """Grade one file (in a worker process); failures become ``("failed", reason, 0, 0)``, never raised."""
    from vibegrade.media.pipeline import render_file

    try:
        Path(dst).parent.mkdir(parents=True, exist_ok=True)
        res = render_file(src, dst, chain, kind="image", quality=quality, max_pixels=max_pixels,
                          lut_size=lut_size)
        return "done", "", res.width, res.height
    except MediaError as e:
        return "failed", _without_path(str(e), src), 0, 0
    except MemoryError:
        return "failed", "not enough memory to grade it", 0, 0
    except Exception as e:  # an unexpected bug on one file must not stop the others: report it
        return "failed", f"unexpected error: {type(e).__name__}: {e}".splitlines()[0], 0, 0


def _without_path(msg: str, src: str) -> str:
    line = msg.splitlines()[0] if msg else "failed"
    return line[len(src) + 2:] if line.startswith(src + ": ") else line


def _init_worker() -> None:
    """Each worker: Ctrl-C is the parent's business (it ends the workers), one thread per library."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ["OMP_NUM_THREADS"] = "1"  # LibRaw's OpenMP, loaded later with rawpy
    import cv2

    from vibegrade.tools.lut import set_max_threads

    cv2.setNumThreads(1)
    set_max_threads(1)


def start_fork_server() -> None:
    """Start the fork server (and its import of the pipeline) now, so that it overlaps the caller's own work
    (the CLI predicts the chain meanwhile); a no-op where there is no fork server."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        from multiprocessing import forkserver

        _context()
        forkserver.ensure_running()


def _context() -> multiprocessing.context.BaseContext:
    """forkserver where there is one (fresh processes forked from a server that imported the pipeline once,
    without the parent's threads), else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["vibegrade.media.pipeline"])
        return ctx
    return multiprocessing.get_context("spawn")


Emit = Callable[[Outcome], None]
Worker = Callable[[str, str, ToolChain, int, "int | None", int], WorkResult]


def _outcome(item: BatchItem, result: WorkResult) -> Outcome:
    status, reason, w, h = result
    return Outcome(item.src, status, item.dst if status == "done" else None, reason, w, h)


def _run_serial(items: list[BatchItem], args: tuple, worker: Worker, emit: Emit) -> None:
    for item in items:
        emit(_outcome(item, worker(str(item.src), str(item.dst), *args)))


def _run_pool(items: list[BatchItem], jobs: int, args: tuple, worker: Worker, emit: Emit) -> None:
    """Grade ``items`` on ``jobs`` processes, at most ``jobs`` files handed out at a time.

    When a worker dies, every file then in flight becomes a suspect: suspects are graded one at a time, alone,
    in a fresh pool; a suspect whose worker dies again failed.
    """
    queue: deque[BatchItem] = deque(items)
    suspects: deque[BatchItem] = deque()
    ctx = _context()
    while queue or suspects:
        solo = bool(suspects)
        source = suspects if solo else queue
        width = 1 if solo else min(jobs, len(queue))
        running: dict[Future[WorkResult], BatchItem] = {}
        broken = False
        with ProcessPoolExecutor(max_workers=width, mp_context=ctx, initializer=_init_worker) as pool, \
                _stopped_at_once(pool, running):
            while not broken and (source or running):
                while not broken and len(running) < width and source:
                    item = source.popleft()
                    try:
                        running[pool.submit(worker, str(item.src), str(item.dst), *args)] = item
                    except BrokenProcessPool:
                        source.appendleft(item)
                        broken = True
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in finished:
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    emit(_outcome(running.pop(fut), result))
        if broken and not running:
            raise MediaError("the worker processes could not start; grade with --jobs 1 (jobs=1) instead")
        if broken and solo:
            for item in running.values():
                emit(Outcome(item.src, "failed",
                             reason="its worker process died (a decoder crashed or ran out of memory)"))
        elif broken:
            suspects.extend(running.values())


@contextlib.contextmanager
def _stopped_at_once(pool: ProcessPoolExecutor,
                     running: dict[Future[WorkResult], BatchItem]) -> Iterator[None]:
    """On Ctrl-C (or any error) in this process: end the workers now instead of waiting for the images in
    their hands, and remove the temporary files those left (finished outputs stay)."""
    try:
        yield
    except BaseException:
        stop = getattr(pool, "terminate_workers", None)  # Python 3.14
        if stop is not None:
            stop()
        else:
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.terminate()
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.join(timeout=5)
        for folder in {item.dst.parent for item in running.values()}:
            sweep_partial_files(folder)
        raise


def grade_folder(input_dir: str | os.PathLike[str], output_dir: str | os.PathLike[str], chain: ToolChain, *,
                 jobs: int | None = None, recursive: bool = False, out_format: str | None = None,
                 quality: int = 95, max_pixels: int | None = None, lut_size: int = DEFAULT_LUT_SIZE,
                 on_outcome: Callable[[Outcome, int, int], None] | None = None,
                 worker: Worker | None = None) -> BatchReport:
    """Grade every image of ``input_dir`` with ``chain`` into ``output_dir`` (created if missing).

    Args:
        jobs: worker processes (``None``: :func:`default_jobs`; 1: in this process).
        recursive: also the sub-folders (mirrored in ``output_dir``); the output folder is never scanned.
        out_format: ``"jpg"``, ``"png"`` or ``"tif"`` to convert every output; None keeps extensions (see the
            module docstring).
        quality: JPEG/WebP quality, 1..100. max_pixels: the per-image pixel limit (see
            :func:`~vibegrade.media.pipeline.render_file`). lut_size: grid of the baked 3D LUT.
        on_outcome: called in this process after each file with ``(outcome, files finished, files in all)``;
            skipped files come first.
        worker: the function graded in each process (default :func:`grade_one`; a module-level function
            with its signature, for tests).

    Returns:
        The report; its ``failed`` list is empty when every image was graded.

    Raises:
        MediaError: the folders are unusable (see :func:`plan_folder`), ``jobs`` < 1 or no image to grade.
    """
    start = time.perf_counter()
    if jobs is not None and jobs < 1:
        raise MediaError(f"jobs must be 1 or more, got {jobs}")
    items, skipped = plan_folder(input_dir, output_dir, recursive=recursive, out_format=out_format)
    if not items:
        why = f" ({len(skipped)} other file{'s' * (len(skipped) != 1)} skipped)" if skipped else ""
        raise MediaError(f"{input_dir}: no image to grade{why}; images are "
                         f"{', '.join(sorted(e.lstrip('.') for e in READ_EXTENSIONS))} files")
    out = Path(output_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise MediaError(f"{out}: cannot create the output folder ({e.strerror or e})") from e
    n = min(jobs or default_jobs(), len(items))
    report = BatchReport(Path(input_dir), out, n)
    total = len(items) + len(skipped)

    def emit(o: Outcome) -> None:
        report.outcomes.append(o)
        if on_outcome is not None:
            on_outcome(o, len(report.outcomes), total)

    for o in skipped:
        emit(o)
    args = (chain, quality, max_pixels, lut_size)
    try:
        if n == 1:
            _run_serial(items, args, worker or grade_one, emit)
        else:
            _run_pool(items, n, args, worker or grade_one, emit)
    finally:
        report.seconds = time.perf_counter() - start
    return report
