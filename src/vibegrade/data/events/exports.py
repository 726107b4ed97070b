"""Downloads (*exports*) of served requests: idempotent per client-made ``event_id``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vibegrade.data.events.database import Database
from vibegrade.data.events.models import Export, Project, as_utc, utcnow
from vibegrade.schema import TOOL_NAMES

__all__ = ["ExportStore", "UnknownProjectError", "EventIdConflictError"]


class UnknownProjectError(KeyError):
    """An export or annotation names a project id that was never recorded."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "unknown project"


class EventIdConflictError(ValueError):
    """An export's ``event_id`` was already recorded for a different project."""


def _check_tools_kept(tools_kept: Mapping[str, bool] | None) -> dict[str, bool]:
    if tools_kept is None:
        return {t: True for t in TOOL_NAMES}
    if not isinstance(tools_kept, Mapping):
        raise ValueError("tools_kept must be an object like {\"adjust\": true, ...}")
    unknown = sorted(set(tools_kept) - set(TOOL_NAMES))
    if unknown:
        raise ValueError(f"tools_kept has unknown tools {unknown}; expected {list(TOOL_NAMES)}")
    out = {}
    for t in TOOL_NAMES:
        v = tools_kept.get(t, False)
        if not isinstance(v, bool):
            raise ValueError(f"tools_kept[{t!r}] must be true or false")
        out[t] = v
    return out


class ExportStore:
    """The ``exports`` table: the user downloaded the result of a project."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(
        self,
        project_id: str,
        event_id: str,
        tools_kept: Mapping[str, bool] | None = None,
        *,
        created_at: datetime | None = None,
    ) -> bool:
        """Record that the user downloaded the result of ``project_id``.

        Idempotent per ``event_id``: returns True when recorded, False when this event was already
        recorded for this project (nothing is written); :class:`EventIdConflictError` (a ``ValueError``) when
        it was recorded for another project. ``tools_kept`` maps each tool to whether the user kept it enabled
        (missing tools count as not kept; ``None`` = all kept). Raises :class:`UnknownProjectError`
        (a ``KeyError``) for an unknown project.
        """
        self._db.ensure()
        kept = _check_tools_kept(tools_kept)
        event_id = str(event_id)
        if not event_id:
            raise ValueError("event_id must not be empty")
        project_id = str(project_id)

        def seen(s: Session) -> bool:
            owner = s.scalar(select(Export.project_id).where(Export.event_id == event_id))
            if owner is None:
                return False
            if owner != project_id:
                raise EventIdConflictError(f"event_id {event_id!r} was already used for another project")
            return True

        try:
            with self._db.write.begin() as s:
                if seen(s):
                    return False
                if s.get(Project, project_id) is None:
                    raise UnknownProjectError(f"unknown project {project_id!r}")
                s.add(Export(id=str(uuid.uuid4()), project_id=project_id, event_id=event_id,
                             created_at=as_utc(created_at) if created_at else utcnow(), tools_kept=kept))
        except IntegrityError:
            # a concurrent request with the same event_id won the race
            with self._db.read() as s:
                if seen(s):
                    return False
            raise
        return True

    def count(self) -> int:
        """How many exports are stored."""
        self._db.ensure()
        with self._db.read() as s:
            return int(s.scalar(select(func.count()).select_from(Export)) or 0)
