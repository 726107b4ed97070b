"""Refinement scores: direction correctness, restraint, and the combined report."""

from __future__ import annotations

from vibegrade.evaluation.refine_metrics import direction_correct, restrained, score_refinements
from vibegrade.schema import ToolChain


def c(**adjust: int) -> ToolChain:
    return ToolChain.model_validate({"adjust": adjust})


def test_direction_correct_and_restrained() -> None:
    before, truth = c(temperature=10, contrast=20), c(temperature=35, contrast=20)
    assert direction_correct(before, c(temperature=20, contrast=20), truth) is True
    assert direction_correct(before, c(temperature=5, contrast=20), truth) is False
    assert direction_correct(before, before, truth) is False          # not moving is not right
    assert direction_correct(before, before, c(temperature=12, contrast=20)) is None  # nothing moved 5+
    assert restrained(before, c(temperature=35, contrast=25), truth) is True
    assert restrained(before, c(temperature=35, contrast=40), truth) is False


def full(temperature: int) -> ToolChain:
    return ToolChain.model_validate({"adjust": {"temperature": temperature},
                                     "selective_adjust": {"orange": {"saturation": 10}},
                                     "filter": {"name": "fortune", "intensity": 30}})


def test_score_refinements_counts_history_ops_by_op_only() -> None:
    before = full(10)
    rep = score_refinements([before, before], [full(35), None], [full(35), None],
                            ["edit", "undo"], ["edit", "undo"])
    assert rep["n"] == 2 and rep["n_chain"] == 1 and rep["op_accuracy"] == 1.0
    assert rep["direction_correct"] == 1.0 and rep["overall"] == 1.0
    wrong = score_refinements([before], [full(-15)], [full(35)], ["edit"], ["edit"])
    assert wrong["direction_correct"] == 0.0 and wrong["overall"] < 1.0


def test_main_direction_and_wrong_way() -> None:
    from vibegrade.evaluation.refine_metrics import main_direction_correct, wrong_way

    before = c(exposure=10)
    truth = c(exposure=-10, highlights=-10)          # main move: exposure −20; support: highlights −10
    assert main_direction_correct(before, c(exposure=-10), truth) is True   # support left out: fine here
    assert direction_correct(before, c(exposure=-10), truth) is False      # but not for the strict rate
    assert wrong_way(before, c(exposure=-10), truth) is False
    assert wrong_way(before, c(exposure=20, highlights=-10), truth) is True
    assert main_direction_correct(before, before, c(exposure=12)) is None
