"""The job runner: render one started job through :func:`vibegrade.media.pipeline.render_file` and report
its progress and outcome to whichever transport delivered it (:class:`JobReport`). Nothing here knows how
jobs are queued or where their state is kept.

Agent jobs (``spec.kind == "agent"``) run :func:`vibegrade.serve.services.agent.run_agent_job` instead,
with the same reporting and the same interruption by ``abort``; their models are loaded once per runner."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from vibegrade.serve.jobs.model import OUTPUT_NAME, JobSpec, JobState

__all__ = ["JobRunner", "JobReport", "public_media_message"]

log = logging.getLogger("vibegrade.serve.jobs")

_QUOTED_PATH = re.compile(r"'(?:/|[A-Za-z]:\\)[^']*(?:'|$)")


def public_media_message(msg: str, src: Path, source_name: str) -> str:
    """A media error message about the saved upload ``src`` without server paths: the file is named as the
    user named it (``source_name``), also where FFmpeg quotes the path (possibly cut short)."""
    msg = msg.replace(str(src), source_name)
    msg = _QUOTED_PATH.sub(repr(source_name), msg)
    return msg.replace(str(src.parent), "(job)").replace(str(src.parent.parent), "(jobs)")


class FinishJob(Protocol):
    def __call__(self, spec: JobSpec, state: JobState, *, frames: int | None = None,
                 error: tuple[str, str] | None = None) -> None: ...


@dataclass(frozen=True)
class JobReport:
    """Where a run reports to: the transport's record of the job.

    ``progress(spec, frames_done, frames_total[, stage])`` at most every ``interval_s`` seconds (agent jobs:
    percent done of 100 and what the agent is doing);
    ``finish(spec, "done" | "failed", frames=..., error=(code, message))`` once at the end;
    ``interrupted(spec)`` instead when the run was abandoned because the queue stopped.
    """

    progress: Callable[..., None]
    finish: FinishJob
    interrupted: Callable[[JobSpec], None]
    interval_s: float = 0.0


class _TooManyFrames(Exception):
    """The video has more frames than its job allows (raised from the progress callback)."""


class _Interrupted(Exception):
    """Raised from the progress callback to abandon a render when the queue stops."""


class JobRunner:
    """Runs jobs whose folders are in ``jobs_dir``; a run is abandoned once ``abort`` is set."""

    def __init__(self, jobs_dir: Path, abort: threading.Event) -> None:
        self.jobs_dir = jobs_dir
        self.abort = abort
        self.agent_models: Any = None
        """The agent jobs' models (:class:`vibegrade.serve.services.agent.AgentModels`), made on the first
        agent job; set it before to use other ones."""
        self._agent_lock = threading.Lock()

    def run(self, spec: JobSpec, report: JobReport) -> None:
        """Render a started job and report the outcome (done, failed, or interrupted by ``abort``); the
        saved upload is removed afterwards unless interrupted (the job may run again). Agent jobs keep it
        (steps are switched off on it later)."""
        if spec.kind == "agent":
            self._run_agent(spec, report)
            return
        from vibegrade.media.errors import MediaError
        from vibegrade.media.pipeline import render_file
        from vibegrade.schema import parse_chain

        job_dir = self.jobs_dir / spec.job_id
        src = job_dir / spec.input_name
        last = [float("-inf")]

        def progress(done: int, total: int) -> None:
            if self.abort.is_set():
                raise _Interrupted()
            if spec.max_frames is not None and done > spec.max_frames:
                raise _TooManyFrames()
            now = time.monotonic()
            if now - last[0] >= report.interval_s:
                last[0] = now
                report.progress(spec, done, spec.frames_total or total or None)

        try:
            if self.abort.is_set():
                raise _Interrupted()
            if not src.is_file():
                raise MediaError(f"{src}: the uploaded video is gone (was the jobs folder shared "
                                 f"by the API and this worker, and not cleaned meanwhile?)")
            info = render_file(src, job_dir / OUTPUT_NAME, parse_chain(spec.tools), kind="video",
                               progress=progress, max_pixels=spec.max_pixels)
        except _Interrupted:
            log.info("job %s interrupted by shutdown", spec.job_id)
            report.interrupted(spec)
            return
        except _TooManyFrames:
            log.info("job %s failed: more than %s frames", spec.job_id, spec.max_frames)
            report.finish(spec, "failed", error=("video_too_long", f"the video has more than "
                                                 f"{spec.max_frames:,} frames, the limit of this service"))
        except MediaError as e:
            log.info("job %s failed: %s", spec.job_id, e)
            msg = public_media_message(str(e), src, spec.source_name)
            report.finish(spec, "failed", error=("invalid_video", msg))
        except Exception:  # noqa: BLE001 - recorded as a failed job, details in the log
            log.exception("job %s: render failed", spec.job_id)
            report.finish(spec, "failed", error=("render_failed",
                                                 "the video could not be graded (internal error)"))
        else:
            log.info("job %s done: %d frames", spec.job_id, info.frames)
            report.finish(spec, "done", frames=info.frames)
        with contextlib.suppress(OSError):
            src.unlink()

    def _run_agent(self, spec: JobSpec, report: JobReport) -> None:
        from vibegrade.serve.services.agent import AgentJobError, AgentModels, run_agent_job

        with self._agent_lock:
            if self.agent_models is None:
                self.agent_models = AgentModels()
        last = [float("-inf")]

        def progress(stage: str, fraction: float) -> None:
            if self.abort.is_set():
                raise _Interrupted()
            now = time.monotonic()
            if now - last[0] >= report.interval_s:
                last[0] = now
                report.progress(spec, max(0, min(99, round(100 * fraction))), 100, stage)

        try:
            if self.abort.is_set():
                raise _Interrupted()
            run_agent_job(self.jobs_dir / spec.job_id, spec, self.agent_models, progress)
        except _Interrupted:
            log.info("agent job %s interrupted by shutdown", spec.job_id)
            report.interrupted(spec)
        except AgentJobError as e:
            log.info("agent job %s failed: %s", spec.job_id, e.message)
            report.finish(spec, "failed", error=(e.code, e.message))
        except Exception:  # noqa: BLE001 - recorded as a failed job, details in the log
            log.exception("agent job %s failed", spec.job_id)
            report.finish(spec, "failed", error=("agent_failed", "the agent could not grade this photo "
                                                                 "(internal error)"))
        else:
            log.info("agent job %s done", spec.job_id)
            report.finish(spec, "done")
