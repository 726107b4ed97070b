# Not split (~560 lines): the single source of the tool parameters; the models, strict parsing, the
# lenient clamp and the JSON Schema all derive from the specs here, which is what the module promises.
"""The tool schema: defined once, everything else derives from it.

A *tool chain* sets three editing tools that are applied in the fixed order
``adjust -> selective_adjust -> filter``::

    {"adjust": {"exposure": 20, ..., "structure": 0},
     "selective_adjust": {"red": {"saturation": 20, "luminance": 10}, ...},
     "filter": {"name": "winter", "intensity": 80}}

* ``adjust`` -- 14 global parameters (see :data:`ADJUST_PARAMS`). ``{}`` or all
  zeros means the tool is not used.
* ``selective_adjust`` -- saturation and luminance per colour range
  (see :data:`SELECTIVE_COLORS`). ``{}`` or all zeros means not used.
* ``filter`` -- a named 3D-LUT preset and its intensity; ``name="none"`` means
  not used.

Prompts, validation, the JSON Schema, the LLM-output clamp helper and the heads
of the student models are all derived from the parameter specs below, so a new
parameter is added here and nowhere else.

Validation is strict (out-of-range values raise a :class:`pydantic.ValidationError`
whose message names the field); :func:`clamp_chain` is the explicit, lenient
path for untrusted LLM output and reports what it changed.

This module is pure: it imports nothing from vibegrade and reads no files. Which filter presets exist is
known to the tools layer (:func:`vibegrade.tools.filters.preset_names`); the edges that read untrusted chains
(CLI, service, dataset files, LLM output) pass those names in -- ``parse_chain(obj, presets=...)``,
``ToolChain.model_validate(obj, context=preset_context(...))`` or ``clamp_chain(obj, presets)`` -- and only
then is the filter name checked. Without them a filter name is checked for its form only.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

__all__ = [
    "ParamSpec",
    "ADJUST_PARAMS",
    "ADJUST_KEYS",
    "COLOR_ADJUST_KEYS",
    "SPATIAL_ADJUST_KEYS",
    "SELECTIVE_COLORS",
    "SELECTIVE_CHANNELS",
    "SELECTIVE_KEYS",
    "TOOL_NAMES",
    "FILTER_NONE",
    "REGION_NAMES",
    "REGIONAL_ADJUST_KEYS",
    "MAX_REGIONAL_EDITS",
    "Adjust",
    "SelectiveColor",
    "SelectiveAdjust",
    "Filter",
    "RegionalAdjust",
    "RegionalEdit",
    "ToolChain",
    "ClampReport",
    "clamp_chain",
    "parse_chain",
    "preset_context",
    "chain_json_schema",
    "ValidationError",
]


@dataclass(frozen=True)
class ParamSpec:
    """One numeric parameter of a tool.

    Attributes:
        name: key as written in tool-chain JSON.
        lo, hi: inclusive integer range.
        neutral: the value that leaves the image unchanged.
        unit: short human description of the unit, used in docs and prompts.
        doc: one-line description of the effect, used in prompts.
        spatial: True for neighbourhood operations that cannot be baked into a LUT.
    """

    name: str
    lo: int
    hi: int
    neutral: int
    unit: str
    doc: str
    spatial: bool = False

    @property
    def span(self) -> int:
        return self.hi - self.lo


_SIGNED = "integer slider, -100..100, 0 = unchanged"
_POSITIVE = "integer strength, 0..100, 0 = off"

#: The 14 ``adjust`` parameters, in the canonical vector order used by metrics and students.
ADJUST_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("exposure", -100, 100, 0, _SIGNED + "; 100 = +2 stops",
              "overall exposure in stops of linear light"),
    ParamSpec("contrast", -100, 100, 0, _SIGNED, "S-curve around middle grey (negative flattens)"),
    ParamSpec("brightness", -100, 100, 0, _SIGNED, "midtone brightness, black and white points fixed"),
    ParamSpec("highlights", -100, 100, 0, _SIGNED, "recover (negative) or boost (positive) bright tones"),
    ParamSpec("shadows", -100, 100, 0, _SIGNED, "lift (positive) or deepen (negative) dark tones"),
    ParamSpec("saturation", -100, 100, 0, _SIGNED + "; -100 = greyscale", "colour intensity of all colours"),
    ParamSpec("vibrance", -100, 100, 0, _SIGNED, "saturation of muted colours, protects skin tones"),
    ParamSpec("temperature", -100, 100, 0, _SIGNED + "; positive = warmer",
              "white balance blue (-) to yellow (+)"),
    ParamSpec("tint", -100, 100, 0, _SIGNED + "; positive = magenta",
              "white balance green (-) to magenta (+)"),
    ParamSpec("hue", 0, 360, 0, "integer degrees of hue rotation, 0..360, 0 = unchanged",
              "rotates every hue"),
    ParamSpec("linearOffset", -100, 100, 0, _SIGNED, "lifted, faded blacks (+) or crushed blacks (-)"),
    ParamSpec("bloom", 0, 100, 0, _POSITIVE, "soft glow around bright areas", spatial=True),
    ParamSpec("sharpen", 0, 100, 0, _POSITIVE, "unsharp-mask sharpening of fine detail", spatial=True),
    ParamSpec("structure", 0, 100, 0, _POSITIVE, "local contrast (clarity) of mid-size detail", spatial=True),
)
ADJUST_KEYS: tuple[str, ...] = tuple(p.name for p in ADJUST_PARAMS)
COLOR_ADJUST_KEYS: tuple[str, ...] = tuple(p.name for p in ADJUST_PARAMS if not p.spatial)
SPATIAL_ADJUST_KEYS: tuple[str, ...] = tuple(p.name for p in ADJUST_PARAMS if p.spatial)
_ADJUST_SPEC = {p.name: p for p in ADJUST_PARAMS}

#: Colour ranges of ``selective_adjust`` with their centre hue in degrees (HSV/HSL hue circle).
SELECTIVE_COLORS: tuple[str, ...] = ("red", "orange", "yellow", "green", "cyan", "blue")
SELECTIVE_HUES: dict[str, float] = {"red": 0.0, "orange": 30.0, "yellow": 60.0, "green": 120.0, "cyan": 180.0,
                                    "blue": 240.0}
SELECTIVE_CHANNELS: tuple[ParamSpec, ...] = (
    ParamSpec("saturation", -100, 100, 0, _SIGNED + "; -100 = that colour range turns grey",
              "saturation of this colour range"),
    ParamSpec("luminance", -100, 100, 0, _SIGNED, "lightness of this colour range"),
)
#: Canonical flattening order of the 12 selective values: colour-major, then saturation, luminance.
SELECTIVE_KEYS: tuple[tuple[str, str], ...] = tuple((c, ch.name) for c in SELECTIVE_COLORS
                                                    for ch in SELECTIVE_CHANNELS)

TOOL_NAMES: tuple[str, ...] = ("adjust", "selective_adjust", "filter")
FILTER_NONE = "none"
INTENSITY = ParamSpec("intensity", 0, 100, 0, "integer percent, 0..100", "blend of the preset over its input")


def _int_field(spec: ParamSpec) -> Any:
    return Field(default=spec.neutral, ge=spec.lo, le=spec.hi, description=f"{spec.doc} ({spec.unit})")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Adjust(_Strict):
    """Global adjustments. Missing keys are neutral (0)."""

    exposure: int = _int_field(_ADJUST_SPEC["exposure"])
    contrast: int = _int_field(_ADJUST_SPEC["contrast"])
    brightness: int = _int_field(_ADJUST_SPEC["brightness"])
    highlights: int = _int_field(_ADJUST_SPEC["highlights"])
    shadows: int = _int_field(_ADJUST_SPEC["shadows"])
    saturation: int = _int_field(_ADJUST_SPEC["saturation"])
    vibrance: int = _int_field(_ADJUST_SPEC["vibrance"])
    temperature: int = _int_field(_ADJUST_SPEC["temperature"])
    tint: int = _int_field(_ADJUST_SPEC["tint"])
    hue: int = _int_field(_ADJUST_SPEC["hue"])
    linearOffset: int = _int_field(_ADJUST_SPEC["linearOffset"])  # noqa: N815 (wire name)
    bloom: int = _int_field(_ADJUST_SPEC["bloom"])
    sharpen: int = _int_field(_ADJUST_SPEC["sharpen"])
    structure: int = _int_field(_ADJUST_SPEC["structure"])

    @property
    def used(self) -> bool:
        return any(getattr(self, k) != 0 for k in ADJUST_KEYS)

    @property
    def color_used(self) -> bool:
        return any(getattr(self, k) != 0 for k in COLOR_ADJUST_KEYS)

    @property
    def spatial_in_use(self) -> list[str]:
        """The spatial parameters (bloom, sharpen, structure) set to non-zero, in schema order."""
        return [k for k in SPATIAL_ADJUST_KEYS if getattr(self, k) != 0]

    @property
    def spatial_used(self) -> bool:
        return bool(self.spatial_in_use)

    def vector(self) -> list[int]:
        """The 14 values in :data:`ADJUST_KEYS` order."""
        return [getattr(self, k) for k in ADJUST_KEYS]

    def to_wire(self) -> dict[str, int]:
        """``{}`` when unused, else all 14 keys."""
        return {k: getattr(self, k) for k in ADJUST_KEYS} if self.used else {}


class SelectiveColor(_Strict):
    saturation: int = _int_field(SELECTIVE_CHANNELS[0])
    luminance: int = _int_field(SELECTIVE_CHANNELS[1])

    @property
    def used(self) -> bool:
        return self.saturation != 0 or self.luminance != 0


class SelectiveAdjust(_Strict):
    """Per-colour-range saturation and luminance. Missing colours are neutral."""

    red: SelectiveColor = SelectiveColor()
    orange: SelectiveColor = SelectiveColor()
    yellow: SelectiveColor = SelectiveColor()
    green: SelectiveColor = SelectiveColor()
    cyan: SelectiveColor = SelectiveColor()
    blue: SelectiveColor = SelectiveColor()

    @property
    def used(self) -> bool:
        return any(getattr(self, c).used for c in SELECTIVE_COLORS)

    def vector(self) -> list[int]:
        """The 12 values in :data:`SELECTIVE_KEYS` order."""
        return [getattr(getattr(self, c), ch) for c, ch in SELECTIVE_KEYS]

    def to_wire(self) -> dict[str, dict[str, int]]:
        if not self.used:
            return {}
        return {c: {"saturation": getattr(self, c).saturation, "luminance": getattr(self, c).luminance}
                for c in SELECTIVE_COLORS}


class Filter(_Strict):
    """A named LUT preset. The name is checked against the preset names in the validation context when the
    caller gives them (see :func:`preset_context`; the installed presets are listed by
    :func:`vibegrade.tools.filters.preset_names`)."""

    name: str = Field(default=FILTER_NONE, min_length=1, max_length=100,
                      description="preset name, or 'none' for no filter")
    intensity: int = _int_field(INTENSITY)

    @field_validator("name")
    @classmethod
    def _known_preset(cls, v: str, info: ValidationInfo) -> str:
        names = info.context.get(_PRESETS_KEY) if isinstance(info.context, dict) else None
        if v == FILTER_NONE or names is None:
            return v
        if v not in names:
            close = _closest(v, names)
            hint = f"; did you mean {close!r}?" if close else ""
            raise ValueError(f"unknown filter preset {v!r}{hint} (see `vibegrade presets`)")
        return v

    @property
    def used(self) -> bool:
        return self.name != FILTER_NONE

    def to_wire(self) -> dict[str, Any]:
        return {"name": self.name, "intensity": self.intensity if self.used else 0}


#: Regions of the ``regional`` tool, each a soft mask computed once per image (:mod:`vibegrade.tools.regions`)
#: -- tonal bands, the six hue ranges of selective_adjust plus skin tones, semantic areas, and geometric ones
#: (``center`` is a radial spotlight, ``edges`` its complement, a vignette; ``top`` and ``bottom`` are
#: linear gradients such as a graduated sky filter).
REGION_NAMES: tuple[str, ...] = (
    "shadows", "midtones", "highlights",
    "reds", "oranges", "yellows", "greens", "cyans", "blues", "skin",
    "sky", "people", "faces", "subject", "background",
    "center", "edges", "top", "bottom",
)
#: The adjust parameters a regional edit may set: the per-pixel tone and colour ones (no hue rotation, no
#: offset, no spatial effects).
REGIONAL_ADJUST_KEYS: tuple[str, ...] = ("exposure", "contrast", "brightness", "highlights", "shadows",
                                         "saturation", "vibrance", "temperature", "tint")
#: At most this many regional edits in one chain.
MAX_REGIONAL_EDITS = 8


class RegionalAdjust(_Strict):
    """The adjust subset of one regional edit (:data:`REGIONAL_ADJUST_KEYS`); missing keys are neutral."""

    exposure: int = _int_field(_ADJUST_SPEC["exposure"])
    contrast: int = _int_field(_ADJUST_SPEC["contrast"])
    brightness: int = _int_field(_ADJUST_SPEC["brightness"])
    highlights: int = _int_field(_ADJUST_SPEC["highlights"])
    shadows: int = _int_field(_ADJUST_SPEC["shadows"])
    saturation: int = _int_field(_ADJUST_SPEC["saturation"])
    vibrance: int = _int_field(_ADJUST_SPEC["vibrance"])
    temperature: int = _int_field(_ADJUST_SPEC["temperature"])
    tint: int = _int_field(_ADJUST_SPEC["tint"])

    @property
    def used(self) -> bool:
        return any(getattr(self, k) != 0 for k in REGIONAL_ADJUST_KEYS)

    def as_adjust(self) -> Adjust:
        """The same values as a full :class:`Adjust` (the rest neutral)."""
        values: dict[str, Any] = {k: getattr(self, k) if k in REGIONAL_ADJUST_KEYS else 0
                                  for k in ADJUST_KEYS}
        return Adjust.model_construct(None, **values)

    def to_wire(self) -> dict[str, int]:
        """Only the keys that are set."""
        return {k: getattr(self, k) for k in REGIONAL_ADJUST_KEYS if getattr(self, k) != 0}


class RegionalEdit(_Strict):
    """Adjustments applied inside one region's soft mask: ``out = in + mask * (adjusted(in) - in)``."""

    region: str = Field(description="one of REGION_NAMES")
    adjust: RegionalAdjust = RegionalAdjust()

    @field_validator("region")
    @classmethod
    def _known_region(cls, v: str) -> str:
        if v not in REGION_NAMES:
            close = _closest(v, REGION_NAMES)
            hint = f"; did you mean {close!r}?" if close else ""
            raise ValueError(f"unknown region {v!r}{hint} (one of: {', '.join(REGION_NAMES)})")
        return v

    @property
    def used(self) -> bool:
        return self.adjust.used

    def to_wire(self) -> dict[str, Any]:
        return {"region": self.region, "adjust": self.adjust.to_wire()}


