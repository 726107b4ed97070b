"""Video edit jobs: renders that run outside the request, in this process or on a Dramatiq task queue.

A job is one video to grade with one tool chain. Its files live in ``jobs_dir/{job_id}/``: the saved
upload (``input.*``, deleted once the job ends) and the graded video (``output.mp4``, written atomically,
so a reader never sees half a file). Its state (``queued`` → ``running`` → ``done`` | ``failed``, frames
done, error) lives with the queue:

* :class:`InProcessJobQueue` (default): a dict under a lock and ``workers`` threads in this process.
  Jobs die with the process; with several API processes a status request can reach a process that does
  not know the job, so use the distributed queue there.
* :class:`~vibegrade.serve.jobs_dramatiq.DramatiqJobQueue` (``redis_url`` set, the ``redis`` extra):
  delivery by `Dramatiq <https://dramatiq.io>`_ over Redis (its ack sets and worker heartbeats re-deliver
  the jobs of a worker that died), each job's state in one Redis hash shared by every API process and
  ``vibegrade worker`` process. See that module.

This module holds what both share: the job records, the files, the limits and :meth:`JobQueue.run`, the
job runner (decode, grade, encode, report progress, record the outcome), which knows nothing of the
transport. Job folders older than the TTL are removed by a cheap sweep when jobs are submitted (at most
once a minute per queue).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue as queue_mod
import re
import secrets
import shutil
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Literal, Optional

from pydantic import BaseModel, Field

from vibegrade.serve.settings import Settings

__all__ = ["JobState", "JobSpec", "JobRecord", "JobQueue", "InProcessJobQueue",
           "JobQueueUnavailable", "JobQueueStopped", "JobLimitReached", "make_job_queue", "default_jobs_dir", "new_job_id",
           "is_job_id", "public_media_message", "run_worker", "OUTPUT_NAME", "OUTPUT_MEDIA_TYPE",
           "SHUTDOWN_GRACE_S"]

log = logging.getLogger(__name__)

JobState = Literal["queued", "running", "done", "failed"]
ACTIVE_STATES = frozenset({"queued", "running"})
OUTPUT_NAME = "output.mp4"
"""File name of a job's result inside its folder (always H.264 MP4: every browser plays it)."""
OUTPUT_MEDIA_TYPE = "video/mp4"
STATE_NAME = "job.json"
"""File name of an in-process job's saved record inside its folder."""
PROGRESS_INTERVAL_S = 0.2
"""Shortest interval between two progress writes to a shared store (Redis), in seconds."""
SWEEP_INTERVAL_S = 60.0
"""Shortest interval between two sweeps of old job folders by one queue, in seconds."""
SHUTDOWN_GRACE_S = 10.0
"""Seconds running jobs get to finish when the API process stops, before they are interrupted."""
DEFAULT_MAX_ATTEMPTS = 3
"""Starts of one job (by workers that then died) before it is marked failed instead of run again."""
_JOB_ID_RE = re.compile(r"^[0-9a-f]{32}$")


def new_job_id() -> str:
    """A random job id: 32 lower-case hex digits (128 bits)."""
    return secrets.token_hex(16)


def is_job_id(value: str) -> bool:
    """True when ``value`` has the form of a job id (see :func:`new_job_id`)."""
    return bool(_JOB_ID_RE.match(value))


def default_jobs_dir() -> Path:
    """``$VIBEGRADE_DATA_DIR/jobs``, else ``~/.local/share/vibegrade/jobs`` (next to the event store)."""
    data_dir = os.environ.get("VIBEGRADE_DATA_DIR", "").strip()
    base = Path(data_dir).expanduser() if data_dir else Path.home() / ".local" / "share" / "vibegrade"
    return base / "jobs"


class JobQueueUnavailable(RuntimeError):
    """The queue's backend (Redis) cannot be reached; the message is safe to show to users."""


class JobQueueStopped(RuntimeError):
    """The queue was stopped (the service is shutting down) and takes no new jobs."""


class JobLimitReached(RuntimeError):
    """The client already has as many queued or running jobs as allowed; the message is safe to show."""


class _TooManyFrames(Exception):
    """Internal: the video has more frames than its job allows (raised from the progress callback)."""


class _Interrupted(Exception):
    """Internal: raised from the progress callback to abandon a render when the queue stops."""


