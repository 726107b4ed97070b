"""Concurrent clients against a real uvicorn server on loopback: no errors and no lost or doubled events.

Eight client threads (each its own keep-alive connection and user cookie) first create projects with
``/v1/predict`` and ``/v1/edit`` (a small JPEG), then all export at once, with every export event sent by
two or three clients at about the same time (duplicates and retries). The event store must then hold
exactly one project per successful predict/edit and exactly one export per distinct event id, on SQLite
(WAL) and, when a server is reachable, on PostgreSQL (in a throwaway schema).

The last tests cover the pieces of ``vibegrade bench serve`` (its HTTP clients, a tiny full run).
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.store_helpers import isolated_pg_store
from vibegrade.schema import parse_chain
from vibegrade.serve.app import USER_COOKIE, Settings, create_app

from .helpers import live_server

CLIENTS = 8
PREDICTS_PER_CLIENT = 12
EDITS_PER_CLIENT = 5
INTENTS = ["golden hour, warm and soft", "moody teal and orange", "black and white, high contrast",
           "faded vintage film", "cold winter morning", "vivid summer colours"]


def _jpeg(seed: int, w: int = 64, h: int = 48) -> bytes:
    rng = np.random.default_rng(seed)
    base = np.linspace(40, 220, w, dtype=np.float32)[None, :, None] * np.ones((h, 1, 3), np.float32)
    a = np.clip(base + rng.normal(0, 12, (h, w, 3)), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


@pytest.fixture(params=["sqlite", "postgresql"])
def service(request, tmp_path):
    """(base URL, the app's event store) for a fresh service on a free loopback port."""
    if request.param == "sqlite":
        app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'events.db'}",
                                  jobs_dir=tmp_path / "jobs"))
        with app.state.store, live_server(app) as base:
            yield base, app.state.store
        return
    url = request.getfixturevalue("pg_url")
    app = create_app(Settings(database_url=url, jobs_dir=tmp_path / "jobs"))
    app.state.store.close()
    with isolated_pg_store(url, prefix="vg_load") as store:  # isolated from other runs and tests
        app.state.store = store
        with live_server(app) as base:
            yield base, store


@dataclass
class ClientLog:
    """What one client did and saw."""

    user_id: str = ""
    projects: dict[str, str] = field(default_factory=dict)  # project id -> "student" | "user"
    statuses: Counter = field(default_factory=Counter)  # (endpoint, status) -> n
    unexpected: list[str] = field(default_factory=list)


def _create_projects(base: str, k: int) -> ClientLog:
    log = ClientLog()
    image = _jpeg(k)
    with httpx.Client(base_url=base, timeout=60) as c:
        c.cookies.set(USER_COOKIE, f"load-user-{k:04d}")
        log.user_id = f"load-user-{k:04d}"
        for i in range(PREDICTS_PER_CLIENT + EDITS_PER_CLIENT):
            intent = INTENTS[(k + i) % len(INTENTS)]
            if i % 3 == 2 and i // 3 < EDITS_PER_CLIENT:
                override = i % 2 == 1
                data = {"intent": intent}
                if override:
                    data["tools"] = '{"adjust":{"saturation":-100}}'
                r = c.post("/v1/edit", files={"file": ("p.jpg", image, "image/jpeg")}, data=data)
                log.statuses["edit", r.status_code] += 1
                if r.status_code != 200 or r.headers.get("content-type") != "image/jpeg":
                    log.unexpected.append(f"edit {r.status_code}: {r.text[:200]}")
                    continue
                parse_chain(r.headers["x-tools"])
                log.projects[r.headers["x-project-id"]] = "user" if override else "student"
            else:
                r = c.post("/v1/predict", json={"intent": intent})
                log.statuses["predict", r.status_code] += 1
                if r.status_code != 200:
                    log.unexpected.append(f"predict {r.status_code}: {r.text[:200]}")
                    continue
                log.projects[r.json()["project_id"]] = "student"
    return log


def _export(base: str, jobs: list[tuple[str, str, dict]]) -> tuple[Counter, dict[str, int], list[str]]:
    """Post each (project, event id, tools kept); returns statuses, 201s per event id and surprises."""
    statuses: Counter = Counter()
    created: dict[str, int] = defaultdict(int)
    unexpected: list[str] = []
    with httpx.Client(base_url=base, timeout=60) as c:
        for pid, event_id, kept in jobs:
            r = c.post(f"/v1/projects/{pid}/export", json={"event_id": event_id, "tools_kept": kept})
            statuses[r.status_code] += 1
            if r.status_code not in (200, 201) or r.json() != {"recorded": r.status_code == 201}:
                unexpected.append(f"export {r.status_code}: {r.text[:200]}")
            elif r.status_code == 201:
                created[event_id] += 1
    return statuses, created, unexpected


