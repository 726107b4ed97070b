"""A look plus a change in one request ("gothic but brighter"): the split, the sum, the shipped student."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vibegrade.schema import parse_chain
from vibegrade.students import load_student
from vibegrade.students.answer_check import moves_change, wished_signature
from vibegrade.students.compose import (
    NO_PRESET,
    add_change,
    as_it_is,
    compose,
    keeps_look,
    parts,
    split_change,
    split_requests,
)
from vibegrade.students.direction import signature

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def student():
    return load_student()


@pytest.mark.parametrize(("text", "look", "changes"), [
    ("gothic but brighter", "gothic", [("light", 1)]),
    ("teal and orange but more orange", "teal and orange", [("orange", 1)]),  # the look is all before
    ("black and white but brighter", "black and white", [("light", 1)]),
    ("pastel but less bright, i can barely see anything", "pastel", [("light", -1)]),
    ("vintage but warmer and brighter", "vintage", [("temperature", 1), ("light", 1)]),
    ("moody, shadows a bit lifted", "moody", [("light@shadows", 1)]),  # a wish after a look, not a state
    ("90s but slightly muted", "90s", [("saturation", -1)]),
    ("sunset but super low contrast", "sunset", [("contrast", -1)]),
    ("tropical but desaturated", "tropical", [("saturation", -1)]),
    ("golden hour but less blown out", "golden hour", [("light@highlights", -1)]),
    ("vintage w more detail", "vintage", [("sharpness", 1)]),
    ("dreamy w/ brighter highlights", "dreamy", [("light@highlights", 1)]),
    ("zelda botw less green", "zelda botw", [("green", -1)]),
    ("cinestill 800t a little brighter", "cinestill 800t", [("light", 1)]),
    ("greener ghibli", "ghibli", [("green", 1)]),
    ("more vibrant autumn", "autumn", [("saturation", 1)]),
    # words after the change that say why are left out
    ("barbie but way less saturated my eyes hurt", "barbie", [("saturation", -1)]),
    ("blade runner 2049 but super orange like the vegas scene", "blade runner 2049", [("orange", 1)]),
])
def test_split_finds_the_look_and_its_changes(text, look, changes):
    got = split_change(text)
    assert got is not None
    assert got[0] == look
    assert [next(iter(sig)) for _, sig in got[1]] == changes


@pytest.mark.parametrize("text", [
    "black and white", "bright and airy", "dark academia", "golden hour", "warm vintage",
    "shadows too dark", "a bit more saturated",      # a region or a size is not a look
    "greens are super neon", "contrast is harsh af",  # complaints
    "blues a bit darker", "make the colors brighter", "the sky but bluer",  # parts of the picture
    "+10 warmer", "a third of a stop brighter", "1 stop brighter",  # amounts
    "cinematic but keep skin natural", "cooler + contrastier",
    "winter but warm skin", "winter with warm lights",  # a change said of a part, not of the picture
])
def test_split_leaves_what_is_not_a_look_plus_a_change(text):
    assert split_change(text) is None


def test_a_change_after_a_look_is_read_as_a_wish():
    # alone, "slightly muted" and "super bright" state the picture as it is (complaints); after a look
    # they ask for it
    assert signature("slightly muted") == {("saturation", 1)}
    assert wished_signature("slightly muted") == {("saturation", -1)}
    assert wished_signature("super bright lol") == {("light", 1)}
    assert wished_signature("its way too dark") == {("light", 1)}  # said as a state: a complaint still
    assert wished_signature("keep skin natural") is None
    assert wished_signature("the vegas scene") is None


@pytest.mark.parametrize(("change", "said"), [
    # set 2's other ways of saying a change after a look
    ("really blown out highlights", ("light@highlights", 1)), ("more blown out", ("light@highlights", 1)),
    ("slightly hotter highlights", ("light@highlights", 1)), ("glowing highlights", ("light@highlights", 1)),
    ("a bit less hot in the highlights", ("light@highlights", -1)),
    ("less blown out", ("light@highlights", -1)), ("whiter whites", ("light@highlights", 1)),
    ("slightly softer highlights", ("light@highlights", -1)),
    ("slightly less glare in the highlights", ("light@highlights", -1)),
    ("a much softer focus", ("sharpness", -1)), ("way blurrier", ("sharpness", -1)),
    ("a bit of blur", ("sharpness", -1)), ("bit more shadow", ("light@shadows", -1)),
    ("heavier shadows", ("light@shadows", -1)), ("much more detail in the shadows", ("light@shadows", 1)),
    ("slightly faded blacks", ("light@shadows", 1)), ("way less black in the shadows", ("light@shadows", 1)),
    ("really muted down", ("saturation", -1)), ("even more contrast", ("contrast", 1)),
])
def test_other_ways_of_saying_a_change(change, said):
    assert wished_signature(change) == {said}


def test_a_descriptor_before_a_look_splits_only_before_a_stored_look():
    stored = {"retro", "pastel", "sunset"}.__contains__
    assert split_change("muted retro", known=stored) == ("retro", [("make it muted", {("saturation", -1)})])
    assert split_change("low contrast pastel", known=stored)[1][0][1] == {("contrast", -1)}
    assert split_change("muted retro") is None  # no memory to ask
    assert split_change("dark academia", known=stored) is None  # "academia" is not a stored look
    assert split_change("purple sunset", known=stored) is None  # a colour before a look: a look of its own


def test_add_change_adds_values_clamps_and_keeps_the_looks_preset():
    look = parse_chain({"adjust": {"exposure": 90, "temperature": 30},
                        "selective_adjust": {"orange": {"saturation": 20}},
                        "filter": {"name": "fortune", "intensity": 35}})
    change = parse_chain({"adjust": {"exposure": 25}, "selective_adjust": {"orange": {"saturation": -30}},
                          "filter": {"name": "vivid", "intensity": 50}})
    got = add_change(look, change)
    assert got.adjust.exposure == 100 and got.adjust.temperature == 30  # clamped, untouched
    assert got.selective_adjust.orange.saturation == -10
    assert got.filter.name == "fortune" and got.filter.intensity == 35
    assert keeps_look(look, got)
    assert not keeps_look(look, parse_chain({"adjust": {"saturation": -100},
                                             "filter": {"name": "fortune", "intensity": 35}}))


GOTHIC = {"adjust": {"exposure": -20, "contrast": 20}, "filter": {"name": "darkness", "intensity": 40}}


def _compose(answer: dict, brighter: dict, stored: bool = False, correction=None):
    intents = ["Gothic but brighter"]
    splits = split_requests(intents, str.lower, stored=lambda t: stored)
    got = {"gothic": parse_chain(GOTHIC), "make it brighter": parse_chain(brighter)}
    assert parts(splits) == ([] if stored else sorted(got))
    answers = [parse_chain(answer)]
    return compose(answers, splits, got, correction=correction)[0], answers[0]


def test_compose_replaces_an_answer_that_misses_the_change():
    # the nearest stored request was the look alone
    out, _ = _compose(GOTHIC, {"adjust": {"exposure": 25}})
    assert out.adjust.exposure == 5 and out.adjust.contrast == 20
    assert out.filter.name == "darkness"


def test_compose_keeps_an_answer_that_already_does_it_and_stored_requests():
    out, done = _compose({**GOTHIC, "adjust": {"exposure": -5, "contrast": 18}}, {"adjust": {"exposure": 25}})
    assert out is done
    out, lost = _compose(GOTHIC, {"adjust": {"exposure": 25}}, stored=True)
    assert out is lost


def test_compose_leaves_out_a_change_answered_the_wrong_way_unless_a_correction_does_it():
    out, lost = _compose(GOTHIC, {"adjust": {"exposure": -10}})
    assert out is lost  # nothing is added the wrong way
    fixed, _ = _compose(GOTHIC, {"adjust": {"exposure": -10}},
                        correction=lambda text, said: parse_chain({"adjust": {"brightness": 15}}))
    assert fixed.adjust.brightness == 15 and fixed.adjust.exposure == -20


def test_the_shipped_student_applies_the_change_to_the_look(student):
    """Before composing, each of these got exactly its look's answer: the nearest stored request was the
    look alone."""
    pairs = [("gothic but brighter", "gothic", "light", 1),
             ("fincher look but a little warmer pls", "fincher look", "temperature", 1),
             ("kodak gold w/ deeper blacks", "kodak gold", "light@shadows", -1),
             ("the matrix but more green", "the matrix", "green", 1),
             ("y2k but way less saturated", "y2k", "saturation", -1)]
    answers = student.predict([p[0] for p in pairs])
    looks = student.predict([p[1] for p in pairs])
    for (text, _, attr, sign), a, b in zip(pairs, answers, looks):
        assert moves_change(b, a, attr, sign), text
        assert keeps_look(b, a), text
    student.retrieval["compose"] = 0
    try:
        assert student.predict(["gothic but brighter"])[0] == looks[0]  # what composing changes
    finally:
        student.retrieval["compose"] = 1


def test_blind_looks_with_a_change_move_what_their_authors_say(student):
    """The 1,800 blind "look plus one change" requests of data/vibes/modifiers/ (authors a–f, who saw only
    the brief): the change from the look's answer to the request's moves the labelled attribute the
    labelled way in 95 % or more, and the look's preset is kept in 97 % or more (docs/experiments.md, "A
    look plus a change": 34–38 % and 85–89 % per set before composing)."""
    paths = [ROOT / f"data/vibes/modifiers/author_{a}.jsonl" for a in "abcdef"]
    rows = [json.loads(line) for p in paths
            for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) == 1800
    attrs = {"brightness": "light", "contrast": "contrast", "saturation": "saturation",
             "warmth": "temperature", "shadows": "light@shadows", "highlights": "light@highlights",
             "sharpness": "sharpness", "red": "red", "orange": "orange", "yellow": "yellow", "green": "green",
             "blue": "blue", "purple": "magenta"}
    answers = student.predict([r["request"] for r in rows])
    looks = student.predict([r["base"] for r in rows])
    right = sum(bool(moves_change(b, a, attrs[r["attribute"]], r["direction"]))
                for a, b, r in zip(answers, looks, rows))
    kept = sum(keeps_look(b, a) for a, b in zip(answers, looks))
    assert right / len(rows) >= 0.95 and kept / len(rows) >= 0.97


