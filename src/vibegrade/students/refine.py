"""Refinement: a follow-up request ("warmer", "less", "more like the matrix", "undo") edits the current chain.

Public interface (the model behind :func:`load_refiner` is trained on ``data/refine``; see
``docs/refine.md``)::

    refiner = load_refiner()                       # the shipped refinement model
    r = refiner.refine(current_chain, "less orange")
    r.op      # "edit" | "toward" | "replace" | "undo" | "redo" | "reset"
    r.chain   # the next chain (None for undo / redo / reset: the history does those)

:func:`apply` runs a refinement on a :class:`~vibegrade.students.conversation.History`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from vibegrade.schema import ToolChain
from vibegrade.students.conversation import History, Op

__all__ = ["Refinement", "Refiner", "apply"]


@dataclass(frozen=True)
class Refinement:
    """What a follow-up does: the operation and, unless it is a history step, the next chain."""

    op: Op
    chain: ToolChain | None
    request: str


@runtime_checkable
class Refiner(Protocol):
    def refine(self, chain: ToolChain, request: str) -> Refinement: ...


def apply(history: History, refinement: Refinement) -> bool:
    """Apply ``refinement`` to ``history``; False when an undo/redo had nowhere to go."""
    if refinement.op == "undo":
        return history.undo()
    if refinement.op == "redo":
        return history.redo()
    if refinement.op == "reset":
        history.reset(refinement.request)
        return True
    if refinement.chain is None:
        raise ValueError(f"a {refinement.op!r} refinement carries the next chain")
    history.push(refinement.chain, refinement.request, refinement.op)
    return True
