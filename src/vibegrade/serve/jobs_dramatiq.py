"""Video jobs on `Dramatiq <https://dramatiq.io>`_ with its Redis broker: the distributed job queue.

The transport is Dramatiq's: :meth:`DramatiqJobQueue.submit` sends one message (job id and a ticket) to
the queue ``video`` in the namespace ``{prefix}:dramatiq``; Dramatiq workers — the ``job_workers`` threads
of API processes and ``vibegrade worker`` processes on any machine — fetch it into their own ack set,
run the actor, and acknowledge it when the actor returns. Each worker process heartbeats while it is up;
a worker that stops heartbeating for ``heartbeat_timeout_s`` (killed, machine lost) is dead, and the
messages it had not acknowledged are put back on the queue by Dramatiq's queue maintenance (see
Dramatiq's ``RedisBroker``), so another worker runs them. Delivery is at-least-once.

This module keeps only what Dramatiq does not: each job's state, in one Redis hash
``{prefix}:jobs:job:{id}`` shared by every process (expires ``ttl_seconds`` after its last change), and
the client sets ``{prefix}:jobs:client:{client}`` for per-client limits. The state changes are plain
Redis transactions (``WATCH``/``MULTI``):

* start: a delivery starts the job only while it is queued or running (a re-delivery) and the message's
  ticket is the job's current one (an old copy is dropped); the job's ``attempts`` grows by one, and a
  job already started ``max_attempts`` times is failed (``worker_lost``) instead of run again;
* progress and the outcome are written only by the run that started last (its ``runner`` token), so a
  stalled worker whose job was given to another cannot overwrite it;
* a job interrupted by a worker's shutdown is put back: queued, its attempt not counted, a new message
  with a new ticket sent.

This is the transport only: each delivered job is run by the queue's
:class:`~vibegrade.serve.jobs.runner.JobRunner` (:meth:`~vibegrade.serve.jobs.queue.JobQueue.run`);
nothing here renders.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from vibegrade.serve.jobs.model import (
    ACTIVE_STATES,
    DEFAULT_MAX_ATTEMPTS,
    PROGRESS_INTERVAL_S,
    JobQueueUnavailable,
    JobRecord,
    JobSpec,
    JobState,
)
from vibegrade.serve.jobs.queue import JobQueue

__all__ = ["DramatiqJobQueue", "QUEUE_NAME", "ACTOR_NAME", "DEFAULT_HEARTBEAT_TIMEOUT_S",
           "DEFAULT_MAINTENANCE_CHANCE"]

log = logging.getLogger("vibegrade.serve.jobs")

QUEUE_NAME = "video"
"""Dramatiq queue of the video jobs."""
ACTOR_NAME = "vibegrade_video_job"
"""Dramatiq actor that runs a video job (arguments: job id, ticket)."""
DEFAULT_HEARTBEAT_TIMEOUT_S = 60.0
"""Seconds without a heartbeat after which a worker is dead and its jobs are delivered again."""
DEFAULT_MAINTENANCE_CHANCE = 50_000
"""Dramatiq queue-maintenance chance per million broker commands (its default is 1 000, meant for short
tasks). An idle worker polls the queue about once a second, so with one idle worker a dead worker's job is
re-delivered about 20 s after the heartbeat timeout on average, sooner with more."""
TRANSITION_RETRIES = 5
"""Times Dramatiq retries a delivery whose state change failed on a Redis error (with back-off)."""
_STOP_TIMEOUT_MS = 7 * 24 * 3600 * 1000  # Worker.stop's own limit; the grace period is ours


class DramatiqJobQueue(JobQueue):
    """Video jobs delivered by Dramatiq (Redis broker), their state in Redis (see the module docstring).

    ``workers``: Dramatiq worker threads run by this object (0: only submit and read jobs).
    ``max_attempts``: starts of one job (by workers that then died) before it is failed.
    ``heartbeat_timeout_s`` and ``maintenance_chance`` are passed to Dramatiq's ``RedisBroker``.
    """

    progress_interval_s = PROGRESS_INTERVAL_S

    def __init__(self, url: str, jobs_dir: str | os.PathLike[str], *, prefix: str = "vibegrade",
                 workers: int = 1, ttl_seconds: float = 24 * 3600, max_attempts: int = DEFAULT_MAX_ATTEMPTS,
                 heartbeat_timeout_s: float = DEFAULT_HEARTBEAT_TIMEOUT_S,
                 maintenance_chance: int = DEFAULT_MAINTENANCE_CHANCE) -> None:
        from vibegrade.extras import require

        redis = require("redis", "redis", "the distributed job queue (VIBEGRADE_REDIS_URL)")
        require("dramatiq", "redis", "the distributed job queue (VIBEGRADE_REDIS_URL)")

        super().__init__(jobs_dir, workers=workers, ttl_seconds=ttl_seconds)
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        if heartbeat_timeout_s <= 0:
            raise ValueError(f"heartbeat_timeout_s must be positive, got {heartbeat_timeout_s}")
        try:
            self._redis = redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=5,
                                               health_check_interval=30)
            # Dramatiq reads its messages as bytes: a client of its own
            self._broker_redis = redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)
        except ValueError as e:
            raise ValueError(f"redis_url: {e}") from None
        self.prefix = prefix
        self.namespace = f"{prefix}:dramatiq"
        self.max_attempts = int(max_attempts)
        self.heartbeat_timeout_s = float(heartbeat_timeout_s)
        self.maintenance_chance = int(maintenance_chance)
        self._job_prefix = f"{prefix}:jobs:job:"
        self._sender = self._make_broker(middleware=[])
        self._worker: Any = None
        self._stopper: threading.Thread | None = None
        self.worker_id: str | None = None
        self._local = threading.local()

    # --------------------------------------------------------------------------------------- plumbing

    def _make_broker(self, middleware: list[Any]) -> Any:
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(client=self._broker_redis, namespace=self.namespace, middleware=middleware,
                             heartbeat_timeout=int(self.heartbeat_timeout_s * 1000),
                             maintenance_chance=self.maintenance_chance)
        broker.declare_queue(QUEUE_NAME)
        return broker

    @property
    def redis(self) -> Any:
        """The redis-py client of the job states (for tests and tools)."""
        return self._redis

    @property
    def broker(self) -> Any:
        """The Dramatiq broker this queue sends jobs with."""
        return self._sender

    def job_key(self, job_id: str) -> str:
        return self._job_prefix + job_id

    def client_key(self, client: str) -> str:
        return f"{self.prefix}:jobs:client:{client}"

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        import redis
        from dramatiq.errors import BrokerError

        try:
            yield
        except (redis.RedisError, BrokerError) as e:
            log.debug("redis error: %s", e)
            raise JobQueueUnavailable("the job queue is unavailable right now; try again later") from e

    def check_available(self) -> None:
        super().check_available()
        with self._errors():
            self._redis.ping()

    def _send(self, job_id: str, ticket: str) -> None:
        from dramatiq import Message

        self._sender.enqueue(Message(queue_name=QUEUE_NAME, actor_name=ACTOR_NAME, args=(job_id, ticket),
                                     kwargs={}, options={}))

    def _transaction(self, job_id: str, change: Any) -> Any:
        """Run ``change(state_hash, pipe)`` under ``WATCH`` of the job's hash, retrying when another client
        changed it meanwhile. ``change`` reads the hash it is given, queues commands on ``pipe`` (already in
        ``MULTI``) and returns a value; it returns ``None`` without queueing anything to change nothing."""
        import redis

        key = self.job_key(job_id)
        with self._errors(), self._redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    h = pipe.hgetall(key)
                    pipe.multi()
                    result = change(h, pipe)
                    if result is None:
                        pipe.reset()
                        return None
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue

    # ------------------------------------------------------------------------------------ public API

    def get(self, job_id: str) -> JobRecord | None:
        with self._errors():
            h = self._redis.hgetall(self.job_key(job_id))
        if not h or "state" not in h:
            return None
        total = h.get("frames_total")
        return JobRecord(
            job_id=job_id, state=h["state"],
            created_at=float(h.get("created_at") or 0), updated_at=float(h.get("updated_at") or 0),
            download_name=h.get("download_name") or "video.mp4", frames_done=int(h.get("frames_done") or 0),
            frames_total=int(total) if total else None, error_code=h.get("error_code") or None,
            error_message=h.get("error_message") or None, project_id=h.get("project_id") or None,
            attempts=int(h.get("attempts") or 0), client=h.get("client") or None,
            kind="agent" if h.get("kind") == "agent" else "video", stage=h.get("stage") or None)

    def _enqueue(self, spec: JobSpec) -> JobRecord:
        now = time.time()
        key = self.job_key(spec.job_id)
        ticket = secrets.token_hex(8)
        fields = {"state": "queued", "created_at": repr(now), "updated_at": repr(now),
                  "download_name": spec.download_name, "frames_done": 0,
                  "frames_total": spec.frames_total or "", "project_id": spec.project_id or "",
                  "error_code": "", "error_message": "", "attempts": 0, "spec": spec.model_dump_json(),
                  "client": spec.client or "", "ticket": ticket, "runner": "", "kind": spec.kind, "stage": ""}
        with self._errors():
            pipe = self._redis.pipeline(transaction=True)
            pipe.hset(key, mapping=fields)
            pipe.expire(key, int(self.ttl_seconds))
            if spec.client:
                pipe.sadd(self.client_key(spec.client), spec.job_id)
                pipe.expire(self.client_key(spec.client), int(self.ttl_seconds))
            pipe.execute()
            try:
                self._send(spec.job_id, ticket)
            except Exception:
                with contextlib.suppress(Exception):
                    self._redis.delete(key)
                raise
        return JobRecord(job_id=spec.job_id, state="queued", created_at=now, updated_at=now,
                         download_name=spec.download_name, frames_total=spec.frames_total,
                         project_id=spec.project_id, client=spec.client, kind=spec.kind)

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

    def _forget(self, job_id: str) -> None:
        with self._errors():
            self._redis.delete(self.job_key(job_id))

    # ------------------------------------------------------------------------------------- workers

    def _start_workers(self) -> None:
        import dramatiq
        from dramatiq.middleware import Retries

        retries = Retries(max_retries=TRANSITION_RETRIES, min_backoff=1000, max_backoff=30_000,
                          retry_when=lambda n, e: n < TRANSITION_RETRIES and isinstance(e,
                                                                                        JobQueueUnavailable))
        broker = self._make_broker(middleware=[retries])
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
        broker.broker_id = self.worker_id  # names this worker's heartbeat and ack set in Redis
        dramatiq.Actor(self._deliver, broker=broker, actor_name=ACTOR_NAME, queue_name=QUEUE_NAME, priority=0,
                       options={})
        worker = dramatiq.Worker(broker, worker_threads=self.workers, worker_timeout=1000)
        worker.queue_prefetch = self.workers  # hold no more jobs than there are threads to run them
        worker.start()
        for i, w in enumerate(worker.workers):
            w.name = f"vibegrade-job-{i}"
        for name, c in worker.consumers.items():
            c.name = f"vibegrade-job-consumer-{name}"
        self._worker = worker
        self._threads = [*worker.workers, *worker.consumers.values()]

    @property
    def running_threads(self) -> int:
        worker = self._worker
        return 0 if worker is None else sum(t.is_alive() for t in worker.workers)

    def _begin_stop(self) -> None:
        worker = self._worker
        if worker is None or self._stopper is not None:
            return
        # Dramatiq's stop: worker threads take no new message and end after their current one; then the
        # consumers put back what was fetched but not started, and close
        self._stopper = threading.Thread(target=worker.stop, kwargs={"timeout": _STOP_TIMEOUT_MS},
                                         name="vibegrade-job-stop", daemon=True)
        self._stopper.start()

    def _join_workers(self) -> None:
        if self._stopper is not None:
            self._stopper.join(timeout=120)
            if self._stopper.is_alive():
                log.warning("the job worker did not stop")
        self._stopper = None
        self._worker = None
        self._threads = []

    def _deliver(self, job_id: str, ticket: str) -> None:
        """The Dramatiq actor: start the job if this delivery may, run it; its return acknowledges it."""
        if self._stopping.is_set():  # fetched while the worker stops: leave it for another worker
            self._send_safely(job_id, ticket)
            return
        spec = self._begin(job_id, ticket)
        if spec is None:
            return
        try:
            self.run(spec)
        finally:
            self._local.runner = None

    def _send_safely(self, job_id: str, ticket: str) -> None:
        try:
            with self._errors():
                self._send(job_id, ticket)
        except JobQueueUnavailable:
            log.error("job %s: could not put it back on the queue", job_id)

    def _begin(self, job_id: str, ticket: str) -> JobSpec | None:
        """Mark the job running for this delivery, or fail it after too many attempts (None: do not run)."""
        runner = secrets.token_hex(8)
        now = repr(time.time())

        def change(h: dict[str, str], pipe: Any) -> tuple[str, str] | None:
            if h.get("state") not in ACTIVE_STATES or h.get("ticket") != ticket:
                return None  # finished, expired, or an outdated copy of the message
            attempts = int(h.get("attempts") or 0)
            if attempts >= self.max_attempts:
                pipe.hset(self.job_key(job_id), mapping={
                    "state": "failed", "updated_at": now, "runner": "", "error_code": "worker_lost",
                    "error_message": "the worker running this job stopped responding too many times; "
                                     "please upload the video again"})
                pipe.expire(self.job_key(job_id), int(self.ttl_seconds))
                return ("lost", h.get("spec") or "")
            pipe.hset(self.job_key(job_id), mapping={"state": "running", "updated_at": now, "frames_done": 0,
                                                     "attempts": attempts + 1, "runner": runner})
            return ("run", h.get("spec") or "")

        outcome = self._transaction(job_id, change)
        if outcome is None:
            log.info("job %s: delivery dropped (finished, expired or outdated)", job_id)
            return None
        what, raw = outcome
        try:
            spec = JobSpec.model_validate_json(raw)
        except ValueError:
            spec = None
        if what == "lost":
            log.warning("job %s failed: started %d times by workers that died", job_id, self.max_attempts)
            if spec is not None:
                with contextlib.suppress(OSError):
                    (self.job_dir(job_id) / spec.input_name).unlink()
            return None
        if spec is None:
            log.error("job %s: unreadable spec in Redis; marking it failed", job_id)
            self._local.runner = runner
            bad = JobSpec(job_id=job_id, input_name="-", download_name="video.mp4", tools={})
            self._finish(bad, "failed", error=("render_failed", "the job could not be read (internal error)"))
            return None
        self._local.runner = runner
        return spec

    def _write_if_runner(self, job_id: str, fields: dict[str, Any], *, expire: bool = False) -> bool:
        """Write ``fields`` to the job's hash if this thread's run is the job's current one."""
        runner = getattr(self._local, "runner", None)

        def change(h: dict[str, str], pipe: Any) -> bool | None:
            if not runner or h.get("runner") != runner or h.get("state") != "running":
                return None
            pipe.hset(self.job_key(job_id), mapping=fields)
            if expire:
                pipe.expire(self.job_key(job_id), int(self.ttl_seconds))
            return True

        return bool(self._transaction(job_id, change))

    def _progress(self, spec: JobSpec, done: int, total: int | None, stage: str | None = None) -> None:
        with contextlib.suppress(JobQueueUnavailable):  # progress is best effort; the outcome is written last
            self._write_if_runner(spec.job_id, {"frames_done": done, "frames_total": total or "",
                                                "stage": stage or "", "updated_at": repr(time.time())})

    def _finish(self, spec: JobSpec, state: JobState, *, frames: int | None = None,
                error: tuple[str, str] | None = None) -> None:
        fields: dict[str, Any] = {"state": state, "updated_at": repr(time.time()), "runner": ""}
        if frames is not None:
            fields.update(frames_done=frames, frames_total=frames)
        if error is not None:
            fields.update(error_code=error[0], error_message=error[1])
        for attempt in range(5):  # the outcome matters: retry through a short Redis outage
            try:
                if not self._write_if_runner(spec.job_id, fields, expire=True):
                    log.info("job %s: outcome not recorded (the job was given to another worker)",
                             spec.job_id)
                return
            except JobQueueUnavailable:
                if attempt == 4:
                    log.error("job %s: could not record its outcome (%s) in Redis", spec.job_id, state)
                    return
                time.sleep(0.5 * (attempt + 1))

    def _interrupted(self, spec: JobSpec) -> None:
        """Put a job abandoned by this worker's shutdown back on the queue (not counted as an attempt)."""
        ticket = secrets.token_hex(8)
        runner = getattr(self._local, "runner", None)

        def change(h: dict[str, str], pipe: Any) -> bool | None:
            if not runner or h.get("runner") != runner or h.get("state") != "running":
                return None
            pipe.hset(self.job_key(spec.job_id), mapping={
                "state": "queued", "frames_done": 0, "updated_at": repr(time.time()), "runner": "",
                "ticket": ticket, "attempts": max(0, int(h.get("attempts") or 1) - 1)})
            return True

        try:
            if self._transaction(spec.job_id, change):
                with self._errors():
                    self._send(spec.job_id, ticket)
        except JobQueueUnavailable:
            log.error("job %s: could not put it back on the queue", spec.job_id)

    def close(self) -> None:
        """Close the Redis connections."""
        self._redis.close()
        self._broker_redis.close()
