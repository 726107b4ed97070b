#!/usr/bin/env python3
"""Assemble vibes v2 from the round-one rows and the v2 authoring batches (run once per data drop).

    .venv/bin/python scripts/vibes_v2_build.py --authoring DIR [--apply]

What it does, in order (it never invents or changes a setting; every answer comes from an author):

1. Round-one rows (data/vibes/<round-one files>) get a ``concept`` id: rows of one category with
   identical settings were written as phrasing variants of one concept. The first row of a concept is
   its ``bare`` phrasing, the others ``variant``.
2. Round-one rows listed in ``DIR/v1_fixes.jsonl`` are replaced by their re-authored answers (all of
   them were all-empty answers to explicit requests).
3. Rationales of unused tools in round-one rows get the "Not needed: " prefix the style guide now
   requires (the text after it is unchanged).
4. Each authoring batch ``DIR/<batch>.jsonl`` is checked and expanded (scripts/vibes_authoring.py) into
   data/vibes/<batch>.jsonl; a phrasing that already exists (case-insensitive) is dropped.
5. Concepts that are the same look written twice (same key after dropping filler words, plurals,
   hyphens and case: "tulip field" / "tulip fields", "post apocalyptic" / "post-apocalyptic") or whose
   bare phrasings are near-identical for the plain MiniLM encoder (cosine >= 0.93) share a ``group``
   (the split keeps a group on one side), so no look can sit on both sides of the split.

Without ``--apply`` it only prints what it would do.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import vibes_authoring  # noqa: E402

V1_FILES = ("colors_effects_corrections", "films_tv_games", "moods_weather_time", "nature_objects_genres",
            "people_art_film", "places")
TOOLS = ("adjust", "selective_adjust", "filter")
FILLER = {"vibe", "vibes", "vibey", "look", "looking", "style", "styled", "filter", "aesthetic", "effect",
          "feel", "please", "pls", "plz", "make", "it", "like", "the", "a", "an", "photo", "pic", "picture",
          "image", "edit", "grade", "grading", "color", "colour", "this", "my", "me", "give", "want", "i",
          "can", "you", "u", "of", "in", "with", "to", "some", "lut", "preset", "mode", "tone", "tones",
          "shot", "on"}


def concept_key(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).lower().replace("&", " and ")
    words = [w for w in re.findall(r"[a-z0-9]+", t)]
    core = [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words
            if w not in FILLER]
    return " ".join(core) or " ".join(words)


def slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-",
               unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower())
    return s.strip("-")[:60] or "x"


def unused(row: dict, tool: str) -> bool:
    if tool == "filter":
        return row["filter"]["name"] == "none" or not row["filter"]["intensity"]
    vals = row[tool]
    if tool == "selective_adjust":
        return not any(v for d in vals.values() for v in d.values())
    return not any(vals.values())


def fix_rationale(row: dict) -> int:
    n = 0
    for t in TOOLS:
        text = row["rationale"].get(t, "").strip()
        if unused(row, t) and text and not text.lower().startswith("not needed"):
            row["rationale"][t] = "Not needed: " + text[0].lower() + text[1:]
            n += 1
    return n


class DSU:
    def __init__(self) -> None:
        self.p: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.p.setdefault(x, x)
        while self.p[x] != x:
            self.p[x] = self.p[self.p[x]]
            x = self.p[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.p[max(ra, rb)] = min(ra, rb)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--authoring", type=Path, required=True)
    ap.add_argument("--apply", action="store_true")
    ap.add_argument("--merge-cos", type=float, default=0.93)
    a = ap.parse_args()
    data = ROOT / "data/vibes"

    files: dict[str, list[dict]] = {}
    for name in V1_FILES:
        rows = [json.loads(x) for x in (data / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
                if x.strip()]
        files[name] = rows
    v1_count = sum(len(r) for r in files.values())

    # 1. concepts of round-one rows (recomputed on every run, so the result does not depend on earlier runs)
    for name, rows in files.items():
        first: dict[tuple[str, str], str] = {}
        for r in rows:
            key = (r.get("category") or name, json.dumps({t: r[t] for t in TOOLS}, sort_keys=True))
            if key not in first:
                first[key] = f"{key[0]}/{slug(r['intent'])}"
                r["phrasing"] = "bare"
            else:
                r["phrasing"] = "variant"
            r["concept"] = first[key]
        for r in rows:
            r.setdefault("round", 1)

    # 2. re-authored round-one rows
    fixes = {}
    fix_path = a.authoring / "v1_fixes.jsonl"
    if fix_path.is_file():
        for n, obj in vibes_authoring._read(str(fix_path)):
            errs = ["bad JSON"] if isinstance(obj, Exception) else vibes_authoring.problems(obj)
            if errs:
                print(f"v1_fixes:{n}: {errs}")
                continue
            for row in vibes_authoring.expand(obj):
                row["fixes"] = obj["phrasings"][0].lower()  # the round-one request this concept re-answers
                fixes[row["intent"].lower()] = row
    replaced = 0
    for rows in files.values():
        for i, r in enumerate(rows):
            new = fixes.get(r["intent"].lower())
            if new is not None:
                keep = {"concept": r["concept"], "phrasing": r["phrasing"], "round": 1}
                rows[i] = {**new, **keep, "intent": r["intent"]}
                replaced += 1
    existing = {r["intent"].lower() for rows in files.values() for r in rows}
    concept_of = {r["intent"].lower(): r["concept"] for rows in files.values() for r in rows}
    extra_fix_rows = []
    for k, r in fixes.items():
        if k not in existing:  # new wordings of a fixed round-one look join that look's concept
            extra_fix_rows.append({**r, "concept": concept_of.get(r["fixes"], r["concept"]),
                                   "phrasing": "variant"})
    for r in list(fixes.values()) + extra_fix_rows:
        r.pop("fixes", None)

    # 3. rationale prefix
    prefixed = sum(fix_rationale(r) for rows in files.values() for r in rows)

    # 4. authoring batches
    seen = set(existing)
    dropped = collections.Counter()
    # relabel_*.jsonl are blind second labels for the agreement measurement, not dataset rows
    batches = sorted(p for p in a.authoring.glob("*.jsonl")
                     if p.name != "v1_fixes.jsonl" and not p.name.startswith("relabel_"))
    for path in batches:
        out = []
        for n, obj in vibes_authoring._read(str(path)):
            errs = ["bad JSON"] if isinstance(obj, Exception) else vibes_authoring.problems(obj)
            if errs:
                print(f"{path.name}:{n}: skipped: {errs[0]}")
                dropped[path.stem + ":invalid"] += 1
                continue
            for row in vibes_authoring.expand(obj):
                k = row["intent"].lower()
                if k in seen:
                    dropped[path.stem + ":duplicate"] += 1
                    continue
                seen.add(k)
                row["round"] = 2
                out.append(row)
        files[path.stem] = out
    if extra_fix_rows:
        files.setdefault("corrections", []).extend(dict(r, round=2) for r in extra_fix_rows
                                                   if r["intent"].lower() not in seen)

    # a concept whose bare phrasing was dropped as a duplicate gets its first remaining phrasing as bare
    by_concept: dict[str, list[dict]] = collections.defaultdict(list)
    for rows in files.values():
        for r in rows:
            by_concept[r["concept"]].append(r)
    for rows in by_concept.values():
        if not any(r["phrasing"] == "bare" for r in rows):
            rows[0]["phrasing"] = "bare"

    # 5. merge concepts that are the same look
    from vibegrade.students.direction import conflicts

    dsu = DSU()
    key_owner: dict[str, tuple[str, str]] = {}
    for c, rows in by_concept.items():
        dsu.find(c)
        for r in rows:
            k = concept_key(r["intent"])
            for key in (k, "bag:" + " ".join(sorted(k.split()))):  # "red duotone" / "duotone red"
                if key in key_owner:
                    other_c, other_text = key_owner[key]
                    if key == k or not conflicts(r["intent"], other_text):
                        dsu.union(c, other_c)
                else:
                    key_owner[key] = (c, r["intent"])
    merged_by_key = sum(1 for c in by_concept if dsu.find(c) != c)
    bare = [(c, next(r["intent"] for r in rows if r["phrasing"] == "bare")) for c, rows in by_concept.items()]
    merged_by_emb = 0
    try:
        import numpy as np

        from vibegrade.students.encoders import NumpyBertEncoder, resolve_encoder_path

        enc = NumpyBertEncoder(resolve_encoder_path("sentence-transformers/all-MiniLM-L6-v2"))
        emb = enc.encode([t for _, t in bare])
        sims = emb @ emb.T
        np.fill_diagonal(sims, 0)
        size = collections.Counter(dsu.find(c) for c, _ in bare)
        for i, j in zip(*np.nonzero(np.triu(sims >= a.merge_cos))):
            ci, cj = bare[i][0], bare[j][0]
            ri, rj = dsu.find(ci), dsu.find(cj)
            if ri == rj or conflicts(bare[i][1], bare[j][1]) or size[ri] + size[rj] > 6:
                continue
            dsu.union(ri, rj)
            size[dsu.find(ri)] = size[ri] + size[rj]
            merged_by_emb += 1
    except ImportError:
        print("note: numpy/vibegrade not importable; skipped the embedding merge")
    for rows in files.values():
        for r in rows:
            r["group"] = dsu.find(r["concept"])

    total = sum(len(r) for r in files.values())
    print(json.dumps({"round_one_rows": v1_count, "replaced_round_one": replaced,
                      "rationale_prefixes": prefixed,
                      "batches": {p.stem: len(files[p.stem]) for p in batches}, "dropped": dict(dropped),
                      "concepts_merged_by_key": merged_by_key, "concepts_merged_by_embedding": merged_by_emb,
                      "concepts": len({r["concept"] for rows in files.values() for r in rows}),
                      "groups": len({r["group"] for rows in files.values() for r in rows}), "rows": total},
                     indent=1))
    if a.apply:
        order = ("intent", "concept", "group", "category", "phrasing", "round", "rationale", "adjust",
                 "selective_adjust", "filter")
        for name, rows in files.items():
            text = "".join(json.dumps({k: r[k] for k in order if k in r}, ensure_ascii=False) + "\n"
                           for r in rows)
            (data / f"{name}.jsonl").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
