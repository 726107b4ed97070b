"""What a request says not to do (students/limits.py): the reader, the holds and the colour splash on
chains, the shipped student on plain requests and on the blind set data/vibes/limits/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.students.scripts import assert_rejects_bad_row, load_script
from vibegrade.schema import ToolChain, parse_chain
from vibegrade.students import limits, load_student
from vibegrade.students.limits import COMPENSATION, HOLD_BAND, Limits, chroma_kept

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def student():
    return load_student()


@pytest.mark.parametrize(("text", "keep", "rest"), [
    ("black and white except the red", "red", "black and white"),
    ("b&w but leave the green", "green", "black and white"),
    ("make everything grey but keep the yellow taxi", "yellow", ""),
    ("desaturate everything but the blues", "blue", ""),
    ("colour splash on the red umbrella pls", "red", ""),
    ("keep only red", "red", ""),
    ("only the blue in colour pls", "blue", ""),
    ("keep the orange sunset, everything else grey", "orange", ""),
    ("grey everything out except the purple lavender", "magenta", ""),
    ("b and w except green, bump up the contrast a lot", "green",
     "black and white, bump up the contrast a lot"),
    ("desaturate all but the oranges, a bit brighter too", "orange", "a bit brighter too"),
    ("noir but a little red pls", "red", "noir"),
])
def test_a_colour_splash_is_read_with_its_colour_and_the_rest(text, keep, rest):
    got = limits.read(text)
    assert got is not None and got.keep == keep and got.rest == rest


@pytest.mark.parametrize("text", [
    "black and white", "golden hour", "warmer", "make the grey sky blue", "grey but more blue",
    "black and white with a red tint", "neo noir, more blue", "teal and orange", "not so dark",
    "golden hour but not too orange", "keep only the good parts", "no orange",
    # only what not to do: read whole by the student, never answered with no edit at all
    "keep it warm", "dont touch the colours", "nothing crazy",
])
def test_requests_with_no_limit_are_left_to_the_student(text):
    assert limits.read(text) is None


@pytest.mark.parametrize(("text", "rest", "holds"), [
    ("just brighter, don't touch the colours", "just brighter", [("saturation", 0), ("temperature", 0)]),
    ("cooler but keep the skin tones natural", "cooler", [("orange", 0)]),
    ("brighter but dont blow out the highlights", "brighter", [("light@highlights", 1)]),
    ("more contrast without crushing the shadows", "more contrast", [("light@shadows", -1)]),
    ("a touch softer without losing the contrast", "a touch softer", [("contrast", -1)]),
    ("much more contrast but avoid blowing out the highlights or crushing the shadows", "much more contrast",
     [("light@highlights", 1), ("light@shadows", -1)]),
    ("more green in the trees, dont let it go blue", "more green in the trees", [("blue", 1)]),
    ("warmer, no red faces", "warmer", [("red", 1)]),
    ("tone down the highlights but dont make it darker overall", "tone down the highlights", [("light", -1)]),
    ("remove the orange, keep it warm tho", "remove the orange", [("temperature", -1)]),
    ("crank up the saturation, leave contrast and brightness as is", "crank up the saturation",
     [("contrast", 0), ("light", 0)]),
    ("nothing crazy, just a bit brighter", "just a bit brighter", []),
    ("film noir but dont crush the shadows", "film noir", [("light@shadows", -1)]),
    ("crisper but dont bump the contrast", "crisper", [("contrast", 1)]),
    ("warmer but avoid yellow", "warmer", [("yellow", 1)]),
    ("darker, no crushed blacks", "darker", [("light@shadows", -1)]),
    ("only brighten the highlights, shadows stay as they are", "only brighten the highlights",
     [("light@shadows", 0)]),
    ("can you warm it up but not make the skin orange?", "can you warm it up", [("orange", 1)]),
])
def test_what_not_to_do_is_read_apart_from_what_to_do(text, rest, holds):
    got = limits.read(text)
    assert got is not None and got.rest == rest and list(got.holds) == holds and got.keep is None


@pytest.mark.parametrize(("text", "rest"), [
    ("the shadows shouldnt be this black", "the shadows too dark"),
    ("i dont want it this saturated", "too saturated"),
    ("its not meant to be this warm", "too warm"),
    ("the grass isnt green enough", "greener grass"),
    ("not enough purple in the sunset", "more purple in the sunset"),
    ("less not more contrast", "less contrast"),
    ("no more orange 😩", "remove the orange"),
    ("lose the green", "remove the green"),
    # after a look: less of it than the look gives
    ("70s look without so much yellow", "70s look, less yellow"),
    ("kodak portra but not as warm", "kodak portra but less warm"),
    ("autumn look but dont overdo the orange", "autumn look but less orange"),
])
def test_a_state_said_with_a_not_is_read_as_its_complaint(text, rest):
    got = limits.read(text)
    assert got is not None and got.rest == rest and not got.holds


def test_a_hold_sets_back_what_moves_the_forbidden_way_but_not_what_is_asked():
    chain = parse_chain({"adjust": {"exposure": -8, "highlights": -45, "contrast": 10}})
    out = limits.apply(chain, Limits("tone down the highlights", (("light", -1),)))
    assert out.adjust.exposure == 0 and out.adjust.highlights == -45 and out.adjust.contrast == 10
    # "more contrast but keep the sharpness": sharpness owns the contrast of "softer", not asked here
    sharp = parse_chain({"adjust": {"contrast": 25, "sharpen": 30}})
    out = limits.apply(sharp, Limits("more contrast", (("sharpness", 0),)))
    assert out.adjust.contrast == 25 and out.adjust.sharpen == 0
    # "soften it but don't lose the contrast": the contrast is held, the glow of "softer" stays
    soft = parse_chain({"adjust": {"contrast": -12, "bloom": 15}})
    out = limits.apply(soft, Limits("soften it a touch", (("contrast", -1),)))
    assert out.adjust.contrast == 0 and out.adjust.bloom == 15


def test_a_follow_up_holds_what_the_current_chain_has():
    """From a current chain (``before``), a hold sets back to its values, not to the photo's."""
    now = parse_chain({"adjust": {"exposure": 10, "shadows": -20, "saturation": -15}})
    after = parse_chain({"adjust": {"exposure": 5, "shadows": -30, "saturation": -15, "contrast": 20}})
    out = limits.apply(after, Limits("more contrast", (("light@shadows", -1), ("light", -1))), before=now)
    assert out.adjust.shadows == -20 and out.adjust.exposure == 10 and out.adjust.contrast == 20
    # the colours held from a muted look keep that look's chroma, not the photo's
    kept = limits.apply(now, Limits("brighter", (("saturation", 0),)), before=now)
    assert kept == now


