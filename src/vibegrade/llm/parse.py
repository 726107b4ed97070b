# Not split (~580 lines): one parsing pipeline (lenient JSON reader, locating the JSON, per-tool
# normalisation, clamp) whose private pieces serve parse_answer only.
"""Robust parsing of teacher (and generative student) answers.

An answer for one tool should look like::

    ADJUST: Warm low sun, softer highlights.
    JSON: {"exposure": 5, ..., "structure": 0}

but real answers wander: code fences, prose before and after, Markdown, single quotes, trailing
commas, comments, unquoted keys, numbers as strings, missing or extra keys, out-of-range values,
misspelt or invented preset names, answers cut off by the token limit. :func:`parse_answer` copes with
all of these, never raises, and always returns settings that validate against the schema. Value
validation goes through :func:`vibegrade.schema.clamp_chain` (the single clamp path); this module adds
the JSON extraction and the tool-level checks.

Flags are short strings ``kind:path``; those from the clamp keep their names
(``clamped:adjust.exposure``, ``unknown_preset:filter.name`` ...), the ones added here are

* ``no_json:<tool>`` -- no JSON object found; the tool is treated as not used.
* ``lenient_json:<tool>`` -- the JSON needed repairs (quotes, commas, comments, literals).
* ``truncated_json:<tool>`` -- the JSON object was cut off; what was there is used.
* ``wrapped_json:<tool>`` -- the settings were nested under the tool name (``{"adjust": {...}}``).
* ``no_rationale:<tool>`` -- no rationale text before or after the JSON.
* ``missing_key:<path>`` -- a used tool without a parameter the prompt asked for (neutral assumed).
* ``renamed_key:<path>`` -- a recognised alias such as ``red_saturation`` or ``preset``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from vibegrade.schema import (
    ADJUST_KEYS,
    INTENSITY,
    SELECTIVE_CHANNELS,
    SELECTIVE_COLORS,
    TOOL_NAMES,
    Adjust,
    Filter,
    SelectiveAdjust,
    ToolChain,
    clamp_chain,
)
from vibegrade.tools.filters import preset_names

__all__ = ["ToolResult", "combine", "find_json", "lenient_json", "parse", "parse_answer"]

#: Answers are capped at this many characters before parsing (a 1500-token answer is far shorter).
MAX_ANSWER_CHARS = 60_000
#: Rationales longer than this are cut.
MAX_RATIONALE_CHARS = 2_000
_MAX_DEPTH = 24
_MAX_CANDIDATES = 24


@dataclass
class ToolResult:
    """The parsed answer for one tool.

    Attributes:
        tool: ``adjust``, ``selective_adjust`` or ``filter``.
        rationale: the explanation text ('' if none).
        settings: the tool's settings in wire form (``{}`` / filter ``none`` when not used).
        flags: everything that had to be repaired or guessed.
        chain: a :class:`ToolChain` with only this tool set (the others neutral).
    """

    tool: str
    rationale: str
    settings: dict[str, Any]
    flags: list[str] = field(default_factory=list)
    chain: ToolChain = field(default_factory=ToolChain)

    @property
    def used(self) -> bool:
        return bool(self.chain.used()[self.tool]) if self.tool in TOOL_NAMES else False


# ----------------------------------------------------------------------------------------------------------
# Lenient JSON
# ----------------------------------------------------------------------------------------------------------


class _Fail(Exception):
    pass


_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u201d": "\u201d", "\u2018": "\u2019", "\u2019": "\u2019",
           "`": "`"}
_NUM_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")
_WORD_RE = re.compile(r"[A-Za-z_][\w\-.]*")
_BARE_KEY_RE = re.compile(r"[^\s:=,{}\[\]\"'\u201c\u201d\u2018\u2019`]+")
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None, "none": None, "nan": math.nan,
                             "infinity": math.inf, "inf": math.inf}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/", "\\": "\\", '"': '"', "'": "'"}


class _Lenient:
    """A forgiving recursive-descent parser for JSON-like text (JSON5-ish and Python-dict-ish)."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)
        self.truncated = False

    def ws(self, i: int) -> int:
        s, n = self.s, self.n
        while i < n:
            c = s[i]
            if c.isspace():
                i += 1
            elif s.startswith("//", i) or c == "#":
                j = s.find("\n", i)
                i = n if j < 0 else j + 1
            elif s.startswith("/*", i):
                j = s.find("*/", i + 2)
                i = n if j < 0 else j + 2
            else:
                break
        return i

    def value(self, i: int, depth: int) -> tuple[Any, int]:
        if depth > _MAX_DEPTH:
            raise _Fail("too deep")
        i = self.ws(i)
        if i >= self.n:
            self.truncated = True
            raise _Fail("eof")
        c = self.s[i]
        if c == "{":
            return self.obj(i + 1, depth + 1)
        if c == "[":
            return self.arr(i + 1, depth + 1)
        if c in _QUOTES:
            return self.string(i)
        m = _NUM_RE.match(self.s, i)
        if m:
            return _number(m.group(0)), m.end()
        m = _WORD_RE.match(self.s, i)
        if m:
            w = m.group(0)
            low = w.lower()
            if low in _LITERALS:
                return _LITERALS[low], m.end()
            return w, m.end()  # an unquoted word, e.g. a preset name
        raise _Fail(f"unexpected {c!r}")

    def string(self, i: int) -> tuple[str, int]:
        close = _QUOTES[self.s[i]]
        alt = self.s[i]
        out: list[str] = []
        i += 1
        s, n = self.s, self.n
        while i < n:
            c = s[i]
            if c == "\\" and i + 1 < n:
                e = s[i + 1]
                if e == "u" and i + 6 <= n:
                    try:
                        out.append(chr(int(s[i + 2:i + 6], 16)))
                        i += 6
                        continue
                    except ValueError:
                        pass
                out.append(_ESCAPES.get(e, e))
                i += 2
                continue
            if c == close or c == alt:
                return "".join(out), i + 1
            if c == "\n" and close != '"':
                break  # an apostrophe inside prose, not a string
            out.append(c)
            i += 1
        if i >= n:
            self.truncated = True
        raise _Fail("unterminated string")

    def key(self, i: int) -> tuple[str, int]:
        if i < self.n and self.s[i] in _QUOTES:
            return self.string(i)
        m = _BARE_KEY_RE.match(self.s, i)
        if not m:
            raise _Fail("bad key")
        return m.group(0), m.end()

    def obj(self, i: int, depth: int) -> tuple[dict[str, Any], int]:
        out: dict[str, Any] = {}
        while True:
            i = self.ws(i)
            if i >= self.n:
                self.truncated = True
                return out, i
            c = self.s[i]
            if c == "}":
                return out, i + 1
            if c in ",;":
                i += 1
                continue
            try:
                k, i = self.key(i)
                i = self.ws(i)
                if i >= self.n:
                    self.truncated = True
                    return out, i
                if self.s[i] not in ":=":
                    raise _Fail("expected ':'")
                v, i = self.value(i + 1, depth)
            except _Fail:
                if self.truncated:
                    return out, self.n
                raise
            out[str(k)] = v

    def arr(self, i: int, depth: int) -> tuple[list[Any], int]:
        out: list[Any] = []
        while True:
            i = self.ws(i)
            if i >= self.n:
                self.truncated = True
                return out, i
            c = self.s[i]
            if c == "]":
                return out, i + 1
            if c == ",":
                i += 1
                continue
            try:
                v, i = self.value(i, depth)
            except _Fail:
                if self.truncated:
                    return out, self.n
                raise
            out.append(v)


