#!/usr/bin/env python3
"""Fresh blind sample: 300 requests, one per concept, no concept (or concept group) of an earlier sample
(data/vibes/agreement/second_author_[ab].jsonl and every sample_*_key.jsonl). Writes blind_a.txt,
blind_b.txt (150 requests each) and blind_key.jsonl.

    .venv/bin/python scripts/vibes_rules/draw_blind.py OUT_DIR [SEED]

v2.1 sample: seed 2027 (before sample_v21_key.jsonl existed); v2.2 sample: seed 2028."""
import collections
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, load_data  # also puts src/ on sys.path

from vibegrade.data.rows import normalize_intent

rows = load_data()
by_key = {normalize_intent(o["intent"]): o for o in rows}
ex_slugs, ex_concepts, ex_groups = set(), set(), set()
for p in sorted((ROOT / "data/vibes/agreement").glob("second_author_[ab].jsonl")):
    for line in p.open():
        if not line.strip():
            continue
        obj = json.loads(line)
        ex_slugs.add(obj["concept"])
        for ph in obj.get("phrasings", []):
            o = by_key.get(normalize_intent(ph))
            if o:
                ex_concepts.add(o["concept"])
                ex_groups.add(o["group"])
for p in sorted((ROOT / "data/vibes/agreement").glob("sample_*_key.jsonl")):
    for line in p.open():
        if line.strip():
            ex_concepts.add(json.loads(line)["concept"])
for o in rows:
    if o["concept"] in ex_concepts:
        ex_groups.add(o["group"])
for o in rows:
    if o["concept"].split("/", 1)[-1] in ex_slugs:
        ex_concepts.add(o["concept"])
        ex_groups.add(o["group"])
concepts = collections.defaultdict(list)
for o in rows:
    if o["concept"] in ex_concepts or o["group"] in ex_groups:
        continue
    concepts[o["concept"]].append(o)
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 2027)
chosen = rng.sample(sorted(concepts), 300)
picks = [rng.choice(concepts[c]) for c in chosen]
assert len({normalize_intent(o["intent"]) for o in picks}) == 300
out = Path(sys.argv[1] if len(sys.argv) > 1 else "out/vibes_rules")
out.mkdir(parents=True, exist_ok=True)
with (out / "blind_key.jsonl").open("w") as k:
    for half, sl in (("a", picks[:150]), ("b", picks[150:])):
        (out / f"blind_{half}.txt").write_text("".join(o["intent"] + "\n" for o in sl))
        for o in sl:
            k.write(json.dumps({"set": half, "request": o["intent"], "file": o["_file"], "line": o["_line"],
                                "concept": o["concept"], "category": o["category"],
                                "phrasing": o["phrasing"]},
                               ensure_ascii=False) + "\n")
print("excluded concepts", len(ex_concepts), "groups", len(ex_groups), "eligible concepts", len(concepts))
print(collections.Counter(o["category"] for o in picks).most_common())
print(collections.Counter(o["phrasing"] for o in picks))
