"""The refinement teacher prompt and its answer parser (never raises on model output, clamps, flags)."""

from __future__ import annotations

from vibegrade.llm.refine_prompt import parse_refine_answer, refine_messages, refine_system_prompt
from vibegrade.schema import ToolChain

PRESETS = ["fortune", "teal_and_orange_2", "duotone_orange"]


def test_prompt_states_ops_sizes_and_the_current_chain() -> None:
    system = refine_system_prompt(PRESETS)
    for needle in ("edit", "toward", "replace", "undo", "12 (slightly) / 25 (plain) / 45 (very)", "0.6",
                   "saturation −100", "teal_and_orange_2", "Rationale:", "JSON:"):
        assert needle in system
    chain = ToolChain.model_validate({"adjust": {"temperature": 30},
                                      "filter": {"name": "fortune", "intensity": 35}})
    msgs = refine_messages(chain, "  less   orange ", PRESETS)
    assert msgs[0]["role"] == "system" and msgs[1]["role"] == "user"
    assert '"temperature": 30' in msgs[1]["content"] and '"exposure"' not in msgs[1]["content"]
    assert msgs[1]["content"].endswith("Follow-up: less orange")


def test_parse_edit_answer_clamps_and_keeps_rationale() -> None:
    text = ('Rationale: Warmer by the plain step: temperature 30 → 55.\n'
            'JSON: {"op": "edit", "adjust": {"temperature": 55, "exposure": 250}, "selective_adjust": {}, '
            '"filter": {"name": "fortune", "intensity": 35}}')
    a = parse_refine_answer(text, PRESETS)
    assert a.op == "edit" and a.chain is not None
    assert a.chain.adjust.temperature == 55 and a.chain.adjust.exposure == 100
    assert a.rationale.startswith("Warmer by the plain step")
    assert any("exposure" in f for f in a.flags)


def test_parse_history_missing_op_and_garbage() -> None:
    undo = parse_refine_answer('Rationale: Step back.\nJSON: {"op": "undo"}', PRESETS)
    assert undo.op == "undo" and undo.chain is None
    no_op = parse_refine_answer('JSON: {"adjust": {"contrast": 20}}', PRESETS)
    assert no_op.op == "edit" and "missing_op" in no_op.flags and no_op.chain.adjust.contrast == 20  # type: ignore[union-attr]
    for bad in ("", None, "I cannot help with that.", 'JSON: {"op": "explode"}'):
        out = parse_refine_answer(bad, PRESETS)
        assert out.op is None and out.chain is None and out.flags
    unknown = parse_refine_answer('JSON: {"op": "replace", "filter": {"name": "nope", "intensity": 50}}',
                                  PRESETS)
    assert unknown.op == "replace" and not unknown.chain.filter.used  # type: ignore[union-attr]
