"""What a video job is: its spec (what to run), its record (its state), ids, file names, limits and the
errors of the queue. Shared by the transports (:mod:`.queue`, :mod:`.inprocess`,
:mod:`vibegrade.serve.jobs_dramatiq`) and the runner (:mod:`.runner`)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from vibegrade.files import data_dir

__all__ = ["JobState", "JobKind", "ACTIVE_STATES", "JobSpec", "JobRecord", "JobQueueUnavailable",
           "JobQueueStopped",
           "JobLimitReached", "new_job_id", "is_job_id", "default_jobs_dir", "OUTPUT_NAME",
           "OUTPUT_MEDIA_TYPE", "STATE_NAME", "PROGRESS_INTERVAL_S", "SWEEP_INTERVAL_S", "SHUTDOWN_GRACE_S",
           "DEFAULT_MAX_ATTEMPTS"]

JobState = Literal["queued", "running", "done", "failed"]
JobKind = Literal["video", "agent"]
"""What a job does: grade a video with a chain, or run the agent on a photo
(:mod:`vibegrade.serve.services.agent`)."""
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
    """``jobs`` in :func:`vibegrade.files.data_dir` (``$VIBEGRADE_DATA_DIR/jobs``, else
    ``~/.local/share/vibegrade/jobs``), next to the event store."""
    return data_dir() / "jobs"


class JobQueueUnavailable(RuntimeError):
    """The queue's backend (Redis) cannot be reached; the message is safe to show to users."""


class JobQueueStopped(RuntimeError):
    """The queue was stopped (the service is shutting down) and takes no new jobs."""


class JobLimitReached(RuntimeError):
    """The client already has as many queued or running jobs as allowed; the message is safe to show."""


class JobSpec(BaseModel):
    """Everything a worker needs to run a job (stored with the job; JSON in Redis)."""

    job_id: str
    kind: JobKind = Field(default="video",
                          description="video: grade a video; agent: run the agent on a photo")
    input_name: str = Field(description="the saved upload, a file name inside the job folder")
    source_name: str = Field(default="video", description="the upload's file name, used in error messages")
    download_name: str = Field(description="file name offered for the download (Content-Disposition)")
    tools: dict[str, Any] = Field(description="the tool chain to render (wire form); empty for agent jobs")
    agent: dict[str, Any] | None = Field(
        default=None, description="agent jobs: the request, budget and mode (validated when submitted)")
    project_id: str | None = None
    frames_total: int | None = Field(default=None, ge=0, description="frame count found by the probe")
    max_pixels: int | None = Field(default=None, gt=0, description="largest accepted frame, in pixels")
    max_frames: int | None = Field(
        default=None, gt=0, description="frames graded at most; the job fails beyond (the index can lie)")
    client: str | None = Field(
        default=None, max_length=200,
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
    frames_total: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    project_id: str | None = None
    attempts: int = 0
    client: str | None = None
    kind: JobKind = "video"
    stage: str | None = None
    """What a running agent job is doing now (``planning``, ``pass 1: warm_sky`` ...); None for videos."""

    @property
    def progress(self) -> float:
        """Fraction done, 0.0..1.0; 1.0 only once the job is done (frame counts can be estimates)."""
        if self.state == "done":
            return 1.0
        if not self.frames_total:
            return 0.0
        return max(0.0, min(self.frames_done / self.frames_total, 0.99))
