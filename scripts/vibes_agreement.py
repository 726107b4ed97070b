#!/usr/bin/env python3
"""Inter-author agreement: blind second labels of a random sample of requests, scored against the
dataset's answers with the project's metric (the dataset's answer as truth, the second author's as
prediction; data/vibes/agreement/).

    .venv/bin/python scripts/vibes_agreement.py data/vibes/agreement/second_author_*.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))


def main(argv: list[str]) -> int:
    import vibes_authoring

    from vibegrade.data.rows import normalize_intent, parse_row, read_rows
    from vibegrade.evaluation.metrics import evaluate_chains

    data = {r.key: r for r in read_rows(sorted((ROOT / "data/vibes").glob("*.jsonl")))}
    second, first, missing = [], [], []
    for path in argv:
        for _, obj in vibes_authoring._read(path):
            for row in vibes_authoring.expand(obj):
                key = normalize_intent(row["intent"])
                if key not in data:
                    missing.append(row["intent"])
                    continue
                second.append(parse_row(row)[0].chain)
                first.append(data[key].chain)
    rep = evaluate_chains(second, first)
    out = {"n": len(second), "missing": missing, "overall": rep["overall"],
           "tools": {t: {k: v[k] for k in ("selection_f1", "quality", "final")}
                     for t, v in rep["tools"].items()}}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
