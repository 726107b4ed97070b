"""Matching a reference look: fit the chain for two decoded images and record it as a project."""

from __future__ import annotations

import re

import numpy as np

from vibegrade import api
from vibegrade.data.events import EventStore
from vibegrade.data.rows import MAX_INTENT_CHARS
from vibegrade.serve.services.grading import Prediction, record_project
from vibegrade.tools.match import MatchResult

__all__ = ["MATCH_MODEL", "match_intent", "fit_and_record"]

MATCH_MODEL = "match"
"""What a matched project records as its model (its ``source`` is ``match`` too)."""

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def match_intent(reference_name: str | None) -> str:
    """The request recorded for a match: ``match: <reference file name>`` (the name without folders and
    control characters, shortened to fit a request's length)."""
    name = _UNPRINTABLE.sub(" ", (reference_name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    prefix = "match: "
    room = MAX_INTENT_CHARS - len(prefix)
    if len(name) > room:
        name = name[: room - 3] + "..."
    return prefix + (name or "reference image")


def fit_and_record(store: EventStore, user_id: str, image: np.ndarray, reference: np.ndarray,
                   reference_name: str | None) -> tuple[str, MatchResult]:
    """Fit the chain that gives ``image`` the look of ``reference`` and record it as a project of
    ``user_id`` (source ``match``, the fit time as latency). Returns ``(project_id, result)``."""
    res = api.match_fit(image, reference)
    p = Prediction(chain=res.chain, experiment=None, variant=None, model=MATCH_MODEL,
                   latency_ms=round(res.seconds * 1000.0, 3))
    project_id = record_project(store, user_id, match_intent(reference_name), p, None, source="match")
    return project_id, res
