"""Where the teacher's connection settings come from.

Precedence, highest first:

1. command-line flags (``--base-url``, ``--api-key``, ``--model``, ...), i.e. the keyword arguments of
   :func:`resolve_config`;
2. environment: ``VIBEGRADE_TEACHER_BASE_URL``, ``VIBEGRADE_TEACHER_API_KEY``, ``VIBEGRADE_TEACHER_MODEL``,
   then ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``; ``VIBEGRADE_CACHE_DIR`` for the cache;
3. the config file: ``--config PATH``, else ``$VIBEGRADE_TEACHER_CONFIG``, else
   ``$XDG_CONFIG_HOME/vibegrade/teacher.toml`` (``~/.config/vibegrade/teacher.toml``) when it exists;
4. built-in defaults (temperature 0, max_tokens 1500, top_p 1, ...).

Config file (TOML; every key optional)::

    base_url = "http://localhost:8000/v1"
    api_key = "sk-..."          # better in the environment
    model = "Qwen/Qwen2.5-72B-Instruct"
    temperature = 0.0
    max_tokens = 1500
    top_p = 1.0
    timeout = 120
    max_retries = 5
    backoff_base = 1.0
    backoff_max = 60.0
    concurrency = 12            # HTTP requests in flight
    cache_dir = "~/.cache/vibegrade/teacher"
    prices_file = "prices.toml" # relative to this file
    [prices]                    # $ per 1M tokens; merged over the defaults
    "Qwen/Qwen2.5-72B-Instruct" = { input = 0.9, output = 0.9 }
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from vibegrade.files import config_dir
from vibegrade.llm.client import (
    DEFAULT_PRICES,
    ClientConfig,
    default_cache_dir,
    load_price_table,
    parse_price_table,
)

__all__ = ["ConfigError", "TeacherEnv", "default_config_path", "read_config_file", "resolve_config"]

_FILE_KEYS = {"base_url", "api_key", "model", "temperature", "max_tokens", "top_p", "timeout", "max_retries",
              "backoff_base", "backoff_max", "concurrency", "cache_dir", "prices", "prices_file"}


class ConfigError(ValueError):
    """The configuration is missing something or cannot be read (one-line message)."""


def _env_field(*names: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(*names), description=f"env {' or '.join(names)}")


class TeacherEnv(BaseSettings):
    """The teacher settings read from the environment (level 2 of the precedence above).

    Where two variables name a setting, the first one set wins; empty variables count as unset.
    """

    model_config = SettingsConfigDict(case_sensitive=True, env_ignore_empty=True, extra="ignore")

    model: str | None = _env_field("VIBEGRADE_TEACHER_MODEL")
    base_url: str | None = _env_field("VIBEGRADE_TEACHER_BASE_URL", "OPENAI_BASE_URL")
    api_key: str | None = _env_field("VIBEGRADE_TEACHER_API_KEY", "OPENAI_API_KEY")
    cache_dir: str | None = _env_field("VIBEGRADE_CACHE_DIR")
    prices_file: str | None = _env_field("VIBEGRADE_TEACHER_PRICES")
    config_file: str | None = _env_field("VIBEGRADE_TEACHER_CONFIG")


def default_config_path() -> Path:
    return config_dir() / "teacher.toml"


def read_config_file(path: str | Path | None = None) -> tuple[dict[str, Any], Path | None]:
    """Read the TOML config. With ``path=None`` the env/default location is used and may be absent."""
    env_path = TeacherEnv().config_file
    explicit = path is not None or bool(env_path)
    p = Path(path or env_path or default_config_path()).expanduser()
    if not p.is_file():
        if explicit:
            raise ConfigError(f"config file not found: {p}")
        return {}, None
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read config file {p}: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config file {p} is not valid TOML: {e}") from None
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise ConfigError(f"config file {p}: unknown key(s) {', '.join(unknown)}")
    return data, p


def _first(*values: Any) -> Any:
    for v in values:
        if v is not None:
            return v
    return None


def resolve_config(*, base_url: str | None = None, api_key: str | None = None, model: str | None = None,
                   config_path: str | Path | None = None, prices_path: str | Path | None = None,
                   cache_dir: str | Path | None = None, require_model: bool = True,
                   **overrides: Any) -> ClientConfig:
    """Build a :class:`ClientConfig` from flags (the arguments), environment and config file.

    ``overrides`` are further :class:`ClientConfig` fields given on the command line (``None`` = not given).

    Raises:
        ConfigError: no model, an unreadable config or price file, or a bad value.
    """
    data, where = read_config_file(config_path)
    env = TeacherEnv()
    bad = sorted(k for k in overrides if k not in ClientConfig.__dataclass_fields__)
    if bad:
        raise ConfigError(f"unknown setting(s): {', '.join(bad)}")

    model_v = _first(model, env.model, data.get("model"))
    if require_model and not model_v:
        raise ConfigError("no model: pass --model or set VIBEGRADE_TEACHER_MODEL "
                          "(or `model` in the config file)")
    kwargs: dict[str, Any] = {
        "model": str(model_v or ""),
        "base_url": _first(base_url, env.base_url, data.get("base_url")),
        "api_key": _first(api_key, env.api_key, data.get("api_key")),
    }
    cache = _first(cache_dir, env.cache_dir, data.get("cache_dir"))
    kwargs["cache_dir"] = Path(str(cache)).expanduser() if cache is not None else default_cache_dir()

    types = {"temperature": float, "max_tokens": int, "top_p": float, "timeout": float, "max_retries": int,
             "backoff_base": float, "backoff_max": float, "concurrency": int}
    for k, typ in types.items():
        v = _first(overrides.get(k), data.get(k))
        if v is not None:
            try:
                kwargs[k] = typ(v)
            except (TypeError, ValueError):
                raise ConfigError(f"{k} must be a number, got {v!r}") from None

    prices = dict(DEFAULT_PRICES)
    try:
        if data.get("prices_file"):
            pf = Path(str(data["prices_file"])).expanduser()
            if not pf.is_absolute() and where is not None:
                pf = where.parent / pf
            prices.update(load_price_table(pf))
        if data.get("prices") is not None:
            prices.update(parse_price_table(data["prices"], f"{where}: prices"))
        if env.prices_file:
            prices.update(load_price_table(env.prices_file))
        if prices_path is not None:
            prices.update(load_price_table(prices_path))
    except ValueError as e:
        raise ConfigError(str(e)) from None
    if overrides.get("prices") is not None:
        prices.update(overrides["prices"])
    kwargs["prices"] = prices

    cfg = ClientConfig(**kwargs)
    _validate(cfg)
    return cfg


def _validate(cfg: ClientConfig) -> None:
    checks: Mapping[str, bool] = {
        "temperature must be >= 0": cfg.temperature >= 0,
        "max_tokens must be >= 1": cfg.max_tokens >= 1,
        "top_p must be in (0, 1]": 0 < cfg.top_p <= 1,
        "timeout must be > 0": cfg.timeout > 0,
        "max_retries must be >= 0": cfg.max_retries >= 0,
        "concurrency must be >= 1": cfg.concurrency >= 1,
        "backoff_base must be >= 0": cfg.backoff_base >= 0,
    }
    for msg, ok in checks.items():
        if not ok:
            raise ConfigError(msg)
    if cfg.base_url is not None and not str(cfg.base_url).startswith(("http://", "https://")):
        raise ConfigError(f"base URL must start with http:// or https://, got {cfg.base_url!r}")
