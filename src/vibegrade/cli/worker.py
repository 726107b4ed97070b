"""``vibegrade worker``: run video edit jobs from the Dramatiq queue (:mod:`vibegrade.serve.jobs_dramatiq`).

Register with the main app via ``app.command("worker")(worker)``. It is a Dramatiq worker process: start
as many as you like, on any machine that reaches the Redis server and shares the jobs folder with the API
processes (Dramatiq's usual deployment, one process per machine or more, each with ``--concurrency``
threads). Settings not
given as options come from the environment like the service's (``VIBEGRADE_REDIS_URL``,
``VIBEGRADE_REDIS_PREFIX``, ``VIBEGRADE_JOBS_DIR``, ``VIBEGRADE_JOB_TTL_SECONDS``); see
``docs/service.md``.

SIGTERM or Ctrl-C: stop claiming jobs, give the running ones ``--grace`` seconds to finish, then put
them back on the queue (another worker starts them again) and exit 0. A second signal skips the wait.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import typer

from vibegrade.cli.errors import fail, friendly_errors


def _redact(url: str) -> str:
    """The URL without its password (for log lines)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(unparseable URL)"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


@friendly_errors
def worker(
    redis_url: str | None = typer.Option(
        None, "--redis-url",
        help="Redis URL, e.g. redis://localhost:6379/0 (default: $VIBEGRADE_REDIS_URL)."),
    jobs_dir: Path | None = typer.Option(
        None, "--jobs-dir", help="Jobs folder shared with the API processes (default: $VIBEGRADE_JOBS_DIR, "
                                 "else ~/.local/share/vibegrade/jobs).", file_okay=False),
    concurrency: int = typer.Option(1, "--concurrency", "-c", min=1, max=64,
                                    help="Jobs run at the same time (threads)."),
    prefix: str | None = typer.Option(
        None, "--prefix", help="Redis key prefix; must match the API's (default: $VIBEGRADE_REDIS_PREFIX or "
                               "'vibegrade')."),
    grace: float = typer.Option(30.0, "--grace", min=0.0,
                                help="Seconds running jobs may take to finish after SIGTERM/Ctrl-C before "
                                     "they are put back on the queue."),
    max_attempts: int | None = typer.Option(
        None, "--max-attempts", min=1, max=100,
        help="Starts of one job by workers that then died before it is failed (default: "
             "$VIBEGRADE_JOB_MAX_ATTEMPTS or 3)."),
    heartbeat_timeout: float | None = typer.Option(
        None, "--heartbeat-timeout", min=1.0, max=3600.0,
        help="Seconds without a heartbeat after which a worker counts as dead and its jobs run again "
             "(default: $VIBEGRADE_JOB_HEARTBEAT_TIMEOUT_SECONDS or 60)."),
) -> None:
    """Run video edit jobs from the Dramatiq queue (Redis) until SIGTERM or Ctrl-C."""
    from vibegrade.serve.jobs import JobQueueUnavailable, run_worker
    from vibegrade.serve.settings import Settings

    overrides: dict[str, Any] = {}
    if redis_url is not None:
        overrides["redis_url"] = redis_url
    if jobs_dir is not None:
        overrides["jobs_dir"] = jobs_dir
    if prefix is not None:
        overrides["redis_prefix"] = prefix
    if max_attempts is not None:
        overrides["job_max_attempts"] = max_attempts
    if heartbeat_timeout is not None:
        overrides["job_heartbeat_timeout_seconds"] = heartbeat_timeout
    settings = Settings(**overrides)
    if not settings.redis_url:
        fail("a worker needs Redis: pass --redis-url or set VIBEGRADE_REDIS_URL")

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("vibegrade.serve.jobs").setLevel(logging.INFO)

    stop, abort = threading.Event(), threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        if stop.is_set():
            abort.set()
            typer.echo("stopping now: running jobs go back on the queue", err=True)
        else:
            stop.set()
            typer.echo(f"stopping: running jobs get {grace:g} s to finish (signal again to skip)", err=True)

    def on_ready(jobs: Any) -> None:
        typer.echo(f"worker {jobs.worker_id} ready: {concurrency} job(s) at a time from "
                   f"{_redact(str(settings.redis_url))} (prefix {settings.redis_prefix!r}), "
                   f"jobs folder {jobs.jobs_dir}", err=True)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        run_worker(settings, stop, concurrency=concurrency, grace=grace, abort=abort, on_ready=on_ready)
    except JobQueueUnavailable as e:
        fail(f"cannot reach Redis at {_redact(str(settings.redis_url))}: {e.__cause__ or e}")
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    typer.echo("worker stopped", err=True)
