from __future__ import annotations

import pytest

from tests.store_helpers import isolated_pg_store
from vibegrade.data.events import EventStore


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """An empty event store on SQLite and on PostgreSQL (a throwaway schema)."""
    if request.param == "sqlite":
        s = EventStore(f"sqlite:///{tmp_path / 'events.db'}")
        yield s
        s.close()
        return
    with isolated_pg_store(request.getfixturevalue("pg_url")) as s:
        yield s
