"""``vibegrade data check``: schema, ranges, duplicates, usage rates and the preset histogram."""

from __future__ import annotations

import collections
import os
from pathlib import Path
from typing import Any, Iterable

from vibegrade.data.rows import iter_rows
from vibegrade.schema import TOOL_NAMES

__all__ = ["check_files"]


def check_files(paths: Iterable[str | os.PathLike[str]]) -> dict[str, Any]:
    """Check dataset files. Returns a JSON-ready report; ``errors`` lists every problem found."""
    paths = list(paths)
    errors: list[str] = []
    seen: dict[str, str] = {}
    used = collections.Counter()
    presets = collections.Counter()
    categories = collections.Counter()
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
        "usage": {t: round(used[t] / n, 4) if n else 0.0 for t in TOOL_NAMES},
        "presets": dict(presets.most_common()),
        "categories": dict(categories.most_common()),
        "rows_with_calls": with_calls,
        "errors": errors,
    }
