"""Video edit jobs over HTTP: accept a video upload as a job, report its state, serve its result.

``POST /v1/edit`` and ``POST /v1/render`` (in :mod:`vibegrade.serve.routes.grading`) hand video uploads
to :func:`accept_video` and :func:`queue_video`, answering ``202`` with :class:`JobAccepted`; this
router adds ``GET /v1/jobs/{job_id}`` (state and progress) and ``GET /v1/jobs/{job_id}/result`` (the
graded MP4). The queue itself is :mod:`vibegrade.serve.jobs`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from fastapi import APIRouter, Response, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from vibegrade.schema import ToolChain
from vibegrade.serve.deps import JobsDep
from vibegrade.serve.errors import ApiError, ErrorResponse
from vibegrade.serve.jobs import (OUTPUT_MEDIA_TYPE, JobLimitReached, JobQueue, JobQueueStopped,
                                  JobQueueUnavailable, JobRecord, JobSpec, JobState, is_job_id,
                                  public_media_message)
from vibegrade.serve.settings import Settings
from vibegrade.serve.uploads import save_upload

__all__ = ["router", "JobAccepted", "JobStatus", "JobError", "AcceptedVideo", "accept_video", "queue_video",
           "job_accepted_response", "JOB_ACCEPTED_RESPONSE"]

router = APIRouter()


class JobAccepted(BaseModel):
    """Answer (202) to a video upload: the job to poll."""

    job_id: str = Field(description="32 hex digits")
    status_url: str = Field(description="GET this for the job's state: /v1/jobs/{job_id}")
    project_id: Optional[str] = Field(description="the recorded project (/v1/edit), null for /v1/render")
    experiment: Optional[str] = Field(default=None, description="active experiment, if any (/v1/edit)")
    variant: Optional[str] = Field(default=None,
                                   description="variant served (/v1/edit; null without an experiment)")
    model: Optional[str] = Field(default=None, description="model used (/v1/edit), null for /v1/render")
    tools: dict[str, Any] = Field(description="the tool chain the video is graded with (wire form)")
    frames_total: Optional[int] = Field(default=None, description="frames in the video (from its index)")


class JobError(BaseModel):
    code: str = Field(description="invalid_video, render_failed, interrupted or worker_lost")
    message: str


class JobStatus(BaseModel):
    """State of a video job."""

    job_id: str
    state: JobState = Field(description="queued → running → done | failed")
    progress: float = Field(ge=0.0, le=1.0, description="fraction done, 0.0..1.0 (1.0 only when done)")
    frames_done: int = Field(ge=0, description="frames graded so far")
    frames_total: Optional[int] = Field(description="frames in the video (null when unknown)")
    error: Optional[JobError] = Field(description="why the job failed (null unless failed)")
    download_url: Optional[str] = Field(description="/v1/jobs/{job_id}/result once done, else null")
    project_id: Optional[str]
    created_at: datetime = Field(description="when the job was submitted (UTC)")
    updated_at: datetime = Field(description="last change of state or progress (UTC)")


JOB_ACCEPTED_RESPONSE: dict[str, Any] = {
    "model": JobAccepted,
    "description": "a video: grading runs as a job; poll status_url, then download its download_url",
}

_VIDEO_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {OUTPUT_MEDIA_TYPE: {}}, "description": "the graded video (H.264 MP4, audio kept)"},
    404: {"model": ErrorResponse, "description": "unknown or expired job (code job_not_found)"},
    409: {"model": ErrorResponse, "description": "the job is still queued or running (code job_not_ready)"},
    410: {"model": ErrorResponse, "description": "the job failed (job_failed) or its file was cleaned "
                                                 "up (job_expired)"},
    503: {"model": ErrorResponse, "description": "the job queue (Redis) is unavailable (jobs_unavailable)"},
}


def _status_url(job_id: str) -> str:
    return f"/v1/jobs/{job_id}"


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


def _unavailable(e: Exception) -> ApiError:
    return ApiError(503, "jobs_unavailable", str(e))


def _get_job(jobs: JobQueue, job_id: str) -> JobRecord:
    """The job's record; 404 ``job_not_found`` for unknown, expired or malformed ids."""
    if not is_job_id(job_id):
        raise ApiError(404, "job_not_found", "unknown job id (job ids are 32 hex digits)")
    try:
        rec = jobs.get(job_id)
    except JobQueueUnavailable as e:
        raise _unavailable(e) from None
    if rec is None:
        raise ApiError(404, "job_not_found", f"unknown job {job_id!r} (jobs are kept for a limited time)")
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
                     download_url=f"{_status_url(rec.job_id)}/result" if rec.state == "done" else None,
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
        raise ApiError(409, "job_not_ready", f"job {job_id} is {rec.state}; poll {_status_url(job_id)} "
                       "until its state is 'done'")
    if rec.state == "failed":
        raise ApiError(410, "job_failed", f"job {job_id} failed: {rec.error_message or 'unknown error'}")
    path = jobs.output_path(job_id)
    if not path.is_file():
        raise ApiError(410, "job_expired", f"the result of job {job_id} is no longer available")
    return FileResponse(path, media_type=OUTPUT_MEDIA_TYPE, filename=rec.download_name,
                        headers={"Cache-Control": "private, max-age=3600"})


# ------------------------------------------------------------------------------------ accepting uploads

_UNSAFE_CHARS = re.compile(r"[^\w .()+-]+")


def _download_name(filename: str) -> str:
    """``holiday clip.MOV`` -> ``holiday clip-vibegrade.mp4``: letters (any script), digits, spaces and
    ``._()+-`` are kept, anything else (quotes, slashes, control characters) becomes ``_``."""
    stem = " ".join(_UNSAFE_CHARS.sub("_", Path(filename).stem).split()).strip("._- ")[:80].rstrip()
    return f"{stem or 'video'}-vibegrade.mp4"


