"""Video edit jobs: renders that run outside the request, in this process or on a Redis-backed queue.

A job is one video to grade with one tool chain. Its files live in ``jobs_dir/{job_id}/``: the saved
upload (``input.*``, deleted once the job ends) and the graded video (``output.mp4``, written atomically,
so a reader never sees half a file). Its state (``queued`` → ``running`` → ``done`` | ``failed``, frames
done, error) lives in the queue:

* :class:`InProcessJobQueue` (default): a dict under a lock and ``workers`` threads in this process.
  Jobs die with the process; with several API processes a status request can reach a process that does
  not know the job, so use Redis there.
* :class:`RedisJobQueue` (``redis_url`` set): one Redis hash per job (expires ``ttl_seconds`` after the
  last change), a Redis list as the queue. Workers (threads in API processes and ``vibegrade worker``
  processes, on any machine that shares ``jobs_dir``) claim a job atomically with ``BLMOVE`` into their
  own processing list and keep a heartbeat key alive while they run. A worker whose heartbeat has expired
  is dead: :meth:`RedisJobQueue.recover` (run by every live worker, about once per lease) puts its jobs
  back on the queue, at most ``max_attempts`` starts per job. Delivery is at-least-once: a worker that
  stalls for longer than the lease may see its job run again elsewhere (outputs are atomic, so the result
  is still one whole file).

Progress is reported per frame (at most every 0.2 s to Redis). Job folders older than the TTL are removed
by a cheap sweep when jobs are submitted (at most once a minute per queue).
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
import socket
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, Optional

from pydantic import BaseModel, Field

from vibegrade.serve.settings import Settings

__all__ = ["JobState", "JobSpec", "JobRecord", "JobQueue", "InProcessJobQueue", "RedisJobQueue",
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
"""Shortest interval between two progress writes to Redis, in seconds."""
SWEEP_INTERVAL_S = 60.0
"""Shortest interval between two sweeps of old job folders by one queue, in seconds."""
DEFAULT_LEASE_S = 30.0
"""Seconds a Redis worker's heartbeat lives; it is refreshed every third of that."""
SHUTDOWN_GRACE_S = 10.0
"""Seconds running jobs get to finish when the API process stops, before they are interrupted."""
DEFAULT_MAX_ATTEMPTS = 3
"""Starts of one job (by workers that then died) before it is marked failed instead of re-queued."""
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
    queue marks them failed, the Redis queue puts them back on the queue). A stopped queue takes no jobs.
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
        """Start the worker threads (idempotent; after :meth:`stop` it starts them again)."""
        self._start(restart=True)

    def _start(self, restart: bool) -> None:
        with self._lifecycle:
            if self._started or (self._stopping.is_set() and not restart):
                return
            self._stopping.clear()
            self._abort.clear()
            self._started = True
            self._on_start()
            for i in range(self.workers):
                t = threading.Thread(target=self._worker_loop, name=f"vibegrade-job-{i}", daemon=True)
                t.start()
                self._threads.append(t)

    def stop(self, grace: float = 0.0, abort: threading.Event | None = None) -> None:
        """Stop taking jobs; wait up to ``grace`` seconds (or until ``abort`` is set) for running jobs to end,
        then interrupt them and join the threads."""
        self._stopping.set()
        deadline = time.monotonic() + max(0.0, grace)
        while (any(t.is_alive() for t in self._threads) and time.monotonic() < deadline
               and not (abort is not None and abort.is_set())):
            for t in self._threads:
                t.join(timeout=0.1)
        self._abort.set()
        for t in self._threads:
            t.join(timeout=60)
            if t.is_alive():
                log.warning("job worker thread %s did not stop", t.name)
        self._threads.clear()
        with self._lifecycle:
            if self._started:
                self._on_stop()
            self._started = False

    @property
    def running_threads(self) -> int:
        return sum(t.is_alive() for t in self._threads)

    # -------------------------------------------------------------------------------- worker side

    def _worker_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                spec = self._claim(timeout=1.0)
            except JobQueueUnavailable as e:
                log.warning("job queue unavailable, retrying: %s", e)
                self._stopping.wait(1.0)
                continue
            except Exception:  # noqa: BLE001 - a worker thread must not die
                log.exception("job worker: claiming a job failed")
                self._stopping.wait(1.0)
                continue
            if spec is None:
                continue
            try:
                self.run(spec)
            except Exception:  # noqa: BLE001 - run() records failures itself; this is a last resort
                log.exception("job worker: job %s", spec.job_id)

    def run(self, spec: JobSpec) -> None:
        """Render a claimed job and record the outcome (done, failed, or interrupted by :meth:`stop`)."""
        from vibegrade.media.image import MediaError
        from vibegrade.media.video import transcode_video
        from vibegrade.schema import parse_chain
        from vibegrade.tools.chain import Renderer

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
            renderer = Renderer(parse_chain(spec.tools))
            info = transcode_video(src, self.output_path(spec.job_id), renderer, progress=progress,
                                   max_pixels=spec.max_pixels)
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
    def _claim(self, timeout: float) -> JobSpec | None:
        """Take the next queued job and mark it running (None after ``timeout`` seconds without one)."""

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

    def _on_start(self) -> None:
        pass

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

        from vibegrade.media.atomic import atomic_write_text, host_tag

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
        from vibegrade.media.atomic import host_tag, pid_alive

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

    def _claim(self, timeout: float) -> JobSpec | None:
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
# Redis
# ----------------------------------------------------------------------------------------------------

