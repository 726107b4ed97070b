"""End to end over real HTTP: a uvicorn server on loopback, simulated users, the A/B report."""

from __future__ import annotations

import json

import pytest

from tests.serve.helpers import live_server  # noqa: E402
from vibegrade.analytics.abstats import ab_report
from vibegrade.analytics.experiments import load_experiments
from vibegrade.analytics.simulate import check_loopback, simulate_traffic
from vibegrade.data.events import EventStore
from vibegrade.serve.app import Settings, create_app


@pytest.fixture
def server(tmp_path):
    cfg = tmp_path / "experiments.json"
    cfg.write_text(json.dumps({"experiments": [
        {"name": "ab", "variants": [{"name": "control"}, {"name": "treatment"}]}]}))
    url = f"sqlite:///{tmp_path / 'events.db'}"
    app = create_app(Settings(database_url=url, experiments_file=cfg, jobs_dir=tmp_path / "jobs"))
    with live_server(app) as base:
        yield base, url, cfg


def test_report_finds_a_real_difference_and_no_events_are_lost(server):
    base, url, cfg = server
    res = simulate_traffic(base, {"control": 0.15, "treatment": 0.6}, users=160, seed=3, concurrency=4)
    assert res.errors == 0 and res.users == 160 and not res.stopped_early
    store = EventStore(url)
    counts = store.counts()
    stats = store.ab.variant_stats("ab")
    store.close()
    assert counts["projects"] == res.predicts and counts["exports"] == res.exports  # nothing lost
    assert {v: (s["started"], s["exported"]) for v, s in stats.items()} == \
        {v: (s["started"], s["exported"]) for v, s in res.by_variant.items()}
    rep = ab_report(load_experiments(cfg).get("ab"),
                    {v: (s["started"], s["exported"]) for v, s in stats.items()})
    assert rep["comparisons"][0]["significant"] and not rep["srm"]["srm"]


def test_a_a_test_is_not_flagged(server):
    base, url, cfg = server
    res = simulate_traffic(base, {"control": 0.4, "treatment": 0.4}, users=120, seed=11, concurrency=4)
    assert res.errors == 0
    rep = ab_report(load_experiments(cfg).get("ab"),
                    {v: (s["started"], s["exported"]) for v, s in res.by_variant.items()})
    assert not rep["comparisons"][0]["significant"] and not rep["srm"]["srm"]


def test_only_loopback_targets():
    for ok in ("http://127.0.0.1:8000", "http://localhost:1", "http://[::1]:80", "http://127.1.2.3"):
        check_loopback(ok)
    for bad in ("http://10.0.0.5:8000", "http://example.com", "http://192.168.1.2"):
        with pytest.raises(ValueError, match="only goes to this machine"):
            check_loopback(bad)
