"""Experiments config, sticky assignment, A/B statistics and the ``ab report`` CLI."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import numpy as np
import pytest
from scipy.stats import chi2_contingency, chisquare
from typer.testing import CliRunner

from vibegrade.analytics.abstats import (
    ab_report,
    format_report,
    normalise_counts,
    ratio_ci,
    srm_check,
    two_proportion_ztest,
    wilson_ci,
)
from vibegrade.analytics.experiments import (
    Experiment,
    ExperimentConfigError,
    Variant,
    assign,
    hash_unit,
    load_experiments,
    parse_experiments,
)
from vibegrade.cli.ab import app, counts_from_file

Z = 1.959963984540054


def exp(name="exp", weights=(1, 1), **kw) -> Experiment:
    names = ["control", "treatment", "third", "fourth"]
    return Experiment(name=name,
                      variants=[Variant(name=names[i], weight=w) for i, w in enumerate(weights)], **kw)


# ---------------------------------------------------------------- sticky assignment

def test_assignment_is_sticky_and_deterministic():
    e = exp()
    users = [f"user-{i}" for i in range(200)]
    first = [assign(e, u).name for u in users]
    assert [assign(e, u).name for u in users] == first
    # a freshly built but equal experiment assigns the same way (no process state involved)
    assert [assign(exp(), u).name for u in users] == first
    # pinned values: sha256 is the same on every machine
    assert hash_unit("exp", "user-0") == 0.8393596839465417
    assert hash_unit("exp", "user-1") == 0.97838272643817
    assert 0.0 <= hash_unit("exp", "user-0") < 1.0


@pytest.mark.parametrize("weights, shares", [((1, 1), (0.5, 0.5)), ((80, 20), (0.8, 0.2)),
                                             ((1, 1, 2), (0.25, 0.25, 0.5))])
def test_split_follows_weights(weights, shares):
    e = exp(weights=weights)
    names = [v.name for v in e.variants]
    got = [assign(e, f"u{i}").name for i in range(20_000)]
    for name, share in zip(names, shares):
        assert abs(got.count(name) / len(got) - share) < 0.02, (name, got.count(name))


def test_assignment_independent_between_experiments():
    a, b = exp("search-ranking"), exp("student-v2")
    users = [f"anon-{i:06d}" for i in range(20_000)]
    xa = np.array([assign(a, u).name == "treatment" for u in users], float)
    xb = np.array([assign(b, u).name == "treatment" for u in users], float)
    assert abs(np.corrcoef(xa, xb)[0, 1]) < 0.03
    # and the joint cells are each close to a quarter
    for va in (0, 1):
        for vb in (0, 1):
            assert abs(np.mean((xa == va) & (xb == vb)) - 0.25) < 0.02


# ---------------------------------------------------------------- statistics, by hand

def test_wilson_matches_hand_and_newcombe_table():
    lo, hi = wilson_ci(30, 100)
    p, n = 0.3, 100
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n * n))
    assert lo == pytest.approx(centre - half) and hi == pytest.approx(centre + half)
    assert (lo, hi) == pytest.approx((0.2189, 0.3958), abs=5e-5)
    # Newcombe (1998), Table I, method 3 (score interval without continuity correction)
    for (x, n), (elo, ehi) in {(81, 263): (0.2553, 0.3662), (15, 148): (0.0624, 0.1605),
                               (0, 20): (0.0, 0.1611), (1, 29): (0.0061, 0.1718)}.items():
        assert wilson_ci(x, n) == pytest.approx((elo, ehi), abs=1e-4)
    assert wilson_ci(0, 0) == (None, None)
    assert wilson_ci(10, 10)[1] == pytest.approx(1.0) and wilson_ci(0, 10)[0] == 0.0


def test_ztest_hand_and_scipy():
    z, p = two_proportion_ztest(30, 100, 45, 100)
    # pooled p = 0.375, se = sqrt(0.375 * 0.625 * (2 / 100)) = 0.0684653
    assert z == pytest.approx(0.15 / math.sqrt(0.375 * 0.625 * 0.02))
    assert z == pytest.approx(2.19089, abs=1e-5)
    assert p == pytest.approx(0.028459, abs=1e-5)
    # pooled z-test == Pearson chi-square on the 2x2 table without Yates correction
    for x1, n1, x2, n2 in [(30, 100, 45, 100), (1510, 5020, 1800, 4980), (3, 40, 9, 41)]:
        z, p = two_proportion_ztest(x1, n1, x2, n2)
        stat, p_sp, _, _ = chi2_contingency([[x1, n1 - x1], [x2, n2 - x2]], correction=False)
        assert z**2 == pytest.approx(stat) and p == pytest.approx(p_sp)
    assert two_proportion_ztest(0, 10, 0, 12) == (0.0, 1.0)
    assert two_proportion_ztest(0, 0, 5, 10) == (None, None)


def test_ratio_ci_hand():
    ratio, lo, hi, corrected = ratio_ci(30, 100, 45, 100)
    se = math.sqrt(1 / 45 - 1 / 100 + 1 / 30 - 1 / 100)  # = sqrt((1-p1)/(p1 n1) + (1-p2)/(p2 n2))
    assert not corrected and ratio == pytest.approx(1.5)
    assert lo == pytest.approx(1.5 * math.exp(-Z * se)) and hi == pytest.approx(1.5 * math.exp(Z * se))
    assert (lo, hi) == pytest.approx((1.0365, 2.1707), abs=1e-4)
    # zero exports: +0.5 continuity correction, finite interval
    ratio, lo, hi, corrected = ratio_ci(0, 50, 5, 50)
    assert corrected and ratio == pytest.approx((5.5 / 51) / (0.5 / 51))
    assert 0 < lo < ratio < hi < math.inf
    assert ratio_ci(0, 0, 5, 10) == (None, None, None, False)


def test_srm_matches_scipy_chisquare():
    for obs, w in [([5300, 4700], [1, 1]), ([8100, 1900], [0.8, 0.2]), ([340, 310, 700], [1, 1, 2])]:
        r = srm_check(obs, w)
        exp_counts = np.array(w, float) / sum(w) * sum(obs)
        sp = chisquare(obs, exp_counts)
        assert r["chi2"] == pytest.approx(sp.statistic) and r["p_value"] == pytest.approx(sp.pvalue)
        assert r["df"] == len(obs) - 1
    # hand: (5300-5000)^2/5000 * 2 = 36
    assert srm_check([5300, 4700], [1, 1])["chi2"] == pytest.approx(36.0)
    assert srm_check([0, 0], [1, 1])["srm"] is False


# ---------------------------------------------------------------- simulations

def _simulate(rng, p1, p2, n):
    return {"control": (n, int(rng.binomial(n, p1))), "treatment": (n, int(rng.binomial(n, p2)))}


def test_power_finds_real_difference():
    e = exp()
    hits = sum(ab_report(e,
                         _simulate(np.random.default_rng(seed),
                                   0.30, 0.36, 5000))["comparisons"][0]["significant"]
               for seed in range(200))
    assert hits >= 180


def test_aa_false_positive_rate_near_alpha():
    e = exp()
    hits = sum(ab_report(e,
                         _simulate(np.random.default_rng(1000 + s),
                                   0.30, 0.30, 5000))["comparisons"][0]["significant"]
               for s in range(400))
    assert 0.02 * 400 <= hits <= 0.09 * 400


def test_user_level_simulation_end_to_end():
    """Assign synthetic users through the hash, draw exports per user, then report."""
    e = exp("sim")
    rng = np.random.default_rng(7)
    true_p = {"control": 0.30, "treatment": 0.36}
    counts = {"control": [0, 0], "treatment": [0, 0]}
    draws = rng.random(10_000)
    for i in range(10_000):
        v = assign(e, f"sim-user-{i}").name
        counts[v][0] += 1
        counts[v][1] += int(draws[i] < true_p[v])
    rep = ab_report(e, {k: tuple(v) for k, v in counts.items()})
    assert not rep["srm"]["srm"]
    c = rep["comparisons"][0]
    assert c["significant"] and c["ratio_ci_low"] < 1.2 < c["ratio_ci_high"]


def test_srm_flags():
    e = exp()
    bad = ab_report(e, {"control": (5300, 1500), "treatment": (4700, 1400)})["srm"]
    assert bad["srm"] and bad["p_value"] < 0.001
    ok = ab_report(e, {"control": (5020, 1500), "treatment": (4980, 1400)})["srm"]
    assert not ok["srm"] and ok["p_value"] > 0.5
    # an 80/20 design with an 80/20 split is fine; with 50/50 it is a mismatch
    assert not ab_report(exp(weights=(80, 20)), {"control": (8010, 1), "treatment": (1990, 1)})["srm"]["srm"]
    assert ab_report(exp(weights=(80, 20)), {"control": (5000, 1), "treatment": (5000, 1)})["srm"]["srm"]


# ---------------------------------------------------------------- report

def test_report_shape_and_json():
    e = exp(weights=(1, 1, 1))
    rep = ab_report(e, {"control": (100, 30), "treatment": {"started": 100, "exported": 45}, "third": (0, 0)})
    json.dumps(rep, allow_nan=False)  # JSON-ready, no NaN
    assert rep["control"] == "control" and [r["name"] for r in rep["variants"]] == ["control",
                                                                                    "treatment", "third"]
    c1, c2 = rep["comparisons"]
    assert c1["diff"] == pytest.approx(0.15) and c1["ratio"] == pytest.approx(1.5) and c1["significant"]
    assert c1["p_value"] == pytest.approx(0.028459, abs=1e-5)
    assert c2["p_value"] is None and not c2["significant"] and rep["variants"][2]["rate"] is None
    text = format_report(rep)
    assert "control" in text and "treatment" in text and "YES" in text and "SRM check" in text


def test_report_rejects_bad_counts():
    e = exp()
    with pytest.raises(ValueError, match="not in experiment"):
        ab_report(e, {"control": (1, 0), "bogus": (1, 0)})
    with pytest.raises(ValueError, match=r"exported \(5\) > started \(3\)"):
        normalise_counts({"control": (3, 5)})
    with pytest.raises(ValueError, match=">= 0"):
        normalise_counts({"control": {"started": -1, "exported": 0}})
    with pytest.raises(ValueError, match="unknown key"):
        normalise_counts({"control": {"started": 1, "exported": 0, "views": 3}})


# ---------------------------------------------------------------- config

GOOD_TOML = """
[[experiments]]
name = "student-v2"
start = 2026-01-10T00:00:00Z
stop = 2026-02-10T00:00:00Z

