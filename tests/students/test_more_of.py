"""More of a quality as a first request (students/more_of.py): the reader, the forms a quality is looked up
by, the shipped student on plain requests and on the blind set data/vibes/more_of/."""

from __future__ import annotations

import pytest

from tests.students.scripts import assert_rejects_bad_row, load_script
from vibegrade.schema import ToolChain, parse_chain
from vibegrade.students import load_student, more_of
from vibegrade.students.more_of import FACTOR, More


@pytest.fixture(scope="module")
def student():
    return load_student()


@pytest.mark.parametrize(("text", "quality", "size", "comparative"), [
    ("moodier", "moodier", 0, True),
    ("a bit moodier pls", "moodier", -1, True),
    ("make it waaay moodier", "moodier", 1, True),  # a letter held down
    ("SO much moodier 🖤", "moodier", 1, True),
    ("more cinematic", "cinematic", 0, False),
    ("a little more cinematic", "cinematic", -1, False),
    ("can u make it way more vintage?", "vintage", 1, False),
    ("needs more drama", "drama", 0, False),
    ("make it super hazy", "hazy", 1, False),  # a size and a quality with no "more"
    ("its too plain, make it moodier", "moodier", 0, True),  # a state said first
    ("make it look sunnier, its so dull", "sunnier", 0, True),  # ... or after
    ("more faded", "faded", 0, False),  # a look, though the direction reader reads less colour in it
    ("more lo-fi", "lo-fi", 0, False),
])
def test_the_quality_and_the_size_are_read(text, quality, size, comparative):
    assert more_of.read(text) == More(quality, size, comparative)


@pytest.mark.parametrize("text", [
    "moody", "more", "more please",
    "more red", "greener", "more contrast", "warmer", "punchier", "a bit softer",  # corrections
    "way darker", "more glow", "needs a tiny bit more crispness",
    "less moody", "not so moody", "golden hour, moodier", "golden hour but moodier",  # less; a look + change
    "warmer and moodier", "moodier and more vintage", "moodier, sharper",  # several
    "contrast +20", "more of that",
])
def test_requests_for_anything_else_are_not_read(text):
    assert more_of.read(text) is None


def test_a_quality_is_looked_up_by_its_base_and_its_adjective():
    assert more_of.forms("moodier")[:2] == ["moodier", "moody"]
    assert more_of.forms("drama") == ["drama", "dramatic"]
    assert "moody" in more_of.forms("mood")
    assert more_of.forms("cyberpunk-y")[:2] == ["cyberpunk y", "cyberpunk"]
    assert more_of.bases("bolder") == ["bold", "bolde"]
    assert more_of.bases("hotter") == ["hot", "hott", "hotte"]
    assert more_of.bases("mood") == []


def test_the_forms_looked_up_stored_first_then_nearest():
    stored = {"moody", "bold", "very", "gloomy"}.__contains__
    assert more_of.lookups(More("moodier", 0, True), stored)[0] == "moody"  # the base, not as said
    assert more_of.lookups(More("bolder", -1, True), stored)[0] == "bold"
    assert more_of.lookups(More("dreamier", 0, True), stored) == (None, ["dreamy", "dream"])  # nearest
    assert more_of.lookups(More("sinister", 1, True), stored) == (None, ["sinister"])  # a look as said
    assert more_of.lookups(More("underwater", 0, True), stored) == (None, [])  # no size: as answered
    assert more_of.lookups(More("gloomy", 1, False), stored)[0] == "gloomy"


def test_the_words_as_typed_are_read_where_the_reading_drops_what_says_it():
    # the student's reading drops "make it"; a photo problem with a size is a wish only after a verb
    assert more_of.read_either("super hazy", "make it super hazy") == More("hazy", 1, False)
    assert more_of.read_either("super hazy", "super hazy") is None
    # a slip the reading repaired is not read again as typed
    assert more_of.read_either("more saturated kodachrome", "more saturatd kodachrome") is None
    assert more_of.read_either("moodier", "idk moodier") == More("moodier", 0, True)


def test_a_photo_problem_asked_more_of_names_its_directions_turned_round():
    assert more_of.directions("hazier") == {("contrast", -1), ("light@shadows", 1)}
    assert more_of.directions("intense") == {("saturation", 1), ("contrast", 1)}
    assert more_of.directions("moody") == frozenset()


def test_the_look_is_made_by_the_teachers_factors_for_subtle_and_strong():
    moody = parse_chain({"adjust": {"exposure": -10, "contrast": 20, "saturation": -100},
                         "filter": {"name": "darkness", "intensity": 40}})
    assert more_of.made(moody, 0) == moody
    weak, strong = more_of.made(moody, -1), more_of.made(moody, 1)
    assert (weak.adjust.contrast, strong.adjust.contrast) == (20 * FACTOR[-1], 20 * FACTOR[1])
    assert (weak.filter.intensity, strong.filter.intensity) == (24, 56)
    assert weak.adjust.saturation == strong.adjust.saturation == -100  # black and white stays so


