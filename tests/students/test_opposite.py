"""Less of a quality as a first request (students/opposite.py): the reader, the way out of a look, the
corrections a photo problem asks for, the shipped student on plain requests and on the blind set
data/vibes/less_of/."""

from __future__ import annotations

import pytest

from tests.students.scripts import assert_rejects_bad_row, load_script
from vibegrade.schema import ToolChain, parse_chain
from vibegrade.students import load_student, opposite
from vibegrade.students.opposite import SIZES, Less


@pytest.fixture(scope="module")
def student():
    return load_student()


@pytest.mark.parametrize(("text", "quality", "size"), [
    ("less moody", "moody", 0),
    ("make it less gloomy pls", "gloomy", 0),
    ("not so dreary", "dreary", 0),
    ("not as cold and sterile", "cold and sterile", 0),
    ("a little less washed out", "washed out", -1),
    ("way less murky", "murky", 1),
    ("tone down the drama", "drama", 0),
    ("take the gloom out of it", "gloom", 0),
    ("reduce the moodiness a little", "moodiness", -1),
    ("its so gloomy, less of that", "gloomy", 0),  # "so" is the state's, not the size
    ("feels too dreary, make it less so", "dreary", 0),
    ("looks washed out, fix pls", "washed out", 0),
    ("the light is so harsh, make it much less harsh", "harsh", 1),
    ("too much hdr, way less", "hdr", 1),
    ("less instagram-y", "instagram-y", 0),
    # a reason or a state beside it (December 7, seventh session)
    ("way less gloomy please, it looks like a funeral", "gloomy", 1),
    ("less hdr please it hurts my eyes", "hdr", 0),
    ("its giving horror movie, less creepy pls", "creepy", 0),
])
def test_the_quality_and_the_size_are_read(text, quality, size):
    assert opposite.read(text) == Less(quality, size)


@pytest.mark.parametrize("text", [
    "moody", "more moody", "moodier", "golden hour but less orange", "less moody and sharper",
    "tokyo at night, tone it down", "stormy but dial it down", "hong kong but less",  # how much of a look
    "golden hour, less moody", "way less orange cooler darker", "less blue warmer a lot",  # several changes
    "tone down the orange and sharpen a bit", "less",
    "van gogh painting look, a little less vibrant", "less moody, warmer", "less moody but its fine",
])
def test_requests_for_anything_else_are_not_read(text):
    assert opposite.read(text) is None


def test_a_photo_problem_names_its_directions_and_a_look_none():
    assert opposite.directions("washed-out") == {("saturation", 1), ("contrast", 1)}
    assert opposite.directions("loud") == {("saturation", -1), ("contrast", -1)}
    assert opposite.directions("cold and flat") == {("temperature", 1), ("saturation", 1), ("contrast", 1)}
    assert opposite.directions("moody") == frozenset()


def test_the_way_out_of_a_look_turns_its_directions_round_at_the_size_asked():
    moody = parse_chain({"adjust": {"exposure": -8, "contrast": 15, "saturation": -20, "temperature": -5,
                                    "linearOffset": -5, "structure": 20},
                         "filter": {"name": "darkness", "intensity": 40}})
    sizes = []
    for size in (-1, 0, 1):
        out = opposite.reverse(moody, size)
        assert out is not None and not out.filter.used
        a = out.adjust
        assert a.exposure > 0 and a.contrast < 0 and a.saturation > 0 and a.temperature > 0
        assert a.bloom > 0 and a.structure == 0  # crispness turned round is softness
        sizes.append(max(abs(v) for v in a.vector()))
    assert sizes == [SIZES[-1], SIZES[0], SIZES[1]]
    # the square root: the small darkening of a mood that mostly desaturates still comes out as brightening
    depressing = parse_chain({"adjust": {"exposure": -10, "saturation": -55}})
    out = opposite.reverse(depressing, 0)
    assert out is not None and out.adjust.saturation == 25 and out.adjust.exposure >= 10
    assert opposite.reverse(ToolChain(), 0) is None
    assert opposite.reverse(parse_chain({"filter": {"name": "vivid", "intensity": 50}}), 0) is None


def test_an_answer_along_the_way_out_is_kept_and_one_against_it_is_not():
    moody = parse_chain({"adjust": {"exposure": -8, "contrast": 15, "saturation": -20}})
    way_out = parse_chain({"adjust": {"exposure": 10, "contrast": -15, "saturation": 20}})
    assert opposite.opposes(moody, way_out)
    assert not opposite.opposes(moody, parse_chain({"adjust": {"vibrance": -25}}))
    assert not opposite.opposes(moody, parse_chain({"adjust": {"contrast": -12}}))  # one move of three
    assert not opposite.opposes(moody, ToolChain())