class ToolChain(_Strict):
    """The settings of the tools, applied as adjust -> selective_adjust -> regional -> filter.

    ``regional`` (a list of :class:`RegionalEdit`, empty by default) is the agent's tool: language
    students answer the other three; a chain without regional edits is written and rendered exactly as
    before it existed."""

    adjust: Adjust = Adjust()
    selective_adjust: SelectiveAdjust = SelectiveAdjust()
    regional: tuple[RegionalEdit, ...] = Field(default=(), max_length=MAX_REGIONAL_EDITS)
    filter: Filter = Filter()

    @model_validator(mode="before")
    @classmethod
    def _none_is_empty(cls, data: Any) -> Any:
        # ``null`` for a tool means "not used", like ``{}``; the regional list arrives as a JSON array
        if isinstance(data, dict):
            out = {k: ({} if v is None else v) for k, v in data.items()}
            if isinstance(out.get("regional"), list) or out.get("regional") == {}:
                out["regional"] = tuple(out["regional"] or ())
            return out
        return data

    @property
    def is_identity(self) -> bool:
        return not (self.adjust.used or self.selective_adjust.used or self.regional_used
                    or (self.filter.used and self.filter.intensity > 0))

    @property
    def regional_used(self) -> bool:
        return any(e.used for e in self.regional)

    def used(self) -> dict[str, bool]:
        """Which of the three language tools (:data:`TOOL_NAMES`) are used; see :attr:`regional_used`."""
        return {"adjust": self.adjust.used, "selective_adjust": self.selective_adjust.used,
                "filter": self.filter.used}

    def to_wire(self) -> dict[str, Any]:
        """Canonical JSON-ready dict (unused tools written as ``{}`` / ``none``; ``regional`` only when a
        regional edit is set, so chains without one are written exactly as before it existed)."""
        wire: dict[str, Any] = {"adjust": self.adjust.to_wire(),
                                "selective_adjust": self.selective_adjust.to_wire()}
        if self.regional_used:
            wire["regional"] = [e.to_wire() for e in self.regional if e.used]
        wire["filter"] = self.filter.to_wire()
        return wire

    def without_regional(self) -> ToolChain:
        """The same chain with no regional edits (what a LUT can hold)."""
        return self.model_copy(update={"regional": ()}) if self.regional else self

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_wire(), **kwargs)


