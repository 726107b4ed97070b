"""Alembic environment for the vibegrade event store.

Run programmatically by :meth:`vibegrade.data.events.Database.migrate`, which passes an open
connection in ``config.attributes["connection"]``; no ``alembic.ini`` is needed. Without a connection
(e.g. ``alembic -x`` use from a shell) the URL comes from the ``sqlalchemy.url`` option or
``$VIBEGRADE_DATABASE_URL``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from vibegrade.data.events.database import default_database_url, normalize_database_url
from vibegrade.data.events.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return normalize_database_url(config.get_main_option("sqlalchemy.url") or default_database_url())


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(_url())
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
