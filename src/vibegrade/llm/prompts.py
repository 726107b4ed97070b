"""Prompts for the teacher LLM and for the generative students, one per tool.

Every parameter name, range, unit and one-line description that appears in a prompt is read from
:mod:`vibegrade.schema`; the filter preset list is read from the installed presets (bundled and user
presets, :func:`vibegrade.tools.filters.preset_names`) unless an explicit list is given. Only the
wording around them and the worked examples are written here.

Teacher prompts are chat messages: a system message (role, the three tools, this tool's parameters,
the rules, the answer format and one worked example) and a user message holding the request slot::

    Request: golden hour

The teacher answers in two parts, a rationale labelled with the tool name, then the settings::

    ADJUST: Low warm sun: warmer white balance, softer highlights, a little glow.
    JSON: {"exposure": 5, ..., "structure": 0}

Student prompts are short single-turn prompts without a rationale; the target is the JSON alone
(:func:`student_target`).

:func:`prompt_info` recovers the prompt kind, tool and request from a list of messages (the tests'
replay server, ``tests/fakes/replay.py``, uses it to pick a recorded answer).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vibegrade.data.rows import MAX_INTENT_CHARS, clean_text  # one request-length limit, one text cleaner
from vibegrade.schema import (
    ADJUST_PARAMS,
    FILTER_NONE,
    INTENSITY,
    SELECTIVE_CHANNELS,
    SELECTIVE_COLORS,
    SELECTIVE_HUES,
    TOOL_NAMES,
    Adjust,
    ParamSpec,
    SelectiveAdjust,
)
from vibegrade.tools.filters import preset_descriptions, preset_names

__all__ = [
    "Message",
    "PromptInfo",
    "answer_label",
    "installed_presets",
    "prompt_info",
    "prompt_intent",
    "student_messages",
    "student_prompt",
    "student_target",
    "teacher_messages",
    "teacher_system_prompt",
]

Message = dict[str, str]



def installed_presets() -> list[str]:
    """Names of the installed filter presets (bundled, then user presets)."""
    return list(preset_names())


def _presets(presets: Iterable[str] | None) -> list[str]:
    names = installed_presets() if presets is None else list(presets)
    seen: set[str] = set()
    out = []
    for n in names:
        if n != FILTER_NONE and n not in seen:
            seen.add(n)
            out.append(n)
    return out


def prompt_intent(intent: object) -> str:
    """The request as it is placed into a prompt: one line, whitespace collapsed, length-capped (the
    project's one text cleaner, :func:`vibegrade.data.rows.clean_text`, in its lenient mode: never raises)."""
    return clean_text(intent, subject="request", max_chars=MAX_INTENT_CHARS, strict=False)


def answer_label(tool: str) -> str:
    """The label that opens the teacher's rationale: ``ADJUST``, ``SELECTIVE_ADJUST`` or ``FILTER``."""
    return tool.upper()


def _check_tool(tool: str) -> None:
    if tool not in TOOL_NAMES:
        raise ValueError(f"unknown tool {tool!r}; expected one of {', '.join(TOOL_NAMES)}")


# ----------------------------------------------------------------------------------------------------------
# Pieces derived from the schema
# ----------------------------------------------------------------------------------------------------------


def _range(spec: ParamSpec) -> str:
    return f"{spec.lo}..{spec.hi}"


def _param_line(spec: ParamSpec) -> str:
    extra = " [spatial: works on local detail, not on colour]" if spec.spatial else ""
    return f"- {spec.name} ({_range(spec)}, neutral {spec.neutral}): {spec.doc}; {spec.unit}{extra}"


def _tool_overview() -> str:
    adjust_names = ", ".join(p.name for p in ADJUST_PARAMS)
    colors = ", ".join(SELECTIVE_COLORS)
    channels = " and ".join(c.name for c in SELECTIVE_CHANNELS)
    return (
        "The app grades a photo or video with three tools. They are always applied in this order and "
        "combine into one look:\n"
        f"1. adjust: global sliders for the whole image ({adjust_names}).\n"
        f"2. selective_adjust: {channels} of single colour ranges ({colors}).\n"
        f"3. filter: one named colour-grading preset (a 3D LUT) blended over the result at an "
        f"{INTENSITY.name}.\n"
        "The three settings are written separately but must work well together: each tool builds on the "
        "output of the one before it, so do not push the same change twice, and keep the overall look "
        "coherent rather than three competing ideas."
    )


def _adjust_params() -> str:
    return "Parameters (integers):\n" + "\n".join(_param_line(p) for p in ADJUST_PARAMS)


def _selective_params() -> str:
    colors = ", ".join(f"{c} (centred on hue {SELECTIVE_HUES[c]:g} degrees)" for c in SELECTIVE_COLORS)
    channels = "\n".join(_param_line(c) for c in SELECTIVE_CHANNELS)
    return (f"Colour ranges: {colors}.\n"
            f"Each colour range has two integer channels:\n{channels}")


def _filter_params(presets: Sequence[str], descriptions: Mapping[str, str] | None) -> str:
    lines = [f"- {FILTER_NONE}: no filter"]
    for n in presets:
        d = (descriptions or {}).get(n)
        lines.append(f"- {n}: {d}" if d else f"- {n}")
    return ("Presets (use a name exactly as written):\n" + "\n".join(lines) + "\n"
            f"{INTENSITY.name} ({_range(INTENSITY)}): {INTENSITY.doc}; {INTENSITY.unit}")


def _compact_adjust() -> str:
    return ", ".join(f"{p.name} {_range(p)}" for p in ADJUST_PARAMS)


def _compact_selective() -> str:
    chans = ", ".join(f"{c.name} {_range(c)}" for c in SELECTIVE_CHANNELS)
    return f"colours {', '.join(SELECTIVE_COLORS)}; each has {chans}"


def _json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


# ----------------------------------------------------------------------------------------------------------
# Rules and worked examples
# ----------------------------------------------------------------------------------------------------------


def _adjust_rules() -> list[str]:
    n = len(ADJUST_PARAMS)
    hue = next(p for p in ADJUST_PARAMS if p.name == "hue")
    spatial = ", ".join(p.name for p in ADJUST_PARAMS if p.spatial)
    return [
        f"If you use this tool, write all {n} parameters, including the ones that stay neutral.",
        "If every parameter would stay neutral, the tool is not needed: answer with an empty JSON object {}.",
        (f"If the request is about one colour range (\"bluer sky\", \"greener grass\", \"warmer skin\"), "
         f"keep {hue.name} at {hue.neutral}: it rotates every colour of the image; single colours belong to "
         "selective_adjust."),
        ("Use integers inside the ranges. Most looks sit well inside +-50; go further only for extreme "
         "requests."),
        f"Use {spatial} only when the look asks for glow, crispness or gritty detail.",
        ("Numbers in the request are slider values and are honoured exactly (\"contrast +20\" = contrast "
         "20). Exposure in stops is 50 a stop (\"+0.5 ev\" = 25, \"exposure +1\" = one stop). After a look, "
         "a signed number is added to what the look does (\"golden hour, contrast +20\"), while \"to 40\", "
         "\"at 40\" or a bare number is where the slider ends (\"golden hour, contrast 40\"). A white "
         "balance in Kelvin is Lightroom's Temp on a daylight photo: 3200 K and below = temperature -100, "
         "5500 K = 0, 6500 K = 48."),
        ("What the request says to leave alone stays neutral (\"just brighter, don't touch the colours\": "
         "saturation and temperature 0); a limit holds one way (\"without crushing the shadows\": shadows "
         "not lowered; \"don't blow out the highlights\": highlights not raised). A colour splash "
         "(\"black and white except the red\") does not lower the overall saturation: it would grey the "
         "kept colour too."),
    ]


def _selective_rules() -> list[str]:
    n = len(SELECTIVE_COLORS)
    chans = " and ".join(c.name for c in SELECTIVE_CHANNELS)
    return [
        ("Use this tool only when the words of the request give a reason: they name a colour (\"pink "
         "sky\", \"less orange\", \"deep teal\"), a subject with a signature colour (skin, face, sky, "
         "water, foliage, flowers, food), or a look defined by one or two colour ranges (golden hour, teal "
         "and orange, vintage, a named colour film stock). A palette you know from a film, painter or place "
         "is not a reason: it belongs to adjust and the filter. Otherwise answer with an empty JSON object "
         "{}."),
        ("A colour cast or white-balance complaint (\"too yellow\", \"green cast\") is not a colour "
         "range: it belongs to adjust."),
        f"If you use it, write all {n} colour ranges, each with both {chans}; untouched values are 0.",
        ("Do not repeat a change that affects every colour (overall saturation, white balance): that "
         "belongs to adjust."),
        "Use integers inside the ranges.",
        "Numbers for a colour are honoured exactly (\"red sat -30\" = red saturation -30).",
        ("A colour splash (\"black and white except the red\", \"desaturate everything but the blues\") "
         "is made here: every other range saturation -100, the kept one +30 to +40. A colour to keep "
         "(\"keep the skin natural\", \"keep the sky blue\") is kept looking as it was: its range eases "
         "what the rest of the look does to it (a warm look: orange saturation -5 to -15)."),
    ]


def _filter_rules(presets: Sequence[str]) -> list[str]:
    have = set(presets)
    if "winter" in have:
        exact = "an exact match such as \"winter\" for the winter preset"
    else:
        exact = "an exact match (the request names the preset's look)"
    close_names = [p for p in ("north", "winter") if p in have]
    if close_names:
        close = f"a close but inexact match such as \"cool morning\" for {' or '.join(close_names)}"
    else:
        close = "a close but inexact match"
    duotones = [p for p in presets if p.lower().startswith("duotone")]
    duo = f" ({', '.join(duotones)})" if duotones else ""
    no_filter = {"name": FILTER_NONE, INTENSITY.name: 0}
    return [
        (f"The default is \"{FILTER_NONE}\". Pick a preset only when it is a very close or exact match for "
         "the request; a loose resemblance is not enough, the other two tools can build most looks."),
        (f"The closer the match, the higher the {INTENSITY.name}: {exact} gets about 80; {close} gets "
         "about 40 to 60."),
        f"A duotone preset{duo} that the request did not ask for gets {INTENSITY.name} 15.",
        f"Write the preset name exactly as listed. No filter is {_json(no_filter)}.",
        (f"A preset named with a number (\"vivid filter at 50%\") is that preset at that "
         f"{INTENSITY.name}."),
    ]


@dataclass(frozen=True)
class _Example:
    request: str
    rationale: str
    settings: dict[str, Any]


def _adjust_example() -> _Example:
    values = {"exposure": -10, "contrast": -15, "brightness": -5, "highlights": -20, "shadows": 10,
              "saturation": -20, "vibrance": -10, "temperature": -18, "tint": -4, "linearOffset": 8,
              "structure": 10}
    known = {p.name for p in ADJUST_PARAMS}
    wire = Adjust(**{k: v for k, v in values.items() if k in known}).to_wire()
    return _Example(
        "rainy afternoon in the city",
        "Overcast rain gives soft, flat light, a cool white balance and muted colour. Pull the highlights "
        "down, open the shadows a little, lift the blacks slightly for a damp haze, and add a touch of "
        "structure so wet streets still show texture.",
        wire,
    )


def _selective_example() -> _Example:
    values = {"red": {"saturation": 15, "luminance": -5}, "orange": {"saturation": 35, "luminance": 10},
              "yellow": {"saturation": 25, "luminance": 5}, "green": {"saturation": -30, "luminance": -10}}
    wire = SelectiveAdjust.model_validate({c: v for c, v in values.items()
                                           if c in SELECTIVE_COLORS}).to_wire()
    return _Example(
        "autumn forest",
        "Autumn lives in the leaves: push orange and yellow, deepen red slightly, and pull green back so "
        "summer foliage reads as turning. Sky colours stay as they are.",
        wire,
    )


def _filter_example(presets: Sequence[str]) -> _Example:
    for name in ("north", "winter"):
        if name in presets:
            return _Example(
                "cold foggy harbour at dawn",
                f"Cold, misty and blue is close to what {name} does, but the request does not name that "
                "look outright, so it is a close, inexact match at a moderate intensity.",
                {"name": name, INTENSITY.name: 45},
            )
    return _Example(
        "portrait in a sunny cafe",
        "No preset is a close match for a sunny cafe portrait; adjust and selective_adjust carry the look.",
        {"name": FILTER_NONE, INTENSITY.name: 0},
    )


# ----------------------------------------------------------------------------------------------------------
# Teacher prompts
# ----------------------------------------------------------------------------------------------------------

_TOOL_HEADER = "## Tool: {tool}"
_REQUEST = "Request: {intent}"


def teacher_system_prompt(tool: str, presets: Iterable[str] | None = None,
                          descriptions: Mapping[str, str] | None = None) -> str:
    """The system message of the teacher prompt for one tool.

    Args:
        tool: one of :data:`vibegrade.schema.TOOL_NAMES`.
        presets: filter preset names; default: the installed presets.
        descriptions: one-line descriptions of presets shown next to their names; default: the installed
            presets' own descriptions (:func:`vibegrade.tools.filters.preset_descriptions`) when ``presets``
            is not given.
    """
    _check_tool(tool)
    if descriptions is None and presets is None:
        descriptions = preset_descriptions()
    names = _presets(presets)
    label = answer_label(tool)
    if tool == "adjust":
        what = "Global adjustments of the whole image."
        params, rules, example = _adjust_params(), _adjust_rules(), _adjust_example()
        unused = "{}"
    elif tool == "selective_adjust":
        what = "Saturation and luminance of single colour ranges; all other colours are left alone."
        params, rules, example = _selective_params(), _selective_rules(), _selective_example()
        unused = "{}"
    else:
        what = "A named colour-grading preset blended over the image."
        params = _filter_params(names, descriptions)
        rules, example = _filter_rules(names), _filter_example(names)
        unused = _json({"name": FILTER_NONE, INTENSITY.name: 0})
    rules_text = "\n".join(f"- {r}" for r in rules)
    return (
        "You are a professional photo and video editor and colourist. People describe the look they want "
        "in a few words (a time of day, a film, a place, a mood, a style) and you turn it into settings for "
        "an editing app.\n\n"
        f"{_tool_overview()}\n\n"
        f"Right now you decide the settings of one tool only: {tool}.\n\n"
        f"{_TOOL_HEADER.format(tool=tool)}\n"
        f"{what}\n{params}\n\n"
        f"## Rules\n{rules_text}\n\n"
        "## Answer format\n"
        "Answer with exactly two parts and nothing else:\n"
        f"{label}: one to three sentences on how the request translates into this tool, or why the tool is "
        "not needed.\n"
        f"JSON: the settings as one JSON object on a single line; {unused} means the tool is not used.\n\n"
        "## Example\n"
        f"{_REQUEST.format(intent=example.request)}\n"
        f"{label}: {example.rationale}\n"
        f"JSON: {_json(example.settings)}"
    )


def teacher_messages(tool: str, intent: str, presets: Iterable[str] | None = None,
                     descriptions: Mapping[str, str] | None = None) -> list[Message]:
    """Chat messages asking the teacher for ``tool``'s settings for ``intent``."""
    return [
        {"role": "system", "content": teacher_system_prompt(tool, presets, descriptions)},
        {"role": "user", "content": _REQUEST.format(intent=prompt_intent(intent))},
    ]


# ----------------------------------------------------------------------------------------------------------
# Student prompts
# ----------------------------------------------------------------------------------------------------------


def student_prompt(tool: str, intent: str, presets: Iterable[str] | None = None) -> str:
    """A short prompt for a generative student: the request, this tool's parameters, JSON only."""
    _check_tool(tool)
    if tool == "adjust":
        body = (f"Parameters (integers): {_compact_adjust()}.\n"
                "Answer with JSON only: all parameters, or {} if the tool is not needed.")
    elif tool == "selective_adjust":
        body = (f"Parameters (integers): {_compact_selective()}.\n"
                "Answer with JSON only: all colours, or {} if the tool is not needed.")
    else:
        names = ", ".join([FILTER_NONE, *_presets(presets)])
        body = (f"Presets: {names}. {INTENSITY.name} {_range(INTENSITY)}.\n"
                f"Answer with JSON only: {{\"name\": ..., \"{INTENSITY.name}\": ...}}; "
                f"\"{FILTER_NONE}\" if no preset fits closely.")
    return (f"Tool: {tool}\nSet the {tool} tool of a colour grade for the look below.\n{body}\n"
            f"{_REQUEST.format(intent=prompt_intent(intent))}")


def student_messages(tool: str, intent: str, presets: Iterable[str] | None = None) -> list[Message]:
    """:func:`student_prompt` as a single user message."""
    return [{"role": "user", "content": student_prompt(tool, intent, presets)}]


def student_target(tool: str, settings: Mapping[str, Any] | Any) -> str:
    """The training target of a generative student: the tool's wire settings as compact JSON.

    ``settings`` is the tool's wire dict (as in a dataset row) or a :class:`~vibegrade.schema.ToolChain`.
    """
    _check_tool(tool)
    if hasattr(settings, "to_wire"):
        settings = settings.to_wire()[tool]
    return json.dumps(settings, ensure_ascii=False, separators=(",", ":"))


# ----------------------------------------------------------------------------------------------------------
# Reading prompts back
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromptInfo:
    """What a prompt asks for: ``kind`` is ``teacher`` or ``student``."""

    kind: str
    tool: str
    intent: str


_TOOL_RE = re.compile(r"^(?:## )?Tool: ([a-z_]+)\s*$", re.MULTILINE)
_REQUEST_RE = re.compile(r"^Request: (.*)$", re.MULTILINE)


def prompt_info(messages: Sequence[Mapping[str, Any]]) -> PromptInfo | None:
    """Recover kind, tool and request from messages built by this module (``None`` if not recognised)."""
    try:
        texts = [str(m.get("content") or "") for m in messages]
    except (AttributeError, TypeError):
        return None
    if not texts:
        return None
    tool = None
    for t in texts:
        m = _TOOL_RE.search(t)
        if m and m.group(1) in TOOL_NAMES:
            tool = m.group(1)
            break
    hits = _REQUEST_RE.findall(texts[-1])
    if tool is None or not hits:
        return None
    kind = "teacher" if len(texts) > 1 and str(messages[0].get("role")) == "system" else "student"
    return PromptInfo(kind=kind, tool=tool, intent=hits[-1].strip())
