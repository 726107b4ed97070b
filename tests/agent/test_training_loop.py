"""The learning-from-experience loop end to end on a small corpus: search on (photo, request) pairs, keep
high-reward trajectories, train the policy, find what the search cannot satisfy, refine the planner."""

from __future__ import annotations

import pytest

from tests.conftest import SHARED_PHOTOS
from vibegrade.agent.checklist import parse_checklist
from vibegrade.agent.planner import PlanRow, fit_planner, lexical
from vibegrade.agent.policy import train_policy
from vibegrade.agent.training import (
    PhotoBank,
    make_pairs,
    policy_examples,
    run_search,
    satisfaction_by_signature,
    unworkable_signatures,
)


def it(id_, region, prop, direction, size="moderate"):
    return {"id": id_, "text": id_, "region": region, "property": prop, "direction": direction, "size": size}


ROWS = [
    PlanRow("t-0001", "cold", "cold and blue",
            parse_checklist({"items": [it("c", "global", "warmth", "decrease")]})),
    PlanRow("t-0002", "sky", "dramatic sky", parse_checklist({"items": [
        it("s", "sky", "contrast", "increase"), it("d", "sky", "luminance", "decrease", "slight")]})),
    # fewer crushed shadows on photos that have none: nothing can meet it
    PlanRow("t-0003", "uncrush", "uncrush the blacks, warmer", parse_checklist({"items": [
        it("b", "shadows", "clipping", "decrease", "strong"), it("w", "global", "warmth", "increase")]})),
]


def test_the_loop_runs_end_to_end_on_a_small_corpus() -> None:
    photos = ["red_barn_pond_sky.jpg", "coast_lighthouse_sky.jpg"]
    if not all((SHARED_PHOTOS / p).is_file() for p in photos):
        pytest.skip("shared photos missing")
    bank = PhotoBank(SHARED_PHOTOS)
    pairs = make_pairs(photos, ROWS, 6)
    assert {p.photo for p in pairs} == set(photos) and {p.row.id for p in pairs} == {r.id for r in ROWS}
    records = run_search(bank, pairs, budget=4, passes=2)
    assert all(len(r.features) == len(r.outcome.decisions) for r in records)
    assert all(r.outcome.verdict.reward >= 0 for r in records)
    kept = policy_examples(records, min_satisfied=0.5)
    everything = policy_examples(records, min_satisfied=0.0)
    assert 0 < len(kept) < len(everything)  # reward filtering dropped the trajectories that failed
    policy = train_policy(kept, steps=150)
    assert policy.meta["examples"] == len(kept)
    stats = satisfaction_by_signature(records)
    assert stats["global:warmth:decrease"][1] >= 1  # met at least once
    drop = unworkable_signatures(stats, min_seen=2, max_rate=0.1)
    assert "shadows:clipping:decrease" in drop and "global:warmth:decrease" not in drop

    def embed(texts):
        return lexical(texts, 128)

    refined = fit_planner(ROWS, embed([r.request for r in ROWS]), embed, ridge=0.3, mix=0.5, k=2,
                          threshold=0.3, lexical_weight=1.0, min_count=1, drop=drop)
    assert "shadows:clipping:decrease" not in refined.signatures
    assert all(i.property != "clipping" for i in refined.plan("uncrush the blacks, warmer").items)
