"""Requests beyond a colour grade (blur, noise, skin, grain, night into day) read as the stored wording of
the nearest thing the tools make, and the request reader's other rewrites of this round."""

from __future__ import annotations

import pytest

from tests.students.scripts import load_script
from vibegrade.schema import ToolChain
from vibegrade.students import stand_ins
from vibegrade.students.direction import conflicts, signature
from vibegrade.students.request_text import canonical


@pytest.mark.parametrize("typed, stored", [
    ("make it blurry pls", "soft focus"),
    ("blur the background", "soft focus"),
    ("can the background be out of focus??", "soft focus"),
    ("bokeh behind me?", "soft focus"),
    ("make it a bit blurry", "a bit softer"),
    ("add some blur", "a bit softer"),
    ("denoise a lot", "way too much noise"),
    ("remove noise", "less noisy"),
    ("clean up the graininess a little", "a bit noisy"),
    ("less grainy", "less noisy"),
    ("why is it so grainy", "way too much noise"),
    ("add grain", "add grain"),
    ("a little grain", "subtle grain"),
    ("too clean, add some grain", "subtle grain"),  # "some": a small size, as "add some blur"
    ("its too smooth, i want visible grain", "add grain"),
    ("remove blemishes", "smooth skin pls"),
    ("my dad wants his wrinkles gone lmao", "smooth skin pls"),
    ("night to day", "bright sunny day"),
    ("can you turn this night pic into day?", "bright sunny day"),
    ("make it look like the sun is out", "bright sunny day"),
    ("i want this to look like noon not midnight", "bright sunny day"),
    ("day to night", "night"),
    ("can u make this street look like its after dark", "night"),
    ("a little grain so it feels less digital", "subtle grain"),
    ("dnoise pls", "less noisy"),
])
def test_a_request_beyond_colour_reads_as_its_stand_in(typed: str, stored: str) -> None:
    assert canonical(typed) == stored


@pytest.mark.parametrize("text", [
    "blurry", "too blurry", "its a bit blurry", "less blurry", "unblur it", "sharpen the blurry photo",
    "grainy", "film grain", "vintage with grain", "richter blurred photo painting",
    "grainy blurry out of focus b&w", "dreamy look, less blurry pls", "slight blur, its for a moody post",
    "day", "sunny day", "not night", "night city", "night market", "smoothie bowl",
])
def test_fixes_looks_and_other_words_are_not_stand_ins(text: str) -> None:
    assert stand_ins.read(text) is None


@pytest.mark.parametrize("typed, read", [
    ("a bit over exposed", "a bit overexposed"),
    ("under-exposed photo", "underexposed photo"),
    ("as toasty as it can possibly be", "as toasty as possible"),
    ("as warm as you can make it", "as warm as possible"),
    ("as good as it gets", "as good as it gets"),  # a film
    ("winter to summer", "summer"),
    ("change it from day to night", "night"),
    ("bit overexposed i think", "bit overexposed"),
])
def test_the_reader_spells_states_and_sizes_as_stored(typed: str, read: str) -> None:
    assert canonical(typed) == read


def test_grain_is_read_as_texture_so_less_grain_never_reuses_more_grain() -> None:
    assert signature("portra with more grain") == {("sharpness", 1)}
    assert signature("vintage but less grainy") == {("sharpness", -1)}
    assert conflicts("portra with less grain", "portra with more grain")
    assert not conflicts("portra", "portra with more grain")


def test_the_beyond_colour_verdicts() -> None:
    ev = load_script("beyond_colour_eval")
    sharp = ToolChain.model_validate({"adjust": {"sharpen": 30}})
    soft = ToolChain.model_validate({"adjust": {"contrast": -12, "bloom": 15}})
    assert ev.verdict(sharp, "blur") == "wrong way" and ev.verdict(soft, "blur") == "right"
    assert ev.verdict(ToolChain(), "blur") == "no move"
    assert ev.verdict(sharp, "add_grain") == "right" and ev.verdict(soft, "add_grain") == "wrong way"
    assert ev.verdict(ToolChain.model_validate({"adjust": {"shadows": -8}}), "denoise") == "right"
    assert ev.verdict(ToolChain.model_validate({"selective_adjust": {"orange": {"luminance": 10}}}),
                      "smooth_skin") == "right"
    bright = ToolChain.model_validate({"adjust": {"exposure": 30}})
    assert ev.verdict(bright, "to_day") == "right" and ev.verdict(bright, "to_night") == "wrong way"
    # a preset carries the light of a season: winter cools with no temperature move
    assert ev.verdict(ToolChain.model_validate({"filter": {"name": "winter", "intensity": 80}}),
                      "to_cold_time") == "right"
    assert ev.verdict(ToolChain(), "to_warm_time") == "no move"


@pytest.mark.parametrize("typed, read", [
    ("🌅", "sunrise"), ("🔥🔥🔥", "fire"), ("❄️ vibes", "snowflake"), ("💜", "purple"),
    ("🍂 pls", "fallen leaf"),
    ("👍🏽", "thumbs up"), ("golden hour 🌅", "golden hour"), ("✨dreamy✨", "dreamy"), ("", ""),
])
def test_a_request_of_emoji_alone_reads_as_their_names(typed: str, read: str) -> None:
    assert canonical(typed) == read
