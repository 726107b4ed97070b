"""A stand-in refiner for tests of the service and the web editor: a keyword table, NOT the refinement model.

It implements :class:`vibegrade.students.refine.Refiner` so the service can be tested without the trained
model (put it in with ``app.dependency_overrides[get_refiner] = lambda: fake``). It knows a few words,
chosen so a test can tell what must happen:

* "undo", "redo", "reset" / "start over" -- the history ops (no chain);
* "warmer" -- temperature +25; "cooler" -- temperature -25 (the style guide's plain step, clamped);
* "less" -- every non-zero setting x0.6, rounded half away from zero (the style guide's "less"; hue kept);
* anything else -- op ``replace`` with :data:`REPLACE_CHAIN`, whatever was asked.

``calls`` lists every (chain, request) it was given. ``meet=n`` makes the first ``n`` calls wait for each
other (a barrier) before answering, so a test can line up ``n`` concurrent turns on the same history.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from vibegrade.schema import ToolChain
from vibegrade.students.refine import Refinement

__all__ = ["FakeRefiner", "REPLACE_CHAIN", "WARMER_STEP", "LESS_FACTOR"]

WARMER_STEP = 25
LESS_FACTOR = 0.6
REPLACE_CHAIN = ToolChain.model_validate({"adjust": {"contrast": 30, "saturation": -20, "temperature": -10},
                                          "filter": {"name": "none", "intensity": 0}})


def _round(x: float) -> int:
    return int(x + 0.5) if x >= 0 else -int(-x + 0.5)


def _scaled(chain: ToolChain, factor: float) -> ToolChain:
    wire: dict[str, Any] = chain.to_wire()
    adjust = {k: (v if k == "hue" else _round(v * factor)) for k, v in wire["adjust"].items()}
    selective = {c: {ch: _round(v * factor) for ch, v in vals.items()}
                 for c, vals in wire["selective_adjust"].items()}
    f = wire["filter"]
    if f["name"] != "none":
        f = {"name": f["name"], "intensity": max(1, _round(f["intensity"] * factor))}
    return ToolChain.model_validate({"adjust": adjust, "selective_adjust": selective, "filter": f})


def _temperature(chain: ToolChain, step: int) -> ToolChain:
    wire = chain.to_wire()
    adjust = dict(wire["adjust"])
    adjust["temperature"] = max(-100, min(100, adjust.get("temperature", 0) + step))
    return ToolChain.model_validate({**wire, "adjust": adjust})


class FakeRefiner:
    """A keyword-table refiner for tests (see the module docstring); not a model."""

    def __init__(self, meet: int = 0) -> None:
        self.calls: list[tuple[ToolChain, str]] = []
        self._meet = threading.Barrier(meet) if meet > 1 else None
        self._waited = 0
        self._lock = threading.Lock()

    def refine(self, chain: ToolChain, request: str) -> Refinement:
        with self._lock:
            self.calls.append((chain, request))
            wait = self._meet is not None and self._waited < self._meet.parties
            self._waited += 1
        if wait and self._meet is not None:
            self._meet.wait(timeout=20)
        words = set(re.findall(r"[a-z]+", request.lower()))
        if "undo" in words:
            return Refinement("undo", None, request)
        if "redo" in words:
            return Refinement("redo", None, request)
        if "reset" in words or "start over" in request.lower():
            return Refinement("reset", None, request)
        if "warmer" in words:
            return Refinement("edit", _temperature(chain, WARMER_STEP), request)
        if "cooler" in words:
            return Refinement("edit", _temperature(chain, -WARMER_STEP), request)
        if "less" in words:
            return Refinement("edit", _scaled(chain, LESS_FACTOR), request)
        return Refinement("replace", REPLACE_CHAIN, request)
