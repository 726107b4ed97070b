"""Write the meanings files a blind-set author works from (one file per author, every n-th meaning).

Each line is one meaning (concept) of the main files: its op, the plainest wording (``bare_request``),
one example (for ``edit``: a request with the values it changed; ``toward``: look and amount;
``replace``: look) and every wording that already exists in the main files and the blind sets, which
the author must not repeat. Authors get these files and the blind-set brief, nothing else.

    .venv/bin/python scripts/refine_data/make_meanings.py OUTDIR --authors 2
        # OUTDIR/MEANINGS_A.jsonl, OUTDIR/MEANINGS_B.jsonl: meanings 0, 2, 4 … to A; 1, 3, 5 … to B
    .venv/bin/python scripts/refine_data/make_meanings.py OUTDIR --groups "wb,history,toward,replace;colour"
        # by kind instead (the concept id's second part): A gets wb/… history/… toward/… replace/…, B colour/…
"""

from __future__ import annotations

import argparse
import json
import string
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data/refine"


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _changes(row: dict) -> dict[str, object]:
    """The values an edit row changed, as ``{"temperature": "35 -> 47", …}``."""
    out: dict[str, object] = {}
    b, a = row["before"], row["after"]
    for k, v in a["adjust"].items():
        if b["adjust"].get(k, 0) != v:
            out[k] = f"{b['adjust'].get(k, 0)} -> {v}"
    for colour, vals in a.get("selective_adjust", {}).items():
        for k, v in vals.items():
            old = b.get("selective_adjust", {}).get(colour, {}).get(k, 0)
            if old != v:
                out[f"{colour} {k}"] = f"{old} -> {v}"
    fb, fa = b["filter"], a["filter"]
    if (fb["name"], fb["intensity"]) != (fa["name"], fa["intensity"]):
        out["filter"] = f"{fb['name']} {fb['intensity']} -> {fa['name']} {fa['intensity']}"
    return out


def meanings() -> list[dict]:
    main = [r for p in sorted(DATA.glob("*.jsonl")) if p.name != "pool.jsonl" for r in _rows(p)]
    blind = [r for p in sorted(DATA.glob("blind*/triples.jsonl")) for r in _rows(p)]
    by_concept: dict[str, list[dict]] = defaultdict(list)
    for r in main:
        by_concept[r["concept"]].append(r)
    wordings: dict[str, list[str]] = defaultdict(list)
    for r in main + blind:
        if r["request"] not in wordings[r["concept"]]:
            wordings[r["concept"]].append(r["request"])
    out = []
    for concept in sorted(by_concept):
        rows = by_concept[concept]
        bare = next((r for r in rows if r["phrasing"] == "bare"), rows[0])
        m: dict = {"concept": concept, "op": bare["op"], "bare_request": bare["request"]}
        if bare["op"] == "edit":
            m["example"] = {"request": bare["request"], "changed": _changes(bare)}
        elif bare["op"] == "toward":
            m["example"] = {"look": bare["look"], "amount": bare["amount"]}
        elif bare["op"] == "replace":
            m["example"] = {"look": bare["look"]}
        m["existing_wordings"] = wordings[concept]
        out.append(m)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--authors", type=int, default=2)
    ap.add_argument("--groups", help="semicolon-separated author groups of comma-separated kinds")
    args = ap.parse_args()
    ms = meanings()
    if args.groups:
        groups = [{k.strip() for k in g.split(",") if k.strip()} for g in args.groups.split(";")]
        parts = [[m for m in ms if m["concept"].split("/")[1] in g] for g in groups]
    else:
        parts = [ms[k::args.authors] for k in range(args.authors)]
    if not 1 <= len(parts) <= 26 or not all(parts):
        raise SystemExit("make_meanings: 1..26 authors, each with at least one meaning")
    args.outdir.mkdir(parents=True, exist_ok=True)
    for k, part in enumerate(parts):
        path = args.outdir / f"MEANINGS_{string.ascii_uppercase[k]}.jsonl"
        path.write_text("".join(json.dumps(m, ensure_ascii=False) + "\n" for m in part))
        print(f"{path}: {len(part)} meanings")


if __name__ == "__main__":
    main()