def test_a_held_colour_keeps_its_look_by_its_own_range():
    """"warmer but keep the skin natural": the warm balance turns skin orange; the orange range is eased
    until the orange swatches' chroma is back within the band (the teacher's own answer: orange −12)."""
    warm = parse_chain({"adjust": {"temperature": 100}})
    assert chroma_kept(warm)["orange"] > HOLD_BAND[0][1]
    out = limits.apply(warm, Limits("warmer", (("orange", 0),)))
    lo, hi = HOLD_BAND[0]
    assert lo <= chroma_kept(out)["orange"] <= hi
    assert -COMPENSATION <= out.selective_adjust.orange.saturation < 0 and out.adjust.temperature == 100
    # asked to change: "more orange but keep the skin natural" keeps the asked orange
    orange = parse_chain({"adjust": {"temperature": 100}, "selective_adjust": {"orange": {"saturation": 30}}})
    assert limits.apply(orange, Limits("more orange", (("orange", 0),))) == orange


def test_a_colour_the_look_takes_out_is_raised_at_most_by_the_compensation():
    grey = parse_chain({"adjust": {"saturation": -90}})
    out = limits.apply(grey, Limits("muted", (("orange", 0),)))
    assert out.selective_adjust.orange.saturation == COMPENSATION


def test_a_splash_keeps_one_colour_and_greys_the_rest():
    look = parse_chain({"adjust": {"saturation": -100, "contrast": 25},
                        "filter": {"name": "darkness", "intensity": 40}})
    out = limits.apply(look, Limits("black and white", (), "red"))
    kept = chroma_kept(out)
    assert kept["red"] >= 0.6 and all(kept[c] <= 0.35 for c in ("orange", "yellow", "green", "blue"))
    assert out.adjust.contrast == 25 and not out.filter.used
    with pytest.raises(ValueError, match="unknown colour"):
        limits.splash(ToolChain(), "beige")


