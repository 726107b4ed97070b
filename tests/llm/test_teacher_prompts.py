"""Teacher and student prompts are complete and derived from the schema."""

from __future__ import annotations

import json
import re

import pytest

from vibegrade.llm.parse import parse_answer
from vibegrade.llm.prompts import (
    answer_label,
    prompt_info,
    student_messages,
    student_prompt,
    student_target,
    teacher_messages,
    teacher_system_prompt,
)
from vibegrade.schema import (
    ADJUST_PARAMS,
    FILTER_NONE,
    INTENSITY,
    SELECTIVE_CHANNELS,
    SELECTIVE_COLORS,
    TOOL_NAMES,
    ToolChain,
)
from vibegrade.tools.filters import BUNDLED_PRESETS

from .helpers import TEST_PRESETS


def _params(tool: str) -> list:
    return list(ADJUST_PARAMS) if tool == "adjust" else list(
        SELECTIVE_CHANNELS) if tool == "selective_adjust" \
        else [INTENSITY]


@pytest.mark.parametrize("tool", TOOL_NAMES)
def test_teacher_prompt_has_every_part(tool: str) -> None:
    msgs = teacher_messages(tool, "golden hour", BUNDLED_PRESETS)
    assert [m["role"] for m in msgs] == ["system", "user"]
    system, user = msgs[0]["content"], msgs[1]["content"]
    assert "professional photo and video editor" in system
    for t in TOOL_NAMES:  # the three tools that must work together
        assert t in system
    assert "work well together" in system
    for spec in _params(tool):  # names and ranges come from the schema specs
        assert f"{spec.name} ({spec.lo}..{spec.hi}" in system, spec.name
        assert spec.doc in system
    assert "## Rules" in system and "## Example" in system
    assert f"{answer_label(tool)}:" in system and "JSON:" in system
    assert user == "Request: golden hour"


def test_adjust_rules() -> None:
    s = teacher_system_prompt("adjust", [])
    assert f"write all {len(ADJUST_PARAMS)} parameters" in s
    assert "empty JSON object {}" in s
    assert re.search(r"one colour range.*keep hue at 0", s)


def test_filter_rules_and_presets() -> None:
    s = teacher_system_prompt("filter", TEST_PRESETS)
    assert f'The default is "{FILTER_NONE}"' in s
    assert "very close or exact match" in s
    assert '"winter" for the winter preset gets about 80' in s
    assert '"cool morning" for north or winter gets about 40 to 60' in s
    assert "duotone_red) that the request did not ask for gets intensity 15" in s
    for name in TEST_PRESETS:
        assert f"\n- {name}" in s
    assert f"\n- {FILTER_NONE}: no filter" in s


def test_filter_prompt_uses_installed_presets_by_default(preset_folder: list[str]) -> None:
    s = teacher_system_prompt("filter")
    assert "\n- my_film_look" in s  # a user preset
    for name in preset_folder:
        assert f"\n- {name}" in s
    assert "my_film_look" in student_prompt("filter", "x")


def test_filter_prompt_without_known_presets_still_reads_well() -> None:
    s = teacher_system_prompt("filter", ["my_film_look"])
    assert "winter" not in s and "north" not in s
    assert '"name": "none"' in s


@pytest.mark.parametrize("tool", TOOL_NAMES)
def test_worked_example_is_a_valid_answer(tool: str) -> None:
    s = teacher_system_prompt(tool, BUNDLED_PRESETS)
    example = s.split("## Example\n", 1)[1]
    answer = example.split("\n", 1)[1]  # drop the "Request:" line
    r = parse_answer(tool, answer, BUNDLED_PRESETS)
    assert r.flags == [], r.flags
    assert r.rationale
    assert r.used
    body = json.loads(answer.split("JSON: ", 1)[1])
    assert body == r.settings
    if tool == "adjust":
        assert list(body) == [p.name for p in ADJUST_PARAMS]
        assert body["hue"] == 0
    if tool == "selective_adjust":
        assert list(body) == list(SELECTIVE_COLORS)


@pytest.mark.parametrize("tool", TOOL_NAMES)
def test_prompt_info_round_trip(tool: str) -> None:
    info = prompt_info(teacher_messages(tool, "  The   Matrix ", TEST_PRESETS))
    assert info is not None and (info.kind, info.tool, info.intent) == ("teacher", tool, "The Matrix")
    info = prompt_info(student_messages(tool, "x-ray", TEST_PRESETS))
    assert info is not None and (info.kind, info.tool, info.intent) == ("student", tool, "x-ray")
    assert prompt_info([{"role": "user", "content": "hello"}]) is None
    assert prompt_info([]) is None


def test_request_slot_is_one_line() -> None:
    msgs = teacher_messages("adjust", "golden\nhour\n## Tool: filter", [])
    assert "\n" not in msgs[1]["content"]
    assert prompt_info(msgs).tool == "adjust"  # type: ignore[union-attr]


def test_unknown_tool_rejected() -> None:
    with pytest.raises(ValueError, match="unknown tool"):
        teacher_messages("crop", "x", [])


@pytest.mark.parametrize("tool", TOOL_NAMES)
def test_student_prompts_are_concise_and_complete(tool: str) -> None:
    s = student_prompt(tool, "golden hour", BUNDLED_PRESETS)
    assert len(s) < len(teacher_system_prompt(tool, BUNDLED_PRESETS)) / 2
    assert "JSON only" in s and "rationale" not in s.lower()
    for spec in _params(tool):
        assert f"{spec.name} {spec.lo}..{spec.hi}" in s
    if tool == "selective_adjust":
        for c in SELECTIVE_COLORS:
            assert c in s
    if tool == "filter":
        for n in BUNDLED_PRESETS:
            assert n in s
    assert s.endswith("Request: golden hour")


def test_student_target() -> None:
    chain = ToolChain.model_validate({"adjust": {"exposure": 10}})
    assert json.loads(student_target("adjust", chain))["exposure"] == 10
    assert student_target("selective_adjust", chain) == "{}"
    assert student_target("filter", {"name": "none", "intensity": 0}) == '{"name":"none","intensity":0}'
