"""Event store (SQLite and PostgreSQL) and the dataset builder from events."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from tests.store_helpers import head_revision, iter_annotations, record_annotation, revision
from vibegrade.data.events import EventStore, normalize_database_url
from vibegrade.data.from_events import dataset_from_events
from vibegrade.data.rows import read_rows
from vibegrade.schema import ToolChain, parse_chain

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def chain(**kw) -> dict:
    return ToolChain.model_validate(kw).to_wire()


A1 = chain(adjust={"exposure": 20, "temperature": 30})
A2 = chain(adjust={"exposure": -10, "contrast": 15})
A3 = chain(adjust={"saturation": -40})
S1 = {"orange": {"saturation": 20, "luminance": 10}}
S3 = {"blue": {"saturation": -30, "luminance": 0}}
F1 = {"name": "enchanted", "intensity": 60}
F2 = {"name": "cyberpunk", "intensity": 35}
OUT_A = chain(adjust=A1["adjust"], selective_adjust=S1, filter=F1)
OUT_B = chain(adjust=A2["adjust"], filter=F2)
OUT_C = chain(adjust=A3["adjust"], selective_adjust=S3)
KEEP = lambda a, s, f: {"adjust": a, "selective_adjust": s, "filter": f}  # noqa: E731


def test_migrations_create_tables(store):
    assert revision(store) is None or revision(store) == head_revision()
    store.migrate()
    assert revision(store) == head_revision() == "0004_conversation_turns"
    store.migrate()  # idempotent
    names = set(inspect(store.engine).get_table_names())
    assert {"projects", "exports", "annotations", "annotation_tasks", "annotators", "turns",
            "alembic_version"} <= names
    cols = {c["name"] for c in inspect(store.engine).get_columns("projects")}
    assert {"id", "created_at", "user_id", "experiment", "variant", "model", "intent", "intent_key", "tools",
            "source", "latency_ms"} <= cols
    assert store.counts() == {"projects": 0, "exports": 0}


def test_sqlite_wal(tmp_path):
    s = EventStore(f"sqlite:///{tmp_path / 'sub' / 'e.db'}")
    s.migrate()
    with s.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    s.close()


def test_default_url(monkeypatch, tmp_path):
    from vibegrade.data.events import default_database_url

    monkeypatch.delenv("VIBEGRADE_DATABASE_URL", raising=False)
    monkeypatch.setenv("VIBEGRADE_DATA_DIR", str(tmp_path))
    assert default_database_url() == f"sqlite:///{tmp_path / 'events.db'}"
    monkeypatch.setenv("VIBEGRADE_DATABASE_URL", "postgresql://u@h/db")
    assert EventStore().url == "postgresql+psycopg://u@h/db"
    assert normalize_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_record_export_idempotent(store):
    pid = store.projects.record(user_id="u1", intent="  Golden   hour ", tools=OUT_A, model="student-v1",
                               source="student", latency_ms=12.5, experiment="exp", variant="a")
    [p] = list(store.projects.iter_all())
    assert p.id == pid and p.intent == "Golden hour" and p.intent_key == "golden hour"
    assert p.tools == OUT_A and p.latency_ms == 12.5 and p.created_at.tzinfo is not None
    assert store.exports.record(pid, "ev-1", KEEP(True, False, True)) is True
    assert store.exports.record(pid, "ev-1", KEEP(False, False, False)) is False
    assert store.counts() == {"projects": 1, "exports": 1}
    [p] = list(store.projects.iter_all())
    assert [e.tools_kept for e in p.exports] == [KEEP(True, False, True)]
    assert store.exports.record(pid, "ev-2", {"adjust": True}) is True  # missing tools = not kept
    assert list(store.projects.iter_all())[0].exports[1].tools_kept == KEEP(True, False, False)
    with pytest.raises(ValueError):
        store.exports.record(pid, "ev-3", {"curves": True})
    with pytest.raises(ValueError):
        store.projects.record(user_id="u", intent="x", tools={"adjust": {"exposure": 500}}, model="m")
    with pytest.raises(ValueError):
        store.projects.record(user_id="u", intent="x", tools=OUT_A, model="m", project_id=pid)
    aid = record_annotation(store, annotator="ann", question="good?", answer="yes", project_id=pid)
    assert [a["id"] for a in iter_annotations(store)] == [aid]
    record_annotation(store, annotator="ann", question="general", answer="ok")


def test_unknown_project(store):
    with pytest.raises(KeyError, match="unknown project"):
        store.exports.record("nope", "ev-x", KEEP(True, True, True))
    assert store.counts() == {"projects": 0, "exports": 0}


def test_variant_stats(store):
    ids = {}
    for i, v in enumerate(["a", "a", "a", "b", "b", None]):
        ids[i] = store.projects.record(user_id=f"u{i}", intent="golden hour", tools=OUT_A, model="m",
                                      experiment="exp1", variant=v)
    store.projects.record(user_id="x", intent="golden hour", tools=OUT_A, model="m", experiment="other",
                         variant="a")
    store.exports.record(ids[0], "e0", KEEP(True, True, True))
    store.exports.record(ids[0], "e0b", KEEP(True, True, True))  # second export of the same project
    store.exports.record(ids[1], "e1", KEEP(True, True, True))
    store.exports.record(ids[3], "e3", KEEP(True, True, True))
    assert store.ab.variant_stats("exp1") == {"a": {"started": 3, "exported": 2},
                                              "b": {"started": 2, "exported": 1},
                                              None: {"started": 1, "exported": 0}}
    assert store.ab.variant_stats("missing") == {}


def test_concurrent_exports(store):
    pids = [store.projects.record(user_id=f"u{i}", intent="moody", tools=OUT_B, model="m") for i in range(4)]
    n_threads, per_thread = 8, 15
    errors: list[BaseException] = []
    results: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(n_threads)

    def work(t: int) -> None:
        try:
            barrier.wait()
            for j in range(per_thread):
                # every event is sent twice by two different threads: exactly one write must win
                ev = f"ev-{(t // 2)}-{j}"
                r = store.exports.record(pids[j % len(pids)], ev, KEEP(True, j % 2 == 0, True))
                with lock:
                    results.append(r)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    unique = (n_threads // 2) * per_thread
    assert results.count(True) == unique and results.count(False) == unique
    assert store.counts() == {"projects": 4, "exports": unique}


def _script_history(store: EventStore) -> dict[str, str]:
    t = iter(T0 + timedelta(minutes=i) for i in range(1000))
    ids: dict[str, str] = {}

    def proj(name: str, intent: str, tools: dict) -> str:
        ids[name] = store.projects.record(user_id=f"user-{name}", intent=intent, tools=tools, model="student",
                                         created_at=next(t))
        return ids[name]

    # "golden hour": output A served 4x, B 2x, C 1x (never exported)
    proj("a1", "Golden Hour", OUT_A)
    proj("b1", "golden hour", OUT_B)
    proj("a2", "Golden Hour", OUT_A)
    proj("c1", "golden  hour", OUT_C)
    proj("a3", "Golden Hour", OUT_A)
    proj("b2", "golden hour ", OUT_B)
    proj("a4", "Golden Hour", OUT_A)
    store.exports.record(ids["a1"], "g1", KEEP(True, True, False))
    store.exports.record(ids["a2"], "g2", KEEP(True, False, False))
    store.exports.record(ids["a2"], "g2-again", KEEP(True, False, False))  # same project: counts once
    store.exports.record(ids["b1"], "g3", KEEP(False, False, True))
    store.exports.record(ids["b2"], "g4", KEEP(True, False, True))
    # rates: adjust A 2/4 = B 1/2 -> tie, A has more projects; selective A 1/4, B 0; filter A 0, B 2/2

    # "moody": two outputs with 1 project each, both exported with adjust kept -> earliest wins (E)
    proj("e1", "moody", chain(adjust={"contrast": 30}, filter={"name": "darkness", "intensity": 50}))
    proj("d1", "Moody", chain(adjust={"contrast": -30}, selective_adjust=S3))
    store.exports.record(ids["d1"], "m1", KEEP(True, True, False))
    store.exports.record(ids["e1"], "m2", KEEP(True, False, False))

    # "noir": never exported -> dropped
    proj("n1", "noir", OUT_C)
    proj("n2", "noir", OUT_A)

    # "faded": exported with every tool disabled -> an all-unused row
    proj("f1", "faded", OUT_B)
    store.exports.record(ids["f1"], "f-1", KEEP(False, False, False))
    return ids


def _expected_rows() -> list[dict]:
    golden = chain(adjust=A1["adjust"], selective_adjust=S1, filter=F2)
    moody = chain(adjust={"contrast": 30}, selective_adjust=S3)
    empty = chain()
    return [
        {"intent": "Golden Hour", "rationale": {"adjust": "", "selective_adjust": "", "filter": ""}, **golden,
         "calls": 7},
        {"intent": "moody", "rationale": {"adjust": "", "selective_adjust": "", "filter": ""},
         **moody, "calls": 2},
        {"intent": "faded", "rationale": {"adjust": "", "selective_adjust": "", "filter": ""},
         **empty, "calls": 1},
    ]


def test_dataset_from_events(store):
    _script_history(store)
    rows = dataset_from_events(store)
    assert [r.to_json() for r in rows] == _expected_rows()
    golden = rows[0]
    assert golden.category is None and golden.key == "golden hour"
    # per-tool choice: adjust and selective from A, filter from B, nothing from C
    assert golden.chain.adjust.to_wire() == OUT_A["adjust"]
    assert golden.chain.selective_adjust.to_wire() == OUT_A["selective_adjust"]
    assert golden.chain.filter.to_wire() == OUT_B["filter"]
    assert golden.chain.to_wire() not in (OUT_A, OUT_B, OUT_C)
    assert all(r.key != "noir" for r in rows)


def test_cli_from_events(tmp_path):
    from vibegrade.cli.events import app, from_events_command

    assert callable(from_events_command)
    url = f"sqlite:///{tmp_path / 'events.db'}"
    s = EventStore(url)
    _script_history(s)
    s.close()
    out = tmp_path / "rows.jsonl"
    res = CliRunner().invoke(app, ["from-events", "-o", str(out), "--database-url", url])
    assert res.exit_code == 0, res.output
    assert "12 projects, 8 exports" in res.output and "3 rows" in res.output
    rows = read_rows([out])
    assert [r.to_json() for r in rows] == _expected_rows()
    assert parse_chain(rows[0].chain.to_wire()) == rows[0].chain
