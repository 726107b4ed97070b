"""The answer check: a plain correction's words against the answer a student re-uses for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from vibegrade.data.rows import read_rows
from vibegrade.schema import parse_chain
from vibegrade.students import load_student
from vibegrade.students.answer_check import (
    checked_direction,
    follows,
    follows_change,
    moves,
    moves_change,
    moves_range,
    names_range,
    plain_request,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def student():
    return load_student()


def test_plain_requests_are_corrections_without_a_look():
    for t in ("lighter", "tone down the brightness", "a little less saturated", "bring down the highlights",
              "make it a bit warmer pls", "tone down the blues"):
        assert plain_request(t), t
    # a look, not a correction: bare "warm" is answered with a preset, "warmer" is not
    for t in ("golden hour but cooler", "moody, not too dark", "dim sum", "deep south", "", "🔥", "warm",
              "make it warm", "bright"):
        assert not plain_request(t), t
    # words the teacher reads either way are not checked: "flat photo" asks for more contrast
    for t in ("flat photo", "hazy", "very blurry", "low contrast", "fix the shadows",
              "blues a little weaker", "contrast looks off", "2049 look, not so orange"):
        assert not plain_request(t), t


def test_checked_direction_names_one_attribute():
    assert checked_direction("lighter") == ("light", 1)
    assert checked_direction("tone down the blues") == ("blue", -1)
    assert checked_direction("warmer and brighter") is None  # two attributes
    assert checked_direction("cyberpunk") is None


def test_moves_reads_each_attribute_from_the_answer():
    c = parse_chain
    assert moves(c({"adjust": {"exposure": 20}}), "light", +1)
    assert not moves(c({"selective_adjust": {"blue": {"luminance": 30}}}), "light", +1)  # the sky, not all
    assert moves(c({"adjust": {"vibrance": -10}}), "saturation", -1)
    assert not moves(c({"adjust": {"contrast": -11, "saturation": -16}}), "light", -1)
    assert moves(c({"adjust": {"highlights": -25}}), "light@highlights", -1)
    assert moves(c({"adjust": {"linearOffset": -12}}), "light@shadows", -1)  # "crush the blacks"
    assert moves(c({"adjust": {"bloom": 20, "contrast": -15}}), "sharpness", -1)  # "softer"
    assert not moves(c({"adjust": {"bloom": 20}}), "sharpness", +1)
    # a colour: its range, or the white balance toward it (more) or away from it (less)
    assert moves(c({"selective_adjust": {"blue": {"saturation": -30}}}), "blue", -1)
    assert moves(c({"adjust": {"temperature": 25}}), "blue", -1)  # "too blue": warm it
    assert not moves(c({"adjust": {"temperature": -25}}), "blue", -1)
    assert moves(c({"adjust": {"tint": 18}}), "magenta", +1)
    assert moves(c({"selective_adjust": {"red": {"saturation": 20}}}), "magenta", +1)
    assert moves(c({"adjust": {"tint": 22}}), "green", -1)  # "too green": towards magenta
    # a cast is the white balance's: away from the colour, or toward it
    assert moves(c({"adjust": {"tint": 15}}), "green@cast", -1)
    assert not moves(c({"selective_adjust": {"green": {"saturation": -30}}}), "green@cast", -1)
    assert moves(c({"adjust": {"temperature": -20}}), "blue@cast", +1)
    # not checked: the exposure words themselves (looks and complaints share them), less glow, other regions
    assert moves(c({"adjust": {"exposure": 80}}), "exposure", -1) is None
    assert moves(c({"adjust": {"contrast": 15}}), "glow", -1) is None
    assert moves(c({"adjust": {"exposure": 5}}), "light@sky", +1) is None


def test_states_are_checked_as_the_correction_they_ask_for():
    # exposure said of the picture as it is: the light the other way; bare or asked for, a look
    assert checked_direction("kinda overexposed tbh") == ("light", -1)
    assert checked_direction("overexposed tbh") == ("light", -1)  # the student's reading drops "kinda"
    assert checked_direction("its sooo overexposed") == ("light", -1)
    assert checked_direction("bit underexposed") == ("light", 1)
    for t in ("overexposed", "make it overexposed", "more overexposed"):
        assert checked_direction(t) is None, t
    # states of a colour's range, of the whites and of the whole picture
    assert checked_direction("the yellows are really pale") == ("yellow", 1)
    assert checked_direction("the bright parts look super dim") == ("light@highlights", 1)
    assert checked_direction("its got a really green tint") == ("green@cast", -1)
    assert checked_direction("white balance is too cool") == ("temperature", 1)
    assert checked_direction("its so flat") == ("contrast", 1)  # "too flat" is read one way only
    assert checked_direction("lift the exposure a lot") == ("exposure_level", 1)
    # a colour with "tone" or "maximum" is a look the teacher adds as often as a cast it removes
    for t in ("blue tone", "maximum green tint"):
        assert checked_direction(t) is None, t


def test_follows_is_none_for_looks():
    warm_look = parse_chain({"adjust": {"temperature": 30}, "filter": {"name": "fortune", "intensity": 40}})
    assert follows("golden hour but cooler", warm_look) is None
    assert follows("cooler", warm_look) is False
    assert follows("warmer", warm_look) is True


def test_a_change_is_read_value_by_value_falls_of_the_sharpening_included():
    c = parse_chain
    sharp = c({"adjust": {"sharpen": 30, "structure": 20, "temperature": 10}})
    half = c({"adjust": {"sharpen": 15, "structure": 20, "temperature": 10}})
    # the chain after "less sharpening" still sharpens; the change from the look before is the fall
    assert not moves(half, "sharpness", -1)
    assert moves_change(sharp, half, "sharpness", -1)
    assert not moves_change(sharp, half, "sharpness", +1)
    # a warm look made less warm moves the temperature down even though the result is still warm
    cooler = c({"adjust": {"sharpen": 30, "structure": 20, "temperature": -5}})
    assert moves(cooler, "temperature", -1) and moves_change(sharp, cooler, "temperature", -1)
    assert not moves_change(cooler, sharp, "temperature", -1)
    # a colour's range, and the white balance away from it ("too blue": warmer), read on the change
    blue = c({"selective_adjust": {"blue": {"saturation": 40}}})
    less_blue = c({"selective_adjust": {"blue": {"saturation": 10}}})
    assert moves(less_blue, "blue", +1) and moves_change(blue, less_blue, "blue", -1)
    assert moves_change(sharp, cooler, "blue", +1) and not moves_change(cooler, sharp, "blue", +1)


def test_follows_change_checks_every_attribute_of_a_plain_follow_up():
    c = parse_chain
    look = c({"adjust": {"temperature": 30, "contrast": 20}})
    warmer_brighter = c({"adjust": {"temperature": 45, "contrast": 20, "exposure": 20}})
    warmer_only = c({"adjust": {"temperature": 45, "contrast": 20}})
    assert follows_change("warmer, brighter", look, warmer_brighter) is True
    assert follows_change("warmer, brighter", look, warmer_only) is False  # one part undone
    assert follows_change("too sharp", look, look) is False  # no move
    assert follows_change("too sharp", look, c({"adjust": {"temperature": 30, "contrast": 10,
                                                           "bloom": 15}})) is True  # softer
    assert follows_change("golden hour but cooler", look, look) is None  # a look: not checked
    assert follows_change("less glow", look, look) is None  # bloom cannot fall below 0: not checked


def test_the_teachers_own_answers_pass_the_check(student):
    """Measured over every stored request the check judges (read as the student reads them): the
    dataset's answers do what the words say in 99 % (890 of 898 when this was written)."""
    rows = read_rows(sorted((ROOT / "data/vibes").glob("*.jsonl")))
    verdicts = [follows(student.read(r.intent), r.chain) for r in rows]
    judged = [v for v in verdicts if v is not None]
    assert len(judged) >= 850
    assert sum(judged) / len(judged) >= 0.98