@pytest.mark.parametrize("look", ["moody", "dreamy", "cinematic", "vintage", "gritty"])
def test_the_shipped_student_makes_the_look_as_much_as_said(student, look):
    """Before: "a bit moodier" vibrance +12 (a stored "a bit more vibrant"), "way moodier" temperature +45
    ("way warmer"), "much more cinematic" the same as "a little more cinematic", "way dreamier" sharpened."""
    base = student.predict([look])[0]
    comparative = {"moody": "moodier", "dreamy": "dreamier", "gritty": "grittier"}.get(look, f"more {look}")
    small, plain, big = student.predict([f"a bit {comparative}", comparative, f"way {comparative}"])
    size = [sum(abs(v) for v in x.adjust.vector()) for x in (small, plain, big)]
    assert size[0] < size[1] < size[2]
    assert plain == base
    for x in (small, big):
        assert x.filter.name == base.filter.name
        signs = [(a > 0) - (a < 0) for a in x.adjust.vector()]
        assert signs == [(a > 0) - (a < 0) for a in base.adjust.vector()]


@pytest.mark.parametrize(("text", "check"), [
    ("a bit moodier", lambda c: c.adjust.exposure < 0 and c.adjust.saturation < 0),
    ("way moodier", lambda c: c.adjust.exposure < 0 and c.adjust.temperature <= 0),
    ("make it super hazy", lambda c: c.adjust.contrast < 0 and c.adjust.linearOffset > 0),
    ("more faded", lambda c: c.adjust.linearOffset > 0 and c.adjust.contrast < 0),
    ("needs more drama", lambda c: c.adjust.contrast > 0 and c.adjust.shadows <= 0),
    ("it feels flat, make it more dramatic", lambda c: c.adjust.contrast > 0 and c.adjust.exposure <= 0),
    ("too modern looking, make it more vintage", lambda c: c.adjust.linearOffset > 0),
])
def test_the_shipped_student_goes_the_quality_s_way(student, text, check):
    """Before: "make it super hazy" contrast +65 (a dehaze), "more faded" saturation −25 only, "needs more
    drama" shadows +10, "too modern looking, make it more vintage" contrast and saturation +25."""
    got = student.predict([text])[0]
    assert check(got), (text, got.adjust)


def test_the_reader_can_be_switched_off_and_leaves_other_requests_alone(student, monkeypatch):
    others = ["underwater vibe", "golden hour, moodier", "a bit softer", "punchier"]
    on = student.predict(["a bit moodier", *others])
    monkeypatch.setitem(student.retrieval, "more_of", 0)
    off = student.predict(["a bit moodier", *others])
    assert off[0] != on[0]
    assert off[1:] == on[1:]


def _eval_script():
    return load_script("more_of_eval")


def test_blind_more_of_requests(student):
    """The 800 blind requests of data/vibes/more_of/ (authors e–h, who saw only its brief): every change
    the author names made in 90 % or more, the wrong way in at most 4 %, and the sizes of one author's
    requests for one quality in order in 90 % of pairs (docs/experiments.md, "More of it": 78 %, 10 % and
    57 % before)."""
    mod = _eval_script()
    rows = mod.read_rows(list("efgh"))
    assert len(rows) == 800
    scored, _ = mod.score(rows, student.predict([r["request"] for r in rows]))
    assert scored["right"] >= 0.9 and scored["wrong_way"] <= 0.04
    assert scored["sizes_in_order"] >= 0.9


@pytest.mark.parametrize(("line", "why"), [
    ("not json", "not JSON"),
    ('{"request": "moodier", "expect": [], "size": "plain"}', "bad row"),
    ('{"request": "moodier", "expect": [{"attribute": "brightness", "direction": -1}], "size": "lots"}',
     "bad row"),
])
def test_the_eval_script_rejects_bad_rows_and_orders_sizes(tmp_path, line, why):
    mod = _eval_script()
    good = ('{"request": "moodier", "word": "moody", "expect": [{"attribute": "brightness", '
            '"direction": -1}], "size": "plain"}')
    rows = assert_rejects_bad_row(mod, tmp_path, good, line, why)
    dark = parse_chain({"adjust": {"exposure": -20}})
    assert mod.score(rows, [dark])[1] == ["right"]
    assert mod.score(rows, [ToolChain()])[1] == ["no move"]
    ladder = [{**rows[0], "size": s} for s in ("slight", "plain", "strong")]
    chains = [parse_chain({"adjust": {"exposure": -v}}) for v in (10, 20, 30)]
    assert mod.in_order(ladder, chains) == (3, 3)
    assert mod.in_order(ladder, chains[::-1]) == (0, 3)
    other = [{**r, "word": w} for r, w in zip(ladder, ("moody", "dreamy", "vintage"))]
    assert mod.in_order(other, chains) == (0, 0)  # sizes compared within one quality only