class JobSpec(BaseModel):
    """Everything a worker needs to run a job (stored with the job; JSON in Redis)."""

    job_id: str
    input_name: str = Field(description="the saved upload, a file name inside the job folder")
    source_name: str = Field(default="video", description="the upload's file name, used in error messages")
    download_name: str = Field(description="file name offered for the download (Content-Disposition)")
    tools: dict[str, Any] = Field(description="the tool chain to render (wire form)")
    project_id: Optional[str] = None
    frames_total: Optional[int] = Field(default=None, ge=0, description="frame count found by the probe")
    max_pixels: Optional[int] = Field(default=None, gt=0, description="largest accepted frame, in pixels")
    max_frames: Optional[int] = Field(default=None, gt=0,
                                      description="frames graded at most; the job fails beyond (the index can lie)")
    client: Optional[str] = Field(default=None, max_length=200,
                                  description="who submitted it (user cookie or address), for per-client limits")


@dataclass(frozen=True)
class JobRecord:
    """The state of one job. Times are seconds since the epoch (UTC)."""

    job_id: str
    state: JobState
    created_at: float
    updated_at: float
    download_name: str
    frames_done: int = 0
    frames_total: Optional[int] = None
    error_code: Optional[str] = None
    error_message: Optional[str] = None
    project_id: Optional[str] = None
    attempts: int = 0
    client: Optional[str] = None

    @property
    def progress(self) -> float:
        """Fraction done, 0.0..1.0; 1.0 only once the job is done (frame counts can be estimates)."""
        if self.state == "done":
            return 1.0
        if not self.frames_total:
            return 0.0
        return max(0.0, min(self.frames_done / self.frames_total, 0.99))


_QUOTED_PATH = re.compile(r"'(?:/|[A-Za-z]:\\)[^']*(?:'|$)")


def public_media_message(msg: str, src: Path, source_name: str) -> str:
    """A media error message about the saved upload ``src`` without server paths: the file is named as the
    user named it (``source_name``), also where FFmpeg quotes the path (possibly cut short)."""
    msg = msg.replace(str(src), source_name)
    msg = _QUOTED_PATH.sub(repr(source_name), msg)
    return msg.replace(str(src.parent), "(job)").replace(str(src.parent.parent), "(jobs)")