[[experiments.variants]]
name = "control"
model = "default"
weight = 1

[[experiments.variants]]
name = "v2"
model = "out/students/v2"
weight = 3

[[experiments]]
name = "always"
variants = [{name = "a"}, {name = "b", weight = 2.5}]
"""


def test_load_good_toml_and_json(tmp_path):
    p = tmp_path / "experiments.toml"
    p.write_text(GOOD_TOML)
    cfg = load_experiments(p)
    e = cfg.get("student-v2")
    assert e.control.name == "control" and e.variants[1].model == "out/students/v2"
    assert e.weights == pytest.approx([0.25, 0.75])
    assert e.is_active(datetime(2026, 1, 20, tzinfo=UTC))
    assert e.is_active(datetime(2026, 1, 20))  # naive = UTC
    assert not e.is_active(datetime(2026, 1, 1, tzinfo=UTC))
    assert not e.is_active(datetime(2026, 2, 10, tzinfo=UTC))  # stop is exclusive
    assert cfg.get("always").is_active() and cfg.get("always").variants[0].weight == 1.0
    j = tmp_path / "experiments.json"
    j.write_text(json.dumps(json.loads(cfg.model_dump_json())))
    assert load_experiments(j) == cfg
    with pytest.raises(KeyError, match="no experiment named 'x'"):
        cfg.get("x")


def _variants(*names, **extra):
    return [{"name": n, **extra} for n in names]


@pytest.mark.parametrize("data, message", [
    ({"experiments": [{"name": "e", "variants": _variants("a", "b"), "owner": "me"}]},
     "unknown key 'owner' in experiments[0]"),
    ({"experiments": [{"name": "e", "variants": _variants("a", "b", colour="red")}]},
     "unknown key 'colour' in experiments[0].variants[0]"),
    ({"experimentz": []}, "unknown key 'experimentz'"),
    ({"experiments": [{"name": "e", "variants": [{"name": "a"}, {"name": "b", "weight": 0}]}]},
     "experiments[0].variants[1].weight: weight must be > 0 (got 0)"),
    ({"experiments": [{"name": "e", "variants": [{"name": "a", "weight": -2}, {"name": "b"}]}]},
     "weight must be > 0 (got -2)"),
    ({"experiments": [{"name": "e", "variants": _variants("a", "a")}]},
     "experiments[0]: duplicate variant name(s) 'a'"),
    ({"experiments": [{"name": "e", "variants": _variants("a", "b")},
                      {"name": "e", "variants": _variants("a", "b")}]},
     "duplicate experiment name(s) 'e'"),
    ({"experiments": [{"name": "e", "variants": _variants("a", "b"),
                       "start": "2026-02-01T00:00:00Z", "stop": "2026-01-01T00:00:00Z"}]},
     "experiments[0]: stop (2026-01-01T00:00:00+00:00) must be after start (2026-02-01T00:00:00+00:00)"),
    ({"experiments": [{"name": "e", "variants": _variants("a")}]}, "experiments[0].variants:"),
    ({"experiments": [{"variants": _variants("a", "b")}]}, "experiments[0].name: required key missing"),
])
def test_bad_config_messages(tmp_path, data, message):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(data))
    with pytest.raises(ExperimentConfigError) as info:
        load_experiments(p)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(f"{p}: ") and message in msg, msg


def test_bad_toml_file_messages(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text(GOOD_TOML.replace("weight = 3", "weight = 3\ncolour = 1"))
    with pytest.raises(ExperimentConfigError, match="unknown key 'colour'"):
        load_experiments(p)
    p.write_text("[[experiments]\nname=")
    with pytest.raises(ExperimentConfigError, match="invalid TOML"):
        load_experiments(p)
    j = tmp_path / "bad.json"
    j.write_text("{nope")
    with pytest.raises(ExperimentConfigError, match="invalid JSON"):
        load_experiments(j)
    y = tmp_path / "x.yaml"
    y.write_text("a: 1")
    with pytest.raises(ExperimentConfigError, match="unsupported file type"):
        load_experiments(y)
    with pytest.raises(ExperimentConfigError, match="no such file"):
        load_experiments(tmp_path / "missing.toml")
    with pytest.raises(ExperimentConfigError, match="top level"):
        parse_experiments([1, 2])


# ---------------------------------------------------------------- CLI

@pytest.fixture
def files(tmp_path):
    cfg = tmp_path / "experiments.toml"
    cfg.write_text(GOOD_TOML)
    counts = tmp_path / "counts.json"
    counts.write_text(json.dumps({"control": {"started": 5020, "exported": 1510},
                                  "v2": {"started": 4980, "exported": 1800}}))
    return cfg, counts


def test_cli_report_table(files):
    cfg, counts = files
    r = CliRunner().invoke(app, ["report", "student-v2", "--config", str(cfg), "--counts", str(counts)])
    assert r.exit_code == 0, r.output
    assert "control" in r.output and "v2" in r.output and "95% CI" in r.output and "YES" in r.output
    assert "SRM check" in r.output and "SAMPLE RATIO MISMATCH" in r.output


def test_cli_report_json(files):
    cfg, counts = files
    r = CliRunner().invoke(app,
                           ["report", "student-v2", "--config", str(cfg), "--counts", str(counts), "--json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert rep["experiment"] == "student-v2" and rep["comparisons"][0]["significant"] is True
    # the config's 1:3 design vs a ~50/50 split of started projects is a sample-ratio mismatch
    assert rep["variants"][0]["started"] == 5020 and rep["srm"]["srm"] is True


def test_cli_errors(files, tmp_path):
    cfg, counts = files
    run = lambda *a: CliRunner().invoke(app, ["report", *map(str, a)])  # noqa: E731
    r = run("nope", "--config", cfg, "--counts", counts)
    assert r.exit_code == 2 and "no experiment named 'nope'" in r.output
    # without --counts the counts come from the event store; an empty store reports zero projects
    r = run("student-v2", "--config", cfg, "--database-url", f"sqlite:///{tmp_path / 'empty.db'}", "--json")
    assert r.exit_code == 0 and all(v["started"] == 0 for v in json.loads(r.stdout)["variants"])
    bad = tmp_path / "bad_counts.json"
    bad.write_text(json.dumps({"control": {"started": 1, "exported": 2}}))
    r = run("student-v2", "--config", cfg, "--counts", bad)
    assert r.exit_code == 2 and "exported (2) > started (1)" in r.output
    r = run("student-v2", "--config", tmp_path / "missing.toml", "--counts", counts)
    assert r.exit_code == 2 and "no such file" in r.output


def test_counts_from_file(files):
    _, counts = files
    assert counts_from_file(counts) == {"control": (5020, 1510), "v2": (4980, 1800)}


def test_report_reads_counts_from_the_event_store(tmp_path):
    import json as _json

    from typer.testing import CliRunner

    from vibegrade.cli.ab import app as ab_app
    from vibegrade.data.events import EventStore
    from vibegrade.schema import parse_chain

    url = f"sqlite:///{tmp_path / 'events.db'}"
    store = EventStore(url)
    chain = parse_chain({"adjust": {"exposure": 10}})
    for i in range(40):
        variant = "a" if i % 2 else "b"
        pid = store.projects.record(user_id=f"u{i}", intent="golden hour", tools=chain, model="m",
                                   experiment="exp1", variant=variant)
        if i % 4 == 0 or (variant == "a" and i % 3 == 0):
            store.exports.record(pid, f"e{i}", {"adjust": True, "selective_adjust": True, "filter": True})
    store.close()
    cfg = tmp_path / "experiments.json"
    cfg.write_text(_json.dumps({"experiments": [{"name": "exp1",
                                                 "variants": [{"name": "a"}, {"name": "b"}]}]}))
    res = CliRunner().invoke(ab_app,
                             ["report", "exp1", "--config", str(cfg), "--database-url", url, "--json"])
    assert res.exit_code == 0, res.output
    rep = _json.loads(res.stdout)
    by = {v["name"]: v for v in rep["variants"]}
    assert by["a"]["started"] == 20 and by["b"]["started"] == 20
    assert by["b"]["exported"] == 10 and by["a"]["exported"] == 7
