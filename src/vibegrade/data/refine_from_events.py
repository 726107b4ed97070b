"""Refinement triples from behavioural events: the follow-ups users typed on projects they then downloaded.

The first-turn dataset (:mod:`vibegrade.data.from_events`) keeps what users exported; this module does the
same for the conversation after the first chain (the ``turns`` of :mod:`vibegrade.data.events.turns`).
The rule (:func:`refinement_triples`):

1. Only projects with at least one export, and only their turns recorded at or before the project's last
   export: what came after the last download was never downloaded.
2. The history at that last export is rebuilt from the turns (a new chain drops whatever was ahead of the
   cursor, a step moves the cursor to the stored one). A turn that made a chain (``edit``, ``toward``,
   ``replace``, ``reset``) is kept only if its entry is on the path to the chain that was current then
   (entries 0..cursor): a refinement the user undid and moved on from is left out.
3. Typed ``undo`` / ``redo`` turns before the last export are kept (what the user asked for is the
   history step whatever the history could do); steps in the history list (``go``) and slider changes
   (``tweak``) are not typed requests and give no triple.

``before`` is the chain current just before the turn, slider changes included (the previous turn's
chain, the project's first chain for turn 1); ``after`` is the chain the turn made, ``None`` for
``undo``, ``redo`` and ``reset`` (the app does those), as in the authored rows of ``data/refine``.

:func:`refine_row` writes a triple in the full-row format of ``data/refine`` (``scripts/refine_data/
build.py``): ``concept`` ``refine/logged/<normalised request>`` (identical requests share a concept, so a
concept split keeps them on one side), ``phrasing`` ``variant`` (typed by users), ``rationale`` "" (these
rows are logged, not authored), ``batch`` ``events``, ``before_id`` None; ``look`` (and ``amount`` for
``toward``) are None: the log does not know which look a ``toward`` or ``replace`` meant. ``project_id``
and ``turn`` say where the row came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from vibegrade.data.events import EventStore, ProjectRecord, TurnRecord
from vibegrade.data.rows import normalize_intent

__all__ = ["RefinementTriple", "refinement_triples", "triples_from_projects", "refine_row", "LOGGED_BATCH"]

LOGGED_BATCH = "events"
_STEPS = ("undo", "redo", "go")
_CHAIN_OPS = ("edit", "toward", "replace", "reset")
_TYPED_STEPS = ("undo", "redo")


@dataclass(frozen=True)
class RefinementTriple:
    """One typed follow-up: the chain before it, the request, the chain after it (None for a history op)
    and the op, with the project and turn it came from. Chains are in canonical wire form."""

    before: dict[str, Any]
    request: str
    after: dict[str, Any] | None
    op: str
    project_id: str
    turn: int


def _path_at_end(turns: Sequence[TurnRecord]) -> set[int]:
    """Turn numbers (0 = the first chain) of the entries on the path to the current one after ``turns``.

    The same bookkeeping as :class:`vibegrade.students.conversation.History`, on turn numbers: a new chain
    drops the entries ahead of the cursor; when the stored cursor says the history dropped its oldest
    entry after the first (it keeps a bounded number), so does this."""
    entries, cursor = [0], 0
    for t in turns:
        if t.op in _STEPS:
            cursor = t.cursor
            continue
        del entries[cursor + 1:]
        entries.append(t.turn)
        if t.cursor < len(entries) - 1:
            del entries[1]
        cursor = t.cursor
    return set(entries[:cursor + 1])


def _project_triples(project: ProjectRecord, turns: Sequence[TurnRecord]) -> Iterator[RefinementTriple]:
    if not project.exports or not turns:
        return
    last_export = max(e.created_at for e in project.exports)
    turns = [t for t in turns if t.created_at <= last_export]
    kept = _path_at_end(turns)
    before = project.tools
    for t in turns:
        if t.op in _TYPED_STEPS or (t.op in _CHAIN_OPS and t.turn in kept):
            after = t.tools if t.op in ("edit", "toward", "replace") else None
            yield RefinementTriple(before=before, request=t.request, after=after, op=t.op,
                                   project_id=project.id, turn=t.turn)
        before = t.tools


def triples_from_projects(projects: Iterable[ProjectRecord],
                          turns: dict[str, list[TurnRecord]]) -> Iterator[RefinementTriple]:
    """The rule of this module on project records (with their exports) and their turns (in order, per
    project id). Projects in the order given, turns in order."""
    for p in projects:
        yield from _project_triples(p, turns.get(p.id, []))


def refinement_triples(store: EventStore, *, batch_size: int = 500) -> Iterator[RefinementTriple]:
    """Refinement triples chosen by what users exported (see the module docstring for the exact rule),
    oldest project first."""
    batch: list[ProjectRecord] = []
    for p in store.projects.iter_all():
        if p.exports:
            batch.append(p)
        if len(batch) >= batch_size:
            yield from triples_from_projects(batch, store.turns.for_projects(q.id for q in batch))
            batch = []
    if batch:
        yield from triples_from_projects(batch, store.turns.for_projects(q.id for q in batch))


def refine_row(t: RefinementTriple) -> dict[str, Any]:
    """A triple as a full ``data/refine`` row (see the module docstring for the fields a log cannot know)."""
    row: dict[str, Any] = {"concept": "refine/logged/" + normalize_intent(t.request), "op": t.op,
                           "request": t.request, "phrasing": "variant", "before": t.before, "before_id": None,
                           "rationale": "", "after": t.after, "batch": LOGGED_BATCH}
    if t.op in ("toward", "replace"):
        row["look"] = None
    if t.op == "toward":
        row["amount"] = None
    row["project_id"] = t.project_id
    row["turn"] = t.turn
    return row
