"""The dataset row format shared by the teacher, the vibes dataset, training and evaluation.

One JSON object per line::

    {"intent": "golden hour", "category": "time_of_day",
     "rationale": {"adjust": "...", "selective_adjust": "...", "filter": "..."},
     "adjust": {all 14 keys} or {}, "selective_adjust": {all 6 colours} or {},
     "filter": {"name": "faded_HighNoon", "intensity": 40},
     "calls": 12}

``category`` and ``calls`` are optional; so are ``concept`` (an id shared by the phrasing variants of one
look, e.g. ``"time_of_day/golden-hour"``), ``group`` (concepts that are the same look written twice --
"tulip field" / "tulip fields" -- share a group; the split keeps a group on one side) and ``phrasing``
(``"bare"`` for the clean request, ``"variant"`` for a rewording). Teacher-labelled rows may carry extra keys
(``flags``, ``usage``, ``latency_ms``, ``model``), which are kept in :attr:`VibeRow.extra`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vibegrade.files import atomic_write_text
from vibegrade.schema import (
    ADJUST_KEYS,
    SELECTIVE_COLORS,
    TOOL_NAMES,
    ToolChain,
    ValidationError,
    format_validation_error,
    preset_context,
)
from vibegrade.tools.filters import preset_names

__all__ = ["MAX_INTENT_CHARS", "VibeRow", "RowError", "clean_text", "clean_intent", "normalize_intent",
           "parse_row", "read_rows", "iter_rows", "write_rows"]

MAX_INTENT_CHARS = 300
_CORE_KEYS = {"intent", "concept", "group", "category", "phrasing", "rationale", "adjust", "selective_adjust",
              "filter", "calls"}
PHRASINGS = ("bare", "variant")


def clean_text(text: object, *, subject: str, max_chars: int, empty: str | None = None,
               reject_control: bool = False, strict: bool = True) -> str:
    """The one cleaner of short user text (requests, annotator names): characters that are not printable
    become spaces, whitespace runs become one space, the ends are trimmed.

    ``strict`` (default): raise ``ValueError`` with a message for the user, naming ``subject``, when ``text``
    is not a string, is empty after cleaning (``empty``: that message instead), is longer than
    ``max_chars``, or (``reject_control``) contains control characters other than whitespace. Not
    ``strict``: never raise; ``str(text)`` cleaned and cut to ``max_chars`` (text placed into a prompt).
    """
    if not strict:
        text = str(text)
    elif not isinstance(text, str):
        raise ValueError(f"{subject} must be text")
    elif reject_control and any(not ch.isprintable() and not ch.isspace() for ch in text):
        raise ValueError(f"{subject} must not contain control characters")
    t = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    if not strict:
        return t[:max_chars]
    if not t:
        raise ValueError(empty or f"{subject} must not be empty")
    if len(t) > max_chars:
        raise ValueError(f"{subject} is {len(t)} characters long; the limit is {max_chars}")
    return t


def clean_intent(text: object) -> str:
    """Validate a user request at the edge: returns it with whitespace collapsed and control characters
    removed, or raises ``ValueError`` with a message meant for the user (:func:`clean_text`).

    Anything else (symbols only, other languages, instructions aimed at the model) is a valid request:
    students map every text to a valid tool chain and never follow instructions in it.
    """
    return clean_text(text, subject="request", max_chars=MAX_INTENT_CHARS,
                      empty="empty request: describe the look you want, e.g. 'golden hour'")


def normalize_intent(text: str) -> str:
    """Case- and whitespace-insensitive key of a request (used for de-duplication, resume and joins)."""
    return " ".join(str(text).split()).casefold()


@dataclass
class VibeRow:
    intent: str
    chain: ToolChain
    rationale: dict[str, str] = field(default_factory=dict)
    category: str | None = None
    calls: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    concept: str | None = None
    phrasing: str | None = None
    group: str | None = None

    @property
    def key(self) -> str:
        return normalize_intent(self.intent)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"intent": self.intent}
        if self.concept is not None:
            out["concept"] = self.concept
        if self.group is not None:
            out["group"] = self.group
        if self.category is not None:
            out["category"] = self.category
        if self.phrasing is not None:
            out["phrasing"] = self.phrasing
        out["rationale"] = {t: self.rationale.get(t, "") for t in TOOL_NAMES}
        out.update(self.chain.to_wire())
        if self.calls is not None:
            out["calls"] = self.calls
        out.update(self.extra)
        return out


@dataclass
class RowError:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def parse_row(obj: Any, where: str = "row") -> tuple[VibeRow | None, list[RowError]]:
    """Validate one decoded JSON row. Returns the row (or None) and every problem found."""
    errs: list[RowError] = []

    def err(msg: str) -> None:
        errs.append(RowError(where, msg))

    if not isinstance(obj, dict):
        err("row must be a JSON object")
        return None, errs
    intent = obj.get("intent")
    if not isinstance(intent, str) or not intent.strip():
        err("intent must be a non-empty string")
        return None, errs
    if len(intent) > MAX_INTENT_CHARS:
        err(f"intent longer than {MAX_INTENT_CHARS} characters")
    for tool in TOOL_NAMES:
        if tool not in obj:
            err(f"missing {tool!r}")
    if errs:
        return None, errs
    try:
        chain = ToolChain.model_validate({t: obj[t] for t in TOOL_NAMES},
                                         context=preset_context(preset_names()))
    except ValidationError as e:
        err(format_validation_error(e))
        return None, errs
    adj, sel, flt = obj["adjust"], obj["selective_adjust"], obj["filter"]
    if adj and set(adj) != set(ADJUST_KEYS):
        err(f"adjust must be {{}} or list all 14 parameters (missing {sorted(set(ADJUST_KEYS) - set(adj))})")
    if adj and not chain.adjust.used:
        err("adjust is all zeros: write {} for an unused tool")
    if sel and set(sel) != set(SELECTIVE_COLORS):
        err("selective_adjust must be {} or list all 6 colours")
    if sel and not chain.selective_adjust.used:
        err("selective_adjust is all zeros: write {} for an unused tool")
    if isinstance(flt, dict):
        if chain.filter.used and chain.filter.intensity == 0:
            err("a used filter needs intensity > 0 (or name 'none')")
    rationale = obj.get("rationale", {})
    if rationale is None:
        rationale = {}
    if not isinstance(rationale, dict) or not all(isinstance(v, str) for v in rationale.values()):
        err("rationale must be an object of strings")
        rationale = {}
    category = obj.get("category")
    if category is not None and not isinstance(category, str):
        err("category must be a string")
        category = None
    concept = obj.get("concept")
    if concept is not None and (not isinstance(concept, str) or not concept.strip()):
        err("concept must be a non-empty string")
        concept = None
    group = obj.get("group")
    if group is not None and (not isinstance(group, str) or not group.strip()):
        err("group must be a non-empty string")
        group = None
    phrasing = obj.get("phrasing")
    if phrasing is not None and phrasing not in PHRASINGS:
        err(f"phrasing must be one of {', '.join(PHRASINGS)}")
        phrasing = None
    calls = obj.get("calls")
    if calls is not None and (not isinstance(calls, int) or isinstance(calls, bool) or calls < 0):
        err("calls must be a non-negative integer")
        calls = None
    extra = {k: v for k, v in obj.items() if k not in _CORE_KEYS}
    row = VibeRow(intent=intent, chain=chain, rationale=dict(rationale), category=category, calls=calls,
                  extra=extra, concept=concept, phrasing=phrasing, group=group)
    return row, errs


def iter_rows(path: str | os.PathLike[str]) -> Iterator[tuple[VibeRow | None, list[RowError], str]]:
    """Parse a JSONL file line by line, yielding ``(row or None, problems, "file:line")``.

    Never raises on bad content: problems are returned.
    """
    p = Path(path)
    with p.open(encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{p.name}:{lineno}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                yield None, [RowError(where, f"not valid JSON ({e.msg})")], where
                continue
            row, errs = parse_row(obj, where)
            yield row, errs, where


def read_rows(paths: Iterable[str | os.PathLike[str]], strict: bool = True) -> list[VibeRow]:
    """Read rows from JSONL files. With ``strict`` the first problem raises ``ValueError``."""
    rows: list[VibeRow] = []
    for path in paths:
        p = Path(path)
        if not p.is_file():
            raise ValueError(f"{p}: no such file")
        for row, errs, _ in iter_rows(p):
            if errs and strict:
                raise ValueError(str(errs[0]))
            if row is not None:
                rows.append(row)
    return rows


def write_rows(path: str | os.PathLike[str], rows: Iterable[VibeRow]) -> None:
    atomic_write_text(path, "".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in rows))
