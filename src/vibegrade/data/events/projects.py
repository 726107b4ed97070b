"""Served requests (*projects*) and the reads over them with their downloads (*exports*)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from vibegrade.data.events.database import Database
from vibegrade.data.events.models import Export, Project, as_utc, utcnow
from vibegrade.data.rows import clean_intent, normalize_intent
from vibegrade.schema import ToolChain, parse_chain
from vibegrade.tools.filters import preset_names

__all__ = ["ProjectStore", "ProjectRecord", "ExportRecord", "canonical_tools"]


@dataclass(frozen=True)
class ExportRecord:
    id: str
    project_id: str
    created_at: datetime
    event_id: str
    tools_kept: dict[str, bool]


@dataclass(frozen=True)
class ProjectRecord:
    id: str
    created_at: datetime
    user_id: str
    experiment: str | None
    variant: str | None
    model: str
    intent: str
    intent_key: str
    tools: dict[str, Any]
    source: str
    latency_ms: float | None
    exports: tuple[ExportRecord, ...] = field(default_factory=tuple)


def canonical_tools(tools: ToolChain | Mapping[str, Any] | str) -> dict[str, Any]:
    """A tool chain (:class:`ToolChain`, wire dict or JSON text) validated, in canonical wire form."""
    if isinstance(tools, ToolChain):
        return tools.to_wire()
    return parse_chain(tools if isinstance(tools, str) else dict(tools), presets=preset_names()).to_wire()


def _export_record(e: Export) -> ExportRecord:
    return ExportRecord(id=e.id, project_id=e.project_id, created_at=as_utc(e.created_at),
                        event_id=e.event_id, tools_kept=dict(e.tools_kept))


def _record(p: Project, exports: Iterable[ExportRecord]) -> ProjectRecord:
    return ProjectRecord(id=p.id, created_at=as_utc(p.created_at), user_id=p.user_id,
                         experiment=p.experiment, variant=p.variant, model=p.model,
                         intent=p.intent, intent_key=p.intent_key, tools=dict(p.tools),
                         source=p.source, latency_ms=p.latency_ms, exports=tuple(exports))


class ProjectStore:
    """The ``projects`` table: one row per served request."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(
        self,
        *,
        user_id: str,
        intent: str,
        tools: ToolChain | Mapping[str, Any] | str,
        model: str,
        source: str = "student",
        latency_ms: float | None = None,
        experiment: str | None = None,
        variant: str | None = None,
        project_id: str | None = None,
        created_at: datetime | None = None,
    ) -> str:
        """Record one served request; returns its project id (a new UUID unless ``project_id`` is given).

        ``tools`` (a :class:`ToolChain`, its wire dict or JSON text) is validated and stored in canonical
        wire form. Raises ``ValueError`` on an invalid intent/chain or an already used ``project_id``.
        """
        self._db.ensure()
        intent = clean_intent(intent)
        row = Project(
            id=str(project_id or uuid.uuid4()),
            created_at=as_utc(created_at) if created_at else utcnow(),
            user_id=str(user_id),
            experiment=experiment,
            variant=variant,
            model=str(model),
            intent=intent,
            intent_key=normalize_intent(intent),
            tools=canonical_tools(tools),
            source=str(source),
            latency_ms=None if latency_ms is None else float(latency_ms),
        )
        try:
            with self._db.write.begin() as s:
                s.add(row)
        except IntegrityError:
            raise ValueError(f"project id {row.id!r} already exists") from None
        return row.id

    def iter_all(self, *, batch_size: int = 1000) -> Iterator[ProjectRecord]:
        """All projects, oldest first, each with its exports (oldest first)."""
        self._db.ensure()
        last: tuple[datetime, str] | None = None
        while True:
            with self._db.read() as s:
                q = select(Project).order_by(Project.created_at, Project.id).limit(batch_size)
                if last is not None:
                    q = q.where((Project.created_at > last[0])
                                | ((Project.created_at == last[0]) & (Project.id > last[1])))
                projects = list(s.scalars(q))
                if not projects:
                    return
                ids = [p.id for p in projects]
                exports: dict[str, list[ExportRecord]] = {}
                for e in s.scalars(select(Export).where(Export.project_id.in_(ids))
                                   .order_by(Export.created_at, Export.id)):
                    exports.setdefault(e.project_id, []).append(_export_record(e))
                last = (projects[-1].created_at, projects[-1].id)
                batch = [_record(p, exports.get(p.id, ())) for p in projects]
            yield from batch
            if len(projects) < batch_size:
                return

    def get(self, project_id: str) -> ProjectRecord | None:
        """The project with this id (with its exports, oldest first), or None."""
        self._db.ensure()
        with self._db.read() as s:
            p = s.get(Project, str(project_id))
            if p is None:
                return None
            exports = s.scalars(select(Export).where(Export.project_id == p.id)
                                .order_by(Export.created_at, Export.id))
            return _record(p, [_export_record(e) for e in exports])

    def count(self) -> int:
        """How many projects are stored."""
        self._db.ensure()
        with self._db.read() as s:
            return int(s.scalar(select(func.count()).select_from(Project)) or 0)
