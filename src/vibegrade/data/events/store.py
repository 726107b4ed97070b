""":class:`EventStore`: one database and a store per concern over it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from vibegrade.data.events.ab import ABStore
from vibegrade.data.events.annotations import AnnotationStore
from vibegrade.data.events.annotators import AnnotatorStore
from vibegrade.data.events.database import Database
from vibegrade.data.events.exports import ExportStore
from vibegrade.data.events.projects import ProjectStore
from vibegrade.data.events.tasks import TaskStore
from vibegrade.data.events.turns import TurnStore

__all__ = ["EventStore"]


class EventStore:
    """The event store: the stores of every concern over one :class:`Database` (one engine, one pool).

    ``url``: SQLAlchemy URL (default :func:`~vibegrade.data.events.database.default_database_url`);
    ``schema`` (PostgreSQL only): keep the tables in this schema (created if missing).

    * :attr:`projects` (:class:`ProjectStore`): record a served request, read them all;
    * :attr:`exports` (:class:`ExportStore`): record a download;
    * :attr:`turns` (:class:`TurnStore`): the follow-ups of a project's conversation;
    * :attr:`ab` (:class:`ABStore`): per-variant counts of an experiment;
    * :attr:`tasks` (:class:`TaskStore`): reality-check tasks;
    * :attr:`annotators` (:class:`AnnotatorStore`): invited annotators and their tokens;
    * :attr:`annotations` (:class:`AnnotationStore`): answers on tasks, progress and votes.

    Every method opens its own session, so one store can be shared by the threads of a web app.
    """

    def __init__(self, url: str | None = None, *, schema: str | None = None, echo: bool = False) -> None:
        self.db = Database(url, schema=schema, echo=echo)
        self.projects = ProjectStore(self.db)
        self.exports = ExportStore(self.db)
        self.turns = TurnStore(self.db)
        self.ab = ABStore(self.db)
        self.tasks = TaskStore(self.db)
        self.annotators = AnnotatorStore(self.db)
        self.annotations = AnnotationStore(self.db)

    @property
    def url(self) -> str:
        return self.db.url

    @property
    def dialect(self) -> str:
        return self.db.dialect

    @property
    def schema(self) -> str | None:
        return self.db.schema

    @property
    def engine(self) -> Engine:
        return self.db.engine

    def migrate(self) -> None:
        """Run the Alembic migrations up to head (also done on first use)."""
        self.db.migrate()

    def counts(self) -> dict[str, int]:
        """``{"projects": n, "exports": m}``."""
        return {"projects": self.projects.count(), "exports": self.exports.count()}

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
