"""The checklist model and the orchestrator's actions."""

from __future__ import annotations

import pytest

from vibegrade.agent.actions import (
    Action,
    Template,
    action_for,
    apply_action,
    apply_actions,
    candidates,
    templates,
)
from vibegrade.agent.checklist import ChecklistItem, parse_checklist
from vibegrade.schema import ToolChain


def item(**kw) -> ChecklistItem:
    base = {"id": "x", "text": "t", "region": "global", "property": "warmth", "direction": "increase"}
    return ChecklistItem.model_validate({**base, **kw})


@pytest.mark.parametrize("bad, message", [
    ({"items": []}, "at least 1"),
    ({"items": [{"id": "a", "text": "t", "region": "skies", "property": "warmth", "direction": "increase"}]},
     "unknown region 'skies'"),
    ({"items": [{"id": "a", "text": "t", "region": "sky", "property": "content", "direction": "increase"}]},
     "never feasible"),
    ({"items": [{"id": "a", "text": "t", "region": "sky", "property": "content", "direction": "increase",
                 "feasible": False}]}, "needs a reason"),
    ({"items": [{"id": "a", "text": "t", "region": "sky", "property": "color", "direction": "increase"}]},
     "only checked as kept"),
    ({"items": [{"id": "a", "text": "t", "region": "sky", "property": "warmth", "direction": "up"}]},
     "items.0.direction"),
    ({"items": [{"id": "a", "text": "t", "region": "sky", "property": "warmth",
                 "direction": "increase"}] * 2},
     "repeated: a"),
])
def test_invalid_checklists_are_rejected_with_a_message(bad, message) -> None:
    with pytest.raises(ValueError, match=message):
        parse_checklist(bad)


def test_checklist_round_trips_and_splits_feasible() -> None:
    text = ('{"items": [{"id": "cool", "text": "cooler", "region": "global", "property": "warmth", '
            '"direction": "decrease"}, {"id": "snow", "text": "add snow", "region": "global", '
            '"property": "content", "direction": "increase", "feasible": false, "reason": "cannot add"}]}')
    cl = parse_checklist(text)
    assert [i.id for i in cl.feasible] == ["cool"] and [i.id for i in cl.infeasible] == ["snow"]
    assert parse_checklist(cl.to_json()) == cl
    assert cl.items[0].target == 6.0  # warmth, moderate
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_checklist("{nope")


def test_actions_add_clamp_and_merge() -> None:
    c = apply_action(ToolChain(), Action("adjust", "global", {"temperature": 30}))
    c = apply_action(c, Action("adjust", "global", {"temperature": 90}))
    assert c.adjust.temperature == 100
    c = apply_action(c, Action("regional", "sky", {"exposure": -20}))
    c = apply_action(c, Action("regional", "sky", {"exposure": -10, "saturation": 15}))
    c = apply_action(c, Action("regional", "faces", {"exposure": 10}))
    assert [(e.region, e.adjust.exposure) for e in c.regional] == [("sky", -30), ("faces", 10)]
    c = apply_action(c, Action("selective_adjust", "blue", {"saturation": 40}))
    assert c.selective_adjust.blue.saturation == 40
    c = apply_action(c, Action("filter", "global", {"name": "winter", "intensity": 40}))
    assert c.filter.name == "winter"
    with pytest.raises(ValueError, match="cannot set hue"):
        apply_action(c, Action("regional", "sky", {"hue": 10}))
    with pytest.raises(ValueError, match="unknown region"):
        apply_action(c, Action("regional", "moon", {"exposure": 10}))
    with pytest.raises(ValueError, match="at most 8"):
        apply_actions(ToolChain(), [Action("regional", r, {"exposure": 5}) for r in
                                    ("sky", "faces", "skin", "top", "bottom", "edges", "center", "subject",
                                     "background")])


def test_templates_and_candidates_follow_the_item() -> None:
    sky_cooler = item(region="sky", direction="decrease")
    ts = templates(sky_cooler)
    assert ts == [Template("temperature", "region"), Template("temperature", "global")]
    a = action_for(sky_cooler, ts[0])
    assert a.tool == "regional" and a.region == "sky" and a.params == {"temperature": -75}
    strong = action_for(item(region="sky", direction="decrease", size="strong"), ts[0])
    slight = action_for(item(region="sky", direction="decrease", size="slight"), ts[0])
    sizes = [abs(x.params["temperature"]) for x in (slight, a, strong)]
    assert sizes == sorted(sizes) and len(set(sizes)) == 3
    # colour families go to selective_adjust for saturation
    greens = action_for(item(region="greens", property="saturation"), Template("saturation", "region"))
    assert greens.tool == "selective_adjust" and greens.region == "green" and greens.params["saturation"] > 0
    # keep and infeasible items do not act
    assert templates(item(region="skin", property="color", direction="keep")) == []
    assert templates(item(property="content", feasible=False, reason="no")) == []
    cands = candidates(sky_cooler, 5)
    # both templates at the first-guess strength, then both at 1.75x, then the first at 0.5x
    assert [(c.template.scope, c.multiplier) for c in cands] == [
        ("region", 1.0), ("global", 1.0), ("region", 1.75), ("global", 1.75), ("region", 0.5)]
    assert len({repr(c.action.to_dict()) for c in cands}) == len(cands)
    # 2 templates x 4 strengths, but 1.75x and 3x of -75 both clamp to -100
    assert len(candidates(sky_cooler, 100)) == 6
    assert all(c.action.params["temperature"] < 0 for c in cands)


def test_a_chain_decomposes_into_actions_that_rebuild_it() -> None:
    from vibegrade.agent.actions import chain_actions
    from vibegrade.schema import parse_chain

    c = parse_chain({"adjust": {"exposure": 10, "temperature": -20},
                     "selective_adjust": {"blue": {"saturation": 30}},
                     "regional": [{"region": "sky", "adjust": {"contrast": 15}}],
                     "filter": {"name": "winter", "intensity": 40}})
    acts = chain_actions(c)
    assert [a.tool for a in acts] == ["adjust", "selective_adjust", "regional", "filter"]
    assert apply_actions(ToolChain(), acts) == c
    assert chain_actions(ToolChain()) == []


def test_student_candidates_take_the_students_amount_the_asked_way() -> None:
    from vibegrade.agent.actions import student_candidates
    from vibegrade.schema import parse_chain

    cooler_sky = item(region="sky", direction="decrease")
    cands = student_candidates(cooler_sky, parse_chain({"adjust": {"temperature": -35}}))
    assert [(c.action.tool, c.action.region, c.action.params) for c in cands] == [
        ("regional", "sky", {"temperature": -35}), ("adjust", "global", {"temperature": -35})]
    # an answer that moves the other way, or not at all, gives nothing
    assert student_candidates(cooler_sky, parse_chain({"adjust": {"temperature": 30}})) == []
    assert student_candidates(cooler_sky, ToolChain()) == []
    greens = item(region="greens", property="saturation")
    answer = parse_chain({"selective_adjust": {"green": {"saturation": 45}}})
    (sel, *_rest) = student_candidates(greens, answer)
    assert sel.action.tool == "selective_adjust" and sel.action.params == {"saturation": 45}
