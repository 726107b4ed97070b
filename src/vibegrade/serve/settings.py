"""Service settings (``VIBEGRADE_*`` environment variables or ``Settings(...)``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "DEFAULT_MAX_UPLOAD_BYTES"]

DEFAULT_MAX_UPLOAD_BYTES = 25 * 1024 * 1024


class Settings(BaseSettings):
    """Service settings; each can be set by an environment variable ``VIBEGRADE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="VIBEGRADE_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the event store (None: the EventStore default)")
    experiments_file: Path | None = Field(
        default=None, description="TOML/JSON experiments file (None: no A/B tests)")
    max_upload_bytes: int = Field(default=DEFAULT_MAX_UPLOAD_BYTES, gt=0,
                                  description="largest accepted request body in bytes")
    body_timeout_seconds: float = Field(default=30.0, gt=0, le=3600,
                                        description="a request body that stops arriving for this long gets "
                                                    "a 408")
    max_pixels: int | None = Field(default=None, gt=0,
                                      description="largest accepted image in pixels (None: library default)")
    # memory: images graded at once (vibegrade.serve.limits)
    decode_memory_mb: int = Field(default=1536, gt=0,
                                  description="memory for the images being decoded and graded at once, in MB "
                                              "(each image's share is estimated from its header: 52 bytes "
                                              "per pixel, 96 for 16-bit images)")
    max_concurrent_decodes: int = Field(default=2, ge=1, le=256,
                                        description="images decoded and graded at once (more wait)")
    decode_wait_seconds: float = Field(default=10.0, ge=0, le=300,
                                       description="how long an upload waits for room before a 503")
    default_model: str | None = Field(
        default=None, description="model folder used for 'default' (None: the shipped model)")
    refine_model: str | None = Field(
        default=None,
        description="refinement model folder for /v1/projects/{id}/refine (None: the shipped one)")
    # video edit jobs (vibegrade.serve.jobs)
    redis_url: str | None = Field(
        default=None, description="Redis URL of the shared job queue (Dramatiq's broker and the job states; "
                                  "None: jobs run in this process only)")
    redis_prefix: str = Field(default="vibegrade", min_length=1, max_length=100,
                              pattern=r"^[A-Za-z0-9_.:-]+$",
                              description="prefix of every Redis key of the job queue")
    job_max_attempts: int = Field(default=3, ge=1, le=100,
                                  description="starts of one job by workers that then died before it is "
                                              "failed "
                                              "(worker_lost); with redis_url")
    job_heartbeat_timeout_seconds: float = Field(
        default=60.0, ge=1.0, le=3600.0,
        description="a worker silent for this long is dead and its jobs are delivered again; with redis_url")
    jobs_dir: Path | None = Field(
        default=None, description="folder of job inputs and outputs, shared by all API processes and "
                                  "workers (None: $VIBEGRADE_DATA_DIR/jobs or ~/.local/share/vibegrade/jobs)")
    job_workers: int = Field(default=1, ge=0, le=64,
                             description="job worker threads per API process (0: only enqueue; needs Redis)")
    job_ttl_seconds: int = Field(default=24 * 3600, gt=0,
                                 description="seconds a job (status and files) is kept after its last change")
    max_video_seconds: float = Field(default=600.0, gt=0, description="longest accepted video, in seconds")
    max_video_frames: int = Field(default=36_000, gt=0,
                                  description="most frames in an accepted video (10 minutes at 60 fps)")
    max_video_fps: float = Field(default=120.0, gt=0, description="highest accepted average frame rate")
    max_video_pixels: int = Field(default=4096 * 2160, gt=0,
                                  description="largest accepted video frame, in pixels (DCI 4K)")
    agent_max_pixels: int = Field(default=4096 * 4096, gt=0,
                                  description="largest photo the agent (/v1/agent) takes, in pixels: it "
                                              "keeps "
                                              "several full-size region masks")
    max_jobs_per_client: int = Field(default=3, ge=1, le=1000,
                                     description="video jobs one client (user cookie, else address) may have "
                                                 "queued or running at once")

