"""Making the queue the settings ask for, and the standalone worker (``vibegrade worker``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from vibegrade.serve.jobs.inprocess import InProcessJobQueue
from vibegrade.serve.jobs.model import default_jobs_dir
from vibegrade.serve.jobs.queue import JobQueue
from vibegrade.serve.settings import Settings

__all__ = ["make_job_queue", "run_worker"]


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
    called once the worker takes jobs. Returns the (stopped)
    :class:`~vibegrade.serve.jobs_dramatiq.DramatiqJobQueue`.

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
