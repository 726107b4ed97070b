"""The orchestrator's actions: which tool, where, with what values.

An :class:`Action` is one (tool, region, parameters) choice:

* ``adjust`` on ``global`` -- adds to the global adjust sliders;
* ``selective_adjust`` on a colour range (``red`` .. ``blue``) -- adds to that range's saturation/luminance;
* ``regional`` on a region (:data:`vibegrade.schema.REGION_NAMES`) -- adds to that region's edit (created
  when the chain has none for it);
* ``filter`` on ``global`` -- sets the preset and intensity (what the single-shot student answers).

:func:`apply_action` composes an action into a chain (values add up and are clamped to their ranges), so a
trajectory is a list of actions and switching a step off is replaying the others.

For a checklist item, a *template* says which slider moves (the *lever*) and in which scope (the item's own
region through the tool that owns it, or the whole picture); :func:`candidates` expands templates into
actions of several strengths. The slider amounts are first guesses scaled from the item's size
(:data:`BASE_AMOUNT`); the judge-guided search and the learned policy choose among and around them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from vibegrade.agent.checklist import ChecklistItem
from vibegrade.schema import (
    ADJUST_PARAMS,
    MAX_REGIONAL_EDITS,
    REGION_NAMES,
    REGIONAL_ADJUST_KEYS,
    SELECTIVE_COLORS,
    Adjust,
    Filter,
    RegionalAdjust,
    RegionalEdit,
    SelectiveAdjust,
    SelectiveColor,
    ToolChain,
)

__all__ = ["Tool", "Scope", "Action", "Template", "LEVERS", "BASE_AMOUNT", "SIZE_FACTOR", "MULTIPLIERS",
           "HUE_REGIONS", "Candidate", "apply_action", "apply_actions", "templates", "action_for",
           "candidates", "chain_actions", "student_candidates", "protected", "keep_regions"]

Tool = Literal["adjust", "selective_adjust", "regional", "filter"]
Scope = Literal["region", "global"]

#: Plan regions that are colour ranges of selective_adjust, and the range each names.
HUE_REGIONS: dict[str, str] = {"reds": "red", "oranges": "orange", "yellows": "yellow", "greens": "green",
                               "cyans": "cyan", "blues": "blue"}

#: Sliders that move each property, most direct first, with the sign that moves it *up*.
LEVERS: dict[str, tuple[tuple[str, int], ...]] = {
    "luminance": (("exposure", 1), ("brightness", 1), ("shadows", 1), ("highlights", 1)),
    "contrast": (("contrast", 1),),
    "warmth": (("temperature", 1),),
    "tint": (("tint", 1),),
    "saturation": (("saturation", 1), ("vibrance", 1)),
    # clipping goes *down* when highlights are recovered, exposure lowered or crushed shadows lifted
    "clipping": (("highlights", 1), ("exposure", 1), ("shadows", -1)),
}

#: First-guess slider amount for a ``moderate`` item, per property and lever (slider units): the amount
#: that moves the whole picture by the moderate target at the median slope measured on the shared photos
#: (``scripts/agent/calibrate_amounts.py``: per moderate target, exposure 33, brightness 29, contrast 52,
#: temperature 79, tint 42, saturation 41, vibrance 83). Shadows and highlights act on part of the tonal
#: range, so their global slope says little; they get the amount that moves their own band (where they are
#: mostly used).
BASE_AMOUNT: dict[str, dict[str, float]] = {
    "luminance": {"exposure": 33, "brightness": 30, "shadows": 60, "highlights": 60},
    "contrast": {"contrast": 50},
    "warmth": {"temperature": 75},
    "tint": {"tint": 42},
    "saturation": {"saturation": 40, "vibrance": 80},
    "clipping": {"highlights": 40, "exposure": 25, "shadows": 30},
}
SIZE_FACTOR: dict[str, float] = {"slight": 0.5, "moderate": 1.0, "strong": 2.0}
#: Strengths the search tries around the first guess, in the order it tries them.
MULTIPLIERS: tuple[float, ...] = (1.0, 1.75, 0.5, 3.0)

_ADJUST_RANGE = {p.name: (p.lo, p.hi) for p in ADJUST_PARAMS}


@dataclass(frozen=True)
class Action:
    """One tool call: ``tool`` on ``region`` with ``params`` (slider deltas; for ``filter``: name and
    intensity). ``item_id`` names the checklist item it serves (empty for the student's start)."""

    tool: Tool
    region: str
    params: Mapping[str, Any] = field(default_factory=dict)
    item_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"tool": self.tool, "region": self.region, "params": dict(self.params), "item": self.item_id}