def _number(tok: str) -> int | float:
    t = tok.rstrip("%")
    if len(t) > 60:
        try:
            return float(t)
        except ValueError:
            return math.nan
    try:
        return int(t)
    except ValueError:
        return float(t)


_DECODER = json.JSONDecoder()


def lenient_json(text: str, start: int = 0) -> tuple[Any, int, bool, bool]:
    """Parse one JSON-like value at ``start``.

    Returns ``(value, end, strict, truncated)``; ``strict`` is True when plain JSON sufficed.
    Raises ``ValueError`` when nothing usable is there.
    """
    try:
        v, end = _DECODER.raw_decode(text, start)
        return v, end, True, False
    except (ValueError, RecursionError):
        pass
    p = _Lenient(text)
    try:
        v, end = p.value(start, 0)
    except (_Fail, RecursionError) as e:
        raise ValueError(str(e)) from None
    return v, end, False, p.truncated


_FENCE_RE = re.compile(r"```[ \t]*(?:json5?|javascript|js|python|JSON)?[ \t]*\n?(.*?)(?:```|\Z)", re.DOTALL)
_MARKER_RE = re.compile(r"(?im)(?:^|[\s*_>#])(?:json|settings)\s*[*_]*\s*[:=\-]")


@dataclass
class _Found:
    value: Any
    start: int
    end: int
    strict: bool
    truncated: bool


