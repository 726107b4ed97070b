"""A graded photo's conversation: the history of chains with undo, redo and reset.

Pure bookkeeping over :class:`~vibegrade.schema.ToolChain` values, shared by ``vibegrade edit --then``,
the service's ``/v1/projects/{id}/refine`` and the web editor. A :class:`History` holds every chain the
user has had, oldest first, and a cursor on the current one:

* a new chain (a first look, an ``edit``, ``toward`` or ``replace`` refinement) drops whatever was ahead
  of the cursor (the redo branch) and becomes current;
* ``undo`` / ``redo`` move the cursor (a no-op at either end, reported by the return value);
* ``reset`` appends the ungraded chain, so an undo after it brings the look back.

The history is JSON-serialisable (:meth:`History.to_dict` / :meth:`History.from_dict`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from vibegrade.schema import ADJUST_KEYS, SELECTIVE_KEYS, ToolChain

__all__ = ["History", "Entry", "HISTORY_OPS", "Op", "changes"]

#: What a follow-up request does (see ``data/refine/STYLE_GUIDE.md`` §1).
Op = Literal["start", "edit", "toward", "replace", "undo", "redo", "reset"]
HISTORY_OPS: tuple[str, ...] = ("undo", "redo", "reset")

#: Longest history kept; the oldest entries after the first are dropped beyond it.
MAX_ENTRIES = 200


@dataclass(frozen=True)
class Entry:
    """One chain in the history and the request that made it (``op`` ``start`` for the first)."""

    chain: ToolChain
    request: str
    op: Op


@dataclass
class History:
    """Chains of one conversation, oldest first, and the index of the current one."""

    entries: list[Entry] = field(default_factory=lambda: [Entry(ToolChain(), "", "start")])
    cursor: int = 0

    @classmethod
    def start(cls, chain: ToolChain | None = None, request: str = "") -> History:
        return cls([Entry(chain or ToolChain(), request, "start")], 0)

    @property
    def current(self) -> ToolChain:
        return self.entries[self.cursor].chain

    @property
    def can_undo(self) -> bool:
        return self.cursor > 0

    @property
    def can_redo(self) -> bool:
        return self.cursor < len(self.entries) - 1

    def push(self, chain: ToolChain, request: str, op: Op = "edit") -> ToolChain:
        """Make ``chain`` current, dropping the redo branch."""
        del self.entries[self.cursor + 1:]
        self.entries.append(Entry(chain, request, op))
        if len(self.entries) > MAX_ENTRIES:
            del self.entries[1]
        self.cursor = len(self.entries) - 1
        return chain

    def undo(self) -> bool:
        """Step back; False (and nothing changes) at the first entry."""
        if not self.can_undo:
            return False
        self.cursor -= 1
        return True

    def redo(self) -> bool:
        """Step forward; False (and nothing changes) at the newest entry."""
        if not self.can_redo:
            return False
        self.cursor += 1
        return True

    def reset(self, request: str = "reset") -> ToolChain:
        """Back to the ungraded photo, as a new entry (undo brings the look back)."""
        return self.push(ToolChain(), request, "reset")

    def go(self, index: int) -> ToolChain:
        """Step to entry ``index`` (the web editor's history list); the entries stay."""
        if not 0 <= index < len(self.entries):
            raise IndexError(f"history has entries 0..{len(self.entries) - 1}, not {index}")
        self.cursor = index
        return self.current

    def to_dict(self) -> dict[str, Any]:
        return {"cursor": self.cursor,
                "entries": [{"request": e.request, "op": e.op, "tools": e.chain.to_wire()}
                            for e in self.entries]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        entries = [Entry(ToolChain.model_validate(e["tools"]), str(e["request"]), e["op"])
                   for e in data["entries"]]
        if not entries:
            raise ValueError("a history has at least one entry")
        cursor = int(data["cursor"])
        if not 0 <= cursor < len(entries):
            raise ValueError(f"history cursor {cursor} outside 0..{len(entries) - 1}")
        return cls(entries, cursor)


def changes(before: ToolChain, after: ToolChain) -> list[str]:
    """What moved between two chains, for people: ``["temperature 35→55", "filter fortune 35→24"]``."""
    out = []
    for key, a, b in zip(ADJUST_KEYS, before.adjust.vector(), after.adjust.vector()):
        if a != b:
            out.append(f"{key} {a}→{b}")
    for (colour, channel), a, b in zip(SELECTIVE_KEYS, before.selective_adjust.vector(),
                                       after.selective_adjust.vector()):
        if a != b:
            out.append(f"{colour} {channel} {a}→{b}")
    fb, fa = before.filter, after.filter
    if (fb.name, fb.intensity if fb.used else 0) != (fa.name, fa.intensity if fa.used else 0):
        left = f"{fb.name} {fb.intensity}" if fb.used else "none"
        right = f"{fa.name} {fa.intensity}" if fa.used else "none"
        out.append(f"filter {left}→{right}")
    return out
