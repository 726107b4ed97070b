"""History of a conversation: push, undo, redo, reset, stepping, serialisation; and refinement apply()."""

from __future__ import annotations

import pytest

from vibegrade.schema import ToolChain
from vibegrade.students.conversation import History, changes
from vibegrade.students.refine import Refinement, apply


def _chain(temp: int) -> ToolChain:
    return ToolChain.model_validate({"adjust": {"temperature": temp}})


def test_undo_redo_and_redo_branch_dropped() -> None:
    h = History.start(_chain(10), "golden hour")
    h.push(_chain(20), "warmer")
    h.push(_chain(30), "warmer")
    assert h.undo() and h.current == _chain(20)
    assert h.undo() and h.current == _chain(10)
    assert not h.undo() and h.current == _chain(10)  # nothing before the first look
    assert h.redo() and h.current == _chain(20)
    h.push(_chain(-5), "cooler")  # a new turn drops the redo branch (30)
    assert not h.redo()
    assert [e.request for e in h.entries] == ["golden hour", "warmer", "cooler"]


def test_reset_is_undoable_and_go_steps_without_dropping() -> None:
    h = History.start(_chain(10), "golden hour")
    h.push(_chain(25), "warmer")
    h.reset("start over")
    assert h.current.is_identity and h.entries[-1].op == "reset"
    assert h.undo() and h.current == _chain(25)
    assert h.go(0) == _chain(10) and len(h.entries) == 3
    with pytest.raises(IndexError):
        h.go(3)


def test_round_trip_through_dict() -> None:
    h = History.start(_chain(10), "golden hour")
    h.push(_chain(25), "warmer")
    h.undo()
    back = History.from_dict(h.to_dict())
    assert back.cursor == 0 and back.entries == h.entries
    with pytest.raises(ValueError):
        History.from_dict({"cursor": 5, "entries": h.to_dict()["entries"]})


def test_apply_history_ops_and_chain_ops() -> None:
    h = History.start(_chain(10), "golden hour")
    assert apply(h, Refinement("edit", _chain(30), "much warmer"))
    assert h.current == _chain(30) and h.entries[-1].op == "edit"
    assert apply(h, Refinement("undo", None, "undo")) and h.current == _chain(10)
    assert not apply(h, Refinement("undo", None, "undo"))
    assert apply(h, Refinement("redo", None, "redo")) and h.current == _chain(30)
    assert apply(h, Refinement("reset", None, "start over")) and h.current.is_identity
    with pytest.raises(ValueError):
        apply(h, Refinement("edit", None, "warmer"))


def test_changes_lists_what_moved() -> None:
    a = ToolChain.model_validate({"adjust": {"temperature": 35},
                                  "filter": {"name": "fortune", "intensity": 35},
                                  "selective_adjust": {"orange": {"saturation": 20}}})
    b = ToolChain.model_validate({"adjust": {"temperature": 55},
                                  "selective_adjust": {"orange": {"saturation": 20}}})
    assert changes(a, b) == ["temperature 35→55", "filter fortune 35→none"]
    assert changes(a, a) == []