def test_plain_corrections_get_answers_that_move_what_they_name(student):
    """Requests whose nearest stored requests were other edits ("lighter water", "tone it down") before
    the check; each now gets an answer that moves what it names, the way it says."""
    lighter, brighten, dim, blues, desat, highlights = student.predict([
        "lighter", "brighten it up", "tone down the brightness", "tone down the blues",
        "a little less saturated", "bring down the highlights"])
    assert lighter.adjust.exposure > 0 or lighter.adjust.brightness > 0
    assert brighten.adjust.exposure > 0 or brighten.adjust.brightness > 0
    assert dim.adjust.exposure < 0 or dim.adjust.brightness < 0
    assert blues.selective_adjust.blue.saturation < 0 or blues.selective_adjust.blue.luminance < 0
    assert desat.adjust.saturation < 0 or desat.adjust.vibrance < 0
    assert highlights.adjust.highlights < 0


def test_a_colour_no_close_answer_moves_comes_from_the_stored_corrections(student):
    """The nearest stored requests to "reds look weak" and "the greens are super neon" are looks; the
    stored corrections of those colours answer them, the way they ask, on the colour's range (named as a
    range, "the greens" is not a green cast: before, "the greens are super neon" got tint +70)."""
    weak, neon, muted = student.predict(["reds look weak", "the greens are super neon",
                                         "yellows are super muted"])
    assert moves_range(weak, "red", +1) and moves_range(neon, "green", -1) and moves(muted, "yellow", +1)
    assert neon.adjust.tint == 0
    assert names_range("the greens are super neon", "green") and not names_range("too green", "green")


