"""Search, the learned policy and whole agent runs on a real photo (small proxy, masks from compute_masks)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import shared_photo
from vibegrade.agent.actions import Action, apply_actions, chain_actions
from vibegrade.agent.checklist import parse_checklist
from vibegrade.agent.planner import PlanRow
from vibegrade.agent.policy import Policy, train_policy
from vibegrade.agent.run import policy_loop, proxy_of, run_agent
from vibegrade.agent.search import Evaluator, search
from vibegrade.agent.training import Pair, PhotoBank, policy_examples, relabel, run_search
from vibegrade.schema import ToolChain, parse_chain
from vibegrade.tools.regions import compute_masks

DRAMATIC_SKY = parse_checklist({"items": [
    {"id": "sky_cool", "text": "cooler sky", "region": "sky", "property": "warmth", "direction": "decrease"},
    {"id": "sky_deep", "text": "deeper sky", "region": "sky", "property": "luminance",
     "direction": "decrease",
     "size": "slight"},
    {"id": "barn_kept", "text": "the rest stays", "region": "background", "property": "color",
     "direction": "keep", "weight": 0.5},
    {"id": "birds", "text": "add birds", "region": "global", "property": "content", "direction": "increase",
     "feasible": False, "reason": "colour tools cannot add birds"}]})


class FakeStudent:
    """The single-shot baseline: always the same global look."""

    def predict(self, intents):
        return [parse_chain({"adjust": {"contrast": 20, "saturation": 15}}) for _ in intents]


@pytest.fixture(scope="module")
def barn():
    img = proxy_of(shared_photo("red_barn_pond_sky.jpg"), 192)
    masks = compute_masks(img)
    return img, masks


def test_search_meets_a_regional_checklist_with_regional_edits(barn) -> None:
    img, masks = barn
    ev = Evaluator(img, masks, DRAMATIC_SKY)
    start = ev(ToolChain())
    out = search(ev, DRAMATIC_SKY, budget=8, passes=2)
    assert out.verdict.reward > start.reward + 0.3
    assert out.verdict.checklist_satisfied >= 0.66
    assert any(s.tool == "regional" and s.region == "sky" for s in out.steps)
    # each kept step raised the reward, and the trajectory is what the chain replays
    assert all(s.reward_after > s.reward_before for s in out.steps)
    assert [d.item.id for d in out.decisions if d.pass_index == 0] == ["sky_cool", "sky_deep"]
    infeasible = next(iv for iv in out.verdict.items if iv.id == "birds")
    assert not infeasible.feasible and infeasible.score is None


def test_policy_learns_from_search_and_acts_without_search(barn, tmp_path) -> None:
    img, masks = barn
    bank = PhotoBank(".")
    bank._cache["barn"] = (img, masks)  # the photo bank of this test: one photo, already prepared
    rows = [PlanRow(f"t-{i:04d}", "sky", "dramatic sky", DRAMATIC_SKY) for i in range(3)]
    records = run_search(bank, [Pair("barn", r) for r in rows], budget=6)
    examples = policy_examples(records, min_satisfied=0.0)
    assert len(examples) >= 3
    policy = train_policy(examples, steps=200)
    policy.save(tmp_path / "pol")
    again = Policy.load(tmp_path / "pol")
    assert np.allclose(again.W, policy.W, atol=1e-4)
    ev = Evaluator(img, masks, DRAMATIC_SKY)
    item = DRAMATIC_SKY.items[0]
    # having seen the search cool the sky, the policy cools it too
    action = policy.decide(item, ev.scene)
    assert action is not None and action.params.get("temperature", 0) < 0
    res = run_agent(img, "dramatic sky", checklist=DRAMATIC_SKY, masks=masks, mode="policy", policy=policy,
                    student=FakeStudent())
    assert res.verdict.reward > res.baseline_verdict.reward
    # relabelling: the search's choice at each state the policy reaches by itself, from the student's look
    again_examples = relabel(bank, [Pair("barn", rows[0])], policy, budget=6, student=FakeStudent())
    assert again_examples and all(e.valid[e.choice] for e in again_examples)
    assert {e.features.shape for e in again_examples} == {examples[0].features.shape}
    refitted = train_policy(again_examples, steps=100)
    assert refitted.decide(item, ev.scene) is not None
    (tmp_path / "pol" / "config.json").write_text('{"kind": "x"}')
    with pytest.raises(ValueError, match="not a policy"):
        Policy.load(tmp_path / "pol")


class WrongWayPolicy:
    """A policy that answers every item by warming and brightening its region: the wrong way here."""

    def decide(self, item, scene, progress=0.0):
        exposure = 30 if "cool" in item.id else 20
        return Action("regional", item.region, {"temperature": 40, "exposure": exposure}, item.id)


def test_the_policy_keeps_a_choice_only_when_the_judge_reward_rises(barn) -> None:
    img, masks = barn
    student_look = chain_actions(FakeStudent().predict(["x"])[0], "student")
    ev = Evaluator(img, masks, DRAMATIC_SKY)
    kept = policy_loop(WrongWayPolicy(), ev, DRAMATIC_SKY, starts=[student_look])  # type: ignore[arg-type]
    chain, actions, steps, verdict = kept
    # the two starts and the two first-pass choices were judged; turned down, they cost nothing again
    assert ev.calls == 4
    empty, start = ev(ToolChain()), ev(apply_actions(ToolChain(), student_look))
    # it starts where the search starts (the student's look, when that beats the untouched photo) ...
    best = start if start.reward > empty.reward else empty
    assert verdict.reward == pytest.approx(best.reward)
    # ... and none of the wrong-way moves survives; each was tried once, not again in the second pass
    assert all(a.item_id not in ("sky_cool", "sky_deep") for a in actions) and chain.regional == ()
    blind = policy_loop(WrongWayPolicy(), Evaluator(img, masks, DRAMATIC_SKY), DRAMATIC_SKY,  # type: ignore[arg-type]
                         verify=False)
    assert blind[3].reward < empty.reward and blind[0].regional


@pytest.mark.parametrize("mode", ["rules", "search"])
def test_a_run_writes_the_trace_the_issue_names(barn, mode) -> None:
    img, masks = barn
    res = run_agent(img, "dramatic sky, add birds", checklist=DRAMATIC_SKY, masks=masks, mode=mode, budget=4,
                    student=FakeStudent())
    trace = json.loads(json.dumps(res.trace()))
    assert trace["request"] == "dramatic sky, add birds"
    assert {"id", "text", "region", "feasible"} <= set(trace["checklist"][0])
    assert any(not c["feasible"] and c["reason"] for c in trace["checklist"])
    keys = {"tool", "region", "params", "score_before", "score_after"}
    assert trace["steps"] and keys <= set(trace["steps"][0])
    assert 0.0 <= trace["final"]["checklist_satisfied"] <= 1.0 and "reward" in trace["final"]["judge"]
    assert "checklist_satisfied" in trace["baseline"]["single_shot"]
    assert ToolChain.model_validate(trace["chain"]) == res.chain
    # switching every step off gives back the untouched picture's chain; switching none, the result
    assert res.chain_without(range(len(res.actions))) == ToolChain()
    assert res.chain_without([]) == res.chain
    with pytest.raises(ValueError, match="no step 99"):
        res.chain_without([99])


@pytest.mark.parametrize("kwargs, message", [
    ({"request": " "}, "empty"),
    ({"request": "x" * 501}, "longer than 500"),
    ({"budget": 0}, "budget"),
    ({"mode": "magic"}, "unknown mode"),
    ({"mode": "policy"}, "needs a trained policy"),
])
def test_bad_arguments_are_clear_errors(barn, kwargs, message) -> None:
    img, masks = barn
    args = {"request": "dramatic sky", "checklist": DRAMATIC_SKY, "masks": masks, "student": FakeStudent(),
            "policy": None, **kwargs}
    with pytest.raises(ValueError, match=message):
        run_agent(img, **args)
    with pytest.raises(ValueError, match="RGB image"):
        run_agent(img[..., 0], "x", checklist=DRAMATIC_SKY, student=FakeStudent())
