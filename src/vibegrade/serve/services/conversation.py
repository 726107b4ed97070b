"""A project's conversation: follow-up requests ("warmer", "less", "undo") refining its chain.

The conversation lives in the event store: a project's first chain (what ``/v1/predict`` or ``/v1/edit``
served, recorded by :func:`vibegrade.serve.services.grading.record_project`) and its turns
(:class:`~vibegrade.data.events.TurnStore`). :func:`load_conversation` rebuilds the
:class:`~vibegrade.students.conversation.History` by replaying the turns, so nothing lives in memory and a
restart loses nothing.

A turn reads the conversation, works out the next state and records turn ``n + 1``; when a concurrent
request recorded ``n + 1`` first (:class:`~vibegrade.data.events.TurnConflictError`), it reads the
conversation again and redoes its turn on top of the other one (up to :data:`TURN_ATTEMPTS` times, with a
short random wait before each retry).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from vibegrade.data.events import SPOKEN_OPS, EventStore, TurnConflictError, TurnRecord, UnknownProjectError
from vibegrade.data.rows import clean_intent
from vibegrade.schema import ToolChain
from vibegrade.serve.errors import ApiError
from vibegrade.students.conversation import History, Op
from vibegrade.students.refine import Refiner, apply

__all__ = ["Conversation", "TurnResult", "MAX_TURNS", "TURN_ATTEMPTS", "replay", "load_conversation",
           "refine_project", "step_project"]

MAX_TURNS = 500
"""Most turns one project keeps (the conversation is replayed on every turn); grade again to start anew."""
TURN_ATTEMPTS = 20
"""Tries of one turn against concurrent turns on the same project before a 409 ``conversation_busy``; a
retry waits a random 0..2^k ms first (k the tries so far, at most 6), so racing writers spread out."""


@dataclass(frozen=True)
class Conversation:
    """A project's conversation as stored: its history and how many turns it has had."""

    project_id: str
    history: History
    turns: int


@dataclass(frozen=True)
class TurnResult:
    """The conversation after a turn. ``turn``: the number of the turn recorded (the last turn's number
    when nothing was recorded); ``op``: what the turn did; ``changed``: false when nothing moved (an undo
    or redo with nowhere to go, a step to the current entry)."""

    conversation: Conversation
    turn: int
    op: str
    changed: bool


# turns that add an entry, and the entry's op (a slider change is an edit nobody typed)
_PUSHED: dict[str, Op] = {"edit": "edit", "toward": "toward", "replace": "replace", "tweak": "edit"}


def replay(first: ToolChain, intent: str, turns: Sequence[TurnRecord]) -> History:
    """The history of a conversation that started with ``first`` (requested as ``intent``) after ``turns``
    (in order): a new chain is pushed, a step (``undo``, ``redo``, ``go``) moves to the stored cursor, a
    slider change (``tweak``) is an ``edit`` entry without a request."""
    history = History.start(first, intent)
    for t in turns:
        if t.op in ("undo", "redo", "go"):
            history.go(t.cursor)
        elif t.op == "reset":
            history.reset(t.request)
        elif t.op in _PUSHED:
            history.push(ToolChain.model_validate(t.tools), t.request, _PUSHED[t.op])
        else:
            raise ValueError(f"turn {t.turn} of project {t.project_id!r} has an unknown op {t.op!r}")
    return history


def _not_found(project_id: str) -> ApiError:
    return ApiError(404, "project_not_found", f"unknown project {project_id!r}")


def load_conversation(store: EventStore, project_id: str, user_id: str) -> Conversation:
    """The conversation of ``project_id``; 404 ``project_not_found`` when it is unknown or another user's
    (the answer does not tell which)."""
    project = store.projects.get(project_id)
    if project is None or project.user_id != user_id:
        raise _not_found(project_id)
    turns = store.turns.for_project(project_id)
    return Conversation(project_id, replay(ToolChain.model_validate(project.tools), project.intent, turns),
                        len(turns))


@dataclass(frozen=True)
class _Pending:
    op: str
    request: str
    chain: ToolChain
    cursor: int
    changed: bool


def _record(store: EventStore, conv: Conversation, pending: Sequence[_Pending]) -> TurnResult | None:
    """Record ``pending`` as the next turns; None when a concurrent turn came first (retry)."""
    if conv.turns + len(pending) > MAX_TURNS:
        raise ApiError(409, "conversation_full",
                       f"this project has {conv.turns} turns, the most one keeps is {MAX_TURNS}: grade again "
                       "to start a new conversation")
    for i, p in enumerate(pending):
        try:
            store.turns.record(conv.project_id, conv.turns + i + 1, op=p.op, request=p.request, tools=p.chain,
                               cursor=p.cursor, changed=p.changed)
        except TurnConflictError:
            return None
        except UnknownProjectError:
            raise _not_found(conv.project_id) from None
    last = pending[-1]
    done = Conversation(conv.project_id, conv.history, conv.turns + len(pending))
    return TurnResult(done, done.turns, last.op, last.changed)


def _back_off(attempt: int) -> None:
    if attempt:
        time.sleep(random.uniform(0.0, 2.0 ** min(attempt, 6)) / 1000.0)


def refine_project(store: EventStore, refiner: Refiner, project_id: str, user_id: str, request: str,
                   shown: ToolChain | None = None) -> TurnResult:
    """Apply the follow-up ``request`` to the project's current chain and record it.

    ``shown``: the chain on the user's screen; when it differs from the current entry (slider changes since
    the last turn) it is recorded first as a ``tweak`` entry, so the request refines what the user sees.
    """
    request = clean_intent(request)
    for attempt in range(TURN_ATTEMPTS):
        _back_off(attempt)
        conv = load_conversation(store, project_id, user_id)
        history = conv.history
        pending: list[_Pending] = []
        if shown is not None and shown.to_wire() != history.current.to_wire():
            history.push(shown, "", "edit")
            pending.append(_Pending("tweak", "", shown, history.cursor, True))
        refinement = refiner.refine(history.current, request)
        if refinement.op not in SPOKEN_OPS:
            raise ValueError(f"the refiner answered op {refinement.op!r}; expected one of {list(SPOKEN_OPS)}")
        changed = apply(history, refinement)
        pending.append(_Pending(refinement.op, request, history.current, history.cursor, changed))
        result = _record(store, conv, pending)
        if result is not None:
            return result
    raise ApiError(409, "conversation_busy", "other changes to this project kept arriving at the same time; "
                                             "try again")


def step_project(store: EventStore, project_id: str, user_id: str, index: int) -> TurnResult:
    """Make entry ``index`` of the history current (recorded as a ``go`` turn unless it already is); 404
    ``entry_not_found`` for an index outside the history."""
    for attempt in range(TURN_ATTEMPTS):
        _back_off(attempt)
        conv = load_conversation(store, project_id, user_id)
        history = conv.history
        if not 0 <= index < len(history.entries):
            raise ApiError(404, "entry_not_found",
                           f"the history has entries 0..{len(history.entries) - 1}, not {index}")
        if index == history.cursor:
            return TurnResult(conv, conv.turns, "go", False)
        history.go(index)
        result = _record(store, conv, [_Pending("go", "", history.current, history.cursor, True)])
        if result is not None:
            return result
    raise ApiError(409, "conversation_busy", "other changes to this project kept arriving at the same time; "
                                             "try again")
