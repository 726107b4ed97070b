"""Video edit jobs over HTTP: report a job's state, serve its result.

``POST /v1/edit`` and ``POST /v1/render`` (in :mod:`vibegrade.serve.routes.grading`) accept video uploads
as jobs through :mod:`vibegrade.serve.services.video_jobs`, answering ``202`` with the job to poll; this
router serves ``GET /v1/jobs/{job_id}`` (state and progress) and ``GET /v1/jobs/{job_id}/result`` (the
graded MP4). The queue itself is :mod:`vibegrade.serve.jobs`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from vibegrade.serve.deps import JobsDep
from vibegrade.serve.errors import ApiError, ErrorResponse
from vibegrade.serve.jobs import (
    OUTPUT_MEDIA_TYPE,
    JobQueue,
    JobQueueUnavailable,
    JobRecord,
    JobState,
    is_job_id,
)
from vibegrade.serve.services.video_jobs import job_status_url, unavailable

__all__ = ["router", "JobStatus", "JobError"]

router = APIRouter()


class JobError(BaseModel):
    code: str = Field(description="invalid_video, render_failed, interrupted or worker_lost")
    message: str


class JobStatus(BaseModel):
    """State of a video job."""

    job_id: str
    state: JobState = Field(description="queued → running → done | failed")
    progress: float = Field(ge=0.0, le=1.0, description="fraction done, 0.0..1.0 (1.0 only when done)")
    frames_done: int = Field(ge=0, description="frames graded so far")
    frames_total: int | None = Field(description="frames in the video (null when unknown)")
    error: JobError | None = Field(description="why the job failed (null unless failed)")
    download_url: str | None = Field(description="/v1/jobs/{job_id}/result once done, else null")
    project_id: str | None
    created_at: datetime = Field(description="when the job was submitted (UTC)")
    updated_at: datetime = Field(description="last change of state or progress (UTC)")


_VIDEO_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {OUTPUT_MEDIA_TYPE: {}}, "description": "the graded video (H.264 MP4, audio kept)"},
    404: {"model": ErrorResponse, "description": "unknown or expired job (code job_not_found)"},
    409: {"model": ErrorResponse, "description": "the job is still queued or running (code job_not_ready)"},
    410: {"model": ErrorResponse, "description": "the job failed (job_failed) or its file was cleaned "
                                                 "up (job_expired)"},
    503: {"model": ErrorResponse, "description": "the job queue (Redis) is unavailable (jobs_unavailable)"},
}


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def _get_job(jobs: JobQueue, job_id: str) -> JobRecord:
    """The job's record; 404 ``job_not_found`` for unknown, expired or malformed ids."""
    if not is_job_id(job_id):
        raise ApiError(404, "job_not_found", "unknown job id (job ids are 32 hex digits)")
    try:
        rec = jobs.get(job_id)
    except JobQueueUnavailable as e:
        raise unavailable(e) from None
    if rec is None:
        raise ApiError(404, "job_not_found", f"unknown job {job_id!r} (jobs are kept for a limited time)")
    if rec.kind != "video":
        raise ApiError(404, "job_not_found", f"job {job_id} is an agent run: see /v1/agent/{job_id}")
    return rec


@router.get("/v1/jobs/{job_id}", response_model=JobStatus, tags=["jobs"],
            responses={404: {"model": ErrorResponse}, 503: {"model": ErrorResponse}})
def job_status(job_id: str, jobs: JobsDep, response: Response) -> JobStatus:
    """State and progress of a video job; ``download_url`` is set once it is done."""
    rec = _get_job(jobs, job_id)
    response.headers["Cache-Control"] = "no-store"
    error = JobError(code=rec.error_code or "failed", message=rec.error_message or "the job failed") \
        if rec.state == "failed" else None
    return JobStatus(job_id=rec.job_id, state=rec.state, progress=rec.progress, frames_done=rec.frames_done,
                     frames_total=rec.frames_total, error=error,
                     download_url=f"{job_status_url(rec.job_id)}/result" if rec.state == "done" else None,
                     project_id=rec.project_id, created_at=_utc(rec.created_at),
                     updated_at=_utc(rec.updated_at))


@router.get("/v1/jobs/{job_id}/result", response_class=FileResponse, responses=_VIDEO_RESPONSES,
            tags=["jobs"])
def job_result(job_id: str, jobs: JobsDep) -> FileResponse:
    """The graded video of a done job, as an attachment (``video/mp4``).

    409 ``job_not_ready`` while queued or running; 410 ``job_failed`` (with the reason) when it failed.
    """
    rec = _get_job(jobs, job_id)
    if rec.state in ("queued", "running"):
        raise ApiError(409, "job_not_ready", f"job {job_id} is {rec.state}; poll {job_status_url(job_id)} "
                       "until its state is 'done'")
    if rec.state == "failed":
        raise ApiError(410, "job_failed", f"job {job_id} failed: {rec.error_message or 'unknown error'}")
    path = jobs.output_path(job_id)
    if not path.is_file():
        raise ApiError(410, "job_expired", f"the result of job {job_id} is no longer available")
    return FileResponse(path, media_type=OUTPUT_MEDIA_TYPE, filename=rec.download_name,
                        headers={"Cache-Control": "private, max-age=3600"})