@dataclass(frozen=True)
class Template:
    """A lever in a scope, e.g. (temperature, region) = "warm this region"; see :func:`templates`."""

    lever: str
    scope: Scope

    @property
    def key(self) -> str:
        return f"{self.lever}@{self.scope}"


def _clamp(key: str, v: float) -> int:
    lo, hi = _ADJUST_RANGE[key]
    return int(min(hi, max(lo, round(v))))


def _add_adjust(adj: Adjust, params: Mapping[str, Any]) -> Adjust:
    values = adj.model_dump()
    for k, d in params.items():
        if k not in values:
            raise ValueError(f"adjust has no parameter {k!r}")
        values[k] = _clamp(k, values[k] + d)
    return Adjust(**values)


def _add_regional(edits: tuple[RegionalEdit, ...], region: str, params: Mapping[str, Any]
                  ) -> tuple[RegionalEdit, ...]:
    if region not in REGION_NAMES:
        raise ValueError(f"unknown region {region!r}")
    bad = sorted(set(params) - set(REGIONAL_ADJUST_KEYS))
    if bad:
        raise ValueError(f"a regional edit cannot set {', '.join(bad)}")
    for i, e in enumerate(edits):
        if e.region == region:
            values = e.adjust.model_dump()
            for k, d in params.items():
                values[k] = _clamp(k, values[k] + d)
            return (*edits[:i], RegionalEdit(region=region, adjust=RegionalAdjust(**values)), *edits[i + 1:])
    if len(edits) >= MAX_REGIONAL_EDITS:
        raise ValueError(f"a chain holds at most {MAX_REGIONAL_EDITS} regional edits")
    values = {k: _clamp(k, d) for k, d in params.items()}
    return (*edits, RegionalEdit(region=region, adjust=RegionalAdjust(**values)))


def _add_selective(sel: SelectiveAdjust, color: str, params: Mapping[str, Any]) -> SelectiveAdjust:
    if color not in SELECTIVE_COLORS:
        raise ValueError(f"selective_adjust has no colour range {color!r}")
    cur = getattr(sel, color)
    values = {"saturation": cur.saturation, "luminance": cur.luminance}
    for k, d in params.items():
        if k not in values:
            raise ValueError(f"selective_adjust has no channel {k!r}")
        values[k] = int(min(100, max(-100, round(values[k] + d))))
    return sel.model_copy(update={color: SelectiveColor(**values)})


def apply_action(chain: ToolChain, action: Action) -> ToolChain:
    """``chain`` with ``action`` added (values add and are clamped to their ranges); ``ValueError`` for an
    action no tool can take."""
    if action.tool == "adjust":
        return chain.model_copy(update={"adjust": _add_adjust(chain.adjust, action.params)})
    if action.tool == "selective_adjust":
        return chain.model_copy(update={"selective_adjust": _add_selective(chain.selective_adjust,
                                                                           action.region, action.params)})
    if action.tool == "regional":
        return chain.model_copy(update={"regional": _add_regional(chain.regional, action.region,
                                                                  action.params)})
    if action.tool == "filter":
        return chain.model_copy(update={"filter": Filter(name=str(action.params.get("name", "none")),
                                                         intensity=int(action.params.get("intensity", 0)))})
    raise ValueError(f"unknown tool {action.tool!r}")


def apply_actions(chain: ToolChain, actions: list[Action]) -> ToolChain:
    for a in actions:
        chain = apply_action(chain, a)
    return chain


def chain_actions(chain: ToolChain, item_id: str = "look") -> list[Action]:
    """``chain`` as actions that rebuild it from an empty chain (one per tool, colour range and region)."""
    out: list[Action] = []
    if chain.adjust.used:
        out.append(Action("adjust", "global", {k: v for k, v in chain.adjust.model_dump().items() if v},
                          item_id))
    for color in SELECTIVE_COLORS:
        c = getattr(chain.selective_adjust, color)
        if c.used:
            out.append(Action("selective_adjust", color,
                              {k: v for k, v in (("saturation", c.saturation), ("luminance", c.luminance))
                               if v}, item_id))
    for e in chain.regional:
        if e.used:
            out.append(Action("regional", e.region, e.adjust.to_wire(), item_id))
    if chain.filter.used:
        out.append(Action("filter", "global",
                          {"name": chain.filter.name, "intensity": chain.filter.intensity}, item_id))
    return out


