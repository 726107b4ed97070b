"""Inter-author agreement of refinement triples: a second author's blind answers against the dataset's.

    .venv/bin/python scripts/refine_data/agreement.py KEY.jsonl SECOND.jsonl [--json OUT]

Both files are full rows (``build.py`` output) in the same order (field ``n``). Reports op agreement, the
project's metric on the next chains (second author as prediction, first as truth; history rows by op
only), direction agreement (``evaluation/refine_metrics.direction_correct``: every value the first author
moved by 5 or more moves the same way for the second) and restraint.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from vibegrade.evaluation.refine_metrics import score_refinements  # noqa: E402
from vibegrade.schema import ToolChain  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("key", type=Path)
    ap.add_argument("second", type=Path)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    key = [json.loads(x) for x in a.key.open(encoding="utf-8")]
    sec = [json.loads(x) for x in a.second.open(encoding="utf-8")]
    if len(key) != len(sec) or any(k["request"] != s["request"] for k, s in zip(key, sec)):
        sys.exit("the two files must hold the same requests in the same order")

    def chain(x):
        return None if x is None else ToolChain.model_validate(x)

    rep = score_refinements([ToolChain.model_validate(k["before"]) for k in key],
                            [chain(s["after"]) for s in sec],
                            [chain(k["after"]) for k in key], [s["op"] for s in sec], [k["op"] for k in key])
    rep.pop("tools", None)
    print(json.dumps(rep, indent=1))
    if a.json:
        a.json.write_text(json.dumps(rep, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
