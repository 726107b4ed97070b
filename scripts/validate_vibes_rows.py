"""Quick validator for hand-authored vibes dataset files (the full checker is `vibegrade data check`).

Usage: .venv/bin/python scripts/validate_vibes_rows.py data/vibes/FILE.jsonl [...]
Prints problems per line, usage rates and the preset histogram; exit code 1 on any problem.
"""

from __future__ import annotations

import collections
import json
import sys

from vibegrade.schema import ADJUST_KEYS, SELECTIVE_COLORS, parse_chain


def main(paths: list[str]) -> int:
    problems = 0
    seen: dict[str, str] = {}
    n = 0
    used = collections.Counter()
    presets = collections.Counter()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = f"{path}:{lineno}"
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    print(f"{where}: bad JSON: {e}")
                    problems += 1
                    continue
                n += 1
                missing = {"intent", "category", "rationale", "adjust", "selective_adjust", "filter"} - set(row)
                if missing:
                    print(f"{where}: missing keys {sorted(missing)}")
                    problems += 1
                    continue
                intent = row["intent"]
                if not isinstance(intent, str) or not intent.strip() or len(intent) > 300:
                    print(f"{where}: bad intent {intent!r}")
                    problems += 1
                key = " ".join(str(intent).lower().split())
                if key in seen:
                    print(f"{where}: duplicate intent {intent!r} (first at {seen[key]})")
                    problems += 1
                seen[key] = where
                r = row["rationale"]
                if not (isinstance(r, dict) and set(r) == {"adjust", "selective_adjust", "filter"}
                        and all(isinstance(v, str) and v.strip() for v in r.values())):
                    print(f"{where}: rationale must have non-empty adjust, selective_adjust, filter strings")
                    problems += 1
                try:
                    chain = parse_chain({k: row[k] for k in ("adjust", "selective_adjust", "filter")})
                except ValueError as e:
                    print(f"{where}: {e}")
                    problems += 1
                    continue
                if row["adjust"] and set(row["adjust"]) != set(ADJUST_KEYS):
                    print(f"{where}: adjust must be {{}} or have all 14 keys")
                    problems += 1
                if row["adjust"] and not chain.adjust.used:
                    print(f"{where}: adjust is all zeros: write {{}} instead")
                    problems += 1
                if row["selective_adjust"] and set(row["selective_adjust"]) != set(SELECTIVE_COLORS):
                    print(f"{where}: selective_adjust must be {{}} or have all 6 colours")
                    problems += 1
                if row["filter"]["name"] == "none" and row["filter"].get("intensity", 0) != 0:
                    print(f"{where}: filter none must have intensity 0")
                    problems += 1
                if row["filter"]["name"] != "none" and row["filter"].get("intensity", 0) == 0:
                    print(f"{where}: a used filter needs intensity > 0")
                    problems += 1
                for tool, u in chain.used().items():
                    used[tool] += u
                if chain.filter.used:
                    presets[chain.filter.name] += 1
    print(f"rows {n}, unique intents {len(seen)}")
    for tool in ("adjust", "selective_adjust", "filter"):
        print(f"  {tool:17s} used in {used[tool] / max(n, 1):.0%}")
    print("  presets:", ", ".join(f"{k} {v}" for k, v in presets.most_common()))
    print(f"problems: {problems}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