def test_a_follow_up_toward_a_look_with_a_change_takes_both():
    """"more like the matrix but darker" blended toward "darker" alone before (the last clause was taken
    as the look): only the exposure moved; now the look the student composes, the matrix made darker."""
    from vibegrade.students.refine import load_refiner

    refiner = load_refiner()
    start = refiner.student.predict(["gothic but brighter"])[0]
    plain = refiner.refine(start, "more like the matrix")
    darker = refiner.refine(start, "more like the matrix but darker")
    assert plain.chain is not None and darker.chain is not None
    assert darker.chain.adjust.tint < start.adjust.tint  # toward the matrix's green
    assert darker.chain.adjust.exposure + darker.chain.adjust.brightness < \
        plain.chain.adjust.exposure + plain.chain.adjust.brightness


@pytest.mark.parametrize("text", ["no filter", "#nofilter", "reset", "original", "the original photo", "undo",
                                  "undo that", "remove the filter", "remove all the edits", "please reset",
                                  "start over", "no edits pls", "as shot"])
def test_a_request_for_the_photo_as_it_is(text):
    assert as_it_is(text)


@pytest.mark.parametrize("text", ["natural", "vintage, no filter", "filter", "juno filter",
                                  "no filter but warmer", "original look", "reset the white balance",
                                  "undo the orange"])
