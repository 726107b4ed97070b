"""Migration 0004 (the ``turns`` table) on SQLite and PostgreSQL: up on a 0003 database with data, then
down."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from tests.store_helpers import head_revision, isolated_pg_store, revision, upgrade_to
from vibegrade.data.events import EventStore

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_at_0003(request, tmp_path):
    """A store whose database is at revision 0003 (migrate() not run yet)."""
    if request.param == "sqlite":
        s = EventStore(f"sqlite:///{tmp_path / 'v3.db'}")
        upgrade_to(s, "0003_annotator_tokens")
        yield s
        s.close()
        return
    with isolated_pg_store(request.getfixturevalue("pg_url")) as s:
        upgrade_to(s, "0003_annotator_tokens")
        yield s


def test_0004_adds_turns_to_a_0003_database_and_back(store_at_0003):
    s = store_at_0003
    s.db._migrated = True  # write a 0003-era project without upgrading first
    with s.engine.execution_options(vibegrade_write=True).begin() as c:
        c.execute(text("INSERT INTO projects (id, created_at, user_id, model, intent, intent_key, tools, "
                       "source) VALUES ('p1', :t, 'u1', 'default', 'warm', 'warm', :tools, 'student')"),
                  {"t": T0, "tools": '{"adjust": {}, "selective_adjust": {}, "filter": {"name": "none", '
                                     '"intensity": 0}}'})
    s.migrate()
    assert revision(s) == head_revision() == "0004_conversation_turns"
    insp = inspect(s.engine)
    cols = {c["name"]: c for c in insp.get_columns("turns")}
    assert set(cols) == {"id", "project_id", "turn", "created_at", "op", "request", "tools", "cursor",
                         "changed"}
    assert not any(c["nullable"] for c in cols.values())
    uniques = {u["name"]: u["column_names"] for u in insp.get_unique_constraints("turns")}
    assert uniques["uq_turns_project_turn"] == ["project_id", "turn"]

    # the old project takes turns; the constraint and the foreign key hold in the database itself
    s.turns.record("p1", 1, op="edit", request="warmer", tools={"adjust": {"temperature": 25}}, cursor=1)
    row = "INSERT INTO turns (id, project_id, turn, created_at, op, request, tools, cursor, changed) " \
          "VALUES (:id, :pid, 1, :t, 'edit', 'x', '{}', 1, :c)"
    for pid in ("p1", "no-such-project"):  # a second turn 1; a turn of nothing
        with pytest.raises(IntegrityError):
            with s.db.write.begin() as ses:
                ses.execute(text(row), {"id": "dup-" + pid, "pid": pid, "t": T0, "c": True})
    assert s.turns.count() == 1

    upgrade_to(s, "0003_annotator_tokens", downgrade=True)
    assert revision(s) == "0003_annotator_tokens"
    assert "turns" not in inspect(s.engine).get_table_names()
    assert s.projects.count() == 1
