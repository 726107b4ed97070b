#!/usr/bin/env python3
"""Check and expand vibes authoring files (one concept per line) into dataset rows.

Authors write the compact format described in data/vibes/STYLE_GUIDE.md §9 (sparse settings, a list of
phrasings sharing one answer). This script only checks and expands what they wrote: it never invents or
changes a setting.

    python3 scripts/vibes_authoring.py check FILE.jsonl [...]     # per-line problems, exit 1 if any
    python3 scripts/vibes_authoring.py expand FILE.jsonl -o OUT.jsonl   # dataset rows (full settings)

Standard library only, so authors can run it without the project's environment.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ADJUST = {
    "exposure": (-100, 100), "contrast": (-100, 100), "brightness": (-100, 100), "highlights": (-100, 100),
    "shadows": (-100, 100), "saturation": (-100, 100), "vibrance": (-100, 100), "temperature": (-100, 100),
    "tint": (-100, 100), "hue": (0, 360), "linearOffset": (-100, 100), "bloom": (0, 100),
    "sharpen": (0, 100), "structure": (0, 100),
}
COLORS = ("red", "orange", "yellow", "green", "cyan", "blue")
CHANNELS = ("saturation", "luminance")
PRESETS = sorted(p.stem
                 for p in (Path(__file__).resolve().parent.parent
                           / "src/vibegrade/tools/filters/presets").glob("*.cube"))
CATEGORIES = {
    "places", "films_tv_games", "people_eras", "art_styles", "film_stocks_cameras", "moods", "weather",
    "time_of_day", "seasons", "colors_tones", "effects", "corrections", "nature", "objects", "genres",
    "aesthetics", "food_drink", "events_holidays", "subjects", "compositional",
}
TOOLS = ("adjust", "selective_adjust", "filter")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_PRESET_WORD = re.compile(r"[A-Za-z_0-9]+")


def mentioned_presets(text: str) -> set[str]:
    """Preset names that appear as whole words in a rationale."""
    words = set(_PRESET_WORD.findall(text))
    return {p for p in PRESETS if p in words}


def problems(obj: dict) -> list[str]:
    out: list[str] = []
    if not isinstance(obj, dict):
        return ["not a JSON object"]
    concept = obj.get("concept")
    if not isinstance(concept, str) or not SLUG.match(concept):
        out.append(f"concept must be a lowercase slug, got {concept!r}")
    if obj.get("category") not in CATEGORIES:
        out.append(f"unknown category {obj.get('category')!r}")
    ph = obj.get("phrasings")
    if not isinstance(ph, list) or not ph or not all(isinstance(p, str) and p.strip() for p in ph):
        out.append("phrasings must be a non-empty list of strings")
    elif len({p.strip().lower() for p in ph}) != len(ph):
        out.append("duplicate phrasings (case-insensitive)")
    rat = obj.get("rationale")
    if not isinstance(rat, dict) or set(rat) != set(TOOLS) or not all(isinstance(rat[t], str)
                                                                      and rat[t].strip() for t in TOOLS):
        out.append("rationale must have a non-empty string for adjust, selective_adjust and filter")
        rat = None
    adj = obj.get("adjust", {})
    if not isinstance(adj, dict):
        out.append("adjust must be an object")
        adj = {}
    for k, v in adj.items():
        if k not in ADJUST:
            out.append(f"unknown adjust parameter {k!r}")
        elif not isinstance(v, (int, float)) or isinstance(v, bool) or not ADJUST[k][0] <= v <= ADJUST[k][1]:
            out.append(f"adjust.{k}={v!r} out of range {ADJUST[k]}")
    sel = obj.get("selective_adjust", {})
    if not isinstance(sel, dict):
        out.append("selective_adjust must be an object")
        sel = {}
    for c, d in sel.items():
        if c not in COLORS or not isinstance(d, dict):
            out.append(f"selective_adjust: unknown colour {c!r}")
            continue
        for ch, v in d.items():
            if ch not in CHANNELS:
                out.append(f"selective_adjust.{c}: unknown channel {ch!r}")
            elif not isinstance(v, (int, float)) or isinstance(v, bool) or not -100 <= v <= 100:
                out.append(f"selective_adjust.{c}.{ch}={v!r} out of range")
    flt = obj.get("filter", {"name": "none", "intensity": 0})
    name = flt.get("name") if isinstance(flt, dict) else None
    inten = flt.get("intensity", 0) if isinstance(flt, dict) else None
    if name != "none" and name not in PRESETS:
        out.append(f"unknown preset {name!r}")
    if not isinstance(inten, (int, float)) or isinstance(inten, bool) or not 0 <= inten <= 100:
        out.append(f"filter intensity {inten!r} out of range")
    used = {
        "adjust": any(v != 0 for v in adj.values()),
        "selective_adjust": any(v != 0 for d in sel.values() if isinstance(d, dict) for v in d.values()),
        "filter": name not in (None, "none") and bool(inten),
    }
    if not any(used.values()):
        out.append("all tools empty: an explicit request never gets an all-empty answer")
    if rat is not None:
        for t in TOOLS:
            says_unused = rat[t].strip().lower().startswith("not needed")
            if says_unused and used[t]:
                out.append(f"rationale.{t} says 'Not needed' but {t} is used")
            if not says_unused and not used[t]:
                out.append(f"{t} is unused but its rationale does not start with 'Not needed'")
        for t in TOOLS:
            named = mentioned_presets(rat[t])
            if t == "filter":
                if used["filter"] and name not in named:
                    out.append(f"filter rationale does not name the chosen preset {name}")
                if named - {name}:
                    out.append(f"filter rationale names other presets: {sorted(named - {name})}")
            elif named - {name}:
                out.append(f"{t} rationale names presets the row does not use: {sorted(named - {name})}")
    return out


def expand(obj: dict) -> list[dict]:
    adj = {k: 0 for k in ADJUST}
    adj.update(obj.get("adjust") or {})
    sel_in = obj.get("selective_adjust") or {}
    sel = {c: {"saturation": 0, "luminance": 0, **sel_in.get(c, {})} for c in COLORS} if sel_in else {}
    if not any(v != 0 for d in sel.values() for v in d.values()):
        sel = {}
    if not any(v != 0 for v in adj.values()):
        adj = {}
    flt = obj.get("filter") or {"name": "none", "intensity": 0}
    if flt.get("name") == "none" or not flt.get("intensity"):
        flt = {"name": "none", "intensity": 0}
    rows = []
    for i, p in enumerate(obj["phrasings"]):
        rows.append({
            "intent": " ".join(p.split()), "concept": f"{obj['category']}/{obj['concept']}",
            "category": obj["category"], "phrasing": "bare" if i == 0 else "variant",
            "rationale": obj["rationale"], "adjust": adj, "selective_adjust": sel,
            "filter": {"name": flt["name"], "intensity": flt["intensity"]},
        })
    return rows


def _read(path: str):
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as e:
            yield n, e


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("files", nargs="+")
    e = sub.add_parser("expand")
    e.add_argument("files", nargs="+")
    e.add_argument("-o", "--out", required=True)
    a = ap.parse_args(argv)
    bad = 0
    seen: dict[str, str] = {}
    rows = []
    concepts = 0
    for f in a.files:
        for n, obj in _read(f):
            where = f"{f}:{n}"
            errs = [f"invalid JSON: {obj}"] if isinstance(obj, Exception) else problems(obj)
            if not errs:
                for p in obj["phrasings"]:
                    key = " ".join(p.lower().split())
                    if key in seen:
                        errs.append(f"phrasing {p!r} already used at {seen[key]}")
                    seen[key] = where
            if errs:
                bad += 1
                for msg in errs:
                    print(f"{where}: {msg}")
            elif a.cmd == "expand":
                rows.extend(expand(obj))
            if not errs:
                concepts += 1
    if a.cmd == "expand":
        Path(a.out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                               encoding="utf-8")
    print(f"{concepts} concepts ok, {bad} with problems, {len(seen)} phrasings", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
