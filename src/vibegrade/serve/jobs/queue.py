"""The transport side of video jobs: :class:`JobQueue`, the base of every queue. It owns the job folders,
submission (with per-client limits), the lifecycle of the worker threads and the record of each job's
state; it hands each started job to a :class:`~vibegrade.serve.jobs.runner.JobRunner` (:meth:`JobQueue.run`)
and records what the runner reports through the backend hooks of a subclass."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path

from vibegrade.serve.jobs.model import (
    ACTIVE_STATES,
    OUTPUT_NAME,
    SWEEP_INTERVAL_S,
    JobLimitReached,
    JobQueueStopped,
    JobQueueUnavailable,
    JobRecord,
    JobSpec,
    JobState,
    is_job_id,
    new_job_id,
)
from vibegrade.serve.jobs.runner import JobReport, JobRunner

__all__ = ["JobQueue"]

log = logging.getLogger("vibegrade.serve.jobs")


class JobQueue(ABC):
    """Submit video jobs, read their state, and run them on ``workers`` threads of this process.

    Lifecycle: :meth:`start` starts the worker threads (also done by the first :meth:`submit`);
    :meth:`stop` lets running jobs finish for up to ``grace`` seconds, then interrupts them (the in-process
    queue marks them failed, the distributed queue puts them back on the queue). A stopped queue takes no
    jobs. A subclass starts its workers in :meth:`_start_workers` and records what the runner reports in
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
        self.runner = JobRunner(self.jobs_dir, self._abort)

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
            raise JobLimitReached(f"you already have {n} video job(s) or agent run(s) queued or running "
                                  f"(the limit is "
                                  f"{limit}); wait until one is done, then upload again")

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
        """Run a started job with :attr:`runner` (on a worker thread of whichever transport delivered it),
        recording what it reports in this queue's hooks; :meth:`stop` interrupts it."""
        self.runner.run(spec, JobReport(progress=self._progress, finish=self._finish,
                                        interrupted=self._interrupted, interval_s=self.progress_interval_s))

    # ------------------------------------------------------------------------------- backend hooks

    @abstractmethod
    def _enqueue(self, spec: JobSpec) -> JobRecord: ...

    @abstractmethod
    def _progress(self, spec: JobSpec, done: int, total: int | None, stage: str | None = None) -> None:
        """Record progress: ``done`` of ``total`` frames (agent jobs: percent of 100, and ``stage``)."""

    @abstractmethod
    def _finish(self, spec: JobSpec, state: JobState, *, frames: int | None = None,
                error: tuple[str, str] | None = None) -> None: ...

    @abstractmethod
    def _interrupted(self, spec: JobSpec) -> None:
        """A running job was abandoned because the queue stopped."""

    @abstractmethod
    def _forget(self, job_id: str) -> None:
        """Drop a finished job's record."""

    def _forget_before(self, cutoff: float) -> None:  # noqa: B027 - an optional hook; empty by default
        """Drop finished job records last changed before ``cutoff`` (backends with their own TTL: nothing)."""

    def _start_workers(self) -> None:  # noqa: B027 - an optional hook; empty by default
        """Start ``workers`` workers (called under the lifecycle lock, only when ``workers`` > 0)."""

    def _begin_stop(self) -> None:  # noqa: B027 - an optional hook; empty by default
        """Stop taking new jobs (the running ones go on until :attr:`_abort` is set)."""

    def _join_workers(self) -> None:
        """Wait for the workers to end, once running jobs were asked to stop (:attr:`_abort` is set)."""
        for t in self._threads:
            t.join(timeout=60)
            if t.is_alive():
                log.warning("job worker thread %s did not stop", t.name)
        self._threads.clear()

    def _on_stop(self) -> None:  # noqa: B027 - an optional hook: backends override it when they need to
        """After the workers stopped (nothing by default)."""

    def close(self) -> None:  # noqa: B027 - an optional hook; empty by default
        """Release backend connections (after :meth:`stop`)."""
