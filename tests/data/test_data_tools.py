"""Dataset tooling: row validation, check, stats plots, contact sheet and the seeded split."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from vibegrade.cli.main import app
from vibegrade.data.rows import normalize_intent, parse_row, read_rows
from vibegrade.data.split import split_rows
from vibegrade.schema import ADJUST_KEYS, SELECTIVE_COLORS

RAT = {"adjust": "warm it up", "selective_adjust": "richer oranges", "filter": "lovely_day is a close match"}
RAT_XRAY = {"adjust": "grey and hard", "selective_adjust": "Not needed: the image is grey.",
            "filter": "negative inverts everything"}
RAT_FIX = {"adjust": "more light", "selective_adjust": "Not needed: no colour range changes.",
           "filter": "Not needed: a plain correction uses no preset."}


def adj(**kw):
    return {k: kw.get(k, 0) for k in ADJUST_KEYS}


def sel(**kw):
    return {c: {"saturation": kw.get(c, (0, 0))[0], "luminance": kw.get(c, (0, 0))[1]}
            for c in SELECTIVE_COLORS}


GOOD = [
    {"intent": "golden hour", "category": "time_of_day", "rationale": RAT,
     "adjust": adj(temperature=40, shadows=15, bloom=15), "selective_adjust": sel(orange=(20, 10)),
     "filter": {"name": "lovely_day", "intensity": 45}, "calls": 12},
    {"intent": "Golden  Hour vibes", "category": "time_of_day", "rationale": RAT,
     "adjust": adj(temperature=40, shadows=15, bloom=15), "selective_adjust": sel(orange=(20, 10)),
     "filter": {"name": "lovely_day", "intensity": 45}},
    {"intent": "x-ray", "category": "effects", "rationale": RAT_XRAY,
     "adjust": adj(saturation=-100, contrast=40),
     "selective_adjust": {}, "filter": {"name": "negative", "intensity": 90}},
    {"intent": "brighter", "category": "corrections", "rationale": RAT_FIX,
     "adjust": adj(exposure=25, shadows=10),
     "selective_adjust": {}, "filter": {"name": "none", "intensity": 0}},
]


def write(tmp_path, rows, name="rows.jsonl"):
    p = tmp_path / name
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return p


def test_normalize_intent():
    assert normalize_intent("  Golden\tHOUR  ") == "golden hour"


def test_valid_rows_round_trip(tmp_path):
    rows = read_rows([write(tmp_path, GOOD)])
    assert [r.intent for r in rows] == [g["intent"] for g in GOOD]
    assert rows[0].calls == 12 and rows[1].calls is None
    assert rows[0].to_json()["adjust"] == GOOD[0]["adjust"]
    assert rows[3].chain.used() == {"adjust": True, "selective_adjust": False, "filter": False}


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r.update(adjust={"exposure": 10}), "all 14 parameters"),
    (lambda r: r.update(adjust=adj()), "all zeros"),
    (lambda r: r.update(adjust=adj(exposure=300)), "adjust.exposure"),
    (lambda r: r.update(selective_adjust={"red": {"saturation": 5, "luminance": 0}}), "all 6 colours"),
    (lambda r: r.update(filter={"name": "wintr", "intensity": 50}), "unknown filter preset"),
    (lambda r: r.update(filter={"name": "winter", "intensity": 0}), "intensity > 0"),
    (lambda r: r.pop("filter"), "missing 'filter'"),
    (lambda r: r.update(intent=""), "non-empty"),
    (lambda r: r.update(intent="x" * 301), "longer than 300"),
    (lambda r: r.update(calls=-1), "calls"),
])
def test_bad_rows_are_reported(mutate, message):
    row = json.loads(json.dumps(GOOD[0]))
    mutate(row)
    _, errs = parse_row(row, "f:1")
    assert any(message in str(e) for e in errs), errs


def test_check_cli_json_and_exit_codes(tmp_path):
    runner = CliRunner()
    good = write(tmp_path, [GOOD[0], GOOD[2], GOOD[3]])
    res = runner.invoke(app, ["data", "check", str(good), "--json"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.output)
    assert rep["rows"] == 3 and rep["unique_intents"] == 3 and rep["errors"] == []
    assert rep["usage"] == {"adjust": 1.0, "selective_adjust": pytest.approx(1 / 3, abs=1e-3),
                            "filter": pytest.approx(2 / 3, abs=1e-3)}
    assert rep["presets"] == {"lovely_day": 1, "negative": 1}
    bad = write(tmp_path, GOOD + [GOOD[0]] + ["not json"], "bad.jsonl")
    bad.write_text(bad.read_text() + "{not json}\n")
    res = runner.invoke(app, ["data", "check", str(bad), "--json"])
    assert res.exit_code == 1
    rep = json.loads(res.output)
    assert any("duplicate request 'golden hour'" in e for e in rep["errors"])
    assert any("not valid JSON" in e for e in rep["errors"])


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r.update(adjust={}, selective_adjust={}, filter={"name": "none", "intensity": 0},
                        rationale={"adjust": "Not needed", "selective_adjust": "Not needed",
                                   "filter": "Not needed"}),
     "all tools empty"),
    (lambda r: r["rationale"].update(selective_adjust="Not needed: handled in adjust."), "says 'Not needed'"),
    (lambda r: r.update(selective_adjust={}), "does not start with 'Not needed'"),
    (lambda r: r["rationale"].update(filter="fortune would be too gold; a light wash"),
     "does not name the chosen"),
    (lambda r: r["rationale"].update(filter="lovely_day, warmer than faded_Retro"),
     "names presets the row does not use"),
    (lambda r: r["rationale"].update(adjust="as the `winter` preset would, but warm"), "winter"),
])
def test_check_enforces_authoring_rules(tmp_path, mutate, message):
    row = json.loads(json.dumps(GOOD[0]))
    mutate(row)
    rep = json.loads(CliRunner().invoke(app, ["data", "check", str(write(tmp_path, [row])), "--json"]).output)
    assert any(message in e for e in rep["errors"]), rep["errors"]


def test_preset_words_count_only_when_they_read_as_presets():
    from vibegrade.data.check import mentioned_presets

    names = ["vivid", "negative", "faded_Retro", "winter"]
    assert mentioned_presets("negative values lift the blacks; a vivid, wintry look", names) == set()
    assert mentioned_presets("the vivid preset at 30, not faded_Retro", names) == {"vivid", "faded_Retro"}
    assert mentioned_presets("filter 'winter' at 40", names) == {"winter"}


def test_split_by_concept_keeps_concepts_whole_and_holds_out_wordings():
    from vibegrade.data.split import split_by_concept

    rows = []
    for i in range(60):
        for j in range(4):
            row = json.loads(json.dumps(GOOD[3]))
            row.update(intent=f"look {i} wording {j}", concept=f"c/{i}",
                       phrasing="bare" if j == 0 else "variant")
            row["adjust"]["exposure"] = 1 + i  # settings alone would not group these rows
            rows.append(parse_row(row)[0])
    sp = split_by_concept(rows, test_fraction=0.2, phrasing_fraction=0.25, seed=3, min_test=10)
    train_c = {r.concept for r in sp.train}
    assert not train_c & {r.concept for r in sp.test}  # no concept on both sides
    assert {r.concept for r in sp.phrasing} <= train_c  # phrasing test: wordings of training concepts
    assert all(r.phrasing == "variant" for r in sp.phrasing)
    assert len({r.concept for r in sp.phrasing}) == len(sp.phrasing)  # one wording per concept
    assert len(sp.train) + len(sp.test) + len(sp.phrasing) == len(rows)
    assert 40 <= len(sp.test) <= 60 and 8 <= len(sp.phrasing) <= 14
    again = split_by_concept(rows, test_fraction=0.2, phrasing_fraction=0.25, seed=3, min_test=10)
    assert [r.intent for r in again.test] == [r.intent for r in sp.test]


def test_stats_plots(tmp_path):
    f = write(tmp_path, GOOD)
    res = CliRunner().invoke(app, ["data", "stats", str(f), "--plots", str(tmp_path / "plots"), "--json"])
    assert res.exit_code == 0, res.output
    st = json.loads(res.stdout if hasattr(res, "stdout") else res.output.splitlines()[0])
    assert st["adjust"]["temperature"]["max"] == 40 and st["adjust"]["saturation"]["min"] == -100
    for name in ("presets_top15.png", "adjust_params.png", "selective_adjust_params.png"):
        with Image.open(tmp_path / "plots" / name) as im:
            assert im.size[0] > 300 and im.format == "PNG"


def test_sheet_renders_each_request(tmp_path):
    f = write(tmp_path, GOOD)
    out = tmp_path / "sheet.png"
    res = CliRunner().invoke(app, ["data", "sheet", str(f), "-o", str(out), "--image", "coffee", "--n", "3",
                                   "--cols", "2", "--tile", "64"])
    assert res.exit_code == 0, res.output
    with Image.open(out) as im:
        a = np.asarray(im.convert("RGB"))
    assert a.shape[0] > 2 * 64 and a.shape[1] > 2 * 64  # 4 tiles (original + 3) in 2 columns


def test_split_is_seeded_grouped_and_disjoint():
    from vibegrade.data.rows import parse_row as pr
    rows = []
    for i in range(200):
        r = json.loads(json.dumps(GOOD[3]))
        r["intent"] = f"look {i}"
        r["adjust"] = adj(exposure=(i % 100) - 50 or 1)  # 100 distinct settings, 2 phrasings each
        rows.append(pr(r)[0])
    train, test = split_rows(rows, test_fraction=0.2, seed=1, min_test=10)
    again_train, again_test = split_rows(rows, test_fraction=0.2, seed=1, min_test=10)
    assert [r.intent for r in test] == [r.intent for r in again_test]
    assert 40 <= len(test) <= 42 and len(train) + len(test) == 200
    train_settings = {r.chain.to_json() for r in train}
    assert not any(r.chain.to_json() in train_settings for r in test)  # variants never straddle the split
    other = split_rows(rows, test_fraction=0.2, seed=2, min_test=10)[1]
    assert {r.intent for r in other} != {r.intent for r in test}


def test_dev_split_holds_out_a_grouped_fraction():
    from vibegrade.data.split import dev_split

    rows = []
    for i in range(60):
        r = json.loads(json.dumps(GOOD[3]))
        r["intent"] = f"look {i}"
        r["adjust"] = adj(exposure=(i % 30) - 15 or 1)  # 30 distinct settings, 2 phrasings each
        rows.append(parse_row(r)[0])
    train, dev = dev_split(rows, 0.1, seed=5)
    assert len(dev) == 6 and len(train) == 54  # round(0.1 * 60) rows, whole groups
    assert not {r.chain.to_json() for r in dev} & {r.chain.to_json() for r in train}
    assert (train, dev) == dev_split(iter(rows), 0.1, seed=5)  # any iterable, same answer
    assert dev_split(rows, 0.1, seed=6)[1] != dev
    tiny_train, tiny_dev = dev_split(rows[:3], 0.01, seed=5)
    assert len(tiny_dev) >= 1 and len(tiny_train) + len(tiny_dev) == 3  # at least one dev row
    for off in (0.0, 1.0, -0.5):
        assert dev_split(rows, off, seed=5) == (rows, [])
    assert dev_split(rows[:1], 0.5, seed=5) == (rows[:1], [])  # nothing left to train on
