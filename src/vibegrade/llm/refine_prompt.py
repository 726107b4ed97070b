"""The teacher prompt for refinement, and the parser of its answers.

A refinement asks the teacher: here is the current chain and what the user typed next; answer with a
rationale, then the operation and the next chain as JSON. The rules are those of
``data/refine/STYLE_GUIDE.md`` (the authored triples follow them), so a teacher's answers and the
authored data agree:

    Rationale: Warmer by the plain step: temperature 10 → 35; the rest of the look stays.
    JSON: {"op": "edit", "adjust": {...}, "selective_adjust": {...}, "filter": {...}}

``op`` is one of edit, toward, replace (a next chain follows), undo, redo, reset (no chain: the app keeps
the history). :func:`parse_refine_answer` never raises on model output: unusable answers come back with
``op`` ``None`` and a flag, values are clamped as for first-turn answers
(:func:`vibegrade.schema.clamp_chain`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from vibegrade.llm.parse import find_json
from vibegrade.llm.prompts import Message, _adjust_params, _presets, _selective_params, _tool_overview
from vibegrade.schema import ToolChain, clamp_chain

__all__ = ["REFINE_OPS", "refine_system_prompt", "refine_messages", "RefineAnswer", "parse_refine_answer"]

REFINE_OPS = ("edit", "toward", "replace", "undo", "redo", "reset")
_HISTORY = ("undo", "redo", "reset")

_RULES = (
    "Decide what the follow-up does: edit (a relative change: warmer, less orange, more contrast, less, "
    "too much, drop the glow, no filter, make it black and white), toward (move part of the way to a named "
    "look: more like the matrix, a bit more cinematic), replace (start again with another look: actually "
    "make it cyberpunk instead), undo, redo, reset (start over).",
    "edit: move only what the words ask; everything else stays exactly as it is. Relative sizes are added "
    "to the current value: temperature/tint 12 (slightly) / 25 (plain) / 45 (very) / 70 (extremely); "
    "exposure 10/20/40/60; contrast, brightness, shadows, highlights 12/25/45/65; saturation, vibrance "
    "12/25/45/70; the named colour's selective saturation/luminance 15/30/50/75; sharpen, structure, bloom "
    "15/30/50/75; linearOffset 6/12/22/35; filter intensity 10/20/35/50.",
    "Numbers are slider values, honoured exactly: a signed number, 'by N' or a verb adds to the current "
    "value ('contrast +20', 'add 10 to the warmth', 'warmth: +30'); 'to N', 'at N', 'set … N' or a bare "
    "number is where the slider ends ('set saturation to -100', 'warmth: 0'); exposure in stops is 50 a "
    "stop; a white balance in Kelvin is Lightroom's Temp on a daylight photo (3200 K = temperature -100, "
    "5500 K = 0, 6500 K = 48).",
    "Directions: warmer = temperature +, cooler = −; green cast = tint +, magenta cast = tint −; "
    "'too X' = the plain size against X; 'less orange' (a colour of the scene) = that colour's selective "
    "saturation −; overexposed = exposure/highlights −, underexposed = exposure/shadows +.",
    "'less X' where X is something the look already does (the glow, the fade, the filter) keeps 75 % "
    "(slightly) / 50 % / 25 % (much) of it; 'no X' / 'drop X' sets it to 0 (the filter to none). "
    "'less sharpening' / 'too sharp' with no sharpen or structure to take away: soften instead (contrast −, "
    "bloom +, the size from the words); never leave an explicit request without a change.",
    "Strength of the whole look ('less', 'too much', 'subtler', 'more', 'stronger'): multiply every "
    "non-zero value, the filter intensity included, by 0.8 (a bit less), 0.6 (less, too much), 0.35 (much "
    "less), 0.5 (half), 1.2 (a bit more), 1.4 (more, stronger), 1.8 (much more), 2 (double); keep the "
    "preset, do not scale hue.",
    "Black and white: saturation −100, colour selective values 0, a colour preset replaced by none; tonal "
    "settings stay. Sepia adds duotone_orange 35–60.",
    "toward: for each value the named look sets, new = current + amount × (look − current) with amount "
    "0.3 (a bit more like), 0.5 (more like), 0.8 (much more like); take the look's preset at amount × its "
    "intensity when that is at least 10 and stronger than the current preset's.",
    "replace: answer the new look as you would a first request. undo / redo / reset: no settings.",
)


def refine_system_prompt(presets: Iterable[str] | None = None) -> str:
    """The system message of the refinement teacher prompt."""
    names = _presets(presets)
    rules = "\n".join(f"- {r}" for r in _RULES)
    return (
        "You are a professional photo and video colourist working in an editing app. The user already has a "
        "look on their photo (the current settings) and types a follow-up. You change the current settings "
        "the way the follow-up asks.\n\n"
        f"{_tool_overview()}\n\n"
        f"## adjust\n{_adjust_params()}\n\n## selective_adjust\n{_selective_params()}\n\n"
        f"## filter\nA preset name and its intensity (0..100), or none. Presets: {', '.join(names)}.\n\n"
        f"## Rules\n{rules}\n\n"
        "## Answer format\n"
        "Rationale: one or two sentences: what the user asked, what moves and by how much, what is kept.\n"
        'JSON: one object on a single line: {"op": ..., "adjust": {...}, "selective_adjust": {...}, '
        '"filter": {"name": ..., "intensity": ...}} with the complete next settings; '
        'for undo, redo and reset '
        'only {"op": ...}.\n\n'
        "## Example\n"
        'Current: {"adjust": {"temperature": 10, "contrast": 15}, "selective_adjust": {}, '
        '"filter": {"name": "fortune", "intensity": 30}}\n'
        "Follow-up: warmer\n"
        "Rationale: Warmer by the plain step: temperature 10 → 35; contrast and the fortune preset stay.\n"
        'JSON: {"op": "edit", "adjust": {"temperature": 35, "contrast": 15}, "selective_adjust": {}, '
        '"filter": {"name": "fortune", "intensity": 30}}'
    )


def refine_messages(chain: ToolChain, request: str, presets: Iterable[str] | None = None) -> list[Message]:
    """Chat messages asking the teacher what ``request`` does to ``chain``."""
    current = {"adjust": {k: v for k, v in chain.adjust.to_wire().items() if v},
               "selective_adjust": {c: {k: v for k, v in ch.items() if v}
                                    for c, ch in chain.selective_adjust.to_wire().items()
                                    if any(ch.values())},
               "filter": chain.filter.to_wire()}
    text = " ".join(str(request).split())
    return [{"role": "system", "content": refine_system_prompt(presets)},
            {"role": "user", "content": f"Current: {json.dumps(current)}\nFollow-up: {text}"}]


@dataclass
class RefineAnswer:
    """A parsed refinement answer: ``op`` (None when unusable), the next chain (None for history ops or
    when unusable), the rationale, and flags for everything repaired."""

    op: str | None
    chain: ToolChain | None
    rationale: str
    flags: list[str] = field(default_factory=list)


def parse_refine_answer(text: object, presets: Iterable[str]) -> RefineAnswer:
    """Parse a teacher's refinement answer; never raises on model output."""
    if not isinstance(text, str) or not text.strip():
        return RefineAnswer(None, None, "", ["empty_answer"])
    found = find_json(text)
    rationale = " ".join(text[:found.start].split()) if found is not None else " ".join(text.split())
    rationale = rationale.removeprefix("Rationale:").removesuffix("JSON:").strip()[:2000]
    if found is None or not isinstance(found.value, dict):
        return RefineAnswer(None, None, rationale, ["no_json"])
    obj = found.value
    flags: list[str] = ["truncated_json"] if found.truncated else []
    op = str(obj.get("op", "")).strip().lower()
    if op not in REFINE_OPS:
        op = "edit" if any(k in obj for k in ("adjust", "selective_adjust", "filter")) else ""
        flags.append("missing_op" if op else "unknown_op")
        if not op:
            return RefineAnswer(None, None, rationale, flags)
    if op in _HISTORY:
        return RefineAnswer(op, None, rationale, flags)
    report = clamp_chain({k: obj.get(k) for k in ("adjust", "selective_adjust", "filter")}, presets)
    return RefineAnswer(op, report.chain, rationale, flags + list(report.flags))
