"""Models loaded once and shared by all requests of an app: the students (one per folder) and the
refinement model."""

from __future__ import annotations

import threading
from typing import Any

from vibegrade.schema import ToolChain
from vibegrade.serve.errors import ApiError
from vibegrade.students.refine import Refinement, Refiner

__all__ = ["ModelCache", "RefinerCache"]


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



class RefinerCache:
    """The refinement model (:func:`vibegrade.students.refine.load_refiner`; ``path`` None = the shipped
    one), loaded on first use, once, thread-safely. A model that cannot be loaded answers 503
    ``refiner_unavailable`` (and is tried again on the next request).

    The cache is itself a :class:`~vibegrade.students.refine.Refiner`: :meth:`refine` loads the model
    when a refinement is first asked for, so a request refused before that (a bad body, an unknown
    project) never loads it."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self._refiner: Refiner | None = None
        self._lock = threading.Lock()

    def get(self) -> Refiner:
        with self._lock:
            if self._refiner is None:
                self._refiner = self._load()
            return self._refiner

    def refine(self, chain: ToolChain, request: str) -> Refinement:
        return self.get().refine(chain, request)

    def _load(self) -> Refiner:
        from vibegrade.students import refine

        # looked up by name: the loader ships with the model (docs/refine.md)
        load = getattr(refine, "load_refiner", None)
        if load is None:
            raise ApiError(503, "refiner_unavailable", "this installation has no refinement model")
        try:
            refiner = load(self.path)
        except (ValueError, OSError, ImportError) as e:
            raise ApiError(503, "refiner_unavailable",
                           f"the refinement model cannot be loaded: {e}") from None
        if not isinstance(refiner, Refiner):
            raise ApiError(503, "refiner_unavailable", "the refinement model has no refine() method")
        return refiner