def test_concurrent_clients_lose_no_events(service):
    base, store = service
    with ThreadPoolExecutor(CLIENTS) as pool:
        logs = list(pool.map(lambda k: _create_projects(base, k), range(CLIENTS)))
    assert [u for log in logs for u in log.unexpected] == []
    made = {pid: (log.user_id, src) for log in logs for pid, src in log.projects.items()}
    assert len(made) == CLIENTS * (PREDICTS_PER_CLIENT + EDITS_PER_CLIENT)  # all distinct

    # Every project gets 0, 1 or 2 export events; each event is sent by 2 or 3 clients (a duplicate
    # double-click, a retry after a lost answer), so the clients race on the same event ids.
    rng = np.random.default_rng(7)
    events: dict[str, tuple[str, dict]] = {}
    sends = []
    for n, pid in enumerate(sorted(made)):
        for j in range(n % 3):
            kept = {t: bool(rng.integers(2)) for t in ("adjust", "selective_adjust", "filter")}
            events[f"ev-{n}-{j}"] = (pid, kept)
            sends += [(pid, f"ev-{n}-{j}", kept)] * (2 + j)
    rng.shuffle(sends)
    per_client = [sends[i::CLIENTS] for i in range(CLIENTS)]
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(lambda jobs: _export(base, jobs), per_client))
    assert [u for _, _, unexpected in results for u in unexpected] == []
    created: Counter = Counter()
    for _, c, _ in results:
        created.update(c)
    assert dict(created) == {ev: 1 for ev in events}  # exactly one 201 per event id, the rest 200
    statuses = sum((s for s, _, _ in results), Counter())
    assert statuses == {201: len(events), 200: len(sends) - len(events)}

    # The store holds exactly what the clients did.
    n_predict = sum(s[("predict", 200)] for s in (log.statuses for log in logs))
    n_edit = sum(s[("edit", 200)] for s in (log.statuses for log in logs))
    assert store.counts() == {"projects": n_predict + n_edit, "exports": len(events)}
    records = {p.id: p for p in store.projects.iter_all()}
    assert set(records) == set(made)
    for pid, (user_id, source) in made.items():
        rec = records[pid]
        assert (rec.user_id, rec.source) == (user_id, source)
        want = {ev: kept for ev, (p, kept) in events.items() if p == pid}
        assert {e.event_id: e.tools_kept for e in rec.exports} == want


# ------------------------------------------------------------------ the service benchmark (bench serve)

def test_bench_concurrency_option_is_checked():
    from typer.testing import CliRunner

    from vibegrade.cli.main import app
    from vibegrade.serve.bench import parse_concurrency

    assert parse_concurrency("1, 2,4,8,4") == [1, 2, 4, 8]
    for bad, msg in (("0", "out of range"), ("2,x", "not a whole number"), (",", "at least one"),
                     ("65", "out of range")):
        with pytest.raises(ValueError, match=msg):
            parse_concurrency(bad)
    r = CliRunner().invoke(app, ["bench", "serve", "--concurrency", "1,two"])
    assert r.exit_code == 2 and "not a whole number" in r.output


def test_bench_clients_talk_to_a_real_server(service):
    """The benchmark's own HTTP client and multipart encoder, with several clients at once."""
    from vibegrade.serve.bench import HttpClient, _multipart, _run_clients

    base, store = service
    port = int(base.rsplit(":", 1)[1])
    body, ctype = _multipart({"intent": "warm film"}, "file", "p.jpg", _jpeg(3), "image/jpeg")
    seen = []

    def edit(c: HttpClient, _i: int) -> None:
        status, data = c.post("/v1/edit", body, ctype)
        seen.append((status, data[:3]))

    rps, latencies = _run_clients(port, 3, 7, edit)
    assert rps > 0 and len(latencies) == 7 and min(latencies) > 0
    assert seen == [(200, b"\xff\xd8\xff")] * 10  # 7 timed + one warm-up per client
    projects = list(store.projects.iter_all())
    assert len(projects) == 10
    assert {p.user_id for p in projects} == {f"bench-client-{k:04d}" for k in range(3)}


@pytest.mark.slow
def test_bench_serve_cli_json_smoke():
    """A tiny ``vibegrade bench serve --json`` run: a real service subprocess, every figure present."""
    import json

    from typer.testing import CliRunner

    from vibegrade.cli.main import app

    r = CliRunner().invoke(app, ["bench", "serve", "--json", "--requests", "10", "--edit-requests", "5",
                                 "--concurrency", "2"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    for name in ("predict", "edit"):
        for kind in ("http", "in_process"):
            assert 0 < res[name][kind]["p50_ms"] <= res[name][kind]["p95_ms"]
    assert [row["clients"] for row in res["concurrency"]] == [2]
    assert res["concurrency"][0]["predict_rps"] > 0 and res["concurrency"][0]["edit_rps"] > 0
    for key, t in res["targets"].items():
        assert t["met"] == (t["measured"] <= t["target"])
        assert t["measured"] == res[key.split("_")[0]]["http"]["p50_ms"]
    assert res["edit"]["image"].startswith("1920x1080 JPEG")