def find_json(text: str) -> _Found | None:
    """Locate the settings object in an answer: after a ``JSON:`` marker, inside a code fence, or the
    first ``{`` that parses to an object."""
    starts: list[int] = []
    markers = list(_MARKER_RE.finditer(text))
    if markers:
        j = text.find("{", markers[-1].end())
        if j >= 0:
            starts.append(j)
    for m in _FENCE_RE.finditer(text):
        j = text.find("{", m.start(1), m.end(1) if m.end(1) > m.start(1) else None)
        if j >= 0:
            starts.append(j)
    j = text.find("{")
    count = 0
    while j >= 0 and count < _MAX_CANDIDATES:
        starts.append(j)
        count += 1
        j = text.find("{", j + 1)
    seen: set[int] = set()
    for st in starts:
        if st in seen:
            continue
        seen.add(st)
        try:
            v, end, strict, trunc = lenient_json(text, st)
        except ValueError:
            continue
        if isinstance(v, dict):
            return _Found(v, st, end, strict, trunc)
    return None


# ----------------------------------------------------------------------------------------------------------
# Rationale
# ----------------------------------------------------------------------------------------------------------

_LABELS = (r"(?:selective[ _-]?adjust(?:ment)?|adjust(?:ment)?|filter|rationale|reasoning|explanation"
           r"|thoughts?)")
#: A label such as ``ADJUST:``, ``**Filter** -`` or a heading ``### Rationale`` (alone on its line).
_LABEL_RE = re.compile(
    rf"(?im)^[ \t>#*_`-]*{_LABELS}[ \t]*(?:\([^)\n]*\))?[ \t]*[*_`]*[ \t]*"
    r"(?:[:\-\u2013\u2014]|$)[ \t]*[*_`]*")
_JSON_WORD_RE = re.compile(r"(?im)[*_`]*\bjson\b[*_`]*\s*[:=\-]?\s*$")


def _clean(text: str) -> str:
    text = re.sub(r"```[\w]*", " ", text)
    text = re.sub(r"[*_`]{2,}", "", text)
    text = " ".join(text.split()).strip(" -:*_`>#")
    return text[:MAX_RATIONALE_CHARS]


def _rationale(text: str, found: _Found | None) -> str:
    if found is not None:
        before, after = text[:found.start], text[found.end:]
    else:
        m = _MARKER_RE.search(text)
        before, after = (text[:m.start()], text[m.end():]) if m else (text, "")
    # drop a dangling "JSON:" / fence opener at the end of the part before the object
    before = re.sub(r"```[\w]*\s*$", "", before)
    before = _JSON_WORD_RE.sub("", before.rstrip())
    labels = list(_LABEL_RE.finditer(before))
    if labels:
        before = before[labels[-1].end():]
    r = _clean(before)
    if not r:
        after = re.sub(r"^\s*```", "", after)
        labels = list(_LABEL_RE.finditer(after))
        if labels:
            after = after[labels[-1].end():]
        r = _clean(after)
    return r


# ----------------------------------------------------------------------------------------------------------
# Tool-level normalisation
# ----------------------------------------------------------------------------------------------------------

_WRAPPERS = ("settings", "parameters", "params", "values", "json", "output", "answer")
_CHANNEL_ALIASES = {"sat": "saturation", "saturation": "saturation", "lum": "luminance",
                    "luminance": "luminance", "lightness": "luminance", "luma": "luminance",
                    "brightness": "luminance"}
_FLAT_SEL_RE = re.compile(r"^([a-z]+)[\s_.\-]*([a-z]+)$")
_NAME_ALIASES = ("name", "preset", "filter", "lut", "look", "preset_name", "filter_name")
_INTENSITY_ALIASES = (INTENSITY.name, "strength", "amount", "opacity", "mix", "blend")


