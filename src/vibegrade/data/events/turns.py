"""Conversation turns: the follow-ups on a project, one row each, numbered 1, 2, ... per project.

A project's conversation starts with the chain it was served (the project's ``tools``); every turn after
that is a row here. A row keeps what was asked and what it did, and the conversation *after* it (the
current chain and the history's cursor), so the history can be rebuilt by replaying the rows in order
(:mod:`vibegrade.serve.services.conversation`) and the chain *before* a turn is the previous row's.

Ops (:data:`TURN_OPS`):

* a typed follow-up (:data:`SPOKEN_OPS`): ``edit``, ``toward``, ``replace`` (a new chain), ``reset`` (the
  ungraded chain as a new entry), ``undo`` / ``redo`` (the cursor moves; ``changed`` false when it had
  nowhere to go) -- ``request`` is the text as typed (whitespace-cleaned);
* ``go``: a step to an entry of the history (the web editor's list, its undo/redo buttons), ``request`` "";
* ``tweak``: the chain the user set with the sliders, recorded as a new entry before a follow-up so the
  follow-up refines what was on screen, ``request`` "".

Numbering is the concurrency guard: turn ``n`` is written only if the project's last turn is ``n - 1``,
and the unique constraint on (project, turn) turns a race between two writers into a
:class:`TurnConflictError` for the later one, which then reads the conversation again and retries.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from vibegrade.data.events.database import Database
from vibegrade.data.events.exports import UnknownProjectError
from vibegrade.data.events.models import Project, Turn, as_utc, utcnow
from vibegrade.data.events.projects import canonical_tools
from vibegrade.data.rows import clean_intent
from vibegrade.schema import ToolChain

__all__ = ["TurnStore", "TurnRecord", "TurnConflictError", "TURN_OPS", "SPOKEN_OPS"]

SPOKEN_OPS: tuple[str, ...] = ("edit", "toward", "replace", "undo", "redo", "reset")
"""Ops of a typed follow-up (what a refiner answers): the turn's ``request`` is the text."""
TURN_OPS: tuple[str, ...] = SPOKEN_OPS + ("go", "tweak")
"""Every op of a turn: the typed ones, a step in the history (``go``) and a slider change (``tweak``)."""


class TurnConflictError(ValueError):
    """Another request recorded this turn number of the project first: read the conversation again and
    retry on top of it."""


@dataclass(frozen=True)
class TurnRecord:
    """One stored turn. ``tools``: the current chain after the turn (canonical wire form); ``cursor``: the
    history's cursor after it (0 = the project's first chain); ``changed``: false for an undo/redo that had
    nowhere to go (nothing moved)."""

    id: str
    project_id: str
    turn: int
    created_at: datetime
    op: str
    request: str
    tools: dict[str, Any]
    cursor: int
    changed: bool


def _record(t: Turn) -> TurnRecord:
    return TurnRecord(id=t.id, project_id=t.project_id, turn=t.turn, created_at=as_utc(t.created_at), op=t.op,
                      request=t.request, tools=dict(t.tools), cursor=t.cursor, changed=t.changed)


class TurnStore:
    """The ``turns`` table: the conversation of each project after its first chain."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(
        self,
        project_id: str,
        turn: int,
        *,
        op: str,
        request: str,
        tools: ToolChain | Mapping[str, Any] | str,
        cursor: int,
        changed: bool = True,
        created_at: datetime | None = None,
    ) -> TurnRecord:
        """Record turn ``turn`` (1 for the first follow-up) of ``project_id``; returns the stored row.

        ``tools`` is validated and stored in canonical wire form; ``request`` is cleaned like a user
        request for a typed op and must be empty for ``go`` / ``tweak``. Raises
        :class:`TurnConflictError` when the project already has turn ``turn`` (a concurrent writer was
        first), :class:`~vibegrade.data.events.UnknownProjectError` (a ``KeyError``) for an unknown
        project, ``ValueError`` for an invalid op, request, chain or cursor, or a gap in the numbering.
        """
        self._db.ensure()
        project_id = str(project_id)
        if op not in TURN_OPS:
            raise ValueError(f"op must be one of {list(TURN_OPS)}, not {op!r}")
        if op in SPOKEN_OPS:
            request = clean_intent(request)
        elif request:
            raise ValueError(f"a {op!r} turn has no request")
        if isinstance(turn, bool) or not isinstance(turn, int) or turn < 1:
            raise ValueError(f"turn must be an integer >= 1, not {turn!r}")
        if isinstance(cursor, bool) or not isinstance(cursor, int) or cursor < 0:
            raise ValueError(f"cursor must be an integer >= 0, not {cursor!r}")
        row = Turn(id=str(uuid.uuid4()), project_id=project_id, turn=turn,
                   created_at=as_utc(created_at) if created_at else utcnow(), op=op, request=request,
                   tools=canonical_tools(tools), cursor=cursor, changed=bool(changed))
        conflict = TurnConflictError(f"turn {turn} of project {project_id!r} was recorded by another request")
        try:
            with self._db.write.begin() as s:
                if s.get(Project, project_id) is None:
                    raise UnknownProjectError(f"unknown project {project_id!r}")
                last = s.scalar(select(func.max(Turn.turn)).where(Turn.project_id == project_id)) or 0
                if last >= turn:
                    raise conflict
                if last < turn - 1:
                    raise ValueError(f"project {project_id!r} has {last} turns: the next one is {last + 1}, "
                                     f"not {turn}")
                s.add(row)
        except IntegrityError:
            # PostgreSQL: a concurrent writer inserted the same (project, turn) after our max() read
            raise conflict from None
        return _record(row)

    def for_project(self, project_id: str) -> list[TurnRecord]:
        """The turns of ``project_id`` in order (empty for a project without follow-ups or an unknown id)."""
        return self.for_projects([project_id]).get(str(project_id), [])

    def for_projects(self, project_ids: Iterable[str]) -> dict[str, list[TurnRecord]]:
        """``{project id: its turns in order}`` for the projects that have turns."""
        self._db.ensure()
        ids = list(dict.fromkeys(str(p) for p in project_ids))
        out: dict[str, list[TurnRecord]] = {}
        with self._db.read() as s:
            for start in range(0, len(ids), 500):
                q = (select(Turn).where(Turn.project_id.in_(ids[start:start + 500]))
                     .order_by(Turn.project_id, Turn.turn))
                for t in s.scalars(q):
                    out.setdefault(t.project_id, []).append(_record(t))
        return out

    def count(self) -> int:
        """How many turns are stored (all projects)."""
        self._db.ensure()
        with self._db.read() as s:
            return int(s.scalar(select(func.count()).select_from(Turn)) or 0)
