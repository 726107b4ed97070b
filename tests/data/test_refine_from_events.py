"""Refinement triples from stored conversation turns, filtered by exports (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from vibegrade.data.events import EventStore
from vibegrade.data.refine_from_events import refine_row, refinement_triples
from vibegrade.schema import ToolChain

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def chain(**adjust) -> dict:
    return ToolChain.model_validate({"adjust": adjust}).to_wire()


START = chain(temperature=10, contrast=20)
WARM = chain(temperature=35, contrast=20)
LESS = chain(temperature=21, contrast=12)
PUNCHY = chain(temperature=35, contrast=45)
COOL = chain(temperature=10, contrast=45)
SLIDERS = chain(temperature=10, contrast=20, exposure=30)
SLIDERS_WARM = chain(temperature=35, contrast=20, exposure=30)
EMPTY = ToolChain().to_wire()


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _turns(store: EventStore, pid: str, turns: list[tuple]) -> None:
    """``(minute, op, request, tools, cursor)`` rows, numbered in order."""
    for n, (minute, op, request, tools, cursor) in enumerate(turns, start=1):
        store.turns.record(pid, n, op=op, request=request, tools=tools, cursor=cursor, created_at=at(minute))


def _script(store: EventStore) -> dict[str, str]:
    """Four projects: each shows one part of the rule."""
    ids = {}
    for name, minute in (("undone", 0), ("never_exported", 1), ("went_back", 2), ("sliders", 3)):
        ids[name] = store.projects.record(user_id="u1", intent=f"look {name}", tools=START, model="default",
                                          created_at=at(minute))
    # warmer; less (then undone and dropped by the next change); more contrast; export; cooler after it
    _turns(store, ids["undone"], [(10, "edit", "warmer", WARM, 1), (11, "edit", "less", LESS, 2),
                                  (12, "undo", "undo", WARM, 1), (13, "edit", "more contrast", PUNCHY, 2),
                                  (15, "edit", "cooler", COOL, 3)])
    store.exports.record(ids["undone"], "ev-undone", created_at=at(14))
    _turns(store, ids["never_exported"], [(10, "edit", "warmer", WARM, 1)])
    # warmer, then the history list back to the first chain, a reset, then an export of the reset
    _turns(store, ids["went_back"], [(20, "edit", "warmer", WARM, 1), (21, "go", "", START, 0),
                                     (22, "reset", "start over", EMPTY, 1)])
    store.exports.record(ids["went_back"], "ev-went-back-1", created_at=at(23))
    store.exports.record(ids["went_back"], "ev-went-back-2", created_at=at(24))
    # sliders moved (tweak), then warmer on top of them; exported
    _turns(store, ids["sliders"], [(30, "tweak", "", SLIDERS, 1),
                                   (31, "edit", "warmer", SLIDERS_WARM, 2)])
    store.exports.record(ids["sliders"], "ev-sliders", created_at=at(32))
    return ids


def test_triples_follow_exports_and_the_path(store):
    ids = _script(store)
    got = [(t.project_id, t.turn, t.op, t.request, t.before, t.after) for t in refinement_triples(store)]
    assert got == [
        (ids["undone"], 1, "edit", "warmer", START, WARM),
        (ids["undone"], 3, "undo", "undo", LESS, None),  # typed history ops are kept, after = None
        (ids["undone"], 4, "edit", "more contrast", WARM, PUNCHY),
        # went_back: "warmer" was left by going back to the first chain; the reset stays
        (ids["went_back"], 3, "reset", "start over", START, None),
        # sliders: the chain before "warmer" is what the sliders set, not the first chain
        (ids["sliders"], 2, "edit", "warmer", SLIDERS, SLIDERS_WARM),
    ]


def test_small_batches_give_the_same_triples(store):
    _script(store)
    assert list(refinement_triples(store, batch_size=1)) == list(refinement_triples(store))


def test_rows_in_the_refine_format_and_the_cli(tmp_path):
    from vibegrade.cli.events import app

    url = f"sqlite:///{tmp_path / 'events.db'}"
    s = EventStore(url)
    ids = _script(s)
    s.close()
    out = tmp_path / "triples.jsonl"
    res = CliRunner().invoke(app, ["from-events", "--refinements", "-o", str(out), "--database-url", url])
    assert res.exit_code == 0, res.output
    assert "4 projects, 4 exports, 11 turns -> 5 refinement rows" in res.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows[0] == {"concept": "refine/logged/warmer", "op": "edit", "request": "warmer",
                       "phrasing": "variant", "before": START, "before_id": None, "rationale": "",
                       "after": WARM, "batch": "events", "project_id": ids["undone"], "turn": 1}
    assert [r["op"] for r in rows] == ["edit", "undo", "edit", "reset", "edit"]
    assert rows[3]["after"] is None and rows[0]["concept"] == rows[4]["concept"]  # same request, one concept

    # the authoring aid's checks accept the logged edit rows (given a rationale, which logs do not have)
    authored = tmp_path / "authored.jsonl"
    authored.write_text("".join(
        json.dumps({"concept": r["concept"].removeprefix("refine/"), "op": r["op"], "before": r["before"],
                    "request": r["request"], "rationale": "logged",
                    "set": _set(r["before"], r["after"])}) + "\n"
        for r in rows if r["op"] == "edit"), encoding="utf-8")
    check = subprocess.run([sys.executable, str(ROOT / "scripts/refine_data/build.py"), str(authored),
                            "--check-only"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "3 rows, 0 errors" in check.stdout


def _set(before: dict, after: dict) -> dict:
    """The changed adjust values, in build.py's ``set`` form."""
    return {k: v for k, v in after["adjust"].items() if before["adjust"].get(k, 0) != v}


def test_refine_row_marks_what_a_log_cannot_know(store):
    from vibegrade.data.refine_from_events import RefinementTriple

    t = RefinementTriple(before=START, request="more like the matrix", after=COOL, op="toward",
                         project_id="p", turn=2)
    row = refine_row(t)
    assert row["look"] is None and row["amount"] is None and row["rationale"] == ""
    assert row["concept"] == "refine/logged/more like the matrix"


def test_cli_refinements_bad_output_is_one_line(tmp_path):
    from vibegrade.cli.events import app

    url = f"sqlite:///{tmp_path / 'events.db'}"
    out = tmp_path / "no" / "dir" / "x.jsonl"
    res = CliRunner().invoke(app, ["from-events", "--refinements", "-o", str(out), "--database-url", url])
    assert res.exit_code == 2
    assert len(res.output.strip().splitlines()) == 1
