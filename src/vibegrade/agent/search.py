"""Judge-guided search over actions: the exact search that Plan2Pix can only approximate.

Colour and tone actions are deterministic and cheap on a small proxy of the photo (long side
:data:`PROXY_SIZE`, masks frozen from the original), so for every checklist item the orchestrator can try
its candidate actions, render each, let the judge score the whole checklist, and keep the best one when it
raises the reward. Items are worked on in order of weight, in up to ``passes`` passes (a later pass only
revisits items that are still unmet). ``budget`` caps the candidates tried per item per pass.

The trajectory (what was tried, what was kept and by how much it raised the reward) is the training data of
the learned orchestrator (:mod:`vibegrade.agent.policy`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vibegrade.agent.actions import (
    Action,
    Candidate,
    Template,
    apply_actions,
    candidates,
    keep_regions,
    protected,
)
from vibegrade.agent.checklist import Checklist, ChecklistItem
from vibegrade.agent.judge import PROXY_SIDE, Scene, Verdict, judge
from vibegrade.schema import ToolChain
from vibegrade.tools.chain import render

__all__ = ["PROXY_SIZE", "SEARCH_LUT_SIZE", "MIN_GAIN", "Evaluator", "Step", "Decision", "SearchOutcome",
           "move_steps", "best_start", "search", "ChoiceFn", "progress_of"]

#: Long side of the proxy the agent searches on, in pixels: the judge's working size.
PROXY_SIZE = PROXY_SIDE
#: LUT grid of the proxy renders (the final render uses the full 33-point grid).
SEARCH_LUT_SIZE = 17
#: A candidate is kept only when it raises the reward by more than this.
MIN_GAIN = 1e-3


class Evaluator:
    """Renders chains on the proxy and judges them; counts and caches the evaluations.

    Args:
        proxy: the original proxy, uint8 ``(h, w, 3)``.
        masks: its region masks, float32 ``(h, w)``, frozen from the original.
        checklist: what the judge checks.
        judge_fn: ``(scene, checklist, rgb) -> Verdict``; the programmatic judge by default.
    """

    def __init__(self, proxy: np.ndarray, masks: Mapping[str, np.ndarray], checklist: Checklist,
                 judge_fn: Callable[[Scene, Checklist, np.ndarray], Verdict] = judge) -> None:
        self.proxy = proxy
        self.masks = dict(masks)
        self.checklist = checklist
        self.scene = Scene.from_image(proxy.astype(np.float32) / 255.0, self.masks)
        self.judge_fn = judge_fn
        self.calls = 0
        self._cache: dict[str, Verdict] = {}

    def render(self, chain: ToolChain) -> np.ndarray:
        return render(self.proxy, chain, masks=self.masks, lut_size=SEARCH_LUT_SIZE)

    def __call__(self, chain: ToolChain) -> Verdict:
        key = chain.model_dump_json()
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        self.calls += 1
        v = self.judge_fn(self.scene, self.checklist, self.render(chain).astype(np.float32) / 255.0)
        self._cache[key] = v
        return v


@dataclass
class Step:
    """One executed action with the checklist score (judge adherence) before and after it."""

    item_id: str
    tool: str
    region: str
    params: dict[str, Any]
    score_before: float
    score_after: float
    reward_before: float
    reward_after: float
    kept: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"item": self.item_id, "tool": self.tool, "region": self.region, "params": self.params,
                "score_before": round(self.score_before, 4), "score_after": round(self.score_after, 4),
                "reward_before": round(self.reward_before, 4), "reward_after": round(self.reward_after, 4),
                "kept": self.kept}


@dataclass
class Decision:
    """What the search chose for one item in one pass (``template`` None: no candidate helped) -- a
    training example of the learned orchestrator."""

    item: ChecklistItem
    pass_index: int
    template: Template | None
    multiplier: float
    gain: float
    progress: float = 0.0


def progress_of(verdict: Verdict, item: ChecklistItem) -> float:
    """How far ``item`` already is in the asked direction, in units of its target (0 = untouched, 1 = met;
    negative = moved the wrong way), clipped to [-2, 3]."""
    for iv in verdict.items:
        if iv.id == item.id and iv.change is not None and item.target > 0:
            signed = iv.change if item.direction == "increase" else -iv.change
            return float(min(3.0, max(-2.0, signed / item.target)))
    return 0.0


@dataclass
class SearchOutcome:
    chain: ToolChain
    actions: list[Action]
    steps: list[Step]
    verdict: Verdict
    decisions: list[Decision] = field(default_factory=list)
    evaluations: int = 0


ChoiceFn = Callable[[ChecklistItem, float], list[tuple[Template, float]] | None]
"""The order of (template, multiplier) choices to try for an item at its current progress
(:func:`progress_of`; ``None``: the default order)."""


def _item_open(verdict: Verdict, item_id: str) -> bool:
    for iv in verdict.items:
        if iv.id == item_id:
            return bool(iv.applicable and not iv.satisfied)
    return False


def _item_applicable(verdict: Verdict, item_id: str) -> bool:
    return any(iv.id == item_id and iv.applicable for iv in verdict.items)


def move_steps(acts: Sequence[Action], before: Verdict, after: Verdict, item_id: str | None = None
               ) -> list[Step]:
    """The steps of one move (its actions applied together, judged once): the first action carries the
    scores before the move, each later one (e.g. a protecting counter-move, its own step so it can be
    switched off) the move's own; all end at the move's scores. ``item_id`` overrides the actions' own."""
    return [Step(item_id if item_id is not None else a.item_id, a.tool, a.region, dict(a.params),
                 before.adherence if k == 0 else after.adherence, after.adherence,
                 before.reward if k == 0 else after.reward, after.reward) for k, a in enumerate(acts)]


