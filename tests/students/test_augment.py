"""Augmentation: mistakes are found as specified, similar requests are generated, answers are copied."""

from __future__ import annotations

from tests.fakes.replay import ReplayServer
from vibegrade.data.rows import normalize_intent, parse_row
from vibegrade.llm.client import ClientConfig
from vibegrade.schema import ADJUST_KEYS, parse_chain
from vibegrade.students.augment import LLMParaphraser, OfflineParaphraser, augment_rows, find_mistakes

RAT = {"adjust": "a", "selective_adjust": "s", "filter": "f"}


def row(intent, adjust, filt=("none", 0)):
    r, errs = parse_row({"intent": intent, "rationale": RAT,
                         "adjust": {k: adjust.get(k, 0) for k in ADJUST_KEYS},
                         "selective_adjust": {}, "filter": {"name": filt[0], "intensity": filt[1]}})
    assert not errs
    return r


ROWS = [row("cool morning", {"temperature": -40}, ("winter", 50)),
        row("golden hour", {"temperature": 40, "bloom": 20}, ("lovely_day", 50)),
        row("dark moody forest", {"exposure": -30, "contrast": 20}, ("darkness", 60)),
        row("bright summer", {"exposure": 20, "vibrance": 20})]


class Scripted:
    """A fake student answering from a dict (default: a neutral chain)."""

    kind = "scripted"

    def __init__(self, answers):
        self.answers = answers

    def predict(self, intents):
        return [self.answers.get(i, parse_chain({})) for i in intents]


def test_mistakes_follow_the_definition():
    answers = {
        "cool morning": parse_chain({"adjust": {"temperature": -40},
                                     "filter": {"name": "north", "intensity": 50}}),
        "golden hour": parse_chain({"adjust": {"temperature": 40, "bloom": 20},
                                    "filter": {"name": "lovely_day", "intensity": 50}}),
        "dark moody forest": parse_chain({"adjust": {"exposure": 30, "contrast": 20},
                                          "filter": {"name": "darkness", "intensity": 60}}),
        "bright summer": parse_chain({"adjust": {"exposure": 20, "vibrance": 18}}),
    }
    m = find_mistakes(Scripted(answers), ROWS, sample=1000)
    wrong = {r.intent for r in m.rows}
    # cool morning: wrong preset; dark moody forest: adjust cosine (-0.38) below the mean (0.65)
    assert wrong == {"cool morning", "dark moody forest"}
    assert m.by_tool == {"adjust": 1, "selective_adjust": 0, "filter": 1}
    assert 0.6 < m.mean_cosine["adjust"] < 0.7 and m.sampled == 4


def test_offline_paraphraser_is_seeded_and_varied():
    a = OfflineParaphraser(seed=3).variants("cool morning", 5)
    b = OfflineParaphraser(seed=3).variants("cool morning", 5)
    assert a == b and len(a) == 5 and len({normalize_intent(x) for x in a}) == 5
    assert "cool morning" not in a
    assert any(w in " ".join(a) for w in ("chilly", "cold", "icy", "frosty", "dawn", "sunrise"))


def test_augment_rows_copies_the_teacher_answer():
    wrong_preset = parse_chain({"adjust": {"tint": 30}, "filter": {"name": "north", "intensity": 40}})
    student = Scripted({r.intent: wrong_preset for r in ROWS})
    new, stats = augment_rows(student, ROWS, OfflineParaphraser(seed=0), per_request=2)
    assert stats["mistakes"] >= 1 and stats["new_rows"] == len(new) > 0
    by_intent = {r.intent: r for r in ROWS}
    for r in new:
        src = by_intent[r.extra["augmented_from"]]
        assert r.chain == src.chain and r.key not in {x.key for x in ROWS}


def test_llm_paraphraser_over_http():
    def responder(messages):
        last = messages[-1]["content"]
        if "cool morning" in last:
            return "1. cool tone\n- chilly dawn\nCool Morning\nfrosty sunrise vibes\nicy morning light"
        return None

    with ReplayServer(responder=responder, fallback=None) as srv:
        gen = LLMParaphraser(ClientConfig(base_url=srv.base_url, model="replay", api_key="x", cache_dir=None))
        out = gen.generate(["cool morning"], 3)
        assert out == {"cool morning": ["cool tone", "chilly dawn", "frosty sunrise vibes"]}
        sent = srv.calls[0]
        assert sent.status == 200
