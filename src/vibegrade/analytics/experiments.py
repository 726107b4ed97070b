"""A/B experiments as config data, and sticky (hash-based) variant assignment.

An experiments file (TOML or JSON) lists experiments; each has two or more variants, and the
first variant is the *control*::

    [[experiments]]
    name = "student-v2"
    start = 2026-01-10T00:00:00Z      # optional
    stop = 2026-02-10T00:00:00Z       # optional

    [[experiments.variants]]
    name = "control"
    model = "default"                 # a model folder path, or "default" (the shipped model)
    weight = 1

    [[experiments.variants]]
    name = "v2"
    model = "out/students/v2"
    weight = 1

Assignment (:func:`assign`) hashes ``f"{experiment.name}:{user_id}"`` with SHA-256 to a uniform
number in [0, 1) and walks the cumulative normalised weights, so a user always gets the same
variant (across processes and machines) and assignments in different experiments are independent.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = [
    "ExperimentConfigError",
    "Variant",
    "Experiment",
    "ExperimentsConfig",
    "load_experiments",
    "assign",
    "hash_unit",
]


class ExperimentConfigError(ValueError):
    """A bad experiments file; the message is one line."""


@overload
def _utc(dt: datetime) -> datetime: ...


@overload
def _utc(dt: None) -> None: ...


def _utc(dt: datetime | None) -> datetime | None:
    """Naive datetimes are taken as UTC, so every comparison is between aware datetimes."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


class Variant(BaseModel):
    """One arm of an experiment: which student model serves it and its share of traffic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    model: str = Field(default="default", min_length=1)
    weight: float = Field(default=1.0, gt=0, allow_inf_nan=False)


class Experiment(BaseModel):
    """An A/B(/n) test. ``variants[0]`` is the control."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    variants: list[Variant] = Field(min_length=2)
    start: datetime | None = None
    stop: datetime | None = None
    description: str = ""

    @field_validator("start", "stop")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        return _utc(v)

    @model_validator(mode="after")
    def _check(self) -> Experiment:
        names = [v.name for v in self.variants]
        dups = sorted({n for n in names if names.count(n) > 1})
        if dups:
            raise ValueError(f"duplicate variant name(s) {', '.join(map(repr, dups))}")
        if self.start is not None and self.stop is not None and self.stop <= self.start:
            raise ValueError(f"stop ({self.stop.isoformat()}) must be after start ({self.start.isoformat()})")
        return self

    @property
    def control(self) -> Variant:
        return self.variants[0]

    @property
    def weights(self) -> list[float]:
        """Normalised weights (sum to 1), in variant order."""
        total = sum(v.weight for v in self.variants)
        return [v.weight / total for v in self.variants]

    def variant(self, name: str) -> Variant:
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(f"experiment {self.name!r} has no variant {name!r}")

    def is_active(self, now: datetime | None = None) -> bool:
        """True when ``start <= now < stop`` (a missing bound is open). ``now`` defaults to UTC now."""
        now = _utc(now) if now is not None else datetime.now(UTC)
        if self.start is not None and now < self.start:
            return False
        if self.stop is not None and now >= self.stop:
            return False
        return True


class ExperimentsConfig(BaseModel):
    """All experiments of a deployment (unique names)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    experiments: list[Experiment] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> ExperimentsConfig:
        names = [e.name for e in self.experiments]
        dups = sorted({n for n in names if names.count(n) > 1})
        if dups:
            raise ValueError(f"duplicate experiment name(s) {', '.join(map(repr, dups))}")
        return self

    def get(self, name: str) -> Experiment:
        for e in self.experiments:
            if e.name == name:
                return e
        known = ", ".join(e.name for e in self.experiments) or "none"
        raise KeyError(f"no experiment named {name!r} (known: {known})")

    def active(self, now: datetime | None = None) -> list[Experiment]:
        return [e for e in self.experiments if e.is_active(now)]


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _one_line(err: ValidationError) -> str:
    """The first pydantic error as a short, readable line."""
    e = err.errors()[0]
    where = _loc(e["loc"])
    kind = e["type"]
    if kind == "extra_forbidden":
        parent, key = _loc(e["loc"][:-1]), e["loc"][-1]
        return f"unknown key {key!r}" + (f" in {parent}" if parent else "")
    if kind == "greater_than" and e["loc"] and e["loc"][-1] == "weight":
        return f"{where}: weight must be > 0 (got {e.get('input')!r})"
    if kind == "missing":
        return f"{where}: required key missing"
    msg = e["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return f"{where}: {msg}" if where else msg


def parse_experiments(data: Any) -> ExperimentsConfig:
    """Validate already-parsed data (a dict with an ``experiments`` list)."""
    if not isinstance(data, dict):
        raise ExperimentConfigError("top level must be a table/object with an 'experiments' list")
    try:
        return ExperimentsConfig.model_validate(data)
    except ValidationError as e:
        raise ExperimentConfigError(_one_line(e)) from None


def load_experiments(path: str | Path) -> ExperimentsConfig:
    """Load and validate an experiments file (``.toml`` or ``.json``).

    Raises :class:`ExperimentConfigError` (a ``ValueError``) with a one-line message
    prefixed by the path for missing files, syntax errors, unknown keys, weights <= 0,
    fewer than two variants, duplicate names and stop not after start.
    """
    path = Path(path)
    if not path.is_file():
        raise ExperimentConfigError(f"{path}: no such file")
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8")
    try:
        if suffix == ".toml":
            data = tomllib.loads(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            raise ExperimentConfigError(
                f"{path}: unsupported file type {suffix or '(none)'!r} (use .toml or .json)")
    except tomllib.TOMLDecodeError as e:
        raise ExperimentConfigError(f"{path}: invalid TOML: {str(e).splitlines()[0]}") from None
    except json.JSONDecodeError as e:
        raise ExperimentConfigError(
            f"{path}: invalid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
    try:
        return parse_experiments(data)
    except ExperimentConfigError as e:
        raise ExperimentConfigError(f"{path}: {e}") from None


def hash_unit(experiment_name: str, user_id: str) -> float:
    """SHA-256 of ``f"{experiment_name}:{user_id}"`` mapped to a uniform float in [0, 1).

    Uses the first 64 bits of the digest, so it is stable across processes, machines and
    Python versions (unlike ``hash()``), and experiments with different names hash independently.
    """
    digest = hashlib.sha256(f"{experiment_name}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def assign(experiment: Experiment, user_id: str) -> Variant:
    """The variant a user sees in ``experiment`` (sticky: a pure function of the two names)."""
    u = hash_unit(experiment.name, str(user_id))
    acc = 0.0
    for variant, w in zip(experiment.variants, experiment.weights):
        acc += w
        if u < acc:
            return variant
    return experiment.variants[-1]  # floating-point rounding: acc may end just below 1