class JobQueue(ABC):
    """Submit video jobs, read their state, and run them on ``workers`` threads of this process.

    Lifecycle: :meth:`start` starts the worker threads (also done by the first :meth:`submit`);
    :meth:`stop` lets running jobs finish for up to ``grace`` seconds, then interrupts them (the in-process
    queue marks them failed, the distributed queue puts them back on the queue). A stopped queue takes no
    jobs. A subclass starts its workers in :meth:`_start_workers` and records what :meth:`run` reports in
    :meth:`_progress`, :meth:`_finish` and :meth:`_interrupted`.
    """

    progress_interval_s: float = 0.0

    def __init__(self, jobs_dir: str | os.PathLike[str], *, workers: int = 1,
                 ttl_seconds: float = 24 * 3600) -> None:
        if workers < 0:
            raise ValueError(f"job workers must be 0 or more, got {workers}")
        if ttl_seconds <= 0:
            raise ValueError(f"job TTL must be positive, got {ttl_seconds}")
        self.jobs_dir = Path(jobs_dir)
        self.workers = int(workers)
        self.ttl_seconds = float(ttl_seconds)
        self._threads: list[threading.Thread] = []
        self._lifecycle = threading.Lock()
        self._started = False
        self._stopping = threading.Event()
        self._abort = threading.Event()
        self._last_sweep = float("-inf")
        self._client_lock = threading.Lock()

    # ------------------------------------------------------------------------------------------ files

    def job_dir(self, job_id: str) -> Path:
        return self.jobs_dir / job_id

    def output_path(self, job_id: str) -> Path:
        return self.job_dir(job_id) / OUTPUT_NAME

    def create_job_dir(self) -> tuple[str, Path]:
        """A new job id and its (new, empty) folder."""
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        while True:
            job_id = new_job_id()
            d = self.job_dir(job_id)
            with contextlib.suppress(FileExistsError):
                d.mkdir()
                return job_id, d

    def discard_job_dir(self, job_id: str) -> None:
        """Remove a job folder (a job that was never submitted)."""
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)

    def sweep(self, force: bool = False) -> int:
        """Remove job folders unchanged for ``ttl_seconds`` whose job is not queued or running.

        Runs at most once per :data:`SWEEP_INTERVAL_S` unless ``force``. Returns the folders removed.
        """
        now_mono = time.monotonic()
        if not force and now_mono - self._last_sweep < SWEEP_INTERVAL_S:
            return 0
        self._last_sweep = now_mono
        cutoff = time.time() - self.ttl_seconds
        self._forget_before(cutoff)
        try:
            entries = list(os.scandir(self.jobs_dir))
        except OSError:
            return 0
        removed = 0
        for entry in entries:
            if not is_job_id(entry.name):
                continue
            try:
                if (not entry.is_dir(follow_symlinks=False)
                        or entry.stat(follow_symlinks=False).st_mtime >= cutoff):
                    continue
                rec = self.get(entry.name)
            except (OSError, JobQueueUnavailable):
                continue
            if rec is not None and rec.state in ACTIVE_STATES:
                continue
            shutil.rmtree(entry.path, ignore_errors=True)
            if rec is not None:
                with contextlib.suppress(JobQueueUnavailable):
                    self._forget(entry.name)  # its files are gone: so is the job
            removed += 1
        return removed

    # ------------------------------------------------------------------------------------ public API

    def submit(self, spec: JobSpec, *, max_per_client: int | None = None) -> JobRecord:
        """Queue a job whose input is already saved in its folder. Returns its first record (queued).

        ``max_per_client``: refuse the job when ``spec.client`` already has this many queued or running jobs.

        Raises:
            JobLimitReached: the client's limit is reached.
            JobQueueStopped: the queue is stopping.
            JobQueueUnavailable: the backend cannot be reached.
        """
        if self._stopping.is_set():
            raise JobQueueStopped("the service is shutting down and takes no new jobs")
        self.sweep()
        if max_per_client is not None and spec.client:
            with self._client_lock:  # check and enqueue together (in this process; across Redis users the
                self.check_client_limit(spec.client, max_per_client)  # limit can be passed by a few racers)
                rec = self._enqueue(spec)
        else:
            rec = self._enqueue(spec)
        if self.workers:
            self._start(restart=False)  # for apps whose lifespan did not run (e.g. TestClient without `with`)
        return rec

    @abstractmethod
    def get(self, job_id: str) -> JobRecord | None:
        """The job's record, or None if unknown or expired (raises :class:`JobQueueUnavailable`)."""

    @abstractmethod
    def active_for_client(self, client: str) -> int:
        """How many of ``client``'s jobs are queued or running."""

    def check_client_limit(self, client: str | None, limit: int) -> None:
        """Raise :class:`JobLimitReached` when ``client`` has ``limit`` or more queued or running jobs."""
        if not client:
            return
        n = self.active_for_client(client)
        if n >= limit:
            raise JobLimitReached(f"you already have {n} video job(s) queued or running (the limit is {limit}); "
                                  "wait until one is done, then upload again")

    def check_available(self) -> None:
        """Raise :class:`JobQueueUnavailable` when jobs cannot be submitted right now."""
        if self._stopping.is_set():
            raise JobQueueStopped("the service is shutting down and takes no new jobs")

    def start(self) -> None:
        """Start the workers (idempotent; after :meth:`stop` it starts them again)."""
        self._start(restart=True)

    def _start(self, restart: bool) -> None:
        with self._lifecycle:
            if self._started or (self._stopping.is_set() and not restart):
                return
            self._stopping.clear()
            self._abort.clear()
            self._started = True
            if self.workers:
                self._start_workers()

    def stop(self, grace: float = 0.0, abort: threading.Event | None = None) -> None:
        """Stop taking jobs; wait up to ``grace`` seconds (or until ``abort`` is set) for running jobs to end,
        then interrupt them and wait for the workers to end."""
        self._stopping.set()
        with self._lifecycle:
            started = self._started
        if started and self.workers:
            self._begin_stop()
        deadline = time.monotonic() + max(0.0, grace)
        while (self.running_threads and time.monotonic() < deadline
               and not (abort is not None and abort.is_set())):
            time.sleep(0.05)
        self._abort.set()
        self._join_workers()
        with self._lifecycle:
            if self._started:
                self._on_stop()
            self._started = False

    @property
    def running_threads(self) -> int:
        """Worker threads of this queue still alive."""
        return sum(t.is_alive() for t in self._threads)

    # -------------------------------------------------------------------------------- worker side

    def run(self, spec: JobSpec) -> None:
        """The job runner: render a started job and record the outcome (done, failed, or interrupted by
        :meth:`stop`). Called on a worker thread by whichever transport delivered the job."""
        from vibegrade.media.errors import MediaError
        from vibegrade.media.pipeline import render_file
        from vibegrade.schema import parse_chain

        job_dir = self.job_dir(spec.job_id)
        src = job_dir / spec.input_name
        last = [float("-inf")]

        def progress(done: int, total: int) -> None:
            if self._abort.is_set():
                raise _Interrupted()
            if spec.max_frames is not None and done > spec.max_frames:
                raise _TooManyFrames()
            now = time.monotonic()
            if now - last[0] >= self.progress_interval_s:
                last[0] = now
                self._progress(spec, done, spec.frames_total or total or None)

        try:
            if self._abort.is_set():
                raise _Interrupted()
            if not src.is_file():
                raise MediaError(f"{src}: the uploaded video is gone (was the jobs folder shared "
                                 f"by the API and this worker, and not cleaned meanwhile?)")
            info = render_file(src, self.output_path(spec.job_id), parse_chain(spec.tools), kind="video",
                               progress=progress, max_pixels=spec.max_pixels)
        except _Interrupted:
            log.info("job %s interrupted by shutdown", spec.job_id)
            self._interrupted(spec)
            return
        except _TooManyFrames:
            log.info("job %s failed: more than %s frames", spec.job_id, spec.max_frames)
            self._finish(spec, "failed", error=("video_too_long", f"the video has more than {spec.max_frames:,} "
                                                "frames, the limit of this service"))
        except MediaError as e:
            log.info("job %s failed: %s", spec.job_id, e)
            msg = public_media_message(str(e), src, spec.source_name)
            self._finish(spec, "failed", error=("invalid_video", msg))
        except Exception:  # noqa: BLE001 - recorded as a failed job, details in the log
            log.exception("job %s: render failed", spec.job_id)
            self._finish(spec, "failed", error=("render_failed",
                                                "the video could not be graded (internal error)"))
        else:
            log.info("job %s done: %d frames", spec.job_id, info.frames)
            self._finish(spec, "done", frames=info.frames)
        with contextlib.suppress(OSError):
            src.unlink()

    # ------------------------------------------------------------------------------- backend hooks

    @abstractmethod
    def _enqueue(self, spec: JobSpec) -> JobRecord: ...

    @abstractmethod
    def _progress(self, spec: JobSpec, done: int, total: int | None) -> None: ...

    @abstractmethod
    def _finish(self, spec: JobSpec, state: JobState, *, frames: int | None = None,
                error: tuple[str, str] | None = None) -> None: ...

    @abstractmethod
    def _interrupted(self, spec: JobSpec) -> None:
        """A running job was abandoned because the queue stopped."""

    @abstractmethod
    def _forget(self, job_id: str) -> None:
        """Drop a finished job's record."""

    def _forget_before(self, cutoff: float) -> None:
        """Drop finished job records last changed before ``cutoff`` (backends with their own TTL: nothing)."""

    def _start_workers(self) -> None:
        """Start ``workers`` workers (called under the lifecycle lock, only when ``workers`` > 0)."""

    def _begin_stop(self) -> None:
        """Stop taking new jobs (the running ones go on until :attr:`_abort` is set)."""

    def _join_workers(self) -> None:
        """Wait for the workers to end, once running jobs were asked to stop (:attr:`_abort` is set)."""
        for t in self._threads:
            t.join(timeout=60)
            if t.is_alive():
                log.warning("job worker thread %s did not stop", t.name)
        self._threads.clear()

    def _on_stop(self) -> None:
        pass

    def close(self) -> None:
        """Release backend connections (after :meth:`stop`)."""


