#!/usr/bin/env python3
"""Add rows of the vibes data that a trained student does not hold yet to its answer memory, embedded by
its own encoder, without retraining it (``students.encoder_training.extend_memory``).

    .venv/bin/python scripts/vibes_extend_memory.py --model src/vibegrade/students/default_model \\
        --note "v2.3: 20 common looks" data/vibes/common_looks.jsonl

The files are checked as the dataset is (``vibegrade data check``'s rules); a file with errors adds
nothing and exits 1. The encoder and heads keep what they learnt from their training rows: a request near
a new row finds it as its neighbour and a new request is answered word for word, but the new rows teach
the encoder nothing (docs/experiments.md says which rows a shipped model was trained on).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path, help="vibes data files (JSONL rows)")
    ap.add_argument("--model", type=Path, required=True, help="a trained encoder student's folder")
    ap.add_argument("--note", required=True, help="what the rows are (kept in the model's config.json)")
    a = ap.parse_args(argv)

    from vibegrade.data.check import check_files
    from vibegrade.data.rows import read_rows
    from vibegrade.students.encoder_training import extend_memory

    for f in a.files:
        if not f.is_file():
            print(f"vibes_extend_memory: {f}: no such file", file=sys.stderr)
            return 1
    rep = check_files(a.files)
    if rep["errors"]:
        print(f"vibes_extend_memory: {len(rep['errors'])} problems, nothing added:", file=sys.stderr)
        for e in rep["errors"][:20]:
            print(f"  {e}", file=sys.stderr)
        return 1
    if not (a.model / "memory.jsonl").is_file():
        print(f"vibes_extend_memory: {a.model}: not a trained student (no memory.jsonl)", file=sys.stderr)
        return 1
    print(json.dumps(extend_memory(a.model, read_rows(a.files), a.note)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
