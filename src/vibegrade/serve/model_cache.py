"""Student models loaded once per folder, shared by all requests of an app."""

from __future__ import annotations

import threading
from typing import Any

from vibegrade.serve.errors import ApiError

__all__ = ["ModelCache"]


class ModelCache:
    """Loads each model folder once, lazily and thread-safely (one lock per folder)."""

    def __init__(self, default_model: str | None = None) -> None:
        self.default_model = default_model
        self._models: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def resolve(self, name: str) -> str | None:
        """Model folder for ``name`` (``"default"`` -> the configured default; None = the shipped one)."""
        if name == "default":
            return self.default_model
        return name

    def get(self, name: str) -> Any:
        from vibegrade.students import load_student

        path = self.resolve(name)
        key = path or "<shipped default>"
        with self._lock:
            model = self._models.get(key)
            if model is not None:
                return model
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                model = self._models.get(key)
            if model is None:
                try:
                    model = load_student(path)
                except (ValueError, OSError) as e:
                    raise ApiError(503, "model_unavailable",
                                   f"model {name!r} cannot be loaded: {e}") from None
                with self._lock:
                    self._models[key] = model
        return model

    def loaded(self) -> list[str]:
        with self._lock:
            return sorted(self._models)

