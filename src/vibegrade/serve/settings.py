"""Service settings (``VIBEGRADE_*`` environment variables or ``Settings(...)``)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "DEFAULT_MAX_UPLOAD_BYTES"]

DEFAULT_MAX_UPLOAD_BYTES = 25 * 1024 * 1024


class Settings(BaseSettings):
    """Service settings; each can be set by an environment variable ``VIBEGRADE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="VIBEGRADE_", extra="ignore")

    database_url: Optional[str] = Field(
        default=None, description="SQLAlchemy URL of the event store (None: the EventStore default)")
    experiments_file: Optional[Path] = Field(
        default=None, description="TOML/JSON experiments file (None: no A/B tests)")
    max_upload_bytes: int = Field(default=DEFAULT_MAX_UPLOAD_BYTES, gt=0,
                                  description="largest accepted request body in bytes")
    max_pixels: Optional[int] = Field(default=None, gt=0,
                                      description="largest accepted image in pixels (None: library default)")
    default_model: Optional[str] = Field(
        default=None, description="model folder used for 'default' (None: the shipped model)")