@pytest.mark.parametrize("text", ["nothing too crazy, just a bit brighter",
                                  "just brighter, dont touch the colours",
                                  "brighter but dont blow out the highlights"])
def test_the_shipped_student_makes_the_change_and_keeps_the_rest(student, text):
    """Before: contrast −45 (the student answered "nothing too crazy" as a look), saturation +8 and
    highlights +25 with no brightening ("don't blow out the highlights" read as the change)."""
    got = student.predict([text])[0]
    assert got.adjust.exposure + got.adjust.brightness > 0
    assert got.adjust.contrast >= 0 and got.adjust.highlights <= 0
    if "colours" in text:
        assert got.adjust.saturation == 0 and got.adjust.vibrance == 0 and got.adjust.temperature == 0


def test_the_shipped_student_makes_a_colour_splash(student):
    """Before: saturation −90 then red +30, which has nothing left to raise: all grey."""
    for text in ("black and white except the red", "make everything grey except the red",
                 "only keep the reds pls"):
        kept = chroma_kept(student.predict([text])[0])
        assert kept["red"] >= 0.6 and max(kept[c] for c in ("orange", "yellow", "green", "blue")) <= 0.35


def test_the_limits_can_be_switched_off(student, monkeypatch):
    monkeypatch.setitem(student.retrieval, "limits", 0)
    kept = chroma_kept(student.predict(["black and white except the red"])[0])
    assert kept["red"] < 0.6  # the answer before this reader: grey all over


def _eval_script():
    return load_script("limits_eval")


def test_blind_requests_with_limits(student):
    """The 800 blind requests of data/vibes/limits/ (authors a–d, who saw only its brief): all right (every
    change made, every hold kept, the splash kept) in 90 % of them or more (docs/experiments.md, "What not
    to do": 64 % per set before)."""
    mod = _eval_script()
    rows = mod.read_rows(list("abcd"))
    assert len(rows) == 800
    answers = student.predict([r["request"] for r in rows])
    looks = sorted({r["base"] for r in rows if r["base"]})
    got = dict(zip(looks, student.predict(looks)))
    scored = mod.score(rows, answers, [got.get(r["base"], ToolChain()) for r in rows])
    assert scored["all_right"] >= 0.90 and scored["splashes_kept"] >= 0.95


@pytest.mark.parametrize(("line", "why"), [
    ("not json", "not JSON"),
    ('{"request": "x", "base": "", "changes": [], "hold": [], "keep_colour": ""}', "bad row"),  # nothing
    ('{"request": "x", "base": "", "changes": [], "hold": [{"attribute": "glow", "direction": 0}], '
     '"keep_colour": ""}', "bad row"),
    ('{"request": "x", "base": "", "changes": [], "hold": [], "keep_colour": "beige"}', "bad row"),
    ('{"request": "x", "changes": [], "hold": [], "keep_colour": "red"}', "bad row"),  # no base
])
def test_the_eval_script_rejects_bad_rows_with_the_file_and_line(tmp_path, line, why):
    mod = _eval_script()
    good = ('{"request": "brighter but dont blow out the highlights", "base": "", "changes": [{"attribute": '
            '"brightness", "direction": 1, "size": "plain"}], "hold": [{"attribute": "highlights", '
            '"direction": 1}], "keep_colour": ""}')
    rows = assert_rejects_bad_row(mod, tmp_path, good, line, why)
    right = parse_chain({"adjust": {"exposure": 20, "highlights": -10}})
    wrong = parse_chain({"adjust": {"highlights": 25}})
    assert mod.score(rows, [right], [ToolChain()])["all_right"] == 1
    scored = mod.score(rows, [wrong], [ToolChain()])
    assert scored["all_right"] == 0 and scored["holds_kept"] == 0 and scored["changes_right"] == 0