_PRESETS_KEY = "vibegrade.presets"


def preset_context(presets: Iterable[str]) -> dict[str, Any]:
    """A pydantic validation context under which :class:`Filter` names must be one of ``presets`` (or
    ``none``): ``ToolChain.model_validate(obj, context=preset_context(names))``."""
    return {_PRESETS_KEY: tuple(presets)}


def parse_chain(text_or_obj: str | dict[str, Any], presets: Iterable[str] | None = None) -> ToolChain:
    """Strictly parse a tool chain from JSON text or a dict (raises ``ValueError`` with a clear message).

    With ``presets`` (the known filter preset names) an unknown filter name is an error that suggests the
    closest known name; without, only the name's form is checked."""
    if isinstance(text_or_obj, str):
        obj = loads_untrusted_json(text_or_obj, "tool chain")
    else:
        obj = text_or_obj
    if not isinstance(obj, dict):
        raise ValueError(f"tool chain must be a JSON object, got {type(obj).__name__}")
    if _depth_exceeds(obj, MAX_CHAIN_DEPTH):
        raise ValueError(f"tool chain is nested more than {MAX_CHAIN_DEPTH} levels deep (a chain has 3)")
    try:
        # strict: numbers must be JSON integers (no true/false, no "10", no 10.5) -- this is the untrusted
        # edge
        return ToolChain.model_validate(obj, strict=True,
                                        context=None if presets is None else preset_context(presets))
    except ValidationError as e:
        raise ValueError(format_validation_error(e)) from None


