"""The shipped vibes dataset itself: valid, unique, big enough, covering what people type, split by
concept."""

import collections
from pathlib import Path

from vibegrade.data.check import check_files
from vibegrade.data.rows import read_rows
from vibegrade.students.direction import conflicts

VIBES = Path(__file__).resolve().parents[2] / "data" / "vibes"


def _all_rows():
    return read_rows(sorted(VIBES.glob("*.jsonl")))


def test_dataset_is_valid_unique_and_passes_the_authoring_rules():
    rep = check_files(sorted(VIBES.glob("*.jsonl")))
    assert rep["errors"] == []  # includes: no all-empty answers, rationales agree with settings
    assert rep["rows"] >= 10_000 and rep["unique_intents"] == rep["rows"]
    assert 0.85 <= rep["usage"]["adjust"] <= 1.0
    assert 0.2 <= rep["usage"]["selective_adjust"] <= 0.6
    assert 0.5 <= rep["usage"]["filter"] <= 0.8
    assert len(rep["presets"]) == 33


def test_every_row_has_a_concept_and_one_bare_wording_per_concept():
    rows = _all_rows()
    assert all(r.concept and r.group and r.category and r.phrasing in ("bare", "variant") for r in rows)
    bare = collections.Counter(r.concept for r in rows if r.phrasing == "bare")
    assert set(bare) == {r.concept for r in rows}


def test_coverage_list_is_covered():
    cov = [x.strip().lower() for x in (VIBES / "coverage.txt").read_text(encoding="utf-8").splitlines()
           if x.strip() and not x.startswith("#")]
    assert len(set(cov)) >= 600
    keys = {r.key for r in _all_rows()}
    for must in ("vintage", "retro", "cinematic", "cyberpunk", "selfie", "black and white",
                 "slightly warmer"):
        assert must in keys


def test_black_and_white_stocks_render_black_and_white():
    rows = {r.key: r for r in _all_rows()}
    for k in ("black and white", "kodak tri-x 400", "ilford hp5 plus", "monochrome", "film noir"):
        if k in rows:
            assert rows[k].chain.adjust.saturation == -100, k


def test_split_by_concept_is_disjoint_complete_and_large_enough():
    split = VIBES / "split"
    train = read_rows([split / "train.jsonl"])
    test = read_rows([split / "test.jsonl"])
    phrasing = read_rows([split / "phrasing.jsonl"])
    all_rows = _all_rows()
    assert len(test) >= 1000 and len(phrasing) >= 150
    keys = [r.key for r in train + test + phrasing]
    assert len(keys) == len(set(keys)) and set(keys) == {r.key for r in all_rows}
    train_c = {r.concept for r in train}
    assert not train_c & {r.concept for r in test}  # unseen looks only
    assert not {r.group for r in train} & {r.group for r in test}  # nor the same look written twice
    assert {r.concept for r in phrasing} <= train_c  # new wordings of training looks


def test_no_answer_contradicts_its_direction_words():
    """Spot-check of direction: corrections whose words say warmer/cooler move temperature that way."""
    bad = []
    for r in _all_rows():
        if r.category != "corrections":
            continue
        t = r.chain.adjust.temperature
        words = r.intent.lower()
        if words in ("warmer", "slightly warmer", "much warmer", "too cold", "too blue") and t <= 0:
            bad.append(r.intent)
        if words in ("cooler", "slightly cooler", "much cooler", "too warm", "too yellow") and t >= 0:
            bad.append(r.intent)
    assert bad == []
    assert conflicts("too warm", "warmer")  # the guard the students rely on reads these words the same way
