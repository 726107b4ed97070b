"""How much of a look ("golden hour but subtle", "noir but go all the way", "a hint of vintage"): the
reading, the scaling, the shipped student on the blind set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.students.scripts import load_script
from vibegrade.schema import parse_chain
from vibegrade.students import load_student
from vibegrade.students.compose import (
    STRONGER,
    WEAKER,
    compose,
    keeps_look,
    scaled_by,
    split_change,
    split_requests,
)

ROOT = Path(__file__).resolve().parents[2]
KNOWN = {"teal and orange", "super 8", "little women", "vintage", "monet"}.__contains__


@pytest.fixture(scope="module")
def student():
    return load_student()


@pytest.mark.parametrize(("text", "look", "strength"), [
    ("golden hour but subtle", "golden hour", WEAKER), ("cyberpunk, don't overdo it", "cyberpunk", WEAKER),
    ("wes anderson but dial it back", "wes anderson", WEAKER), ("hong kong but less", "hong kong", WEAKER),
    ("caravaggio but not too dramatic", "caravaggio", WEAKER),
    ("mad max but less intense", "mad max", WEAKER),
    ("vhs just a bit", "vhs", WEAKER), ("sunset but dont go overboard", "sunset", WEAKER),
    ("subtle vintage", "vintage", WEAKER), ("a hint of golden hour", "golden hour", WEAKER),
    ("tiny bit anime", "anime", WEAKER), ("moonlit but light", "moonlit", WEAKER),
    ("noir but go all the way", "noir", STRONGER), ("cyberpunk turned up to 11", "cyberpunk", STRONGER),
    ("y2k maxxed out", "y2k", STRONGER), ("dark academia but dont hold back", "dark academia", STRONGER),
    ("extreme teal and orange", "teal and orange", STRONGER), ("rly strong 90s film", "90s film", STRONGER),
    ("make it super nostalgic", "nostalgic", STRONGER), ("moody but way more intense", "moody", STRONGER),
    # the words of strength read since December 7's seventh session
    ("klimt, maximum strength", "klimt", STRONGER), ("tron legacy, fully cranked", "tron legacy", STRONGER),
    ("the crown, strongly applied", "the crown", STRONGER), ("hitchcock, go big", "hitchcock", STRONGER),
    ("arcane, completely over the top", "arcane", STRONGER),
    ("persona 5, pushed to the limit", "persona 5", STRONGER),
    ("steve mccurry but more of it", "steve mccurry", STRONGER), ("maximum suspiria", "suspiria", STRONGER),
    ("full monet", "monet", STRONGER), ("kurosawa, lightly applied", "kurosawa", WEAKER),
    ("a faint vintage look", "vintage look", WEAKER), ("silent hill subtle-ish", "silent hill", WEAKER),
])
def test_how_much_of_a_look_is_read(text, look, strength):
    got = split_change(text, known=KNOWN)
    assert got is not None and got[0] == look and got[1][0][1] == strength


@pytest.mark.parametrize("text", [
    "super 8", "little women", "wild west", "full metal jacket", "full moon", "crazy rich asians",
    "light leaks",
    "strong contrast", "a touch of warmth",
])
def test_names_that_start_with_a_size_are_looks(text):
    got = split_change(text, known=KNOWN)
    assert got is None or not any(sig in (WEAKER, STRONGER) for _, sig in got[1])


@pytest.mark.parametrize(("text", "said"), [
    ("fincher but lighter", ("light", 1)),  # brighter, not weaker
    ("golden hour but less orange", ("orange", -1)), ("vintage, a touch warmer", ("temperature", 1)),
])
def test_a_change_is_not_a_strength(text, said):
    got = split_change(text)
    assert got is not None and next(iter(got[1][0][1])) == said


LOOK = {"adjust": {"exposure": 20, "contrast": -30, "hue": 40},
        "selective_adjust": {"orange": {"saturation": 25}}, "filter": {"name": "fortune", "intensity": 50}}


def _composed(text: str, look: dict, answer: dict) -> tuple:
    splits = split_requests([text], str.lower, stored=lambda t: False)
    base = parse_chain(look)
    return compose([parse_chain(answer)], splits, {splits[0][0]: base})[0], base


def test_weaker_and_stronger_scale_the_look_by_the_teachers_factors():
    weak, base = _composed("gothic, subtle", LOOK, LOOK)  # the nearest answer was the look itself
    assert (weak.adjust.exposure, weak.adjust.contrast, weak.adjust.hue) == (12, -18, 40)  # hue is an angle
    assert weak.selective_adjust.orange.saturation == 15
    assert weak.filter.name == "fortune" and weak.filter.intensity == 30
    strong, _ = _composed("gothic, go all the way", LOOK, LOOK)
    assert (strong.adjust.exposure, strong.adjust.contrast, strong.filter.intensity) == (28, -42, 70)
    assert scaled_by(base, weak, 0.6) and scaled_by(base, strong, 1.4) and keeps_look(base, weak)
    # an answer already weaker along the look, and nothing else, is kept
    kept = {**LOOK, "adjust": {"exposure": 10, "contrast": -15, "hue": 40},
            "filter": {"name": "fortune", "intensity": 30}}
    assert _composed("gothic, subtle", LOOK, kept)[0] == parse_chain(kept)


def test_black_and_white_stays_black_and_white():
    bw = {"adjust": {"saturation": -100, "contrast": 30}}
    weak, _ = _composed("tri-x, subtle", bw, bw)
    assert weak.adjust.saturation == -100 and weak.adjust.contrast == 18


def test_the_shipped_student_makes_a_look_weaker_and_stronger(student):
    """Before, each of these got exactly its look's answer."""
    weak, look, strong = student.predict(["cyberpunk but toned down", "cyberpunk",
                                          "cyberpunk turned up to 11"])
    assert keeps_look(look, weak) and scaled_by(look, weak, 0.6)
    assert keeps_look(look, strong) and scaled_by(look, strong, 1.4)


def test_blind_requests_for_more_or_less_of_a_look(student):
    """The 1,200 blind requests of data/vibes/look_strength/ (authors a–d, who saw only the brief): the
    answer is the look's scaled the labelled way, keeping it, in 85 % or more (docs/experiments.md, "How
    much of a look": 9 % before, where about 70 % of the answers were the look's answer word for word; 81 %
    before the words of strength of December 7's seventh session)."""
    rows = load_script("look_strength_eval").read_rows(list("abcd"))
    assert len(rows) == 1200
    answers = student.predict([r["request"] for r in rows])
    looks = student.predict([r["base"] for r in rows])
    right = sum(keeps_look(b, a) and scaled_by(b, a, 0.6 if r["strength"] == "weaker" else 1.4)
                for a, b, r in zip(answers, looks, rows))
    assert right / len(rows) >= 0.85
