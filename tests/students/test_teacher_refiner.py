"""TeacherRefiner against a scripted OpenAI-compatible server: the prompt it sends, the parsed answer, and
the fallback when the teacher's answer is unusable."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.replay import ReplayServer
from vibegrade.llm.client import ClientConfig, TeacherError
from vibegrade.schema import ToolChain
from vibegrade.students.refine import Refinement, TeacherRefiner

START = ToolChain.model_validate({"adjust": {"temperature": 30},
                                  "filter": {"name": "fortune", "intensity": 35}})


def _config(url: str) -> ClientConfig:
    return ClientConfig(model="t", base_url=url, api_key="sk", timeout=2.0, max_retries=1, backoff_base=0.01,
                        backoff_max=0.05, cache_dir=None)


class Fallback:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def refine(self, chain: ToolChain, request: str) -> Refinement:
        self.calls.append(request)
        return Refinement("edit", chain, request)


def test_teacher_answer_becomes_the_refinement(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIBEGRADE_CACHE_DIR", "/nonexistent-cache")
    seen: list[list[dict[str, Any]]] = []

    def respond(messages: list[dict[str, Any]]) -> str:
        seen.append(messages)
        return ('Rationale: Warmer by the plain step: temperature 30 → 55; the fortune preset stays.\n'
                'JSON: {"op": "edit", "adjust": {"temperature": 55}, "selective_adjust": {}, '
                '"filter": {"name": "fortune", "intensity": 35}}')

    with ReplayServer(fallback=None, responder=respond) as srv:
        r = TeacherRefiner(_config(srv.base_url)).refine(START, "warmer")
    assert r.op == "edit" and r.chain is not None and r.chain.adjust.temperature == 55
    assert r.chain.filter.name == "fortune"
    assert "Follow-up: warmer" in seen[0][-1]["content"]


def test_unusable_answer_falls_back_or_raises() -> None:
    with ReplayServer(fallback=None, responder=lambda m: "I'd rather not.") as srv:
        fb = Fallback()
        r = TeacherRefiner(_config(srv.base_url), fallback=fb).refine(START, "warmer")
        assert fb.calls == ["warmer"] and r.chain == START
        with pytest.raises(TeacherError):
            TeacherRefiner(_config(srv.base_url)).refine(START, "warmer")
