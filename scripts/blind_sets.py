"""What the blind-set eval scripts share (``plain_corrections_eval``, ``modifiers_eval``,
``combined_changes_eval``, ``look_strength_eval``, ``slider_settings_eval``): the command line, the
authors' rows, the student and the figures out. Each script keeps its own labels, rules and scores."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def parser(doc: str, failures: str, example: str = "a,b") -> argparse.ArgumentParser:
    """The options every eval takes: ``--authors``, ``--model``, ``--json`` and ``--failures`` (its help:
    ``failures``); the description is the first paragraph of ``doc``."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--authors", default="", help=f"comma-separated authors (default: all), e.g. {example}")
    ap.add_argument("--model", type=Path, help="a student folder (default: the shipped one)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--failures", action="store_true", help=failures)
    return ap


def authors(arg: str) -> list[str]:
    """The authors of ``--authors`` ("a,b"; empty: all)."""
    return [x for x in arg.split(",") if x]


def read_author_rows(authors: list[str] | None, data: Path, prog: str,
                     valid: Callable[[dict], bool]) -> list[dict]:
    """The rows of ``data``/author_*.jsonl (of ``authors`` only, where given), each tagged with its author;
    a line that is not JSON, or a row that is not a dict that ``valid`` accepts, exits with its file and
    line; no rows at all exits naming the authors there."""
    rows = []
    paths = sorted(data.glob("author_*.jsonl"))
    if authors:
        paths = [p for p in paths if p.stem.removeprefix("author_") in authors]
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"{prog}: {path.name}:{n}: not JSON ({e.msg})")
            if not isinstance(r, dict) or not valid(r):
                sys.exit(f"{prog}: {path.name}:{n}: bad row {line[:80]!r}")
            rows.append({**r, "author": path.stem.removeprefix("author_")})
    if not rows:
        have = sorted(p.stem.removeprefix("author_") for p in data.glob("author_*.jsonl"))
        sys.exit(f"{prog}: no rows for authors {authors or 'any'} in {data} "
                 f"(authors there: {','.join(have) or 'none'})")
    return rows


def student(model: Path | None, prog: str) -> Any:
    """The student of ``--model`` (default: the shipped one); a folder that is not one exits with why."""
    from vibegrade.students import StudentLoadError, load_student

    try:
        return load_student(model)
    except StudentLoadError as e:
        sys.exit(f"{prog}: {e}")


def moved(chain: Any) -> str:
    """The values a chain moves, compactly: adjust by name, selective as (saturation, luminance), the
    preset and its intensity."""
    adj = {k: v for k, v in chain.adjust.to_wire().items() if v}
    sel = {c: (v["saturation"], v["luminance"]) for c, v in chain.selective_adjust.model_dump().items()
           if v["saturation"] or v["luminance"]}
    flt = f" [{chain.filter.name} {chain.filter.intensity}]" if chain.filter.used else ""
    return f"{adj} {sel}{flt}"


def emit(out: dict, path: Path | None) -> None:
    """Print the figures as JSON, and write them to ``path`` where given."""
    text = json.dumps(out, indent=1)
    print(text)
    if path:
        path.write_text(text + "\n", encoding="utf-8")