@pytest.fixture(scope="module")
def refiner(student):
    from vibegrade.students.refine import load_refiner

    return load_refiner(student=student)


def test_a_follow_up_that_says_what_not_to_do(student, refiner, monkeypatch):
    """As a follow-up the rest is refined and the holds kept from the current chain: on "moody", "more
    contrast without crushing the shadows" leaves the shadows and black level where they were; "just
    brighter, don't touch the colours" leaves saturation and white balance; "make it black and white
    except the red" is a splash of the current look."""
    moody, golden = student.predict(["moody", "golden hour"])
    out = refiner.refine(moody, "more contrast without crushing the shadows").chain
    assert out.adjust.contrast > moody.adjust.contrast
    assert out.adjust.shadows >= moody.adjust.shadows and out.adjust.linearOffset >= moody.adjust.linearOffset
    out = refiner.refine(golden, "just brighter, dont touch the colours").chain
    assert out.adjust.exposure + out.adjust.brightness > golden.adjust.exposure + golden.adjust.brightness
    assert (out.adjust.saturation, out.adjust.vibrance, out.adjust.temperature) == \
        (golden.adjust.saturation, golden.adjust.vibrance, golden.adjust.temperature)
    kept = chroma_kept(refiner.refine(golden, "make it black and white except the red").chain)
    assert kept["red"] >= 0.6 and max(kept[c] for c in ("yellow", "green", "blue")) <= 0.35
    monkeypatch.setattr(refiner, "limits", False)  # the refiner before: no splash
    kept = chroma_kept(refiner.refine(golden, "make it black and white except the red").chain)
    assert kept["red"] < 0.6



def test_blind_requests_with_limits_as_follow_ups(student, refiner, monkeypatch):
    """The blind requests with no look (data/vibes/limits/, authors a-d) as follow-ups on the shipped
    student's "moody": all right in 85 % of them or more (docs/refine.md, "What not to do, as a follow-up":
    about half before); the refiner without the reader stays below 60 %."""
    mod = load_script("refine_data/limits_followups_eval")
    rows = [r for r in _eval_script().read_rows(list("abcd")) if not r["base"].strip()]
    assert len(rows) == 680
    starts = {"moody": student.predict(["moody"])[0]}
    report, _ = mod.evaluate(refiner, starts, rows)
    assert report["all_right"] >= 0.85 and report["splashes_kept"] >= 0.95
    monkeypatch.setattr(refiner, "limits", False)
    assert mod.evaluate(refiner, starts, rows)[0]["all_right"] < 0.6


@pytest.mark.parametrize(("text", "rest", "holds"), [
    ("warmer but dont make it too orange", "warmer", [("orange", 1)]),
    ("punchier colours but dont make the sky too blue", "punchier colours", [("blue", 1)]),
    ("more contrast but dont make it too dark", "more contrast", [("light", -1)]),
])
def test_a_not_of_degree_after_a_change_limits_it(text, rest, holds):
    got = limits.read(text)
    assert got is not None and got.rest == rest and list(got.holds) == holds


@pytest.mark.parametrize("text", ["golden hour but dont make it too yellow", "dont make it too dark"])
def test_a_not_of_degree_after_a_look_or_alone_stays_a_change(text):
    assert limits.read(text) is None  # the teacher eases the look's yellow; alone, it is the change


def test_the_shipped_student_makes_the_change_a_not_of_degree_limits(student):
    """Before: "warmer but dont make it too orange" temperature −15 (the limit read as a cast to cool) and
    "punchier colours but dont make the sky too blue" no punch at all."""
    warm, punch = student.predict(["warmer but dont make it too orange",
                                   "punchier colours but dont make the sky too blue"])
    assert warm.adjust.temperature > 0 and warm.selective_adjust.orange.saturation <= 0
    assert punch.adjust.contrast > 0 and punch.adjust.saturation + punch.adjust.vibrance > 0
    assert chroma_kept(punch)["blue"] <= 1.1  # "not more", as the blind eval reads it (at most 110 %)