# Start a claimed job: only if it is still queued (else drop it from the processing list).
# KEYS: job hash, processing list. ARGV: job id, now, worker id.
_LUA_START = """
if redis.call('HGET', KEYS[1], 'state') ~= 'queued' then
  redis.call('LREM', KEYS[2], 0, ARGV[1])
  return false
end
redis.call('HSET', KEYS[1], 'state', 'running', 'updated_at', ARGV[2], 'worker', ARGV[3], 'frames_done', 0)
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
return redis.call('HGET', KEYS[1], 'spec')
"""

# Progress: update fields of a job that still exists (HSET alone would revive an expired job without TTL).
# Only the worker running the job writes (a stalled worker whose job was re-queued does not).
# KEYS: job hash. ARGV: worker id, field, value, field, value, ...
_LUA_UPDATE = """
if redis.call('HGET', KEYS[1], 'state') ~= 'running' or redis.call('HGET', KEYS[1], 'worker') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
"""

# Finish: drop from the processing list, set the outcome, restart the TTL.
# KEYS: job hash, processing list. ARGV: job id, ttl seconds, field, value, ...
_LUA_FINISH = """
redis.call('LREM', KEYS[2], 0, ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""

# Put back a job this worker abandoned on shutdown, at the head of the queue (not counted as an attempt).
# KEYS: job hash, processing list, queue. ARGV: job id, now.
_LUA_REQUEUE = """
redis.call('LREM', KEYS[2], 0, ARGV[1])
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'queued', 'frames_done', 0, 'updated_at', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'attempts', -1)
redis.call('RPUSH', KEYS[3], ARGV[1])
return 1
"""

# Recover the jobs of a dead worker: re-queue each (at the head), or fail it after too many attempts.
# KEYS: the dead worker's processing list, queue, workers set.
# ARGV: job key prefix, now, max attempts, failure message, dead worker id, ttl seconds.
_LUA_RECOVER = """
local requeued = 0
while true do
  local id = redis.call('RPOP', KEYS[1])
  if not id then break end
  local key = ARGV[1] .. id
  local state = redis.call('HGET', key, 'state')
  if state == 'queued' or state == 'running' then
    local attempts = tonumber(redis.call('HGET', key, 'attempts') or '0')
    if attempts >= tonumber(ARGV[3]) then
      redis.call('HSET', key, 'state', 'failed', 'error_code', 'worker_lost', 'error_message', ARGV[4],
                 'updated_at', ARGV[2])
      redis.call('EXPIRE', key, ARGV[6])
    else
      redis.call('HSET', key, 'state', 'queued', 'frames_done', 0, 'updated_at', ARGV[2])
      redis.call('RPUSH', KEYS[2], id)
      requeued = requeued + 1
    end
  end
