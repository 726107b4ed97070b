"""The event store's database: one engine and its session factories, shared by every store of
:mod:`vibegrade.data.events`, and the migrations (``alembic upgrade head``, run once on first use).

On SQLite writes start with ``BEGIN IMMEDIATE`` (so concurrent writers queue on the busy timeout instead
of failing) and the database runs in WAL mode, so readers never block the writer.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from vibegrade.files import data_dir

__all__ = ["Database", "default_database_url", "normalize_database_url", "MIGRATIONS_DIR",
           "SQLITE_BUSY_TIMEOUT_S"]

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_S = 30.0
_SCHEMA_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def default_database_url() -> str:
    """``$VIBEGRADE_DATABASE_URL``, else a SQLite file ``events.db`` in :func:`vibegrade.files.data_dir`
    (``$VIBEGRADE_DATA_DIR``, else ``~/.local/share/vibegrade``)."""
    url = os.environ.get("VIBEGRADE_DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{data_dir() / 'events.db'}"


def normalize_database_url(url: str) -> str:
    """Rewrite ``postgresql://`` / ``postgres://`` to the psycopg 3 driver; other URLs unchanged."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Database:
    """The engine and session factories of one event store. ``url``: SQLAlchemy URL (default
    :func:`default_database_url`).

    ``schema`` (PostgreSQL only): keep the tables in this schema (created if missing) by setting the
    connection's ``search_path``; used to isolate test runs or deployments sharing a database.

    :attr:`read` and :attr:`write` make sessions (``with db.read() as s`` / ``with db.write.begin() as s``);
    a store calls :meth:`ensure` before its first use of either, so the database migrates itself.
    """

    def __init__(self, url: str | None = None, *, schema: str | None = None, echo: bool = False) -> None:
        self.url = normalize_database_url(url or default_database_url())
        u = make_url(self.url)
        self.dialect = u.get_backend_name()
        self.schema = schema
        connect_args: dict[str, Any] = {}
        if self.dialect == "sqlite":
            if schema:
                raise ValueError("schema= is only supported on PostgreSQL")
            if u.database and u.database != ":memory:":
                Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            connect_args["timeout"] = SQLITE_BUSY_TIMEOUT_S
        elif self.dialect == "postgresql":
            if schema:
                if not _SCHEMA_RE.match(schema):
                    raise ValueError(f"invalid schema name {schema!r}")
                connect_args["options"] = f"-c search_path={schema}"
        if self.url.startswith("postgresql"):
            from vibegrade.extras import require

            require("psycopg", "pg", "a PostgreSQL event store")
        self.engine: Engine = create_engine(self.url, echo=echo, connect_args=connect_args,
                                            pool_pre_ping=self.dialect != "sqlite")
        if self.dialect == "sqlite":
            _setup_sqlite(self.engine)
        self.read: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)
        self.write: sessionmaker[Session] = sessionmaker(self.engine.execution_options(vibegrade_write=True),
                                                         expire_on_commit=False)
        self._migrated = False
        self._migrate_lock = threading.Lock()

    def migrate(self) -> None:
        """Run the Alembic migrations up to head (idempotent; safe against concurrent migrators)."""
        from alembic import command
        from alembic.config import Config

        with self._migrate_lock:
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
            cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
            with self.engine.execution_options(vibegrade_write=True).begin() as conn:
                if self.dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('vibegrade_events_migrate'))"))
                    if self.schema:
                        conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
            self._migrated = True

    def ensure(self) -> None:
        """Migrate once, before the first read or write."""
        if not self._migrated:
            self.migrate()

    def close(self) -> None:
        self.engine.dispose()


def _setup_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get("vibegrade_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
