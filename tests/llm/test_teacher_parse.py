"""The answer parser on realistic teacher outputs, plus a hypothesis fuzz test."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes.replay import load_fixtures
from vibegrade.llm.parse import combine, lenient_json, parse_answer
from vibegrade.schema import ADJUST_KEYS, SELECTIVE_COLORS, TOOL_NAMES, ToolChain, preset_context
from vibegrade.tools.filters import preset_names

from .helpers import ANSWERS, TEST_PRESETS

RECORDED = {(a.intent, a.tool): a.content for a in load_fixtures(ANSWERS)}


def parse(intent: str, tool: str) -> Any:
    return parse_answer(tool, RECORDED[(intent, tool)], TEST_PRESETS)


def assert_valid(r: Any) -> None:
    ToolChain.model_validate(r.chain.to_wire(), context=preset_context(TEST_PRESETS))
    assert r.chain.to_wire()[r.tool] == r.settings


@pytest.mark.parametrize("key", sorted(RECORDED))
def test_every_recording_parses_to_valid_settings(key: tuple[str, str]) -> None:
    r = parse(*key)
    assert_valid(r)
    assert all(isinstance(f, str) and ":" in f for f in r.flags)


def test_clean_answer() -> None:
    r = parse("golden hour", "adjust")
    assert r.flags == []
    assert r.rationale.startswith("Golden hour is low, warm sunlight")
    assert list(r.settings) == list(ADJUST_KEYS)
    assert r.settings["temperature"] == 35 and r.settings["bloom"] == 20


def test_code_fence() -> None:
    r = parse("golden hour", "selective_adjust")
    assert r.flags == []
    assert r.settings["orange"] == {"saturation": 25, "luminance": 10}
    assert "```" not in r.rationale and r.rationale.startswith("The warm light")


def test_filter_none_is_unused() -> None:
    r = parse("golden hour", "filter")
    assert r.settings == {"name": "none", "intensity": 0} and not r.used and r.flags == []


def test_prose_markdown_and_trailing_comma() -> None:
    r = parse("the matrix", "adjust")
    assert r.settings["tint"] == -45 and r.settings["structure"] == 25
    assert r.flags == ["lenient_json:adjust"]
    assert r.rationale.startswith("The Matrix is famous") and "**" not in r.rationale
    assert "Let me know" not in r.rationale


def test_strings_for_numbers() -> None:
    r = parse("the matrix", "selective_adjust")
    assert r.settings["green"] == {"saturation": 30, "luminance": 10}
    assert "coerced:selective_adjust.green.saturation" in r.flags


def test_unknown_preset_becomes_none_and_is_flagged() -> None:
    r = parse("the matrix", "filter")
    assert r.settings == {"name": "none", "intensity": 0}
    assert "unknown_preset:filter.name" in r.flags


def test_out_of_range_values_are_clamped_and_flagged() -> None:
    r = parse("x-ray", "adjust")
    s = r.settings
    assert (s["contrast"], s["saturation"], s["structure"], s["hue"]) == (100, -100, 100, 40)
    for f in ("clamped:adjust.contrast", "clamped:adjust.saturation", "clamped:adjust.structure",
              "wrapped:adjust.hue"):
        assert f in r.flags


def test_empty_json_means_unused() -> None:
    r = parse("x-ray", "selective_adjust")
    assert r.settings == {} and not r.used and r.flags == []
    assert "Not needed" in r.rationale


def test_single_quotes_and_percent() -> None:
    adj = parse("Morocco", "adjust")
    assert adj.settings["temperature"] == 28 and adj.flags == ["lenient_json:adjust"]
    sel = parse("Morocco", "selective_adjust")
    assert sel.settings["blue"] == {"saturation": 25, "luminance": -10}
    f = parse("Morocco", "filter")
    assert f.settings == {"name": "faded_Terra", "intensity": 45}
    assert "coerced:filter.intensity" in f.flags


def test_missing_and_extra_keys() -> None:
    r = parse("winter", "adjust")
    assert r.settings["temperature"] == -30 and r.settings["shadows"] == 0
    assert "unknown_key:adjust.clarity" in r.flags
    assert "missing_key:adjust.shadows" in r.flags and "missing_key:adjust.temperature" not in r.flags


def test_flat_selective_keys() -> None:
    r = parse("winter", "selective_adjust")
    assert r.settings["blue"] == {"saturation": 20, "luminance": 10}
    assert r.settings["orange"] == {"saturation": -15, "luminance": 0}
    assert "renamed_key:selective_adjust.blue_saturation" in r.flags
    assert list(r.settings) == list(SELECTIVE_COLORS)


def test_preset_case_is_fixed() -> None:
    r = parse("winter", "filter")
    assert r.settings == {"name": "winter", "intensity": 80}


def test_comments_and_heading_label() -> None:
    r = parse("cool morning", "adjust")
    assert r.settings["temperature"] == -15
    assert r.rationale == "Soft early light with a slight blue cast."
    assert "lenient_json:adjust" in r.flags


def test_preset_key_alias() -> None:
    r = parse("cool morning", "filter")
    assert r.settings == {"name": "north", "intensity": 50}
    assert "renamed_key:filter.preset" in r.flags


def test_truncated_answer_keeps_what_is_there() -> None:
    r = parse("sunset beach", "adjust")
    assert r.settings["vibrance"] == 20 and r.settings["temperature"] == 0
    assert "truncated_json:adjust" in r.flags


def test_refusal_has_no_json() -> None:
    r = parse("something forbidden", "filter")
    assert r.settings == {"name": "none", "intensity": 0}
    assert r.flags == ["no_json:filter"]
    assert r.rationale.startswith("I'm sorry")


def test_unquoted_keys_and_wrapper() -> None:
    r = parse("neon nights", "adjust")
    assert r.settings["bloom"] == 35 and r.settings["tint"] == 20
    assert {"lenient_json:adjust", "wrapped_json:adjust"} <= set(r.flags)


@pytest.mark.parametrize("text, expected", [
    ('FILTER: exact.\nJSON: winter', {"name": "winter", "intensity": 50}),
    ("FILTER: nothing fits.\nJSON: none", {"name": "none", "intensity": 0}),
    ('{"filter": "cyberpunk", "intensity": 30}', {"name": "cyberpunk", "intensity": 30}),
    ('JSON: {"name": "Night Vision", "strength": 60}', {"name": "night_vision", "intensity": 60}),
    ('JSON: {"name": "winter", "intensity": 300}', {"name": "winter", "intensity": 100}),
    ('JSON: {"name": "winter.cube", "intensity": 40.4}', {"name": "winter", "intensity": 40}),
])
def test_filter_variants(text: str, expected: dict[str, Any]) -> None:
    r = parse_answer("filter", text, TEST_PRESETS)
    assert r.settings == expected
    assert_valid(r)


def test_whole_chain_answer_is_unwrapped_for_the_asked_tool() -> None:
    text = json.dumps({"adjust": {"exposure": 10}, "selective_adjust": {}, "filter": {"name": "winter"}})
    assert parse_answer("adjust", text, TEST_PRESETS).settings["exposure"] == 10
    assert parse_answer("filter", text, TEST_PRESETS).settings["name"] == "winter"


def test_python_literals_and_smart_quotes() -> None:
    r = parse_answer("adjust", "ADJUST: x\nJSON: {\u201cexposure\u201d: 10, 'vibrance': True, 'hue': None}")
    assert r.settings["exposure"] == 10 and r.settings["vibrance"] == 1


def test_combine_builds_one_row() -> None:
    results = [parse("x-ray", t) for t in TOOL_NAMES]
    chain, rationale, flags = combine(results)
    wire = chain.to_wire()
    ToolChain.model_validate(wire, context=preset_context(TEST_PRESETS))
    assert wire["filter"] == {"name": "negative", "intensity": 85}
    assert wire["selective_adjust"] == {}
    assert set(rationale) == set(TOOL_NAMES) and all(rationale.values())
    assert "clamped:adjust.contrast" in flags


def test_lenient_json_reports_strictness() -> None:
    assert lenient_json('{"a": 1}')[2] is True
    v, _, strict, trunc = lenient_json("{'a': 1,}")
    assert v == {"a": 1} and not strict and not trunc
    assert lenient_json('{"a": [1, 2')[3] is True
    with pytest.raises(ValueError):
        lenient_json("}{")


# ----------------------------------------------------------------------------------------------------------
# Fuzz
# ----------------------------------------------------------------------------------------------------------

_KEYS = st.sampled_from([*ADJUST_KEYS, *SELECTIVE_COLORS, "saturation", "luminance", "name", "intensity",
                         "preset",
                         "adjust", "filter", "selective_adjust", "red_saturation", "Exposure", "", "junk"])
_SCALARS = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
                     st.booleans(), st.none(), st.text(max_size=12),
                     st.sampled_from([*TEST_PRESETS, "none", "Winter", "40%", "+5"]))
_JSONISH = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(_KEYS, inner, max_size=6)),
                                                          max_leaves=25)


def _render(obj: Any, quote: str, trailing: bool) -> str:
    if isinstance(obj, dict):
        items = [f"{quote}{k}{quote}: {_render(v, quote, trailing)}" for k, v in obj.items()]
        return "{" + ", ".join(items) + ("," if trailing and items else "") + "}"
    if isinstance(obj, list):
        return "[" + ", ".join(_render(v, quote, trailing) for v in obj) + "]"
    if isinstance(obj, str):
        return quote + obj + quote
    return repr(obj) if quote == "'" else json.dumps(obj)


@st.composite
def near_json(draw: st.DrawFn) -> str:
    obj = draw(st.dictionaries(_KEYS, _JSONISH, max_size=8))
    quote = draw(st.sampled_from(['"', "'"]))
    body = _render(obj, quote, draw(st.booleans()))
    cut = draw(st.integers(0, len(body)))
    if draw(st.booleans()):
        body = body[:cut]  # truncated
    prefix = draw(st.sampled_from(["", "ADJUST: ok\nJSON: ", "FILTER: hmm\n```json\n", "Sure!\n",
                                   "{{", "JSON:"]))
    suffix = draw(st.sampled_from(["", "\n```", "\nHope that helps.", "}}}", "\nJSON: {"]))
    return prefix + body + suffix


_FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


def _check(tool: str, text: str) -> None:
    r = parse_answer(tool, text)  # installed presets
    ToolChain.model_validate(r.chain.to_wire(), context=preset_context(preset_names()))
    assert r.tool == tool
    assert r.chain.to_wire()[tool] == r.settings
    assert isinstance(r.rationale, str) and all(isinstance(f, str) for f in r.flags)
    json.dumps(r.settings)


@_FUZZ
@given(tool=st.sampled_from(TOOL_NAMES), text=st.text())
def test_fuzz_arbitrary_text(tool: str, text: str) -> None:
    _check(tool, text)


@_FUZZ
@given(tool=st.sampled_from(TOOL_NAMES), text=near_json())
def test_fuzz_near_json(tool: str, text: str) -> None:
    _check(tool, text)


@_FUZZ
@given(tool=st.sampled_from(TOOL_NAMES), obj=_JSONISH)
def test_fuzz_json_values(tool: str, obj: Any) -> None:
    _check(tool, json.dumps(obj, allow_nan=True))
    _check(tool, json.dumps({tool: obj}, allow_nan=True))


@_FUZZ
@given(text=st.text(alphabet='{}[]":,\'0123456789-+.eE truefalsn#/*\n`', max_size=200))
def test_fuzz_json_alphabet(text: str) -> None:
    for tool in TOOL_NAMES:
        _check(tool, text)


def test_non_string_input_never_raises() -> None:
    for v in (None, 42, b"{}", ["JSON: {}"], {"exposure": 5}):
        for tool in TOOL_NAMES:
            ToolChain.model_validate(parse_answer(tool, v).chain.to_wire(),
                                     context=preset_context(preset_names()))
    r = parse_answer("crop", '{"exposure": 5}')
    assert "unknown_tool:crop" in r.flags