def test_corrections_lend_only_their_own_values_and_lift_once():
    base = parse_chain({"adjust": {"shadows": 20, "temperature": 10}})
    lighter = parse_chain({"adjust": {"exposure": 25, "shadows": 10, "saturation": -100}})
    lifted = parse_chain({"adjust": {"shadows": 30}})
    out = opposite.with_moves(base, {("light", 1): lighter, ("light@shadows", 1): lifted})
    a = out.adjust
    assert (a.exposure, a.shadows, a.temperature, a.saturation) == (25, 30, 10, 0)


@pytest.mark.parametrize(("text", "moves"), [
    ("less moody", {"light": 1}),
    ("make it less gloomy pls", {"light": 1, "saturation": 1}),
    ("not so depressing", {"saturation": 1}),
    ("less washed out", {"contrast": 1, "saturation": 1}),
    ("less flat", {"contrast": 1}),
    ("its so gloomy, less of that", {"light": 1}),
    ("too loud, make it less loud", {"saturation": -1}),
    ("less vintage", {"contrast": 1, "saturation": 1}),
])
def test_the_shipped_student_goes_the_way_out(student, text, moves):
    """Before: "less moody" vibrance −25, "less gloomy" saturation −30, "not so depressing" temperature
    −25, "less washed out" and "less flat" contrast −5 and saturation −10 (a stored "less noisy look"),
    "less loud" exposure +20 and contrast +25, "less vintage" the cyan and blue ranges down."""
    from vibegrade.students.answer_check import moves as moves_way

    got = student.predict([text])[0]
    for attr, sign in moves.items():
        assert moves_way(got, attr, sign) and not moves_way(got, attr, -sign), (text, got.adjust)


def test_the_reader_can_be_switched_off_and_leaves_stored_requests_alone(student, monkeypatch):
    stored = student.predict(["less harsh"])[0]  # the teacher's own answer, word for word
    monkeypatch.setitem(student.retrieval, "opposite", 0)
    off = student.predict(["less moody", "less harsh"])
    assert off[0].adjust.exposure <= 0  # the answer before this reader
    assert off[1] == stored


def _eval_script():
    return load_script("less_of_eval")


def test_blind_less_of_requests(student):
    """The 800 blind requests of data/vibes/less_of/ (authors a–d, who saw only its brief): every change
    the author names made in 85 % or more of them and the wrong way in at most 5 % (docs/experiments.md,
    "Less of it": about half right, a sixth the wrong way, before)."""
    mod = _eval_script()
    rows = mod.read_rows(list("abcd"))
    assert len(rows) == 800
    scored, _ = mod.score(rows, student.predict([r["request"] for r in rows]))
    assert scored["right"] >= 0.85 and scored["wrong_way"] <= 0.05
    assert scored["take_away"]["right"] >= 0.85


@pytest.mark.parametrize(("line", "why"), [
    ("not json", "not JSON"),
    ('{"request": "less moody", "expect": [], "size": "plain"}', "bad row"),  # nothing expected
    ('{"request": "less moody", "expect": [{"attribute": "glow", "direction": 1}], "size": "plain"}',
     "bad row"),
    ('{"request": "less moody", "expect": [{"attribute": "brightness", "direction": 0}], "size": "plain"}',
     "bad row"),
    ('{"request": "less moody", "expect": [{"attribute": "brightness", "direction": 1}], "size": "huge"}',
     "bad row"),
])
def test_the_eval_script_rejects_bad_rows_with_the_file_and_line(tmp_path, line, why):
    mod = _eval_script()
    good = ('{"request": "less moody", "word": "moody", "expect": [{"attribute": "brightness", '
            '"direction": 1}, {"attribute": "fade", "direction": 1}], "size": "plain"}')
    rows = assert_rejects_bad_row(mod, tmp_path, good, line, why)
    right = parse_chain({"adjust": {"exposure": 20, "linearOffset": 5}})
    part = parse_chain({"adjust": {"exposure": 20}})
    wrong = parse_chain({"adjust": {"exposure": -20, "linearOffset": 5}})
    assert mod.score(rows, [right])[1] == ["right"]
    assert mod.score(rows, [part])[1] == ["part"]
    assert mod.score(rows, [wrong])[1] == ["wrong way"]
    assert mod.score(rows, [ToolChain()])[1] == ["no move"]
