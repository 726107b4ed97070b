"""Typo repair of requests (students/spelling.py) and the training noise that goes with it."""

from __future__ import annotations

import random

import pytest

from vibegrade.students.spelling import SpellingRepair, add_typo, english_words

STORED = ["vintage", "vintage film", "golden hour", "golden glow", "film noir", "orange and teal",
          "teal and orange", "village photo", "negative", "brighter", "burnt ornage aesthetic",
          "action movie", "lush greens", "orange glow", "burnt orange", "less orange", "orange sky"]


@pytest.fixture(scope="module")
def repair() -> SpellingRepair:
    return SpellingRepair(STORED)


@pytest.mark.parametrize("typed, read", [
    ("vintgae", "vintage"),            # swapped letters
    ("goldn hour", "golden hour"),     # dropped letter
    ("vilage photo", "village photo"),
    ("negatvie", "negative"),
    ("brigther", "brighter"),
    ("film nior", "film noir"),        # four letters: a swap is put back
    ("teal and ornage", "teal and orange"),  # a stored typo yields to the common spelling
])
def test_repairs_typos_to_stored_words(repair: SpellingRepair, typed: str, read: str) -> None:
    assert repair(typed) == read


@pytest.mark.parametrize("text", [
    "homesick",        # an English word the student never saw: left alone
    "vaction",         # "action" is one edit away, but typos rarely hit the first letter
    "bali trip",       # four letters: "ball" is a substitution, not a swap
    "kodak gold 200",  # digits untouched
    "lsh",             # too short to judge
])
def test_leaves_real_and_short_words_alone(repair: SpellingRepair, text: str) -> None:
    assert repair(text) == text


def test_keeps_everything_but_the_repaired_word(repair: SpellingRepair) -> None:
    assert repair("vintgae, +10 warmer!") == "vintage, +10 warmer!"
    assert repair("") == ""


def test_known_words_are_never_changed() -> None:
    assert SpellingRepair(["village"])("vilage") == "village"
    assert SpellingRepair(["village"], known=["vilage"])("vilage") == "vilage"


def test_keep_last_prefers_the_neighbour_that_ends_as_typed() -> None:
    """A slip rarely adds a different last letter: "warmr" is "warmer" even where "warm" is stored more
    often (the vibes student's repair, ``keep_last``); without it the most frequent neighbour wins."""
    stored = ["warm"] * 6 + ["warmer", "vintage", "sunset"] + ["night"] * 5 + ["ninth"]
    assert SpellingRepair(stored)("a bit warmr") == "a bit warm"
    keep = SpellingRepair(stored, keep_last=True)
    assert keep("a bit warmr") == "a bit warmer"
    assert keep("vintagw sunsett") == "vintage sunset"  # another last letter; a doubled one
    assert keep("nigth") == "night"  # two letters swapped: the most frequent, not "ninth"


def test_the_shipped_student_reads_slang_sizes_and_dropped_letters() -> None:
    from vibegrade.students import load_student

    student = load_student()
    warmer, hella = student.predict(["just a smidge warmr pls", "make it hella cinematic"])
    assert warmer.adjust.temperature > 0  # before: "smidge warm", a state, cooled (temperature -12)
    cinematic = student.predict(["cinematic"])[0]
    assert hella.filter.name == cinematic.filter.name  # "hella" is a size (before: repaired to "hell")
    assert hella.filter.intensity > cinematic.filter.intensity
    assert hella.adjust.contrast > cinematic.adjust.contrast


def test_english_word_list_ships_with_the_package() -> None:
    words = english_words()
    assert len(words) > 80_000 and "golden" in words and "vintgae" not in words


def test_add_typo_makes_one_slip_and_keeps_the_first_letter() -> None:
    rng = random.Random(3)
    text = "golden hour vintage"
    seen = set()
    for _ in range(200):
        noisy = add_typo(text, rng)
        seen.add(noisy)
        assert noisy != text  # no doubled letters in the text, so every slip shows
        a, b = text.split(), noisy.split()
        assert len(a) == len(b)
        changed = [(x, y) for x, y in zip(a, b) if x != y]
        assert len(changed) <= 1
        for x, y in changed:
            assert x[0] == y[0] and abs(len(x) - len(y)) <= 1 and len(x) >= 5
    assert len(seen) > 20  # many different slips, not one fixed rewrite
    assert add_typo("a b c", rng) == "a b c"  # no word long enough