def test_the_check_can_be_switched_off(student):
    """``retrieval.answer_check: false`` in a model's config gives the unchecked nearest answer."""
    before = student.retrieval.get("answer_check")
    try:
        student.retrieval["answer_check"] = False
        unchecked = student.predict(["lighter"])[0]
    finally:
        if before is None:
            student.retrieval.pop("answer_check", None)
        else:
            student.retrieval["answer_check"] = before
    assert not (unchecked.adjust.exposure > 0 or unchecked.adjust.brightness > 0)


def test_a_plain_correction_is_answered_by_the_same_correction_at_the_same_size(student):
    """"raise the contrast" is far from "more contrast" for the encoder (its nearest stored requests are
    "enhance" and "lift the shadows"); it takes the stored corrections that name contrast up, plain size
    and no number, before "crank the contrast all the way up" or "contrast +100"."""
    raised, slight, plain, strong = student.predict(["raise the contrast", "a bit brighter",
                                                     "make it brighter", "way brighter"])
    assert 15 <= raised.adjust.contrast <= 40
    assert 0 < slight.adjust.exposure < plain.adjust.exposure < strong.adjust.exposure
    index = student._corrections()
    assert ("contrast", 1) in index and ("light", -1) in index
    assert all(student.memory_intents[j] != "golden hour" for js in index.values() for j in js)


def test_blind_plain_corrections_move_what_their_authors_say(student):
    """The 3,600 blind plain corrections (data/vibes/plain_corrections/, fourteen authors who saw only the
    brief): the shipped student's answer moves the labelled attribute the labelled way in 93 % or more,
    and 93 % or more of those at the style guide's size for the author's size label (docs/experiments.md
    has each set's figures)."""
    import json

    from vibegrade.students.answer_check import moves

    attrs = {"brightness": "light", "contrast": "contrast", "saturation": "saturation",
             "warmth": "temperature", "shadows": "light@shadows", "highlights": "light@highlights",
             "sharpness": "sharpness",
             "red": "red", "orange": "orange", "yellow": "yellow", "green": "green", "blue": "blue",
             "purple": "magenta"}
    paths = sorted((ROOT / "data/vibes/plain_corrections").glob("author_*.jsonl"))
    rows = [json.loads(line) for path in paths
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) == 3600 and {r["attribute"] for r in rows} == set(attrs)
    answers = student.predict([r["request"] for r in rows])
    right = [bool(moves(c, attrs[r["attribute"]], r["direction"])) for c, r in zip(answers, rows)]
    assert sum(right) / len(rows) >= 0.93
    # at the style guide's size for the author's label (docs/experiments.md, "Each correction its size":
    # about 82 % before)
    from vibegrade.students.answer_check import size_band

    said = [size_band(c, attrs[r["attribute"]]) == {"slight": -1, "plain": 0, "strong": 1}[r["size"]]
            for c, r, ok in zip(answers, rows, right) if ok]
    assert sum(said) / len(said) >= 0.93


def test_the_typo_repair_leaves_the_readers_words(student):
    """"darks" is the shadows, not a typo of the more common "dark" (it made "darks are a little crushed"
    read as two directions and get shadows −12); "toastier" is not "toaster"."""
    assert student.read("lift the darks") == "lift the darks"
    assert student.read("a bit toastier") == "a bit toastier"
    assert student.read("vintgae") == "vintage"  # real slips are still repaired
    lift = student.predict(["darks are a little crushed"])[0].adjust
    assert lift.shadows >= 0 and lift.linearOffset >= 0 and lift.shadows + lift.linearOffset > 0


