"""Behaviour of the shipped student (CheckList-style suite) and of the re-use guard on its memory."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import pytest

from vibegrade.evaluation.behaviour import build_suite, is_black_and_white, run_suite, same_answer
from vibegrade.schema import ToolChain, parse_chain
from vibegrade.students import load_student


@pytest.fixture(scope="module")
def student():
    return load_student()


def test_suite_is_large_and_its_checks_can_fail():
    cases = build_suite()
    assert len(cases) >= 300
    assert {c.kind for c in cases} == {"MFT", "INV", "DIR"}
    # a student that never edits fails nearly everything it is asked (invariance alone can hold)
    rep = run_suite(lambda texts: [ToolChain() for _ in texts])
    assert rep["capabilities"]["black_and_white"]["pass_rate"] == 0.0
    assert rep["capabilities"]["temperature"]["pass_rate"] == 0.0
    assert rep["capabilities"]["size_order"]["pass_rate"] == 0.0
    assert rep["pass_rate"] < 0.5


def test_check_helpers():
    grey = parse_chain({"adjust": {"saturation": -100, "contrast": 20}})
    half = parse_chain({"adjust": {"saturation": -40}})
    assert is_black_and_white(grey) and not is_black_and_white(half)
    a = parse_chain({"adjust": {"temperature": 20, "contrast": 10},
                     "filter": {"name": "fortune", "intensity": 30}})
    b = parse_chain({"adjust": {"temperature": 22, "contrast": 9},
                     "filter": {"name": "fortune", "intensity": 45}})
    c = parse_chain({"adjust": {"temperature": 20, "contrast": 10},
                     "filter": {"name": "lovely_day", "intensity": 30}})
    assert same_answer(a, b) and not same_answer(a, c)


def test_shipped_student_passes_the_behaviour_suite(student):
    rep = run_suite(student.predict)
    failed = [f"{f['capability']}: {f['requests']}" for f in rep["failures"]]
    assert rep["pass_rate"] >= 0.97, failed
    for cap, c in rep["capabilities"].items():
        assert c["pass_rate"] >= 0.85, (cap, [f for f in failed if f.startswith(cap)])


def test_first_requests_users_type(student):
    """The requests that round one answered wrongly (issue #10's first table)."""
    bw, mono, trix, warmer, over, cooler, cine = student.predict([
        "black and white", "monochrome", "kodak tri-x 400", "slightly warmer", "fix overexposed photo",
        "make it a bit cooler", "can you make this look cinematic please"])
    assert bw.adjust.saturation == -100 and mono.adjust.saturation == -100 and trix.adjust.saturation == -100
    assert warmer.adjust.temperature >= 8  # visible, and warmer
    assert over.adjust.exposure < 0 or (over.adjust.exposure <= 0 and over.adjust.highlights < 0)
    assert cooler.adjust.temperature <= -8
    assert cine.filter.name.startswith("teal_and_orange")
    assert same_answer(cine, student.predict(["cinematic"])[0])


@contextlib.contextmanager
def _answering_from(student, memory: list[tuple[str, ToolChain]], **settings) -> Iterator[None]:
    """The student with ``memory`` ((request, answer) pairs) as its whole answer memory and ``settings``
    (decoder, memory_threshold …) set; everything is put back afterwards."""
    names = ("memory_emb", "memory_chains", "memory_intents", "decoder", *settings)
    saved = {n: getattr(student, n) for n in names}
    try:
        student.memory_emb = student.embed([m[0] for m in memory])
        student.memory_chains = [m[1] for m in memory]
        student.memory_intents = [m[0] for m in memory]
        for name, value in settings.items():
            setattr(student, name, value)
        yield
    finally:
        for name, value in saved.items():
            setattr(student, name, value)


def test_memory_never_reuses_an_answer_that_points_the_other_way(student):
    """Stored answers for one direction must not answer the opposite request, however close the texts."""
    less_red = parse_chain({"selective_adjust": {"red": {"saturation": -30}}})
    under = parse_chain({"adjust": {"exposure": 35, "shadows": 30}})
    warm_sh = parse_chain({"adjust": {"temperature": 10},
                           "filter": {"name": "teal_and_orange_3", "intensity": 40}})
    memory = [("less red", less_red), ("fix underexposed photo", under),
              ("warm shadows cool highlights", warm_sh)]
    # heads decoder with threshold 0: any stored answer would be taken if allowed
    with _answering_from(student, memory, memory_threshold=0.0):
        queries = ["less blue", "fix overexposed photo", "cool shadows warm highlights"]
        for decoder in ("heads", "retrieval", "hybrid"):
            student.decoder = decoder
            got = student.predict(queries)
            for q, g, (_, stored) in zip(queries, got, memory):
                assert g != stored, (decoder, q)
            # the same requests themselves do get their stored answers
            assert student.predict([m[0] for m in memory]) == [m[1] for m in memory]


def test_a_plain_request_is_not_answered_by_all_of_it(student):
    """"remove all the green" (−100) answers neither "reduce the green" nor "not so green", even where the
    encoder puts it nearest, and is not averaged into their answer; "completely remove the green" gets it."""
    def green(sat: int) -> ToolChain:
        return parse_chain({"selective_adjust": {"green": {"saturation": sat}}})
    memory = [("less green", green(-30)), ("much less green", green(-50)),
              ("remove all the green", green(-100)),
              ("take out all the green", green(-100)), ("no green at all pls", green(-100))]
    with _answering_from(student, memory, decoder="retrieval"):
        plain, not_so, tone, total = student.predict(
            ["reduce the green", "not so green", "tone down the green", "completely remove the green"])
    for c in (plain, not_so, tone):
        assert -50 <= c.selective_adjust.green.saturation <= -30, c.selective_adjust.green
    assert total.selective_adjust.green.saturation == -100


def test_confidence_is_high_for_known_looks_and_lower_for_unknown(student):
    conf = student.confidence(["golden hour", "zqxv plorb"])
    assert conf.shape == (2,) and conf[0] > 0.95 and conf[1] < conf[0]
    assert np.all(conf <= 1.0001)


def test_stored_requests_that_read_alike_answer_in_stored_order_whatever_the_memory_size(student):
    """"add contrast" and "hi contrast" both read "contrast" and embed alike: a request that reads the same
    takes the one stored first, not whichever an arbitrary partition put first (it changed when rows were
    added to the memory: "add contrast pls" took the `action` preset of "hi contrast")."""
    plain = parse_chain({"adjust": {"contrast": 25, "structure": 10}})
    look = parse_chain({"adjust": {"contrast": 30}, "filter": {"name": "action", "intensity": 15}})
    words = ("golden", "moody", "vintage", "neon", "winter", "pastel", "noir", "film", "sunset", "forest",
             "desert", "ocean", "city", "retro", "dreamy")
    others = [f"{a} {b} look" for a in words for b in words if a != b]  # 210 looks to fill the memory
    for n in (0, 40, 97, 210):  # past 4k + 16 stored requests the nearest are found by a partition
        for first, second in (("add contrast", plain), ("hi contrast", look)), (("hi contrast", look),
                                                                                 ("add contrast", plain)):
            memory = [(o, parse_chain({"adjust": {"vibrance": 10 + i % 80}}))
                      for i, o in enumerate(others[:n])] + [first, second]
            with _answering_from(student, memory, decoder="retrieval"):
                got = student.predict(["can you add contrast?"])[0]
            assert got.filter == first[1].filter, (n, first[0])


def test_emoji_alone_are_read_not_all_answered_alike(student):
    """"🔥" and "❄️" had the same answer (`fortune` 20): the encoder reads every emoji as one unknown token."""
    fire, snow, heart = student.predict(["🔥", "❄️", "💜"])
    assert fire != snow != heart
    assert fire.adjust.temperature > 0 > snow.adjust.temperature or snow.filter.name in ("winter", "north")
    assert heart.filter.name == "purple_rain" or heart.adjust.tint > 0
