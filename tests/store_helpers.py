"""Test helpers for the event store: a throwaway PostgreSQL schema, and reads/writes the product code does
not need (plain SQL on the store's engine, so the store itself carries no test-only methods)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, bindparam, create_engine, text

from vibegrade.data.events import MIGRATIONS_DIR, EventStore, normalize_database_url

PG_URLS = ("postgresql://root@127.0.0.1:5432/test", "postgresql://postgres@127.0.0.1:5432/test")


def find_pg_url() -> tuple[str | None, str]:
    """The first reachable local PostgreSQL URL, or ``(None, why not)``."""
    errors = []
    for url in PG_URLS:
        eng = create_engine(normalize_database_url(url), connect_args={"connect_timeout": 3})
        try:
            with eng.connect() as c:
                c.execute(text("SELECT 1"))
            return url, ""
        except Exception as e:  # noqa: BLE001 - any failure means "not reachable with this user"
            errors.append(f"{url}: {str(e).splitlines()[0]}")
        finally:
            eng.dispose()
    return None, "; ".join(errors)


@contextmanager
def isolated_pg_store(url: str, prefix: str = "vg_test") -> Iterator[EventStore]:
    """An EventStore on PostgreSQL in a throwaway schema (isolates parallel runs), dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    s = EventStore(url, schema=schema)
    try:
        yield s
    finally:
        s.close()
        eng = create_engine(normalize_database_url(url))
        with eng.begin() as c:
            c.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        eng.dispose()


def revision(store: EventStore) -> str | None:
    """The database's current Alembic revision (None before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    with store.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_to(store: EventStore, revision: str, downgrade: bool = False) -> None:
    """Migrate ``store``'s database up (or down) to ``revision`` exactly (not to the head)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with store.engine.execution_options(vibegrade_write=True).begin() as conn:
        if store.schema:
            conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{store.schema}"')
        cfg.attributes["connection"] = conn
        (command.downgrade if downgrade else command.upgrade)(cfg, revision)


def head_revision() -> str | None:
    """The newest migration shipped with the package."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg).get_current_head()


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def iter_annotations(store: EventStore) -> Iterator[dict[str, Any]]:
    """Every row of the annotations table, oldest first (of a migrated store)."""
    with store.engine.connect() as c:
        query = text("SELECT id, project_id, created_at, annotator, question, answer FROM annotations "
                     "ORDER BY created_at, id").columns(created_at=DateTime(timezone=True))
        rows = c.execute(query).mappings().all()
    for r in rows:
        yield {**r, "created_at": _utc(r["created_at"])}


def record_annotation(store: EventStore, *, annotator: str, question: str, answer: str,
                      project_id: str | None = None) -> str:
    """Insert a free annotation (no task), as version 0001 stored them; returns its id."""
    aid = str(uuid.uuid4())
    insert = text("INSERT INTO annotations (id, project_id, created_at, annotator, question, answer) "
                  "VALUES (:id, :pid, :t, :who, :q, :a)")
    insert = insert.bindparams(bindparam("t", type_=DateTime(timezone=True)))
    with store.engine.execution_options(vibegrade_write=True).begin() as c:
        c.execute(insert,
                  {"id": aid, "pid": project_id, "t": datetime.now(UTC), "who": annotator,
                   "q": question, "a": answer})
    return aid