def _tool_keys(tool: str) -> set[str]:
    if tool == "adjust":
        return {k.lower() for k in ADJUST_KEYS}
    if tool == "selective_adjust":
        return set(SELECTIVE_COLORS)
    return {"name", INTENSITY.name}


def _unwrap(tool: str, obj: dict[str, Any], flags: list[str]) -> Any:
    """Settings nested as ``{"adjust": {...}}`` / ``{"settings": {...}}`` (or a whole chain) are unwrapped."""
    for _ in range(3):
        if not isinstance(obj, dict):
            return obj
        low = {str(k).strip().lower(): k for k in obj}
        if set(low) & _tool_keys(tool) and tool != "filter":
            return obj
        if tool == "filter" and ("name" in low or "intensity" in low or "preset" in low):
            return obj
        inner_key = None
        short = "selective" if tool == "selective_adjust" else tool
        for cand in (tool, tool.replace("_", " "), short, *_WRAPPERS):
            if cand in low:
                inner_key = low[cand]
                break
        if inner_key is None:
            return obj
        inner = obj[inner_key]
        if tool == "filter" and isinstance(inner, str):
            return {"name": inner, **{k: v for k, v in obj.items() if k != inner_key}}
        if not isinstance(inner, dict):
            return obj
        flags.append(f"wrapped_json:{tool}")
        obj = inner
    return obj


