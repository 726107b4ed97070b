"""The in-process transport: jobs in a dict and a FIFO queue of this process, run by worker threads.

Jobs die with the process (each job's record is also saved in its folder, so a new process can tell what
became of the jobs of one that died); with several API processes a status request can reach a process that
does not know the job, so use the distributed queue (:mod:`vibegrade.serve.jobs_dramatiq`) there.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue as queue_mod
import threading
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from vibegrade.files import atomic_write_text, host_tag, pid_alive
from vibegrade.serve.jobs.model import ACTIVE_STATES, STATE_NAME, JobRecord, JobSpec, JobState, is_job_id
from vibegrade.serve.jobs.queue import JobQueue

__all__ = ["InProcessJobQueue"]

log = logging.getLogger("vibegrade.serve.jobs")


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
                again = "run the agent again" if rec.kind == "agent" else "upload the video again"
                rec = replace(rec, state="failed", updated_at=time.time(), error_code="interrupted",
                              error_message=f"the service stopped while this job was {rec.state}; "
                                            f"please {again}")
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
                        project_id=spec.project_id, client=spec.client, kind=spec.kind)
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

    def _progress(self, spec: JobSpec, done: int, total: int | None, stage: str | None = None) -> None:
        self._update(spec.job_id, frames_done=done, frames_total=total, stage=stage)

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
        again = "run the agent again" if spec.kind == "agent" else "upload the video again"
        self._finish(spec, "failed", error=("interrupted", "the service stopped before the job finished; "
                                                           f"please {again}"))

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
