"""Slider settings typed as numbers ("contrast +20", "exposure -0.5 ev", "red sat -30", "golden hour,
contrast +20"): the reading, the applying, the teacher's rule on the data, the shipped student on the
blind set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.students.scripts import assert_rejects_bad_row, load_script
from vibegrade.schema import ToolChain, parse_chain
from vibegrade.students import load_student, sliders
from vibegrade.students.refine_features import PARAM_KEYS, chain_vector

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def student():
    return load_student()


def _said(text: str) -> list[tuple[str, int, bool]] | None:
    got = sliders.read(text)
    return None if got is None else [(s.key, round(s.value), s.absolute) for s in got]


@pytest.mark.parametrize(("text", "said"), [
    ("contrast +20", [("contrast", 20, False)]),
    ("contrast+20", [("contrast", 20, False)]),
    ("set contrast to 40", [("contrast", 40, True)]),
    ("contrast 20", [("contrast", 20, True)]),  # a bare number is where the slider ends (Lightroom's reading)
    ("reduce saturation by 30", [("saturation", -30, False)]),
    ("can you drop the sat to 20?", [("saturation", 20, True)]),  # "to 20" wins over "drop"
    ("+20 contrast -10 sat pls", [("contrast", 20, False), ("saturation", -10, False)]),
    ("contrast 20 saturation -10 warmth +15", [("contrast", 20, True), ("saturation", -10, False),
                                               ("temperature", 15, False)]),
    ("exposure +10", [("exposure", 10, False)]),  # slider units
    ("exposure +1", [("exposure", 50, False)]),  # a stop count: 50 units a stop
    ("exposure -0.5", [("exposure", -25, False)]),
    ("+1/3 ev", [("exposure", 17, False)]),
    ("increase exposure by half a stop", [("exposure", 25, False)]),
    ("one stop darker", [("exposure", -50, False)]),
    ("darken 2/3 of a stop", [("exposure", -33, False)]),
    ("underexpose by 1/3 stop", [("exposure", -17, False)]),
    ("10% warmer", [("temperature", 10, False)]),  # the style guide's own example
    ("knock 20 off the warmth", [("temperature", -20, False)]),
    ("warmth: 0", [("temperature", 0, True)]),
    ("clarity +30", [("structure", 30, False)]),
    ("glow 20", [("bloom", 20, True)]),
    ("crush the blacks by 15", [("linearOffset", -15, False)]),
    ("hl -20 sh +20", [("highlights", -20, False), ("shadows", 20, False)]),
    ("rotate hue by 45 degrees", [("hue", 45, False)]),
    ("red saturation -30", [("red.saturation", -30, False)]),
    ("blues -50 sat", [("blue.saturation", -50, False)]),
    ("saturation of the reds -40", [("red.saturation", -40, False)]),
    ("desaturate the blues by 60", [("blue.saturation", -60, False)]),
    ("darken the blues 20", [("blue.luminance", -20, False)]),
    ("make reds darker by 15", [("red.luminance", -15, False)]),
    ("greens sat -60 and lum -20", [("green.saturation", -60, False), ("green.luminance", -20, False)]),
    ("red sat +50 sat -100", [("red.saturation", 50, False), ("saturation", -100, False)]),
    ("tint -10 (more green)", [("tint", -10, False)]),
    ("just vibrance +10 nothing else", [("vibrance", 10, False)]),
    ("vivid filter at 50%", [("intensity", 50, True)]),
    ("teal and orange 2 at 70%", [("intensity", 70, True)]),
    ("duotone pink 50%", [("intensity", 50, True)]),
])
def test_settings_are_read_in_the_tools_units(text, said):
    assert _said(text) == said


@pytest.mark.parametrize("text", [
    "kodak portra 400", "cinestill 800t", "super 8", "blade runner 2049", "cyberpunk 2077", "35mm", "1917",
    "iphone 4", "90s vibe", "winter 2", "ilford delta 3200", "3200k film",  # names with numbers
    "+500k", "temp 800k",  # a shift in Kelvin, a Kelvin no light has
    "sharpen -20",  # no negative side, nothing to take it from
    "2 warm", "2 bright",  # "too warm"
    "golden hour", "contrast", "more contrast", "", "20", "+20%",
])
def test_numbers_that_are_not_settings_are_not_read(text):
    assert sliders.read(text) is None


@pytest.mark.parametrize(("text", "value"), [
    ("3200k", -100), ("set white balance to 3200k", -100), ("5500k white balance", 0), ("wb 5500 kelvin", 0),
    ("temperature 6500", 48), ("temp 7500k", 75), ("10000k", 100),
])
def test_a_white_balance_in_kelvin_is_lightrooms_temp_on_a_daylight_photo(text, value):
    said = sliders.read(text)
    assert said is not None and said[0].key == "temperature" and said[0].absolute
    assert round(said[0].value) == value


def test_a_preset_setting_is_the_preset_and_its_intensity():
    got = sliders.read("vivid filter at 50%")
    assert got is not None and got[0].preset == "vivid"
    assert sliders.read("duotone pink 50%")[0].preset == "duotone_pink"  # type: ignore[index]


def test_apply_adds_a_change_and_sets_a_value():
    look = parse_chain({"adjust": {"contrast": 10, "temperature": 30, "hue": 350},
                        "filter": {"name": "fortune", "intensity": 40}})
    out = sliders.apply(look, [sliders.Setting("contrast", 20, False),
                               sliders.Setting("temperature", 5, True),
                               sliders.Setting("hue", 20, False), sliders.Setting("saturation", -150, False)])
    assert (out.adjust.contrast, out.adjust.temperature, out.adjust.hue, out.adjust.saturation) == \
        (30, 5, 10, -100)  # added, set, around the circle, clamped
    assert out.filter.name == "fortune" and out.filter.intensity == 40
    swapped = sliders.apply(look, [sliders.Setting("intensity", 70, True, "vivid")])
    assert swapped.filter.name == "vivid" and swapped.filter.intensity == 70
    assert sliders.apply(ToolChain(), []) == ToolChain()


def test_a_look_then_settings_is_split_where_the_settings_start():
    look, said = sliders.split_look("golden hour, contrast +20 and sat -10")  # type: ignore[misc]
    assert look == "golden hour"
    assert [(s.key, s.value) for s in said] == [("contrast", 20), ("saturation", -10)]
    assert sliders.split_look("teal and orange, contrast +20")[0] == "teal and orange"  # type: ignore[index]
    assert sliders.split_look("ilford hp5 +1 stop")[0] == "ilford hp5"  # type: ignore[index]
    for text in ("kodak portra 400", "blade runner 2049", "contrast +20", "can i get shadows +20 pls"):
        assert sliders.split_look(text) is None


def test_words_that_restate_the_settings_are_an_explanation_not_a_look():
    said = sliders.read("temp +30")
    assert said is not None and sliders.explained("warmer pls", said)
    assert not sliders.explained("cooler", said)  # the other way
    assert not sliders.explained("warm nostalgia", said)  # a look
    assert not sliders.explained("warmer and brighter", said)  # brighter is not set
    lead = sliders.split_lead("wb -15 pls its too yellow")
    assert lead is not None and sliders.explained(lead[1], lead[0])


def _stored_rows() -> list[dict]:
    return [json.loads(line) for p in sorted((ROOT / "data/vibes").glob("*.jsonl"))
            for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_reader_follows_the_teacher_on_every_data_row_it_reads():
    """The style guide's rule, numbers honoured: on every vibes row whose request the reader reads, each
    value it sets is the teacher's (within 1: "+0.67 ev" is 33.5); the teacher adds at most a supporting
    move ("+1 stop" also lowers the highlights by 10)."""
    read = 0
    for r in _stored_rows():
        said = sliders.read(r["intent"])
        if said is None:
            continue
        read += 1
        tools = {k: r[k] for k in ("adjust", "selective_adjust", "filter") if k in r}
        want = chain_vector(parse_chain(tools))
        got = chain_vector(sliders.apply(ToolChain(), said))
        for s in said:
            i = PARAM_KEYS.index(s.key)
            assert abs(got[i] - want[i]) <= 1, (r["intent"], s.key, got[i], want[i])
    assert read >= 200


def test_the_shipped_student_makes_the_numbers_it_is_given(student):
    """Before, "contrast +20" gave contrast 34, "red saturation -30" temperature -83, "warmth: 0"
    temperature -83 and "set contrast to 40" contrast 15."""
    plain, red, zero, set40, two = student.predict(["contrast +20", "red saturation -30", "warmth: 0",
                                                     "set contrast to 40", "exposure +10 and contrast +15"])
    assert plain == parse_chain({"adjust": {"contrast": 20}})
    assert red == parse_chain({"selective_adjust": {"red": {"saturation": -30}}})
    assert zero == ToolChain()
    assert set40 == parse_chain({"adjust": {"contrast": 40}})
    assert two == parse_chain({"adjust": {"exposure": 10, "contrast": 15}})


def test_a_look_keeps_its_answer_and_takes_the_numbers(student):
    look, plus, to40 = student.predict(["golden hour", "golden hour, contrast +20",
                                        "golden hour, contrast 40"])
    assert plus.adjust.contrast == look.adjust.contrast + 20 and to40.adjust.contrast == 40
    for chain in (plus, to40):
        assert chain.filter == look.filter and chain.adjust.temperature == look.adjust.temperature


def test_names_with_numbers_keep_their_answer_and_the_reader_can_be_switched_off(student):
    names = ["kodak portra 400", "blade runner 2049", "super 8", "cinestill 800t"]
    on = student.predict(names)
    student.retrieval["sliders"] = 0
    try:
        assert student.predict(names) == on
        off = student.predict(["contrast +20"])[0]
    finally:
        student.retrieval["sliders"] = 1
    assert off != student.predict(["contrast +20"])[0]  # the retrieval answer (contrast 34), not the number


def _eval_script():
    return load_script("slider_settings_eval")


@pytest.mark.parametrize(("line", "why"), [
    ("not json", "not JSON"),
    ('{"request": "contrast +20", "look": null, "settings": {"contrast": "20"}}', "bad row"),  # no sign
    ('{"request": "x +20", "look": null, "settings": {"x": "+20"}}', "bad row"),  # no such slider
    ('{"request": "vivid 50", "look": null, "settings": {"filter": "vivid 50"}}', "bad row"),
    ('{"request": "", "look": null, "settings": {}}', "bad row"),
])
def test_the_eval_script_rejects_bad_rows_with_the_file_and_line(tmp_path, line, why):
    mod = _eval_script()
    good = '{"request": "golden hour, contrast +20", "look": "golden hour", "settings": {"contrast": "+20"}}'
    rows = assert_rejects_bad_row(mod, tmp_path, good, line, why)
    base = parse_chain({"adjust": {"contrast": 10, "temperature": 30}})
    want = mod.expected(rows[0], base)
    assert want.adjust.contrast == 30 and want.adjust.temperature == 30
    scored, verdicts = mod.score(rows, [want], [base], [None])
    assert verdicts == [False] and scored["settings_right"] == 0
    scored, verdicts = mod.score(rows, [want], [want], [None])
    assert verdicts == [True] and scored["right_with_numbers"] == 1


def test_blind_requests_with_slider_numbers(student):
    """The blind requests of data/vibes/slider_settings/ (authors who saw only the brief): 95 % or more of
    the requests with numbers get every number right and nothing else moved (docs/experiments.md, "Slider
    settings typed as numbers": 14 % before), and the names with numbers in them keep their answers."""
    mod = _eval_script()
    rows = mod.read_rows(None)
    assert len(rows) >= 1200
    answers = student.predict([r["request"] for r in rows])
    looks = iter(student.predict([r["look"] for r in rows if mod.kind(r) == "look"]))
    wants = [mod.expected(r, next(looks) if mod.kind(r) == "look" else ToolChain()) for r in rows]
    names = [r["request"] for r in rows if mod.kind(r) == "names"]
    student.retrieval["sliders"] = 0
    try:
        off = iter(student.predict(names))
    finally:
        student.retrieval["sliders"] = 1
    plain = [next(off) if mod.kind(r) == "names" else None for r in rows]
    scored, _ = mod.score(rows, wants, answers, plain)
    assert scored["right_with_numbers"] >= 0.95 and scored["names"]["right"] >= 0.98


def test_a_follow_up_with_numbers_is_made_on_the_current_chain():
    """Before, the refinement model answered "set saturation to -100" on golden hour with saturation -2."""
    from vibegrade.students.refine import load_refiner

    refiner = load_refiner()
    look = parse_chain({"adjust": {"contrast": 8, "saturation": 5, "temperature": 35},
                        "filter": {"name": "fortune", "intensity": 35}})
    asked = ("contrast +20", "set saturation to -100", "warmth: 0")
    plus, bw, zero = (refiner.refine(look, t) for t in asked)
    assert all(r.op == "edit" and r.chain is not None for r in (plus, bw, zero))
    assert plus.chain.adjust.contrast == 28 and plus.chain.adjust.temperature == 35  # type: ignore[union-attr]
    assert bw.chain.adjust.saturation == -100 and bw.chain.filter == look.filter  # type: ignore[union-attr]
    assert zero.chain.adjust.temperature == 0 and zero.chain.adjust.contrast == 8  # type: ignore[union-attr]


def test_follow_ups_with_numbers_give_the_authors_next_chain():
    """Every refinement row (main files and blind sets) whose follow-up the reader reads: the authors'
    next chain, within 2 on every value, with their preset."""
    rows = [json.loads(line) for p in sorted((ROOT / "data/refine").glob("**/*.jsonl"))
            for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    read = 0
    for r in rows:
        said = sliders.read(r.get("request", "")) if isinstance(r.get("request"), str) else None
        if said is None or not r.get("after"):
            continue
        read += 1
        got, want = sliders.apply(parse_chain(r["before"]), said), parse_chain(r["after"])
        assert r["op"] == "edit" and got.filter.name == want.filter.name, r["request"]
        assert max(abs(chain_vector(got) - chain_vector(want))) <= 2, r["request"]
    assert read >= 250


def test_a_marked_number_with_a_direction_word_is_a_change():
    """"temp: 30" is where the slider ends; "temp: 30 cooler pls" (a blind-set follow-up) is 30 cooler than
    it is: the direction word makes it a change (it had set the temperature to -30)."""
    (cooler,) = sliders.read("temp: 30 cooler pls") or ()
    assert cooler.key == "temperature" and cooler.value == -30 and not cooler.absolute
    (at,) = sliders.read("temp: 30") or ()
    assert at.value == 30 and at.absolute
    look = parse_chain({"adjust": {"temperature": -5, "contrast": 10}})
    assert sliders.apply(look, (cooler,)).adjust.temperature == -35
