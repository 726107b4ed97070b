"""A video upload accepted as a job: saved in a new job folder and probed (:func:`accept_video`), queued
(:func:`queue_video`) and answered with ``202`` and the job to poll (:func:`job_accepted_response`). Used by
``POST /v1/edit`` and ``POST /v1/render`` (:mod:`vibegrade.serve.routes.grading`); the job's state and
result are served by :mod:`vibegrade.serve.routes.jobs`; the queue itself is :mod:`vibegrade.serve.jobs`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from vibegrade.schema import ToolChain
from vibegrade.serve.errors import ApiError
from vibegrade.serve.jobs import (
    JobLimitReached,
    JobQueue,
    JobQueueStopped,
    JobQueueUnavailable,
    JobRecord,
    JobSpec,
    public_media_message,
)
from vibegrade.serve.settings import Settings
from vibegrade.serve.uploads import save_upload

__all__ = ["JobAccepted", "JOB_ACCEPTED_RESPONSE", "AcceptedVideo", "accept_video", "queue_video",
           "job_accepted_response", "job_status_url", "unavailable"]


class JobAccepted(BaseModel):
    """Answer (202) to a video upload: the job to poll."""

    job_id: str = Field(description="32 hex digits")
    status_url: str = Field(description="GET this for the job's state: /v1/jobs/{job_id}")
    project_id: str | None = Field(description="the recorded project (/v1/edit), null for /v1/render")
    experiment: str | None = Field(default=None, description="active experiment, if any (/v1/edit)")
    variant: str | None = Field(default=None,
                                   description="variant served (/v1/edit; null without an experiment)")
    model: str | None = Field(default=None, description="model used (/v1/edit), null for /v1/render")
    tools: dict[str, Any] = Field(description="the tool chain the video is graded with (wire form)")
    frames_total: int | None = Field(default=None, description="frames in the video (from its index)")


JOB_ACCEPTED_RESPONSE: dict[str, Any] = {
    "model": JobAccepted,
    "description": "a video: grading runs as a job; poll status_url, then download its download_url",
}


def job_status_url(job_id: str) -> str:
    """Where a job's state is served: ``/v1/jobs/{job_id}``."""
    return f"/v1/jobs/{job_id}"


def unavailable(e: Exception) -> ApiError:
    """503 ``jobs_unavailable``: the queue cannot take or find jobs right now."""
    return ApiError(503, "jobs_unavailable", str(e))


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
        raise unavailable(e) from None
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
            raise ApiError(413, "video_too_long", f"file: the video has {info.frames:,} frames, over the "
                           f"limit of {settings.max_video_frames:,}", "file")
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
        raise unavailable(e) from None


def job_accepted_response(rec: JobRecord, chain: ToolChain, *, experiment: str | None = None,
                          variant: str | None = None, model: str | None = None,
                          headers: dict[str, str] | None = None) -> JSONResponse:
    """The 202 answer for a queued job, with a ``Location`` header pointing at its status."""
    body = JobAccepted(job_id=rec.job_id, status_url=job_status_url(rec.job_id), project_id=rec.project_id,
                       experiment=experiment, variant=variant, model=model, tools=chain.to_wire(),
                       frames_total=rec.frames_total)
    return JSONResponse(body.model_dump(), status_code=202,
                        headers={"Location": job_status_url(rec.job_id), **(headers or {})})