def best_start(evaluate: Evaluator, chain: ToolChain, starts: Sequence[list[Action]] = ()
               ) -> tuple[ToolChain, list[Action], list[Step], Verdict]:
    """The best starting point by the judge's reward: ``chain`` or ``chain`` with one of ``starts`` (each a
    list of actions) applied; returns (chain, its actions, their steps, its verdict)."""
    verdict = evaluate(chain)
    actions: list[Action] = []
    steps: list[Step] = []
    for acts in starts:
        try:
            alt = apply_actions(chain, acts)
        except ValueError:
            continue
        v = evaluate(alt)
        if acts and v.reward > verdict.reward + MIN_GAIN:
            steps = [Step(a.item_id, a.tool, a.region, dict(a.params), verdict.adherence, v.adherence,
                          verdict.reward, v.reward) for a in acts]
            actions, chain, verdict = list(acts), alt, v
    return chain, actions, steps, verdict


def search(evaluate: Evaluator, checklist: Checklist, start: ToolChain | None = None, *, budget: int = 8,
           passes: int = 2, choices: ChoiceFn | None = None,
           starts: Sequence[list[Action]] = (),
           extra: Callable[[ChecklistItem], list[Candidate]] | None = None,
           progress: Callable[[str, float], None] | None = None) -> SearchOutcome:
    """Greedy best-of-``budget`` search per item (see the module docstring).

    ``starts``: other starting points, each a list of actions (e.g. the single-shot student's look as
    :func:`~vibegrade.agent.actions.chain_actions`); the search starts from the one with the highest reward
    (the empty chain included). ``extra``: more candidates per item (e.g. the student's answer to the item's
    words, :func:`~vibegrade.agent.actions.student_candidates`), tried after the budgeted ones."""
    chain, actions, steps, verdict = best_start(evaluate, start if start is not None else ToolChain(), starts)
    decisions: list[Decision] = []
    items = sorted((i for i in checklist.feasible if i.direction != "keep"), key=lambda i: -i.weight)
    keeps = keep_regions(checklist.items)
    total = max(1, len(items) * passes)
    done = 0
    for p in range(passes):
        for item in items:
            done += 1
            if progress is not None:
                progress(f"pass {p + 1}: {item.id}", done / total)
            if not (_item_open(verdict, item.id) if p else _item_applicable(verdict, item.id)):
                continue
            best: tuple[float, Candidate, ToolChain, Verdict] | None = None
            order = choices(item, progress_of(verdict, item)) if choices is not None else None
            pool = candidates(item, budget, order) + (extra(item) if extra is not None else [])
            # a global move is also tried with the kept regions held where they were
            pool += [c for c in (protected(c, keeps) for c in pool) if c is not None]
            for cand in pool:
                try:
                    nxt = apply_actions(chain, list(cand.actions))
                except ValueError:
                    continue  # e.g. no room for another regional edit
                v = evaluate(nxt)
                if best is None or v.reward > best[0]:
                    best = (v.reward, cand, nxt, v)
            now = progress_of(verdict, item)
            if best is None or best[0] <= verdict.reward + MIN_GAIN:
                decisions.append(Decision(item, p, None, 0.0, 0.0, now))
                continue
            _, cand, chain, v = best
            steps.extend(move_steps(cand.actions, verdict, v, item.id))
            decisions.append(Decision(item, p, cand.template, cand.multiplier, v.reward - verdict.reward,
                                      now))
            actions.extend(cand.actions)
            verdict = v
    return SearchOutcome(chain, actions, steps, verdict, decisions, evaluate.calls)
