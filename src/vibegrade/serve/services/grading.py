"""Grading a request: which model serves it (the active experiment's variant for this user, else the
default student), the prediction, and its record as a project in the event store."""

from __future__ import annotations

import time

from pydantic import BaseModel

from vibegrade import api
from vibegrade.analytics.experiments import Experiment, ExperimentsConfig, assign
from vibegrade.data.events import EventStore
from vibegrade.schema import ToolChain
from vibegrade.serve.model_cache import ModelCache

__all__ = ["Prediction", "choose_model", "predict_chain", "record_project"]


class Prediction(BaseModel):
    """A chain served for a request, with the model and the A/B experiment and variant that served it."""

    chain: ToolChain
    experiment: str | None
    variant: str | None
    model: str
    latency_ms: float


def _active_experiment(experiments: ExperimentsConfig) -> Experiment | None:
    active = experiments.active()
    return active[0] if active else None


def choose_model(experiments: ExperimentsConfig, user_id: str, models: ModelCache
                 ) -> tuple[str | None, str | None, str]:
    """``(experiment, variant, model)`` for ``user_id``: the variant of the first active experiment the
    user is assigned to (:func:`vibegrade.analytics.experiments.assign`), else no experiment and the
    default model. ``"default"`` resolves through the model cache (a configured folder, else itself)."""
    exp = _active_experiment(experiments)
    if exp is None:
        name = "default"
        return None, None, models.resolve(name) or name
    variant = assign(exp, user_id)
    return exp.name, variant.name, variant.model if variant.model != "default" else (
        models.resolve("default") or "default")


def predict_chain(intent: str, user_id: str, models: ModelCache, experiments: ExperimentsConfig,
                  override: ToolChain | None = None) -> Prediction:
    """The chain for ``intent`` from the model chosen for ``user_id`` (latency in ms, 3 decimals); with
    ``override`` (the client's own chain) nothing is predicted but the assignment is still made."""
    experiment, variant, model_name = choose_model(experiments, user_id, models)
    if override is not None:
        return Prediction(chain=override, experiment=experiment, variant=variant, model=model_name,
                          latency_ms=0.0)
    student = models.get(model_name)
    t0 = time.perf_counter()
    chain = api.predict(intent, model=student)
    latency_ms = (time.perf_counter() - t0) * 1000.0
    return Prediction(chain=chain, experiment=experiment, variant=variant, model=model_name,
                      latency_ms=round(latency_ms, 3))


def record_project(store: EventStore, user_id: str, intent: str, p: Prediction,
                   override: ToolChain | None, *, source: str | None = None) -> str:
    """Record a served prediction (``source`` is ``user`` when the client sent its own ``tools``, else
    ``student``, unless given: ``match`` for a chain fitted to a reference image)."""
    if source is None:
        source = "user" if override is not None else "student"
    return store.projects.record(user_id=user_id, intent=intent, tools=p.chain, model=p.model,
                                 source=source,
                                 latency_ms=p.latency_ms if override is None else None,
                                 experiment=p.experiment, variant=p.variant)