end
redis.call('SREM', KEYS[3], ARGV[5])
return requeued
"""


class RedisJobQueue(JobQueue):
    """Jobs in Redis (see the module docstring), shared by every API process and worker using ``prefix``.

    Keys: ``{prefix}:jobs:job:{id}`` (hash), ``{prefix}:jobs:queue`` (list; pushed left, claimed right),
    ``{prefix}:jobs:processing:{worker}`` (list per worker), ``{prefix}:jobs:worker:{worker}`` (heartbeat,
    expires after ``lease_seconds``), ``{prefix}:jobs:workers`` (set of worker ids).
    """

    progress_interval_s = PROGRESS_INTERVAL_S

    def __init__(self, url: str, jobs_dir: str | os.PathLike[str], *, prefix: str = "vibegrade",
                 workers: int = 1, ttl_seconds: float = 24 * 3600, lease_seconds: float = DEFAULT_LEASE_S,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> None:
        from vibegrade.extras import require

        redis = require("redis", "redis", "the Redis job queue (VIBEGRADE_REDIS_URL)")

        super().__init__(jobs_dir, workers=workers, ttl_seconds=ttl_seconds)
        if lease_seconds <= 0:
            raise ValueError(f"lease must be positive, got {lease_seconds}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        try:
            self._redis = redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=5,
                                               health_check_interval=30)
        except ValueError as e:
            raise ValueError(f"redis_url: {e}") from None
        self.prefix = prefix
        self.lease_seconds = float(lease_seconds)
        self.max_attempts = int(max_attempts)
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
        self.queue_key = f"{prefix}:jobs:queue"
        self.workers_key = f"{prefix}:jobs:workers"
        self._job_prefix = f"{prefix}:jobs:job:"
        self._start_script = self._redis.register_script(_LUA_START)
        self._update_script = self._redis.register_script(_LUA_UPDATE)
        self._finish_script = self._redis.register_script(_LUA_FINISH)
        self._requeue_script = self._redis.register_script(_LUA_REQUEUE)
        self._recover_script = self._redis.register_script(_LUA_RECOVER)
        self._heartbeat_stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    @property
    def redis(self) -> Any:
        """The redis-py client (for tests and tools)."""
        return self._redis

    def job_key(self, job_id: str) -> str:
        return self._job_prefix + job_id

    def processing_key(self, worker_id: str | None = None) -> str:
        return f"{self.prefix}:jobs:processing:{worker_id or self.worker_id}"

    def heartbeat_key(self, worker_id: str | None = None) -> str:
        return f"{self.prefix}:jobs:worker:{worker_id or self.worker_id}"

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        import redis

        try:
            yield
        except redis.RedisError as e:
            log.debug("redis error: %s", e)
            raise JobQueueUnavailable("the job queue is unavailable right now; try again later") from e

    def check_available(self) -> None:
        super().check_available()
        with self._errors():
            self._redis.ping()

    def get(self, job_id: str) -> JobRecord | None:
        with self._errors():
            h = self._redis.hgetall(self.job_key(job_id))
        if not h or "state" not in h:
            return None
        total = h.get("frames_total")
        return JobRecord(
            job_id=job_id, state=h["state"],  # type: ignore[arg-type]
            created_at=float(h.get("created_at") or 0), updated_at=float(h.get("updated_at") or 0),
            download_name=h.get("download_name") or "video.mp4", frames_done=int(h.get("frames_done") or 0),
            frames_total=int(total) if total else None, error_code=h.get("error_code") or None,
            error_message=h.get("error_message") or None, project_id=h.get("project_id") or None,
            attempts=int(h.get("attempts") or 0), client=h.get("client") or None)

    def _enqueue(self, spec: JobSpec) -> JobRecord:
        now = time.time()
        key = self.job_key(spec.job_id)
        fields = {"state": "queued", "created_at": repr(now), "updated_at": repr(now),
                  "download_name": spec.download_name, "frames_done": 0,
                  "frames_total": spec.frames_total or "", "project_id": spec.project_id or "",
                  "error_code": "", "error_message": "", "attempts": 0, "spec": spec.model_dump_json(),
                  "client": spec.client or ""}
        with self._errors():
            pipe = self._redis.pipeline(transaction=True)
            pipe.hset(key, mapping=fields)
            pipe.expire(key, int(self.ttl_seconds))
            if spec.client:
                pipe.sadd(self.client_key(spec.client), spec.job_id)
                pipe.expire(self.client_key(spec.client), int(self.ttl_seconds))
            pipe.lpush(self.queue_key, spec.job_id)
            pipe.execute()
        return JobRecord(job_id=spec.job_id, state="queued", created_at=now, updated_at=now,
                         download_name=spec.download_name, frames_total=spec.frames_total,
                         project_id=spec.project_id, client=spec.client)

    def client_key(self, client: str) -> str:
        return f"{self.prefix}:jobs:client:{client}"

    def active_for_client(self, client: str) -> int:
        """Counted from the client's set of job ids (ids of finished or expired jobs are dropped from it)."""
        key = self.client_key(client)
        with self._errors():
            ids = sorted(self._redis.smembers(key))
            if not ids:
                return 0
            pipe = self._redis.pipeline(transaction=False)
            for job_id in ids:
                pipe.hget(self.job_key(job_id), "state")
            states = pipe.execute()
            done = [j for j, st in zip(ids, states) if st not in ACTIVE_STATES]
            if done:
                self._redis.srem(key, *done)
        return len(ids) - len(done)

    # ------------------------------------------------------------------------------------- workers

    def beat(self) -> None:
        """Refresh this worker's heartbeat (and register it in the set of workers)."""
        with self._errors():
            pipe = self._redis.pipeline(transaction=True)
            pipe.set(self.heartbeat_key(), repr(time.time()), px=int(self.lease_seconds * 1000))
            pipe.sadd(self.workers_key, self.worker_id)
            pipe.execute()

    def _claim(self, timeout: float) -> JobSpec | None:
        self.beat()
        with self._errors():
            job_id = self._redis.blmove(self.queue_key, self.processing_key(), timeout, "RIGHT", "LEFT")
            if job_id is None:
                return None
            raw = self._start_script(keys=[self.job_key(job_id), self.processing_key()],
                                     args=[job_id, repr(time.time()), self.worker_id])
        if raw is None:
            return None  # expired or no longer queued
        try:
            return JobSpec.model_validate_json(raw)
        except ValueError:
            log.error("job %s: unreadable spec in Redis; marking it failed", job_id)
            bad = JobSpec(job_id=job_id, input_name="-", download_name="video.mp4", tools={})
            self._finish(bad, "failed", error=("render_failed", "the job could not be read (internal error)"))
            return None

    def _progress(self, spec: JobSpec, done: int, total: int | None) -> None:
        try:
            with self._errors():
                self._update_script(keys=[self.job_key(spec.job_id)],
                                    args=[self.worker_id, "frames_done", done, "frames_total", total or "",
                                          "updated_at", repr(time.time())])
        except JobQueueUnavailable:
            pass  # progress is best effort; the outcome is written at the end

    def _finish(self, spec: JobSpec, state: JobState, *, frames: int | None = None,
                error: tuple[str, str] | None = None) -> None:
        fields: list[Any] = ["state", state, "updated_at", repr(time.time())]
        if frames is not None:
            fields += ["frames_done", frames, "frames_total", frames]
        if error is not None:
            fields += ["error_code", error[0], "error_message", error[1]]
        for attempt in range(5):  # the outcome matters: retry through a short Redis outage
            try:
                with self._errors():
                    self._finish_script(keys=[self.job_key(spec.job_id), self.processing_key()],
                                        args=[spec.job_id, int(self.ttl_seconds), *fields])
                return
            except JobQueueUnavailable:
                if attempt == 4:
                    log.error("job %s: could not record its outcome (%s) in Redis", spec.job_id, state)
                    return
                time.sleep(0.5 * (attempt + 1))

    def _forget(self, job_id: str) -> None:
        with self._errors():
            self._redis.delete(self.job_key(job_id))

    def _interrupted(self, spec: JobSpec) -> None:
        try:
            with self._errors():
                self._requeue_script(keys=[self.job_key(spec.job_id), self.processing_key(), self.queue_key],
                                     args=[spec.job_id, repr(time.time())])
        except JobQueueUnavailable:
            log.error("job %s: could not put it back on the queue; recovery will once this worker's "
                      "heartbeat expires", spec.job_id)

    def recover(self) -> int:
        """Re-queue the jobs of workers whose heartbeat has expired. Returns how many were re-queued.

        A job already started ``max_attempts`` times is marked failed (``worker_lost``) instead.
        """
        requeued = 0
        with self._errors():
            for wid in self._redis.smembers(self.workers_key):
                if wid == self.worker_id and self._started:
                    continue
                if self._redis.exists(self.heartbeat_key(wid)):
                    continue
                n = int(self._recover_script(
                    keys=[self.processing_key(wid), self.queue_key, self.workers_key],
                    args=[self._job_prefix, repr(time.time()), self.max_attempts,
                          "the worker running this job stopped responding too many times; "
                          "please upload the video again", wid, int(self.ttl_seconds)]))
                if n:
                    log.warning("re-queued %d job(s) of dead worker %s", n, wid)
                requeued += n
        return requeued

    def _heartbeat_loop(self) -> None:
        last_recover = float("-inf")
        while not self._heartbeat_stop.wait(self.lease_seconds / 3):
            try:
                self.beat()
                if time.monotonic() - last_recover >= self.lease_seconds:
                    last_recover = time.monotonic()
                    self.recover()
            except JobQueueUnavailable:
                pass
            except Exception:  # noqa: BLE001
                log.exception("job queue heartbeat failed")

    def _on_start(self) -> None:
        if not self.workers:
            return
        with contextlib.suppress(JobQueueUnavailable):
            self.beat()
            self.recover()
        self._heartbeat_stop.clear()
        self._heartbeat = threading.Thread(target=self._heartbeat_loop, name="vibegrade-job-heartbeat",
                                           daemon=True)
        self._heartbeat.start()

    def _on_stop(self) -> None:
        if self._heartbeat is None:
            return
        self._heartbeat_stop.set()
        self._heartbeat.join(timeout=10)
        self._heartbeat = None
        try:
            with self._errors():
                # anything still in our processing list goes back to the queue, then we leave
                self._redis.delete(self.heartbeat_key())
                self._recover_script(
                    keys=[self.processing_key(), self.queue_key, self.workers_key],
                    args=[self._job_prefix, repr(time.time()), self.max_attempts,
                          "the worker running this job stopped too many times", self.worker_id,
                          int(self.ttl_seconds)])
        except JobQueueUnavailable:
            log.warning("could not unregister worker %s from Redis", self.worker_id)

    def close(self) -> None:
        """Close the Redis connections."""
        self._redis.close()


