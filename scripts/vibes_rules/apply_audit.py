#!/usr/bin/env python3
"""Apply the v2.2 audits (STYLE_GUIDE §7.3: selective exactly when the request's words give a reason) to
the dataset files in place.

    .venv/bin/python scripts/vibes_rules/apply_audit.py

reads data/vibes/reviews/audit_v22_*.jsonl in their order: the first audit (``audit_v22_[1-6]``)
removed selective moves without a reason, the second (``audit_v22_add_*``) added them where the words
give one, the third (``audit_v22_variants_*``) split off the wordings that name a colour their bare
request does not (§8: wordings share one meaning). Each log line is one auditor's decision for one
concept: KEEP (nothing changes) or CHANGE (adjust, selective and the three rationales as the auditor
wrote them; without ``selective_adjust`` the move is emptied). ``split`` lists wordings that leave the
concept with the answer they had: each becomes a concept of its own (its bare wording), in the same
group, so the split by group does not move them. A concept decided in two logs takes the later
decision. Applying the logs twice changes nothing the second time.
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import vibes_authoring
from common import ROOT
from vibes_v2_build import slug

LOGS = ("audit_v22_[0-9].jsonl", "audit_v22_add_*.jsonl", "audit_v22_variants_*.jsonl")


def read_logs(reviews: Path) -> dict:
    """concept → its last decision, over the three audits in order."""
    edits: dict = {}
    for pattern in LOGS:
        round_seen: set = set()
        for p in sorted(reviews.glob(pattern)):
            for n, line in enumerate(p.open(encoding="utf-8"), 1):
                if not line.strip():
                    continue
                e = json.loads(line)
                if e["concept"] in round_seen:
                    sys.exit(f"{p}:{n}: concept {e['concept']} decided twice in one audit")
                round_seen.add(e["concept"])
                edits[e["concept"]] = e
    return edits


def changed_row(o: dict, e: dict, where: str) -> dict:
    """Row ``o`` with the auditor's adjust, selective and rationales (checked and expanded as an authored
    row is, by scripts/vibes_authoring.py)."""
    compact = {"concept": "x", "category": o["category"], "phrasings": [o["intent"]],
               "rationale": dict(e["rationale"]), "adjust": e["adjust"],
               "selective_adjust": e.get("selective_adjust") or {}, "filter": o["filter"]}
    probs = vibes_authoring.problems(compact)
    if probs:
        sys.exit(f"{where}: {o['intent']!r}: {probs}")
    full = vibes_authoring.expand(compact)[0]
    return {**o, "adjust": full["adjust"], "selective_adjust": full["selective_adjust"],
            "rationale": full["rationale"]}


def main() -> None:
    edits = read_logs(ROOT / "data/vibes/reviews")
    files = sorted((ROOT / "data/vibes").glob("*.jsonl"))
    data = {f: [json.loads(line) for line in f.open(encoding="utf-8") if line.strip()] for f in files}
    concepts = {o["concept"] for rows in data.values() for o in rows}
    changed = split = 0
    for f, rows in data.items():
        out = []
        for o in rows:
            e = edits.get(o["concept"])
            new = o
            if e is not None and e["decision"] == "CHANGE":
                if o["intent"] in (e.get("split") or []):
                    cid = f"{o['category']}/{slug(o['intent'])}"
                    k = 2
                    while cid in concepts:
                        cid = f"{o['category']}/{slug(o['intent'])}-{k}"
                        k += 1
                    concepts.add(cid)
                    new = {**o, "concept": cid, "phrasing": "bare"}
                    split += 1
                else:
                    new = changed_row(o, e, f.name)
            if new != o:
                changed += 1
            out.append(new)
        data[f] = out
    for f, rows in data.items():
        text = "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in rows)
        if text != f.read_text(encoding="utf-8"):
            f.write_text(text, encoding="utf-8")
    print(f"{len(edits)} concepts decided, {changed} rows changed, {split} wordings split off")


if __name__ == "__main__":
    main()
