"""The teacher planner against a scripted OpenAI-compatible server: the prompt, the parsed checklist and
the fallback."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.replay import ReplayServer
from vibegrade.agent.checklist import Checklist, ChecklistItem
from vibegrade.agent.plan_prompt import PlanAnswerError, parse_plan_answer, plan_messages
from vibegrade.agent.planner import TeacherPlanner
from vibegrade.llm.client import ClientConfig, TeacherError

ANSWER = ('Winter mornings are cold and blue; faces should not turn blue.\n'
          'JSON: {"items": [{"id": "cool", "text": "cooler light", "region": "global", "property": "warmth", '
          '"direction": "decrease", "size": "moderate", "weight": 1}, {"id": "faces", "text": "faces stay", '
          '"region": "faces", "property": "color", "direction": "keep"}, {"id": "snow", "text": "add snow", '
          '"region": "global", "property": "content", "direction": "increase", "feasible": false, '
          '"reason": "colour tools cannot add snow"}]}')


def _config(url: str) -> ClientConfig:
    return ClientConfig(model="t", base_url=url, api_key="sk", timeout=2.0, max_retries=1, backoff_base=0.01,
                        backoff_max=0.05, cache_dir=None)


class Fallback:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def plan(self, request: str) -> Checklist:
        self.calls.append(request)
        return Checklist(items=(ChecklistItem(id="f", text="f", region="global", property="warmth",
                                              direction="increase"),))


def test_the_prompt_names_every_region_and_property_and_the_answer_parses() -> None:
    msgs = plan_messages("cold winter morning but keep the faces warm", {"mean_L": 52.0},
                         "data:image/png;base64,AAAA")
    system = msgs[0]["content"]
    for word in ("faces", "sky", "edges", "clipping", "feasible", "JSON:"):
        assert word in system
    assert msgs[1]["content"][1]["image_url"]["url"].startswith("data:image/png")
    cl, why = parse_plan_answer(ANSWER)
    assert [i.id for i in cl.items] == ["cool", "faces", "snow"] and not cl.items[2].feasible
    assert why.startswith("Winter mornings")
    for bad in ("", "no json here", 'JSON: {"items": [{"id": "a"}]}', "JSON: {oops}"):
        with pytest.raises(PlanAnswerError):
            parse_plan_answer(bad)


def test_teacher_planner_asks_and_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIBEGRADE_CACHE_DIR", "/nonexistent-cache")
    seen: list[list[dict[str, Any]]] = []

    def respond(messages: list[dict[str, Any]]) -> str:
        seen.append(messages)
        return ANSWER

    with ReplayServer(fallback=None, responder=respond) as srv:
        cl = TeacherPlanner(_config(srv.base_url)).plan("cold winter morning but keep the faces warm")
    assert [i.region for i in cl.items] == ["global", "faces", "global"]
    assert "Goal: cold winter morning" in seen[0][-1]["content"]
    with ReplayServer(fallback=None, responder=lambda m: "I cannot help with that.") as srv:
        fb = Fallback()
        assert TeacherPlanner(_config(srv.base_url), fallback=fb).plan("warmer").items[0].id == "f"
        assert fb.calls == ["warmer"]
        with pytest.raises(TeacherError):
            TeacherPlanner(_config(srv.base_url)).plan("warmer")


def test_the_agent_gives_the_teacher_the_photos_statistics_and_image(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from vibegrade.agent.run import run_agent
    from vibegrade.schema import ToolChain

    class Student:
        def predict(self, intents):
            return [ToolChain() for _ in intents]

    monkeypatch.setenv("VIBEGRADE_CACHE_DIR", "/nonexistent-cache")
    seen: list[list[dict[str, Any]]] = []

    def respond(messages: list[dict[str, Any]]) -> str:
        seen.append(messages)
        return ANSWER

    img = np.full((48, 64, 3), 120, np.uint8)
    img[:16] = (90, 140, 220)
    with ReplayServer(fallback=None, responder=respond) as srv:
        planner = TeacherPlanner(_config(srv.base_url), send_image=True)
        res = run_agent(img, "cold winter morning", planner=planner, student=Student(), mode="rules")
    user = seen[0][-1]["content"]
    assert "Photo statistics: mean_L" in user[0]["text"]
    assert user[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert [i.id for i in res.checklist.items] == ["cool", "faces", "snow"]
