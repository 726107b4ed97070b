"""A/B counts over the event store: per variant of an experiment, projects started and exported."""

from __future__ import annotations

from sqlalchemy import func, select

from vibegrade.data.events.database import Database
from vibegrade.data.events.models import Export, Project

__all__ = ["ABStore"]


class ABStore:
    """Read-only counts for :mod:`vibegrade.analytics` (``vibegrade ab report``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def variant_stats(self, experiment: str) -> dict[str | None, dict[str, int]]:
        """Per variant of ``experiment``: ``{"started": projects, "exported": projects with >= 1 export}``."""
        self._db.ensure()
        exported = select(Export.project_id).distinct().subquery()
        q = (select(Project.variant, func.count(Project.id), func.count(exported.c.project_id))
             .outerjoin(exported, exported.c.project_id == Project.id)
             .where(Project.experiment == experiment)
             .group_by(Project.variant))
        with self._db.read() as s:
            rows = s.execute(q).all()
        return {v: {"started": int(n), "exported": int(e)}
                for v, n, e in sorted(rows, key=lambda r: str(r[0]))}