def _norm_selective(obj: dict[str, Any], flags: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in obj.items():
        key = str(k).strip().lower()
        if key in SELECTIVE_COLORS:
            if isinstance(v, dict):
                inner: dict[str, Any] = {}
                for ck, cv in v.items():
                    ch = str(ck).strip().lower()
                    canon = _CHANNEL_ALIASES.get(ch)
                    if canon and canon != ch:
                        flags.append(f"renamed_key:selective_adjust.{key}.{ck}")
                    inner[canon or str(ck)] = cv
                prev = out.get(key)
                if isinstance(prev, dict):
                    prev.update(inner)
                else:
                    out[key] = inner
            else:
                out[key] = v
            continue
        m = _FLAT_SEL_RE.match(key)
        if m and m.group(1) in SELECTIVE_COLORS and m.group(2) in _CHANNEL_ALIASES:
            flags.append(f"renamed_key:selective_adjust.{k}")
            entry = out.setdefault(m.group(1), {})
            if isinstance(entry, dict):
                entry[_CHANNEL_ALIASES[m.group(2)]] = v
            continue
        out[str(k)] = v
    return out


def _norm_filter(obj: Any, flags: list[str]) -> Any:
    if not isinstance(obj, dict):
        return obj
    low = {str(k).strip().lower(): k for k in obj}
    out: dict[str, Any] = {}
    for alias in _NAME_ALIASES:
        if alias in low:
            out["name"] = obj[low[alias]]
            if alias != "name":
                flags.append(f"renamed_key:filter.{low[alias]}")
            break
    for alias in _INTENSITY_ALIASES:
        if alias in low:
            out[INTENSITY.name] = obj[low[alias]]
            if alias != INTENSITY.name:
                flags.append(f"renamed_key:filter.{low[alias]}")
            break
    if isinstance(out.get("name"), str):
        out["name"] = out["name"].strip().strip("'\"`").removesuffix(".cube")
    return out


def _chain_for(tool: str, settings: Any, presets: Iterable[str], flags: list[str]) -> ToolChain:
    report = clamp_chain({tool: settings}, presets)
    flags.extend(report.flags)
    c = report.chain
    parts: dict[str, Any]
    if tool == "adjust":
        parts = {"adjust": c.adjust}
    elif tool == "selective_adjust":
        parts = {"selective_adjust": c.selective_adjust}
    else:
        parts = {"filter": c.filter}
    return ToolChain.model_construct(**{"adjust": Adjust(), "selective_adjust": SelectiveAdjust(),
                                        "filter": Filter(), **parts})


def _missing(tool: str, obj: Any, chain: ToolChain, flags: list[str]) -> None:
    if not isinstance(obj, dict) or not obj:
        return
    if tool == "adjust" and chain.adjust.used:
        present = {str(k).strip().lower().replace("_", "") for k in obj}
        for k in ADJUST_KEYS:
            if k.lower() not in present:
                flags.append(f"missing_key:adjust.{k}")
    elif tool == "selective_adjust" and chain.selective_adjust.used:
        for c in SELECTIVE_COLORS:
            entry = obj.get(c)
            if not isinstance(entry, dict):
                flags.append(f"missing_key:selective_adjust.{c}")
                continue
            for ch in SELECTIVE_CHANNELS:
                if ch.name not in entry:
                    flags.append(f"missing_key:selective_adjust.{c}.{ch.name}")
    elif tool == "filter" and chain.filter.used and INTENSITY.name not in obj:
        flags.append(f"missing_key:filter.{INTENSITY.name}")


_BARE_NONE_RE = re.compile(r"(?i)^\s*[\"'`]?(none|null|no filter|n/a|\{\s*\})[\"'`]?\s*\.?\s*$")


def parse_answer(tool: str, text: Any, presets: Iterable[str] | None = None) -> ToolResult:
    """Parse the teacher's answer for ``tool``. Never raises.

    Args:
        tool: ``adjust``, ``selective_adjust`` or ``filter`` (anything else is treated as ``adjust``
            and flagged).
        text: the raw answer (non-strings are converted with ``str``; ``None`` is empty).
        presets: the valid filter preset names; default the installed presets.
    """
    flags: list[str] = []
    if tool not in TOOL_NAMES:
        flags.append(f"unknown_tool:{tool}")
        tool = "adjust"
    presets = preset_names() if presets is None else list(presets)
    try:
        s = "" if text is None else (text if isinstance(text, str) else str(text))
    except Exception:  # noqa: BLE001 -- a hostile __str__ must not break parsing
        s = ""
    s = s[:MAX_ANSWER_CHARS]
    found = find_json(s)
    settings: Any = {}
    if found is None:
        markers = list(_MARKER_RE.finditer(s))
        tail = s[markers[-1].end():] if markers else s
        first = tail.strip().splitlines()[0] if tail.strip() else ""
        word = _WORD_RE.fullmatch(first.strip().strip("'\"`.*"))
        if _BARE_NONE_RE.match(first):
            settings = {}
        elif tool == "filter" and markers and word:
            settings = _norm_filter({"name": word.group(0)}, flags)  # "JSON: winter"
            flags.append(f"lenient_json:{tool}")
        else:
            flags.append(f"no_json:{tool}")
    else:
        if not found.strict:
            flags.append(f"lenient_json:{tool}")
        if found.truncated:
            flags.append(f"truncated_json:{tool}")
        settings = _unwrap(tool, found.value, flags)
        if tool == "selective_adjust" and isinstance(settings, dict):
            settings = _norm_selective(settings, flags)
        elif tool == "filter":
            settings = _norm_filter(settings, flags)
    rationale = _rationale(s, found)
    if not rationale:
        flags.append(f"no_rationale:{tool}")
    chain = _chain_for(tool, settings, presets, flags)
    _missing(tool, settings, chain, flags)
    wire = chain.to_wire()[tool]
    return ToolResult(tool=tool, rationale=rationale, settings=wire, flags=flags, chain=chain)


#: Short alias: ``parse(tool, text, presets)``.
parse = parse_answer


def combine(results: Iterable[ToolResult]) -> tuple[ToolChain, dict[str, str], list[str]]:
    """Merge per-tool results into one chain, the rationale per tool, and all flags (in tool order)."""
    by_tool = {r.tool: r for r in results}
    parts: dict[str, Any] = {}
    rationale: dict[str, str] = {}
    flags: list[str] = []
    for t in TOOL_NAMES:
        r = by_tool.get(t)
        rationale[t] = r.rationale if r else ""
        if r is not None:
            flags.extend(r.flags)
            parts[t] = getattr(r.chain, t)
    chain = ToolChain.model_construct(adjust=parts.get("adjust", Adjust()),
                                      selective_adjust=parts.get("selective_adjust", SelectiveAdjust()),
                                      filter=parts.get("filter", Filter()))
    return chain, rationale, flags
