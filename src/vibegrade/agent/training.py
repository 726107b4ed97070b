"""Learning from experience: the pieces of the agent's training recipe (``scripts/agent/experiments.py``).

1. :func:`~vibegrade.agent.planner.concept_split` -- authored requests split by meaning (no concept on
   both sides), seeded.
2. :class:`PhotoBank` -- each photo's proxy and region masks, computed once from the original.
3. :func:`make_pairs` -- a corpus of (photo, request) pairs.
4. :func:`run_search` -- the judge-guided search on every pair with the authored checklist: its decisions
   are the trajectories; :func:`policy_examples` keeps those of high-reward trajectories (expert
   iteration) as training examples of :mod:`vibegrade.agent.policy`. :func:`relabel` then lets the trained
   policy act on the pairs itself and asks the search, at every state the policy reaches, what it would
   do there (DAgger, Ross et al. 2011): the policy learns to recover from its own mistakes, which the
   search's trajectories never show it.
5. :func:`satisfaction_by_signature` -- which kinds of checklist items the search could satisfy where they
   applied: the planner is refined by dropping the kinds it never could (:func:`unworkable_signatures`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageOps

from vibegrade.agent.actions import chain_actions
from vibegrade.agent.checklist import Checklist, ChecklistItem
from vibegrade.agent.judge import Verdict
from vibegrade.agent.planner import PlanRow, signature_of
from vibegrade.agent.policy import CHOICES, Policy, PolicyExample, choice_key, item_features, valid_choices
from vibegrade.agent.run import policy_loop, proxy_of
from vibegrade.agent.search import Evaluator, SearchOutcome, progress_of, search
from vibegrade.schema import REGION_NAMES, ToolChain
from vibegrade.tools.regions import compute_masks

__all__ = ["PhotoBank", "Pair", "make_pairs", "SearchRecord", "run_search", "policy_examples", "relabel",
           "satisfaction_by_signature", "unworkable_signatures"]


def _order(seed: int, key: str) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


class PhotoBank:
    """Proxies and masks of photos in a folder, computed once per photo (masks from the original)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._cache: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]] = {}

    def load(self, name: str) -> np.ndarray:
        with Image.open(self.folder / name) as im:
            return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))

    def get(self, name: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        if name not in self._cache:
            full = self.load(name)
            masks = compute_masks(full, REGION_NAMES)
            proxy = proxy_of(full)
            h, w = proxy.shape[:2]
            self._cache[name] = (proxy, {k: cv2.resize(m, (w, h), interpolation=cv2.INTER_AREA)
                                         for k, m in masks.items()})
        return self._cache[name]


@dataclass(frozen=True)
class Pair:
    photo: str
    row: PlanRow


def make_pairs(photos: Sequence[str], rows: Sequence[PlanRow], n: int, seed: int = 5) -> list[Pair]:
    """``n`` (photo, request) pairs: rows and photos in seeded orders, cycled, so every row and photo is
    used about equally often."""
    rows_o = sorted(rows, key=lambda r: _order(seed, r.id))
    photos_o = sorted(photos, key=lambda p: _order(seed + 1, p))
    return [Pair(photos_o[i % len(photos_o)], rows_o[i % len(rows_o)]) for i in range(n)]


@dataclass
class SearchRecord:
    """One searched pair: its outcome and, per decision, the policy's features at the time of it (the
    evaluator and its scene are not kept: hundreds of scenes would not fit in memory)."""

    pair: Pair
    outcome: SearchOutcome
    features: list[np.ndarray]


def run_search(bank: PhotoBank, pairs: Sequence[Pair], *, budget: int = 8, passes: int = 2,
               progress: Callable[[int, int], None] | None = None) -> list[SearchRecord]:
    """The judge-guided search on every pair, with each row's authored checklist."""
    out = []
    for i, pair in enumerate(pairs):
        proxy, masks = bank.get(pair.photo)
        ev = Evaluator(proxy, masks, pair.row.checklist)
        outcome = search(ev, pair.row.checklist, budget=budget, passes=passes)
        feats = [item_features(d.item, ev.scene, d.progress) for d in outcome.decisions]
        out.append(SearchRecord(pair, outcome, feats))
        if progress is not None:
            progress(i + 1, len(pairs))
    return out


def policy_examples(records: Sequence[SearchRecord], min_satisfied: float = 0.5) -> list[PolicyExample]:
    """The decisions (both passes, with the item's progress at the time) of the trajectories whose final
    checklist satisfaction is at least ``min_satisfied`` (reward filtering), each weighted by one plus its
    reward gain."""
    index = {c: i for i, c in enumerate(CHOICES)}
    out = []
    for rec in records:
        if rec.outcome.verdict.checklist_satisfied < min_satisfied:
            continue
        for d, feats in zip(rec.outcome.decisions, rec.features):
            out.append(PolicyExample(feats, valid_choices(d.item),
                                     index[choice_key(d.template, d.multiplier)], 1.0 + max(0.0, d.gain)))
    return out


def _ask_the_search(ev: Evaluator, keeps: tuple[ChecklistItem, ...], budget: int, out: list[PolicyExample]
                    ) -> Callable[[ChecklistItem, ToolChain, Verdict], None]:
    """An observer for :func:`~vibegrade.agent.run.policy_loop` that appends the search's choice at each
    state the policy reaches to ``out``."""
    index = {c: i for i, c in enumerate(CHOICES)}

    def observe(item: ChecklistItem, chain: ToolChain, verdict: Verdict) -> None:
        expert = search(ev, Checklist(items=(item, *keeps)), start=chain, budget=budget, passes=1)
        if not expert.decisions:
            return
        d = expert.decisions[0]
        feats = item_features(item, ev.scene, progress_of(verdict, item))
        out.append(PolicyExample(feats, valid_choices(item), index[choice_key(d.template, d.multiplier)],
                                 1.0 + max(0.0, d.gain)))

    return observe


def relabel(bank: PhotoBank, pairs: Sequence[Pair], policy: Policy, *, budget: int = 8, passes: int = 2,
            student: Any = None, progress: Callable[[int, int], None] | None = None
            ) -> list[PolicyExample]:
    """The states the policy reaches by itself (:func:`~vibegrade.agent.run.policy_loop` on each pair's
    authored checklist, from the student's look when ``student`` is given and it helps), each labelled with
    the search's choice for the item there (one pass of ``budget`` candidates from that chain; "do nothing"
    when none raises the reward), weighted like :func:`policy_examples`."""
    out: list[PolicyExample] = []
    # the student's look for every request, in one batch
    looks = [] if student is None else student.predict([p.row.request for p in pairs])
    for n, pair in enumerate(pairs):
        proxy, masks = bank.get(pair.photo)
        checklist = pair.row.checklist
        ev = Evaluator(proxy, masks, checklist)
        observe = _ask_the_search(ev, tuple(i for i in checklist.items if i.direction == "keep"), budget, out)
        starts = [chain_actions(looks[n], "student")] if looks else []
        policy_loop(policy, ev, checklist, passes=passes, starts=starts, observe=observe)
        if progress is not None:
            progress(n + 1, len(pairs))
    return out


def satisfaction_by_signature(records: Sequence[SearchRecord]) -> dict[str, tuple[int, int]]:
    """{signature: (times applicable, times satisfied)} over the searched pairs."""
    stats: dict[str, list[int]] = {}
    for rec in records:
        items = {i.id: i for i in rec.pair.row.checklist.items}
        for iv in rec.outcome.verdict.items:
            item = items.get(iv.id)
            if item is None or not item.feasible or item.direction == "keep" or not iv.applicable:
                continue
            s = stats.setdefault(signature_of(item), [0, 0])
            s[0] += 1
            s[1] += int(bool(iv.satisfied))
    return {k: (v[0], v[1]) for k, v in stats.items()}


def unworkable_signatures(stats: dict[str, tuple[int, int]], min_seen: int = 5, max_rate: float = 0.1
                          ) -> list[str]:
    """Signatures applicable at least ``min_seen`` times that the search satisfied at most ``max_rate`` of
    the time: the refined planner stops promising them."""
    return sorted(s for s, (n, k) in stats.items() if n >= min_seen and k / n <= max_rate)
