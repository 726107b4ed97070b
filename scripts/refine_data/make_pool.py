"""Draw the pool of starting looks ("before" chains) that refinement triples are written against.

Authoring aid, run once: picks bare rows of the vibes dataset, spread over categories (seeded), plus the
identity chain (a photo with no grade yet), and writes ``data/refine/pool.jsonl``: ``{"id", "intent",
"category", "chain"}``. Authors refer to a starting look by its id; ``build.py`` copies the chain into
each triple, so the triples are self-contained.

    .venv/bin/python scripts/refine_data/make_pool.py
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PER_CATEGORY = {"corrections": 40, "films_tv_games": 60, "compositional": 30, "places": 40,
                "art_styles": 35, "film_stocks_cameras": 35}
DEFAULT_PER_CATEGORY = 18


def main() -> None:
    rng = random.Random(20261205)
    by_cat: dict[str, list[dict]] = defaultdict(list)
    seen: set[str] = set()
    for path in sorted((ROOT / "data/vibes").glob("*.jsonl")):
        for line in path.open(encoding="utf-8"):
            row = json.loads(line)
            if row.get("phrasing") != "bare" or row["concept"] in seen:
                continue
            seen.add(row["concept"])
            by_cat[row["category"]].append(row)
    pool = [{"id": "P000", "intent": "(no grade yet)", "category": "identity",
             "chain": {"adjust": {}, "selective_adjust": {}, "filter": {"name": "none", "intensity": 0}}}]
    for cat in sorted(by_cat):
        rows = by_cat[cat]
        rng.shuffle(rows)
        for row in rows[: PER_CATEGORY.get(cat, DEFAULT_PER_CATEGORY)]:
            adjust = {k: v for k, v in (row.get("adjust") or {}).items() if v}
            sel = {c: {k: v for k, v in ch.items() if v}
                   for c, ch in (row.get("selective_adjust") or {}).items()}
            sel = {c: ch for c, ch in sel.items() if ch}
            pool.append({"id": "", "intent": row["intent"], "category": cat,
                         "chain": {"adjust": adjust, "selective_adjust": sel, "filter": row["filter"]}})
    for i, item in enumerate(pool[1:], start=1):
        item["id"] = f"P{i:03d}"
    out = ROOT / "data/refine/pool.jsonl"
    out.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pool), encoding="utf-8")
    print(f"wrote {len(pool)} starting looks to {out}")


if __name__ == "__main__":
    main()
