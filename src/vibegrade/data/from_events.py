"""Build a vibes dataset from behavioural events (what users actually downloaded).

The rule (:func:`dataset_from_events`), per normalized request (``intent_key``):

1. Group its projects by *output*: the served tool chain (identical canonical ``tools`` JSON = same
   output; the wire form is canonical, so equal chains compare equal).
2. For each output ``o`` and tool ``t`` compute the **per-tool export rate**
   ``rate(o, t) = kept(o, t) / projects(o)``, where ``projects(o)`` is the number of projects that
   served ``o`` and ``kept(o, t)`` the number of those projects with at least one export in which the
   user kept ``t`` enabled (several downloads of one project count once, so a rate is at most 1).
3. For each tool keep the setting of the output with the highest rate for that tool; ties go to the
   output with more projects, then to the output served first (earliest project).
4. If the best rate for a tool is 0 (no output was ever exported with that tool kept), the tool is
   dropped: unused / empty in the row.
5. A request none of whose projects was ever exported is dropped entirely. (A request exported only
   with every tool disabled gives a row with all tools unused.)

Row fields: ``intent`` = the most common original phrasing (after whitespace cleaning; ties: the one
seen first), ``category`` None, empty rationale, ``calls`` = number of projects for the request (all
outputs). Rows are ordered by the request's first project.

The ``tools_kept`` flag is used as recorded: a flag for a tool the output does not use still counts,
and choosing that output gives an unused tool in the row.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vibegrade.data.events import EventStore, ProjectRecord
from vibegrade.data.rows import VibeRow
from vibegrade.schema import TOOL_NAMES, ToolChain, parse_chain
from vibegrade.tools.filters import preset_names

__all__ = ["dataset_from_events", "rows_from_projects"]


@dataclass
class _Output:
    tools: dict[str, Any]
    first: datetime
    order: int
    projects: int = 0
    kept: dict[str, int] = field(default_factory=lambda: {t: 0 for t in TOOL_NAMES})

    def rate(self, tool: str) -> float:
        return self.kept[tool] / self.projects if self.projects else 0.0


@dataclass
class _Request:
    first: datetime
    order: int
    phrasings: list[str] = field(default_factory=list)
    outputs: dict[str, _Output] = field(default_factory=dict)
    exported: bool = False


def _key(tools: Mapping[str, Any]) -> str:
    return json.dumps(tools, sort_keys=True, separators=(",", ":"))


def _most_common(values: list[str]) -> str:
    c = Counter(values)
    best = max(c.values())
    return next(v for v in values if c[v] == best)


def rows_from_projects(projects: Iterable[ProjectRecord]) -> list[VibeRow]:
    """The rule of this module applied to project records (with their exports)."""
    requests: dict[str, _Request] = {}
    for i, p in enumerate(projects):
        req = requests.get(p.intent_key)
        if req is None:
            req = requests[p.intent_key] = _Request(first=p.created_at, order=i)
        elif (p.created_at, i) < (req.first, req.order):
            req.first, req.order = p.created_at, i
        req.phrasings.append(p.intent)
        k = _key(p.tools)
        out = req.outputs.get(k)
        if out is None:
            out = req.outputs[k] = _Output(tools=p.tools, first=p.created_at, order=i)
        elif (p.created_at, i) < (out.first, out.order):
            out.first, out.order = p.created_at, i
        out.projects += 1
        if p.exports:
            req.exported = True
        for t in TOOL_NAMES:
            if any(e.tools_kept.get(t, False) for e in p.exports):
                out.kept[t] += 1

    rows: list[VibeRow] = []
    for req in sorted(requests.values(), key=lambda r: (r.first, r.order)):
        if not req.exported:
            continue
        chosen: dict[str, Any] = {"adjust": {}, "selective_adjust": {}, "filter": None}
        for t in TOOL_NAMES:
            best = min(req.outputs.values(), key=lambda o: (-o.rate(t), -o.projects, o.first, o.order))
            if best.rate(t) > 0:
                chosen[t] = best.tools[t]
        chain: ToolChain = parse_chain(chosen, presets=preset_names())
        rows.append(VibeRow(intent=_most_common(req.phrasings), chain=chain, rationale={}, category=None,
                            calls=sum(o.projects for o in req.outputs.values())))
    return rows


def dataset_from_events(store: EventStore) -> list[VibeRow]:
    """Dataset rows chosen by what users exported (see the module docstring for the exact rule):
    per request and per tool, the served setting with the highest per-tool export rate; tools never
    exported kept are left unused; requests never exported are dropped; ``calls`` = projects."""
    return rows_from_projects(store.projects.iter_all())