def student_candidates(item: ChecklistItem, answer: ToolChain) -> list[Candidate]:
    """Candidates for ``item`` from a language student's ``answer`` to the item's own words: each of the
    item's levers that the answer moves the asked way, at the answer's amount, in each of the item's scopes.
    The strength is recorded as the nearest of :data:`MULTIPLIERS` (what the policy learns)."""
    out: list[Candidate] = []
    for t in templates(item):
        sign = dict(LEVERS[item.property])[t.lever] * (-1 if item.direction == "decrease" else 1)
        color = HUE_REGIONS.get(item.region)
        base = BASE_AMOUNT[item.property][t.lever] * SIZE_FACTOR[item.size]
        if t.scope == "region" and color is not None and t.lever in ("saturation", "vibrance", "exposure",
                                                                      "brightness"):
            ch = "saturation" if t.lever in ("saturation", "vibrance") else "luminance"
            value = (getattr(getattr(answer.selective_adjust, color), ch)
                     or 2 * getattr(answer.adjust, t.lever))
            base *= 2  # the selective sliders take twice the global amount (see action_for)
        else:
            value = getattr(answer.adjust, t.lever)
        if value * sign <= 0:
            continue
        mult = min(MULTIPLIERS, key=lambda m: abs(m * base - abs(value)))
        action = action_for(item, t, abs(value) / base)
        out.append(Candidate(t, mult, action))
    return out

def templates(item: ChecklistItem) -> list[Template]:
    """The (lever, scope) choices for ``item``, the item's own region first. ``keep`` and infeasible items
    have none (they constrain, they do not act)."""
    if not item.feasible or item.direction == "keep" or item.property not in LEVERS:
        return []
    scopes: tuple[Scope, ...] = ("global",) if item.region == "global" else ("region", "global")
    return [Template(lever, scope) for scope in scopes for lever, _ in LEVERS[item.property]]


def action_for(item: ChecklistItem, template: Template, multiplier: float = 1.0) -> Action:
    """The action of ``template`` for ``item`` at ``multiplier`` × the first-guess amount."""
    sign = dict(LEVERS[item.property])[template.lever]
    if item.direction == "decrease":
        sign = -sign
    amount = sign * BASE_AMOUNT[item.property][template.lever] * SIZE_FACTOR[item.size] * multiplier
    if template.scope == "global" or item.region == "global":
        return Action("adjust", "global", {template.lever: _clamp(template.lever, amount)}, item.id)
    color = HUE_REGIONS.get(item.region)
    if color is not None and template.lever in ("saturation", "vibrance", "exposure", "brightness"):
        channel = "saturation" if template.lever in ("saturation", "vibrance") else "luminance"
        # the selective sliders act on their range only, so they need about twice the global amount
        return Action("selective_adjust", color, {channel: int(min(100, max(-100, round(2 * amount))))},
                      item.id)
    return Action("regional", item.region, {template.lever: _clamp(template.lever, amount)}, item.id)


@dataclass(frozen=True)
class Candidate:
    """An action with the template and strength it came from (what the learned policy predicts)."""

    template: Template
    multiplier: float
    action: Action
    #: actions applied with this one: counter-moves that protect regions the checklist keeps
    also: tuple[Action, ...] = ()

    @property
    def actions(self) -> tuple[Action, ...]:
        return (self.action, *self.also)


def protected(cand: Candidate, keep_regions: list[str]) -> Candidate | None:
    """``cand`` with counter-moves that hold ``keep_regions`` where they were: a global adjust move plus,
    in each kept region, a regional edit of the opposite amount on the same sliders (how a colourist cools
    a picture "but keeps the faces warm"). ``None`` when there is nothing to protect."""
    a = cand.action
    if a.tool != "adjust" or not keep_regions:
        return None
    params = {k: -v for k, v in a.params.items() if k in REGIONAL_ADJUST_KEYS and v}
    if not params:
        return None
    counter = tuple(Action("regional", r, params, a.item_id) for r in keep_regions)
    return Candidate(cand.template, cand.multiplier, a, counter)


def keep_regions(items: Sequence[ChecklistItem]) -> list[str]:
    """The regions (not ``global``) of the feasible ``keep`` items, in order, without repeats."""
    out: list[str] = []
    for i in items:
        if i.feasible and i.direction == "keep" and i.region != "global" and i.region not in out:
            out.append(i.region)
    return out


def candidates(item: ChecklistItem, budget: int, choices: list[tuple[Template, float]] | None = None
               ) -> list[Candidate]:
    """Up to ``budget`` distinct candidate actions for ``item``. By default every template at the
    first-guess strength first, then the other strengths (:data:`MULTIPLIERS`); ``choices`` gives the
    (template, multiplier) pairs to try instead, in order (the learned policy's ranking)."""
    pairs = choices if choices is not None else [(t, m) for m in MULTIPLIERS for t in templates(item)]
    out: list[Candidate] = []
    seen: set[str] = set()
    for t, m in pairs:
        a = action_for(item, t, m)
        key = repr(a.to_dict())
        if key not in seen and any(v != 0 for v in a.params.values()):
            seen.add(key)
            out.append(Candidate(t, m, a))
        if len(out) >= budget:
            break
    return out