@dataclass
class AcceptedVideo:
    """A video upload saved in a new job folder and probed; not queued yet (see :func:`queue_video`)."""

    job_id: str
    input_name: str
    source_name: str
    download_name: str
    frames_total: int | None
    max_pixels: int | None
    max_frames: int | None = None
    client: str | None = None
    max_per_client: int | None = None

    def spec(self, chain: ToolChain, project_id: str | None) -> JobSpec:
        return JobSpec(job_id=self.job_id, input_name=self.input_name, source_name=self.source_name,
                       download_name=self.download_name, tools=chain.to_wire(), project_id=project_id,
                       frames_total=self.frames_total, max_pixels=self.max_pixels, max_frames=self.max_frames,
                       client=self.client)


def _too_many_jobs(e: JobLimitReached) -> ApiError:
    return ApiError(429, "too_many_jobs", str(e), headers={"Retry-After": "30"})


def accept_video(upload: UploadFile, settings: Settings, jobs: JobQueue, client: str | None = None
                 ) -> AcceptedVideo:
    """Save a video upload into a new job folder and probe it (first frame decoded) before anything is queued.

    Raises :class:`ApiError`: 429 ``too_many_jobs`` (``client`` has ``max_jobs_per_client`` jobs queued or
    running), 413 ``payload_too_large`` / ``video_too_long`` (over ``max_video_seconds`` or
    ``max_video_frames``) / ``frame_rate_too_high`` (over ``max_video_fps``) / ``video_too_large`` (frames
    over ``max_video_pixels`` or ``max_pixels``), 422 ``invalid_video`` (not a readable video),
    503 ``jobs_unavailable``. The folder is removed on any error.
    """
    from vibegrade.media.errors import MediaError
    from vibegrade.media.image import max_pixels_limit
    from vibegrade.media.video import VIDEO_EXTENSIONS, probe_video

    try:
        jobs.check_available()
        jobs.check_client_limit(client, settings.max_jobs_per_client)  # before saving a large upload
    except JobLimitReached as e:
        raise _too_many_jobs(e) from None
    except (JobQueueUnavailable, JobQueueStopped) as e:
        raise _unavailable(e) from None
    name = Path(upload.filename or "video").name or "video"
    suffix = Path(name).suffix.lower()
    input_name = "input" + (suffix if suffix in VIDEO_EXTENSIONS else ".video")
    job_id, job_dir = jobs.create_job_dir()
    try:
        src = job_dir / input_name
        try:
            save_upload(upload, src, settings.max_upload_bytes)
        except ApiError as e:
            if e.code == "invalid_image":  # the empty-file message is shared with images
                raise ApiError(422, "invalid_video", e.message, e.field) from None
            raise
        try:
            info = probe_video(src)
        except MediaError as e:
            raise ApiError(422, "invalid_video", f"file: {public_media_message(str(e), src, name)}",
                           "file") from None
        if info.duration > settings.max_video_seconds:
            raise ApiError(413, "video_too_long", f"file: the video lasts {info.duration:.1f} s, over the "
                           f"limit of {settings.max_video_seconds:g} s", "file")
        if info.frames > settings.max_video_frames:
            raise ApiError(413, "video_too_long", f"file: the video has {info.frames:,} frames, over the limit "
                           f"of {settings.max_video_frames:,}", "file")
        if float(info.fps or 0) > settings.max_video_fps:
            raise ApiError(413, "frame_rate_too_high", f"file: the video has {float(info.fps):g} frames per "
                           f"second, over the limit of {settings.max_video_fps:g}", "file")
        limit = min(max_pixels_limit(settings.max_pixels), settings.max_video_pixels)
        if info.width * info.height > limit:
            raise ApiError(413, "video_too_large", f"file: {info.width}×{info.height} frames are over the "
                           f"limit of {limit:,} pixels", "file")
    except BaseException:
        jobs.discard_job_dir(job_id)
        raise
    return AcceptedVideo(job_id=job_id, input_name=input_name, source_name=name,
                         download_name=_download_name(name), frames_total=info.frames or None,
                         max_pixels=limit, max_frames=settings.max_video_frames, client=client,
                         max_per_client=settings.max_jobs_per_client)


def queue_video(jobs: JobQueue, video: AcceptedVideo, chain: ToolChain, project_id: str | None) -> JobRecord:
    """Submit an accepted video as a job (503 ``jobs_unavailable`` when the queue cannot take it)."""
    try:
        return jobs.submit(video.spec(chain, project_id), max_per_client=video.max_per_client)
    except JobLimitReached as e:
        jobs.discard_job_dir(video.job_id)
        raise _too_many_jobs(e) from None
    except (JobQueueUnavailable, JobQueueStopped) as e:
        jobs.discard_job_dir(video.job_id)
        raise _unavailable(e) from None


def job_accepted_response(rec: JobRecord, chain: ToolChain, *, experiment: str | None = None,
                          variant: str | None = None, model: str | None = None,
                          headers: dict[str, str] | None = None) -> JSONResponse:
    """The 202 answer for a queued job, with a ``Location`` header pointing at its status."""
    body = JobAccepted(job_id=rec.job_id, status_url=_status_url(rec.job_id), project_id=rec.project_id,
                       experiment=experiment, variant=variant, model=model, tools=chain.to_wire(),
                       frames_total=rec.frames_total)
    return JSONResponse(body.model_dump(), status_code=202,
                        headers={"Location": _status_url(rec.job_id), **(headers or {})})
