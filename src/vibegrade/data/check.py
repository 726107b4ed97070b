"""``vibegrade data check``: schema, ranges, duplicates, usage rates and the preset histogram.

Beyond the row format, two authoring rules are enforced (data/vibes/STYLE_GUIDE.md §6):

* **no silent no-ops**: a request never gets an answer with every tool empty;
* **rationales agree with settings**: a tool's rationale starts with "Not needed" exactly when the
  tool is unused, the filter rationale names the chosen preset and no other, and no other rationale
  names a preset the row does not use.
"""

from __future__ import annotations

import collections
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vibegrade.data.rows import VibeRow, iter_rows
from vibegrade.schema import TOOL_NAMES
from vibegrade.tools.filters import preset_names

__all__ = ["check_files", "row_problems"]

_WORD = re.compile(r"[A-Za-z_0-9]+")
NOT_NEEDED = "not needed"


def mentioned_presets(text: str, presets: Iterable[str]) -> set[str]:
    """Preset names a rationale refers to.

    Names that are not ordinary words (``faded_Retro``, ``teal_and_orange_2``) count wherever they
    appear; names that are also English words (``vivid``, ``negative``, ``winter``) count only when
    they read as a preset: quoted or back-ticked, or next to "preset", "filter" or "LUT".
    """
    words = set(_WORD.findall(text))
    out = set()
    for name in presets:
        if name not in words:
            continue
        if "_" in name or name != name.lower() or not name.isalpha():
            out.add(name)
            continue
        n = re.escape(name)
        if re.search(
            rf"[`'\"]{n}[`'\"]|\b(preset|filter|lut)\s+{n}\b|\b{n}\s+(preset|filter|lut)\b", text, re.I):
            out.add(name)
    return out


def row_problems(row: VibeRow, presets: Iterable[str]) -> list[str]:
    """Authoring-rule problems of one row (empty list: fine). ``presets``: every known preset name."""
    out: list[str] = []
    used = row.chain.used()
    if not any(used.values()):
        out.append("all tools empty: an explicit request never gets an all-empty answer")
    rat = row.rationale
    if not all(isinstance(rat.get(t), str) and rat[t].strip() for t in TOOL_NAMES):
        return out  # rows without a full rationale (e.g. from request logs) are checked for no-ops only
    names = set(presets)
    chosen = row.chain.filter.name if used["filter"] else None
    for tool in TOOL_NAMES:
        text = rat[tool].strip()
        says_unused = text.lower().startswith(NOT_NEEDED)
        if says_unused and used[tool]:
            out.append(f"rationale of {tool} says 'Not needed' but {tool} is used")
        elif not says_unused and not used[tool]:
            out.append(f"{tool} is unused but its rationale does not start with 'Not needed'")
        named = mentioned_presets(text, names) - ({chosen} if chosen else set())
        if named:
            out.append(f"rationale of {tool} names presets the row does not use: {', '.join(sorted(named))}")
    if chosen and chosen not in _WORD.findall(rat["filter"]):
        out.append(f"filter rationale does not name the chosen preset {chosen}")
    return out


def check_files(paths: Iterable[str | os.PathLike[str]]) -> dict[str, Any]:
    """Check dataset files. Returns a JSON-ready report; ``errors`` lists every problem found."""
    paths = list(paths)
    known = list(preset_names())
    errors: list[str] = []
    concepts: set[str] = set()
    seen: dict[str, str] = {}
    used: collections.Counter[str] = collections.Counter()
    presets: collections.Counter[str] = collections.Counter()
    categories: collections.Counter[str] = collections.Counter()
    n = 0
    with_calls = 0
    for path in paths:
        p = Path(path)
        if not p.is_file():
            errors.append(f"{p}: no such file")
            continue
        for row, errs, where in iter_rows(p):
            errors.extend(str(e) for e in errs)
            if row is None:
                continue
            n += 1
            errors.extend(f"{where}: {msg}" for msg in row_problems(row, known))
            if row.concept:
                concepts.add(row.concept)
            if row.key in seen:
                errors.append(f"{where}: duplicate request {row.intent!r} (first seen at {seen[row.key]})")
            else:
                seen[row.key] = where
            for tool, u in row.chain.used().items():
                used[tool] += int(u)
            if row.chain.filter.used:
                presets[row.chain.filter.name] += 1
            categories[row.category or "(none)"] += 1
            with_calls += row.calls is not None
    return {
        "files": [str(p) for p in paths],
        "rows": n,
        "unique_intents": len(seen),
        "concepts": len(concepts),
        "usage": {t: round(used[t] / n, 4) if n else 0.0 for t in TOOL_NAMES},
        "presets": dict(presets.most_common()),
        "categories": dict(categories.most_common()),
        "rows_with_calls": with_calls,
        "errors": errors,
    }