# ----------------------------------------------------------------------------------------------------
# construction and the standalone worker
# ----------------------------------------------------------------------------------------------------

def make_job_queue(settings: Settings, *, workers: int | None = None) -> JobQueue:
    """The queue the settings ask for: Redis when ``redis_url`` is set, else in-process.

    ``workers``: worker threads (default ``settings.job_workers``).
    """
    jobs_dir = settings.jobs_dir if settings.jobs_dir is not None else default_jobs_dir()
    n = settings.job_workers if workers is None else workers
    if settings.redis_url:
        return RedisJobQueue(settings.redis_url, jobs_dir, prefix=settings.redis_prefix, workers=n,
                             ttl_seconds=settings.job_ttl_seconds)
    return InProcessJobQueue(jobs_dir, workers=n, ttl_seconds=settings.job_ttl_seconds)


def run_worker(settings: Settings, stop: threading.Event, *, concurrency: int = 1, grace: float = 30.0,
               abort: threading.Event | None = None,
               on_ready: Callable[[RedisJobQueue], None] | None = None) -> RedisJobQueue:
    """Run Redis jobs on ``concurrency`` threads until ``stop`` is set (what ``vibegrade worker`` runs).

    On ``stop`` no new job is claimed; running jobs get ``grace`` seconds to finish (cut short when
    ``abort`` is set), then they are put back on the queue for another worker. ``on_ready(queue)`` is
    called once the worker takes jobs. Returns the (stopped) queue.

    Raises:
        ValueError: no ``redis_url`` in the settings, or a bad value.
        JobQueueUnavailable: Redis cannot be reached at start.
    """
    if not settings.redis_url:
        raise ValueError("a worker needs Redis: pass --redis-url or set VIBEGRADE_REDIS_URL")
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    jobs = make_job_queue(settings, workers=concurrency)
    assert isinstance(jobs, RedisJobQueue)
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