# ----------------------------------------------------------------------------------------------------
# in-process
# ----------------------------------------------------------------------------------------------------

class InProcessJobQueue(JobQueue):
    """Jobs in a dict and a FIFO queue of this process, run by ``workers`` (≥ 1) threads."""

    def __init__(self, jobs_dir: str | os.PathLike[str], *, workers: int = 1,
                 ttl_seconds: float = 24 * 3600) -> None:
        if workers < 1:
            raise ValueError("job_workers must be at least 1 when jobs run in-process (no redis_url)")
        super().__init__(jobs_dir, workers=workers, ttl_seconds=ttl_seconds)
        self._lock = threading.Lock()
        self._jobs: dict[str, JobRecord] = {}
        self._specs: dict[str, JobSpec] = {}
        self._queue: queue_mod.Queue[str] = queue_mod.Queue()
        self.recovered = self.recover_interrupted()

    # Each job's record is also kept in its folder (``job.json``, written atomically at every change of
    # state), so that a new process can tell what happened to the jobs of one that died.

    def _state_path(self, job_id: str) -> Path:
        return self.job_dir(job_id) / STATE_NAME

    def _persist(self, rec: JobRecord) -> None:
        from dataclasses import asdict

        from vibegrade.files import atomic_write_text, host_tag

        data = {**asdict(rec), "owner": f"{host_tag()}:{os.getpid()}"}
        try:
            atomic_write_text(self._state_path(rec.job_id), json.dumps(data))
        except OSError as e:  # the folder was swept or discarded meanwhile
            log.debug("job %s: state not saved (%s)", rec.job_id, e)

    def recover_interrupted(self) -> int:
        """Load the records of jobs left in ``jobs_dir`` by processes of this host that are gone.

        Jobs that were queued or running then are marked failed (``interrupted``, the upload removed), so that
        polling them says so instead of "job not found"; finished jobs stay available until the TTL sweep.
        Jobs of live processes (several API processes sharing the folder) are left alone. Returns how many
        jobs were marked failed.
        """
        from vibegrade.files import host_tag, pid_alive

        try:
            entries = [e for e in os.scandir(self.jobs_dir) if is_job_id(e.name)]
        except OSError:
            return 0
        failed = 0
        for entry in entries:
            try:
                data = json.loads(Path(entry.path, STATE_NAME).read_text(encoding="utf-8"))
                owner = str(data.pop("owner", ""))
                rec = JobRecord(**data)
            except (OSError, ValueError, TypeError):
                continue
            host, _, pid = owner.partition(":")
            if rec.job_id != entry.name or (host == host_tag() and pid.isdigit() and int(pid) != os.getpid()
                                            and pid_alive(int(pid))):
                continue
            if host != host_tag() and rec.state in ACTIVE_STATES:
                continue  # another machine's job (a shared folder): only that machine can tell
            if rec.state in ACTIVE_STATES:
                rec = replace(rec, state="failed", updated_at=time.time(), error_code="interrupted",
                              error_message=f"the service stopped while this job was {rec.state}; "
                                            "please upload the video again")
                for f in Path(entry.path).iterdir():
                    if f.name != STATE_NAME:
                        with contextlib.suppress(OSError):
                            f.unlink()
                self._persist(rec)
                failed += 1
            with self._lock:
                self._jobs.setdefault(rec.job_id, rec)
        if failed:
            log.warning("%d job(s) were interrupted by the end of an earlier process; marked failed", failed)
        return failed

    def get(self, job_id: str) -> JobRecord | None:
        with self._lock:
            return self._jobs.get(job_id)

    def active_for_client(self, client: str) -> int:
        with self._lock:
            return sum(r.client == client and r.state in ACTIVE_STATES for r in self._jobs.values())

    def _enqueue(self, spec: JobSpec) -> JobRecord:
        now = time.time()
        rec = JobRecord(job_id=spec.job_id, state="queued", created_at=now, updated_at=now,
                        download_name=spec.download_name, frames_total=spec.frames_total,
                        project_id=spec.project_id, client=spec.client)
        with self._lock:
            self._jobs[spec.job_id] = rec
            self._specs[spec.job_id] = spec
        self._persist(rec)
        self._queue.put(spec.job_id)
        return rec

    def _start_workers(self) -> None:
        for i in range(self.workers):
            t = threading.Thread(target=self._worker_loop, name=f"vibegrade-job-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def _worker_loop(self) -> None:
        while not self._stopping.is_set():
            spec = self._claim(timeout=1.0)
            if spec is None:
                continue
            try:
                self.run(spec)
            except Exception:  # noqa: BLE001 - run() records failures itself; this is a last resort
                log.exception("job worker: job %s", spec.job_id)

    def _claim(self, timeout: float) -> JobSpec | None:
        """Take the next queued job and mark it running (None after ``timeout`` seconds without one)."""
        try:
            job_id = self._queue.get(timeout=timeout)
        except queue_mod.Empty:
            return None
        with self._lock:
            rec = self._jobs.get(job_id)
            if rec is None or rec.state != "queued":
                return None
            rec = self._jobs[job_id] = replace(rec, state="running", updated_at=time.time(),
                                               attempts=rec.attempts + 1)
            spec = self._specs[job_id]
        self._persist(rec)
        return spec

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            rec = self._jobs.get(job_id)
            if rec is not None:
                self._jobs[job_id] = replace(rec, updated_at=time.time(), **changes)

    def _progress(self, spec: JobSpec, done: int, total: int | None) -> None:
        self._update(spec.job_id, frames_done=done, frames_total=total)

    def _finish(self, spec: JobSpec, state: JobState, *, frames: int | None = None,
                error: tuple[str, str] | None = None) -> None:
        changes: dict[str, Any] = {"state": state}
        if frames is not None:
            changes.update(frames_done=frames, frames_total=frames)
        if error is not None:
            changes.update(error_code=error[0], error_message=error[1])
        self._update(spec.job_id, **changes)
        with self._lock:
            self._specs.pop(spec.job_id, None)
            rec = self._jobs.get(spec.job_id)
        if rec is not None:
            self._persist(rec)

    def _interrupted(self, spec: JobSpec) -> None:
        self._finish(spec, "failed", error=("interrupted", "the service stopped before the job finished; "
                                                           "please upload the video again"))

    def _forget(self, job_id: str) -> None:
        with self._lock:
            self._jobs.pop(job_id, None)

    def _forget_before(self, cutoff: float) -> None:
        with self._lock:
            for job_id in [j for j, r in self._jobs.items()
                           if r.state not in ACTIVE_STATES and r.updated_at < cutoff]:
                del self._jobs[job_id]

    def _on_stop(self) -> None:
        with self._lock:
            queued = [self._specs[j] for j, r in self._jobs.items()
                      if r.state == "queued" and j in self._specs]
        for spec in queued:
            self._interrupted(spec)


# ----------------------------------------------------------------------------------------------------
# construction and the standalone worker
# ----------------------------------------------------------------------------------------------------

def make_job_queue(settings: Settings, *, workers: int | None = None) -> JobQueue:
    """The queue the settings ask for: the Dramatiq queue when ``redis_url`` is set, else in-process.

    ``workers``: worker threads (default ``settings.job_workers``).
    """
    jobs_dir = settings.jobs_dir if settings.jobs_dir is not None else default_jobs_dir()
    n = settings.job_workers if workers is None else workers
    if settings.redis_url:
        from vibegrade.serve.jobs_dramatiq import DramatiqJobQueue

        return DramatiqJobQueue(settings.redis_url, jobs_dir, prefix=settings.redis_prefix, workers=n,
                                ttl_seconds=settings.job_ttl_seconds, max_attempts=settings.job_max_attempts,
                                heartbeat_timeout_s=settings.job_heartbeat_timeout_seconds)
    return InProcessJobQueue(jobs_dir, workers=n, ttl_seconds=settings.job_ttl_seconds)


def run_worker(settings: Settings, stop: threading.Event, *, concurrency: int = 1, grace: float = 30.0,
               abort: threading.Event | None = None,
               on_ready: Callable[[Any], None] | None = None) -> Any:
    """Run distributed jobs on ``concurrency`` threads until ``stop`` is set (what ``vibegrade worker`` runs).

    On ``stop`` no new job is taken; running jobs get ``grace`` seconds to finish (cut short when
    ``abort`` is set), then they are put back on the queue for another worker. ``on_ready(queue)`` is
    called once the worker takes jobs. Returns the (stopped) :class:`~vibegrade.serve.jobs_dramatiq.DramatiqJobQueue`.

    Raises:
        ValueError: no ``redis_url`` in the settings, or a bad value.
        JobQueueUnavailable: Redis cannot be reached at start.
    """
    if not settings.redis_url:
        raise ValueError("a worker needs Redis: pass --redis-url or set VIBEGRADE_REDIS_URL")
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    jobs = make_job_queue(settings, workers=concurrency)
    try:
        jobs.check_available()
        jobs.jobs_dir.mkdir(parents=True, exist_ok=True)
        jobs.start()
        if on_ready is not None:
            on_ready(jobs)
        stop.wait()
    finally:
        jobs.stop(grace=grace, abort=abort)
        jobs.close()
    return jobs