def test_asks_the_student_reads_without_their_asking_words_stay_asks(student):
    """The student reads "make it feel warm" as "feel warm" and "make the blues really intense" as "blues
    really intense": the state rules must not turn them into complaints (a first version of them cooled
    the first and took blue out of the second); "so dark" stays a complaint ("so" is not filler there)."""
    warm, blues, oranges, dark = student.predict(["make it feel warm", "make the blues really intense",
                                                  "make the oranges really strong", "so dark omg"])
    assert warm.adjust.temperature > 0
    assert blues.selective_adjust.blue.saturation > 0
    assert moves(oranges, "orange", +1)
    assert dark.adjust.exposure > 0 or dark.adjust.brightness > 0


def test_a_correction_is_made_at_the_guides_size_for_its_words():
    from vibegrade.schema import parse_chain
    from vibegrade.students.answer_check import as_said, size_band

    notch = parse_chain({"adjust": {"contrast": 25, "shadows": -5}})
    assert size_band(notch, "contrast") == 0
    out = as_said(notch, "contrast", -1)  # "contrast up a notch" answered as "more contrast"
    assert (out.adjust.contrast, out.adjust.shadows) == (12, -5)  # the supporting move as it was
    assert as_said(notch, "contrast", 0) == notch  # already the size said
    brighter = parse_chain({"adjust": {"exposure": 10, "brightness": 5, "highlights": -8}})
    out = as_said(brighter, "light", 1)  # "way brighter" answered as "a bit brighter"
    assert (out.adjust.exposure, out.adjust.brightness, out.adjust.highlights) == (40, 20, -8)
    reds = parse_chain({"selective_adjust": {"red": {"saturation": 50}}})
    assert as_said(reds, "red", -1).selective_adjust.red.saturation == 15  # a range: 15 / 30 / 50
    assert as_said(notch, "contrast", 2) == notch  # all of it: no guide size to go to
    assert size_band(notch, "temperature") is None


@pytest.mark.parametrize(("text", "key", "value"), [
    ("desaturate a touch", "saturation", -12),  # before: -30 (the stored "desaturate a bit")
    ("exposure down a hair", "exposure", -10),  # before: -25
    ("blues up a touch", "blue.saturation", 15),  # before: +30
    ("greens a tad too much", "green.saturation", -15),  # before: -30
])
def test_the_shipped_student_makes_a_correction_at_the_size_said(student, monkeypatch, text, key, value):
    from vibegrade.students.refine_features import PARAM_KEYS, chain_vector

    def got() -> float:
        return float(chain_vector(student.predict([text])[0])[PARAM_KEYS.index(key)])

    assert got() == value
    monkeypatch.setitem(student.retrieval, "size_check", 0)
    assert abs(got()) > abs(value)


def test_a_request_that_reads_as_a_stored_bare_request_gets_its_answer(student):
    """"night", "night aesthetic" and "make it a night aesthetic" are stored with two answers and all read
    "night": a new wording that reads "night" ("make it night") gets the answer of the request typed as it
    reads, not of whichever was stored first (it had "night aesthetic"'s cyberpunk preset)."""
    night, wrapped = student.predict(["night", "make it night"])
    assert wrapped == night
    assert student.read("make it night") == "night"
    aesthetic = student.memory_chains[student.memory_intents.index("night aesthetic")]
    assert aesthetic != night  # two answers in the data: the tie is real


def test_tones_is_a_plain_word_of_a_correction(student):
    """"cool down the tones", "slightly warmer tones" are plain corrections (they had the answers of
    looks: no cooling at all, and saturation -40 with the north preset); bare "cool tones" stays a look."""
    assert checked_direction("cool down the tones") == ("temperature", -1)
    assert checked_direction("slightly warmer tones") == ("temperature", 1)
    assert not plain_request("cool tones")
    cool, warm = student.predict(["cool down the tones", "slightly warmer tones"])
    assert cool.adjust.temperature < 0 and warm.adjust.temperature > 0
    assert warm.adjust.saturation == 0 and not warm.filter.used
