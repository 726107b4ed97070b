#!/usr/bin/env python3
"""Figures for the vibes v2 datasheet (data/vibes/README.md), measured, not asserted.

    .venv/bin/python scripts/vibes_v2_report.py [--json out.json]

* coverage: every request of data/vibes/coverage.txt is in the dataset (same request up to case and
  spacing, or the same concept key: filler words, plurals and hyphens aside);
* concepts per category group (the issue's long-tail targets);
* share of rows typed the way people type (see :func:`typed`);
* leakage of the split: test rows whose nearest training row (plain MiniLM) has cosine >= 0.9 (pairs
  whose direction words conflict, such as "contrast up 30%" / "contrast down 30%", are not rewordings
  and are left out), with examples, so "the test measures unseen looks" is a measurement.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

GROUPS = {
    "film stocks and cameras": {"film_stocks_cameras"},
    "films, series, games, directors, cinematographers": {"films_tv_games"},
    "painters, photographers, art movements": {"art_styles"},
    "places, eras, seasons, weather, times of day, moods, colours, genres": {
        "places", "people_eras", "seasons", "weather", "time_of_day", "moods", "colors_tones", "genres",
        "nature", "events_holidays"},
    "corrections": {"corrections"},
    "compositional": {"compositional"},
}
TARGETS = {"film stocks and cameras": 100, "films, series, games, directors, cinematographers": 600,
           "painters, photographers, art movements": 300,
           "places, eras, seasons, weather, times of day, moods, colours, genres": 800, "corrections": 800,
           "compositional": 500}


def typed(intent: str) -> bool:
    """Typed like a real text box: capitals, emoji or symbols, punctuation beyond - ' & . / + %, filler
    and wrappers that the student's reader strips, or six words and more. Typos alone are not detected,
    so this undercounts."""
    from vibegrade.students.request_text import canonical

    if intent != intent.lower():
        return True
    if any(not (unicodedata.category(ch).startswith(("L", "N")) or ch in " -'&./+%,") for ch in intent):
        return True
    if canonical(intent) != " ".join(intent.lower().split()).strip(" .,"):
        return True
    return len(intent.split()) >= 6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    from vibes_v2_build import concept_key

    from vibegrade.data.rows import read_rows

    data = ROOT / "data/vibes"
    rows = read_rows(sorted(data.glob("*.jsonl")))
    out: dict = {"rows": len(rows), "concepts": len({r.concept for r in rows}),
                 "groups": len({r.group for r in rows})}

    cov = [x.strip() for x in (data / "coverage.txt").read_text(encoding="utf-8").splitlines()
           if x.strip() and not x.startswith("#")] if (data / "coverage.txt").is_file() else []
    keys = {r.key for r in rows}
    ckeys = {concept_key(r.intent) for r in rows}
    missing = [c for c in cov if " ".join(c.lower().split()) not in keys and concept_key(c) not in ckeys]
    out["coverage"] = {"requests": len(cov), "unique": len(set(cov)), "missing": missing}

    per_cat = collections.defaultdict(set)
    for r in rows:
        per_cat[r.category].add(r.concept)
    out["concepts_by_group"] = {g: {"concepts": sum(len(per_cat[c]) for c in cats), "target": TARGETS[g]}
                                for g, cats in GROUPS.items()}
    out["concepts_by_category"] = {c: len(v) for c, v in sorted(per_cat.items(), key=lambda kv: -len(kv[1]))}
    n_typed = sum(typed(r.intent) for r in rows)
    out["typed_share"] = round(n_typed / len(rows), 4)
    out["rounds"] = dict(collections.Counter(r.extra.get("round") for r in rows))

    split = data / "split"
    if (split / "test.jsonl").is_file():
        import numpy as np

        from vibegrade.students.encoders import NumpyBertEncoder, resolve_encoder_path

        train = read_rows([split / "train.jsonl"])
        test = read_rows([split / "test.jsonl"])
        enc = NumpyBertEncoder(resolve_encoder_path("sentence-transformers/all-MiniLM-L6-v2"))
        et, ev = enc.encode([r.intent for r in train]), enc.encode([r.intent for r in test])
        from vibegrade.students.direction import conflicts

        sims = ev @ et.T
        for i in range(len(test)):  # opposite directions ("contrast up 30%" / "down 30%") are not rewordings
            for j in np.nonzero(sims[i] >= 0.9)[0]:
                if conflicts(test[i].intent, train[j].intent):
                    sims[i, j] = 0.0
        best = sims.argmax(1)
        top = sims[np.arange(len(test)), best]
        near = [(float(top[i]), test[i].intent, train[best[i]].intent) for i in np.argsort(-top)[:15]]
        out["leakage"] = {
            "test_rows": len(test),
            "concept_overlap": len({r.concept for r in train} & {r.concept for r in test}),
            "group_overlap": len({r.group for r in train} & {r.group for r in test}),
            "nearest_train_cos>=0.9": int((top >= 0.9).sum()), "share": round(float((top >= 0.9).mean()), 4),
            "nearest_train_cos>=0.95": int((top >= 0.95).sum()),
            "closest_pairs": [{"cos": round(c, 3), "test": t, "train": s} for c, t, s in near]}
    print(json.dumps(out, indent=1, ensure_ascii=False))
    if a.json:
        a.json.write_text(json.dumps(out, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
