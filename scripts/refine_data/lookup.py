"""Print what the vibes dataset answers for a look, so a "more like X" triple moves toward the same look.

    .venv/bin/python scripts/refine_data/lookup.py "the matrix"
    .venv/bin/python scripts/refine_data/lookup.py P123          # a pool entry

Exact intent matches first, then intents containing the words; compact chains (non-zero values only).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def compact(row: dict) -> dict:
    adjust = {k: v for k, v in (row.get("adjust") or {}).items() if v}
    sel = {f"{c}.{k}": v for c, ch in (row.get("selective_adjust") or {}).items() for k, v in ch.items() if v}
    return {"adjust": adjust, "selective": sel, "filter": row.get("filter")}


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    q = sys.argv[1].strip().lower()
    if q.upper().startswith("P") and q[1:].isdigit():
        for line in (ROOT / "data/refine/pool.jsonl").open(encoding="utf-8"):
            item = json.loads(line)
            if item["id"].lower() == q:
                print(json.dumps(item, ensure_ascii=False))
                return
        sys.exit(f"no pool entry {q}")
    exact, partial = [], []
    for path in sorted((ROOT / "data/vibes").glob("*.jsonl")):
        for line in path.open(encoding="utf-8"):
            row = json.loads(line)
            intent = row["intent"].lower()
            if intent == q:
                exact.append(row)
            elif all(w in intent for w in q.split()) and row.get("phrasing") == "bare":
                partial.append(row)
    for row in (exact or partial)[:6]:
        print(f"{row['intent']!r} [{row['concept']}]: {json.dumps(compact(row))}")
    if not exact and not partial:
        print(f"no vibes row for {q!r}: author the look from the vibes STYLE_GUIDE")


if __name__ == "__main__":
    main()
