"""The offline planner: fitted on a few authored rows with a stand-in encoder (hashed words), it returns
valid checklists, reports infeasible parts, resolves contradictions, and saves and loads."""

from __future__ import annotations

import numpy as np
import pytest

from vibegrade.agent.checklist import parse_checklist
from vibegrade.agent.planner import INFEASIBLE, OfflinePlanner, PlanRow, fit_planner, lexical, signature_of


def embed(texts):
    return lexical(texts, 256)


def row(i: int, concept: str, request: str, *items) -> PlanRow:
    return PlanRow(f"t-{i:04d}", concept, request, parse_checklist({"items": list(items)}))


def it(id_, region, prop, direction, size="moderate", **kw):
    return {"id": id_, "text": id_, "region": region, "property": prop, "direction": direction, "size": size, **kw}


SNOW = it("snow", "global", "content", "increase", feasible=False, reason="colour tools cannot add snow")
ROWS = [
    row(1, "warm", "make it warmer", it("w", "global", "warmth", "increase")),
    row(2, "warm", "warmer please", it("w", "global", "warmth", "increase")),
    row(3, "warm", "warm it up", it("w", "global", "warmth", "increase")),
    row(4, "cold", "make it colder", it("c", "global", "warmth", "decrease", "strong")),
    row(5, "cold", "colder and icy", it("c", "global", "warmth", "decrease", "strong")),
    row(6, "sky", "dramatic sky", it("s", "sky", "contrast", "increase"), it("d", "sky", "luminance", "decrease")),
    row(7, "sky", "make the sky dramatic", it("s", "sky", "contrast", "increase"),
        it("d", "sky", "luminance", "decrease")),
    row(8, "snow", "cold with falling snow", it("c", "global", "warmth", "decrease", "strong"), SNOW),
    row(9, "snow", "add snow and make it cold", it("c", "global", "warmth", "decrease", "strong"), SNOW),
]


@pytest.fixture(scope="module")
def planner() -> OfflinePlanner:
    return fit_planner(ROWS, embed([r.request for r in ROWS]), embed, ridge=0.3, mix=0.5, k=3, threshold=0.35,
                       lexical_weight=1.0)


def sigs(cl) -> set[str]:
    return {signature_of(i) for i in cl.items}


def test_plans_follow_the_taught_requests(planner) -> None:
    assert sigs(planner.plan("warmer")) == {"global:warmth:increase"}
    assert sigs(planner.plan("the sky should be dramatic")) == {"sky:contrast:increase", "sky:luminance:decrease"}
    cold = planner.plan("icy and colder")
    assert sigs(cold) == {"global:warmth:decrease"} and cold.items[0].size == "strong"


def test_infeasible_parts_are_reported_with_the_nearest_reason(planner) -> None:
    cl = planner.plan("add falling snow, cold")
    assert INFEASIBLE in sigs(cl)
    snow = next(i for i in cl.items if not i.feasible)
    assert snow.reason == "colour tools cannot add snow"


def test_every_plan_is_valid_has_an_item_and_never_contradicts(planner) -> None:
    for text in ("", "zzz qqq", "warmer and colder", "dramatic warm cold snow sky"):
        cl = planner.plan(text)
        assert 1 <= len(cl.items) <= 6
        seen = {(i.region, i.property) for i in cl.feasible}
        assert len(seen) == len(cl.feasible)  # one direction per region and property
        assert parse_checklist(cl.to_json()) == cl


def test_dropped_signatures_are_never_planned() -> None:
    p = fit_planner(ROWS, embed([r.request for r in ROWS]), embed, ridge=0.3, mix=0.5, k=3, threshold=0.35,
                    lexical_weight=1.0, drop=["sky:luminance:decrease"])
    assert sigs(p.plan("make the sky dramatic")) == {"sky:contrast:increase"}
    assert "sky:luminance:decrease" not in p.signatures


def test_save_and_load_round_trip(planner, tmp_path) -> None:
    planner.save(tmp_path / "p")
    again = OfflinePlanner.load(tmp_path / "p", embed)
    for text in ("warmer", "dramatic sky", "snow"):
        assert again.plan(text) == planner.plan(text)
    e = embed(["warmer"])
    assert np.allclose(again.scores(e, ["warmer"]), planner.scores(e, ["warmer"]), atol=1e-2)
    (tmp_path / "p" / "config.json").write_text('{"kind": "other"}')
    with pytest.raises(ValueError, match="not an offline planner"):
        OfflinePlanner.load(tmp_path / "p", embed)
    with pytest.raises(ValueError, match="not a planner folder"):
        OfflinePlanner.load(tmp_path / "missing", embed)
