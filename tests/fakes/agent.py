"""Stand-in planners for tests of the agent's service and web editor: a fixed plan, NOT the trained planner.

The agent's service tests need to know which items a run works on (so that it surely takes a step, acts on
the sky, ...), whatever the shipped planner would answer. Everything else in those runs is real: the region
masks, the student's baseline, the judge-guided search, the judge and the renders.

* :class:`FixedPlanner` answers :data:`TWO_REGIONS_PLAN` (or the checklist given) to any request;
* ``gate``: a :class:`threading.Event` the planner waits on before answering, so that a test can look at a
  run that is still running;
* ``fail``: raise ``ValueError`` with this message instead (a request the agent refuses).
"""

from __future__ import annotations

import threading

from vibegrade.agent.checklist import Checklist, parse_checklist

__all__ = ["TWO_REGIONS_PLAN", "FixedPlanner"]

#: A cooler sky and warmer shadows (no global move does both: the run works region by region), and
#: something no colour tool can do.
TWO_REGIONS_PLAN = parse_checklist({"items": [
    {"id": "sky_cooler", "text": "a cooler, bluer sky", "region": "sky", "property": "warmth",
     "direction": "decrease", "size": "moderate", "weight": 1.0},
    {"id": "warm_shadows", "text": "warm shadows", "region": "shadows", "property": "warmth",
     "direction": "increase", "size": "moderate", "weight": 1.0},
    {"id": "add_birds", "text": "add a flock of birds", "region": "global", "property": "content",
     "direction": "increase", "feasible": False, "reason": "colour tools cannot add objects"},
]})


class FixedPlanner:
    def __init__(self, checklist: Checklist = TWO_REGIONS_PLAN, *, gate: threading.Event | None = None,
                 fail: str | None = None) -> None:
        self.checklist = checklist
        self.gate = gate
        self.fail = fail
        self.requests: list[str] = []

    def plan(self, request: str) -> Checklist:
        self.requests.append(request)
        if self.gate is not None:
            self.gate.wait(timeout=60)
        if self.fail is not None:
            raise ValueError(self.fail)
        return self.checklist
