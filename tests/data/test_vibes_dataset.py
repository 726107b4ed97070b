"""The shipped vibes dataset itself: valid, unique, big enough, with the promised split."""

from pathlib import Path

from vibegrade.data.check import check_files
from vibegrade.data.rows import read_rows

VIBES = Path(__file__).resolve().parents[2] / "data" / "vibes"


def test_dataset_is_valid_and_unique():
    files = sorted(VIBES.glob("*.jsonl"))
    rep = check_files(files)
    assert rep["errors"] == []
    assert rep["rows"] >= 3000 and rep["unique_intents"] == rep["rows"]
    assert 0.85 <= rep["usage"]["adjust"] <= 1.0
    assert 0.2 <= rep["usage"]["selective_adjust"] <= 0.45
    assert 0.55 <= rep["usage"]["filter"] <= 0.8
    assert len(rep["presets"]) == 33


def test_split_is_disjoint_complete_and_large_enough():
    train = read_rows([VIBES / "split" / "train.jsonl"])
    test = read_rows([VIBES / "split" / "test.jsonl"])
    all_rows = read_rows(sorted(VIBES.glob("*.jsonl")))
    assert len(test) >= 450
    assert {r.key for r in train} | {r.key for r in test} == {r.key for r in all_rows}
    assert not {r.key for r in train} & {r.key for r in test}
    train_settings = {r.chain.to_json() for r in train}
    assert not any(r.chain.to_json() in train_settings for r in test)