MAX_CHAIN_DEPTH = 8
"""Deepest nesting of objects/arrays accepted in a tool chain (a valid chain has 3 levels)."""
MAX_JSON_DEPTH = 64
"""Deepest nesting :func:`loads_untrusted_json` accepts (Python's parser would overflow its stack near
1000)."""
_JSON_OPEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_depth(text: str) -> int:
    """The deepest nesting of arrays/objects in JSON ``text`` (strings are skipped), without recursion."""
    depth = deepest = 0
    for m in _JSON_OPEN.finditer(text):
        tok = m.group()
        if tok in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif tok in "]}":
            depth -= 1
    return deepest


def loads_untrusted_json(text: str, what: str = "JSON", max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` for untrusted text: ``ValueError`` with a one-line message for malformed JSON, nesting
    deeper than ``max_depth`` and integers too long to convert (never a ``RecursionError``)."""
    if json_depth(text) > max_depth:
        raise ValueError(f"{what} is nested more than {max_depth} levels deep")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{what} is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except RecursionError:
        raise ValueError(f"{what} is nested too deeply") from None
    except ValueError as e:
        raise ValueError(f"{what} is not valid JSON: {json_value_error(e)}") from None


def json_value_error(e: BaseException) -> str:
    """A user-facing reason for a ``ValueError`` of the JSON parser that is not a syntax error."""
    if "integer string conversion" in str(e):
        return f"a number has more than {sys.get_int_max_str_digits() or 4300} digits"
    return "a value cannot be read"


def _depth_exceeds(obj: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        o, d = stack.pop()
        if isinstance(o, (dict, list)):
            if d > limit:
                return True
            stack.extend((v, d + 1) for v in (o.values() if isinstance(o, dict) else o))
    return False


def format_validation_error(e: ValidationError) -> str:
    """One line per problem, each naming the dotted field path."""
    parts = []
    for err in e.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(root)"
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        elif err["type"] in ("int_type", "int_parsing", "int_from_float"):
            got = err.get("input")
            kind = ("true/false" if isinstance(got, bool) else "text" if isinstance(got, str)
                    else "a fraction" if isinstance(got, float) else type(got).__name__)
            msg = f"must be a whole number, got {kind}"
        elif err["type"] == "string_type":
            msg = "must be text"
        elif err["type"] in ("tuple_type", "list_type"):
            msg = "must be a list"
        elif err["type"] in ("model_type", "dict_type", "model_attributes_type"):
            msg = "must be an object"
        parts.append(f"{loc}: {msg}")
    return "; ".join(parts)


# ----------------------------------------------------------------------------------------------------------
# Lenient path for untrusted LLM output
# ----------------------------------------------------------------------------------------------------------


@dataclass
class ClampReport:
    """What :func:`clamp_chain` had to change. ``flags`` are short machine-readable strings."""

    chain: ToolChain
    flags: list[str]


def _to_int(v: Any) -> int | None:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return None if (isinstance(v, float) and not math.isfinite(v)) else int(round(v))
    if isinstance(v, str):
        s = v.strip().rstrip("%").replace("+", "", 1).strip()
        try:
            f = float(s)
        except ValueError:
            return None
        return int(round(f)) if math.isfinite(f) else None
    return None


def _clamp_value(spec: ParamSpec, raw: Any, path: str, flags: list[str]) -> int:
    v = _to_int(raw)
    if v is None:
        flags.append(f"not_a_number:{path}")
        return spec.neutral
    if not isinstance(raw, (int, bool)) or isinstance(raw, bool):
        if not (isinstance(raw, float) and float(raw).is_integer()):
            flags.append(f"coerced:{path}")
    if spec.name == "hue" and path.startswith("adjust.") and not (spec.lo <= v <= spec.hi):
        flags.append(f"wrapped:{path}")
        return v % 360
    if v < spec.lo or v > spec.hi:
        flags.append(f"clamped:{path}")
        return min(spec.hi, max(spec.lo, v))
    return v


def clamp_chain(obj: Any, presets: Iterable[str]) -> ClampReport:
    """Turn arbitrary JSON-like data (typically parsed LLM output) into a valid :class:`ToolChain`.

    Never raises. Numbers given as strings are coerced, out-of-range values clamped (hue wrapped),
    unknown keys dropped, filter names not in ``presets`` (the known preset names) replaced by ``none``;
    each change adds a flag such as ``clamped:adjust.exposure`` or ``unknown_preset:filter.name``.
    """
    flags: list[str] = []
    preset_set = set(presets)
    if not isinstance(obj, dict):
        flags.append("not_an_object")
        obj = {}

    adj_raw = obj.get("adjust") or {}
    adjust: dict[str, int] = {}
    if isinstance(adj_raw, dict):
        lower = {str(k).strip(): v for k, v in adj_raw.items()}
        by_ci = {k.lower().replace("_", ""): k for k in lower}
        for spec in ADJUST_PARAMS:
            key = spec.name if spec.name in lower else by_ci.get(spec.name.lower())
            if key is None:
                continue
            adjust[spec.name] = _clamp_value(spec, lower[key], f"adjust.{spec.name}", flags)
        known = {s.name.lower() for s in ADJUST_PARAMS}
        for k in lower:
            if k.lower().replace("_", "") not in known:
                flags.append(f"unknown_key:adjust.{k}")
    else:
        flags.append("not_an_object:adjust")

    sel_raw = obj.get("selective_adjust") or {}
    selective: dict[str, dict[str, int]] = {}
    if isinstance(sel_raw, dict):
        for ck, cv in sel_raw.items():
            color = str(ck).strip().lower()
            if color not in SELECTIVE_COLORS:
                flags.append(f"unknown_key:selective_adjust.{ck}")
                continue
            if not isinstance(cv, dict):
                flags.append(f"not_an_object:selective_adjust.{color}")
                continue
            entry: dict[str, int] = {}
            for chk, chv in cv.items():
                ch = str(chk).strip().lower()
                channel = next((s for s in SELECTIVE_CHANNELS if s.name == ch), None)
                if channel is None:
                    flags.append(f"unknown_key:selective_adjust.{color}.{chk}")
                    continue
                entry[ch] = _clamp_value(channel, chv, f"selective_adjust.{color}.{ch}", flags)
            selective[color] = entry
    else:
        flags.append("not_an_object:selective_adjust")

    filt_raw = obj.get("filter")
    filt: dict[str, Any] = {"name": FILTER_NONE, "intensity": 0}
    if isinstance(filt_raw, str):
        filt_raw = {"name": filt_raw}
    if isinstance(filt_raw, dict):
        name = filt_raw.get("name", FILTER_NONE)
        name = str(name).strip() if name is not None else FILTER_NONE
        if name.lower() in ("", "none", "null", "no", "no filter"):
            name = FILTER_NONE
        elif name not in preset_set:
            match = {p.lower(): p for p in preset_set}.get(name.lower().replace(" ", "_").replace("-", "_"))
            if match:
                name = match
            else:
                flags.append("unknown_preset:filter.name")
                name = FILTER_NONE
        filt["name"] = name
        if name != FILTER_NONE:
            filt["intensity"] = _clamp_value(INTENSITY, filt_raw.get("intensity", 50),
                                             "filter.intensity", flags)
    elif filt_raw is not None:
        flags.append("not_an_object:filter")

    # every value is already valid: build the models without validating again
    adjust_values: dict[str, Any] = {**{k: 0 for k in ADJUST_KEYS}, **adjust}
    selective_values: dict[str, Any] = {}
    for c in SELECTIVE_COLORS:
        channels: dict[str, Any] = {"saturation": 0, "luminance": 0, **selective.get(c, {})}
        selective_values[c] = SelectiveColor.model_construct(**channels)
    chain = ToolChain.model_construct(
        adjust=Adjust.model_construct(**adjust_values),
        selective_adjust=SelectiveAdjust.model_construct(**selective_values),
        filter=Filter.model_construct(**filt),
    )
    return ClampReport(chain=chain, flags=flags)


def chain_json_schema(presets: Iterable[str] | None = None) -> dict[str, Any]:
    """JSON Schema of a tool chain; with ``presets`` the filter name becomes an enum."""
    schema = ToolChain.model_json_schema()
    if presets is not None:
        names = [FILTER_NONE, *sorted(set(presets) - {FILTER_NONE})]
        schema["$defs"]["Filter"]["properties"]["name"]["enum"] = names
    return schema


def _closest(name: str, candidates: Iterable[str]) -> str | None:
    import difflib

    m = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    if m:
        return m[0]
    low = {c.lower(): c for c in candidates}
    return low.get(name.lower())


ToolName = Literal["adjust", "selective_adjust", "filter"]