def test_requests_that_ask_for_something_are_not_the_photo_as_it_is(text):
    assert not as_it_is(text)


@pytest.mark.parametrize(("text", "look"), [
    ("vintage but no filter", "vintage"), ("golden hour, no filter", "golden hour"),
    ("cyberpunk without the preset", "cyberpunk"), ("moody no filter pls", "moody"),
])
def test_no_filter_after_a_look_is_the_look_without_its_preset(text, look):
    got = split_change(text)
    assert got is not None and got[0] == look and got[1][0][1] == NO_PRESET


def test_compose_takes_the_preset_off_and_keeps_the_rest():
    splits = split_requests(["Gothic but no filter"], str.lower, stored=lambda t: False)
    assert parts(splits) == ["gothic"]  # "no filter" needs no answer of its own
    out = compose([parse_chain(GOTHIC)], splits, {"gothic": parse_chain(GOTHIC)})[0]
    assert not out.filter.used and out.adjust == parse_chain(GOTHIC).adjust


def test_the_shipped_student_answers_the_photo_as_it_is_and_a_look_without_its_preset(student):
    """Before, "no filter" got the faded_Terra preset, "reset" and "original" edits, and "vintage but no
    filter" vintage's preset (the reader drops "filter")."""
    none, reset, original, vintage, bare = student.predict(["no filter", "reset", "original", "vintage",
                                                            "vintage but no filter"])
    assert none == reset == original == parse_chain({})
    assert vintage.filter.used and not bare.filter.used
    assert bare.adjust == vintage.adjust
