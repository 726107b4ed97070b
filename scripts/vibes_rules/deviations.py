#!/usr/bin/env python3
"""Worklist of dataset rows whose filter / selective decision breaks STYLE_GUIDE §7 (§7.1-7.2 of v2.1,
§7.3 of v2.2), as far as a script can tell from the request words and category. Approximate by design:
reviewers decide row by row.

    .venv/bin/python scripts/vibes_rules/deviations.py [OUT_DIR]

writes worklist_<datafile>.jsonl to OUT_DIR (default out/vibes_rules).
"""
import collections
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fname, load_data, sel_colors, sel_used
from rules import COLOUR, DARK, NO_PRESET_LOOK, SUBJECT, TONED, family_hits, reason

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "out/vibes_rules")
OUT.mkdir(parents=True, exist_ok=True)
ALWAYS = {"films_tv_games", "people_eras", "places", "art_styles", "aesthetics", "moods", "seasons", "genres",
          "colors_tones", "effects", "film_stocks_cameras", "nature", "objects", "events_holidays",
          "compositional"}
TRIGGER_ONLY = {"time_of_day", "weather"}
NO_PRESET_CATS = {"subjects", "food_drink"}
CAST = (r"\b(too (yellow|blue|green|magenta|pink|orange|red|warm|cool|cold)|cast|white balance|tint|"
        r"tungsten|fluorescent)\b")
# 7.2 tie-breaks: (trigger regex, expected preset, neighbours that count as a break, exclusions)
TIE = [
 (r"\b(golden|gold|amber|honey|candle(light)?|luxury)\b", "fortune", {"lovely_day"}, None),
 (r"\b(sunny|sunshine|summer|summery|happy|cheerful|holiday)\b", "lovely_day", {"fortune"},
  r"\b(golden|gold|amber)\b"),
 (r"\b(snow|snowy|ice|icy|frost|frosty|frozen|cold|winter|arctic)\b", "winter", {"north"}, None),
 (r"\b(nordic|scandinavian|scandi|overcast|bleak)\b", "north", {"winter"},
  r"\b(snow|ice|frost|winter|cold)\b"),
 (r"\b(fuji|fujifilm|superia|400h)\b", "faded_AL2", {"faded_C1"}, None),
 (r"\b(film|analog|analogue|35mm|kodak|90s|polaroid)\b", "faded_C1", {"faded_AL2"},
  r"\b(fuji|fujifilm|superia|400h|indie|movie|film noir|cinestill)\b"),
 (r"\b(vintage|retro|60s|70s|1960s|1970s)\b", "faded_Retro", {"fortune", "faded_C1"}, None),
 (r"\b(noir|horror|gothic|goth|moody|dark|low[- ]key|creepy|spooky)\b", "darkness",
  {"teal_and_orange_4", "faded_Terra"},
  r"\b(neon|city|thriller|cinematic|neo[- ]noir|earthy|western|dust)\b"),
 (r"\b(neon|cyberpunk|synthwave|vaporwave)\b", "cyberpunk", {"purple_rain"}, r"\b(purple|violet|lavender)\b"),
 (r"\b(purple|violet|lavender|ultraviolet)\b", "purple_rain", {"cyberpunk"},
  r"\b(neon|cyberpunk|synthwave|vaporwave)\b"),
 (r"\b(vibrant|colou?rful|saturated|punchy)\b", "vivid", {"lovely_day"}, None),
 (r"\b(sunset|fire|flames?|desert sun|spicy)\b", "firecracker", {"fortune"}, r"\b(golden|gold|amber)\b"),
 (r"\b(earthy|rustic|dust|dusty|western|terracotta)\b", "faded_Terra", {"darkness"},
  r"\b(dark|night|moody|horror|noir)\b"),
]
BASE_SPLIT = re.compile(
    r"\s+but\s+|,|\s+with\s+|\s+minus\s+|\s+without\s+|\s+and less\s+|\s+less\s+|\s+more\s+")


def is_bw(o):
    return (o.get("adjust") or {}).get("saturation", 0) <= -95


def check(o, reason_concepts=frozenset()):
    """The §7 rules ``o`` breaks; ``reason_concepts``: concepts with a §7.3 reason in any wording (its
    wordings share one answer)."""
    t = o["intent"].lower()
    base = BASE_SPLIT.split(t)[0] if o["category"] == "compositional" else t
    cat, f, sel = o["category"], fname(o), sel_used(o)
    trig = family_hits(base)
    out = []
    # ---- 7.1 preset or none
    if cat == "corrections":
        if f != "none":
            out.append("7.1 correction uses a preset")
    elif is_bw(o):
        if re.search(TONED, t) or f.startswith("duotone"):
            pass
        elif re.search(DARK, t):
            if f != "darkness":
                out.append("7.1 B&W with a dark word: darkness")
        elif f not in ("none", "darkness"):
            out.append("7.1 B&W: none or darkness only")
        elif f == "darkness" and cat not in ("films_tv_games", "people_eras", "art_styles", "compositional"):
            out.append("7.1 B&W darkness without dark word")
    elif re.search(NO_PRESET_LOOK, base) and cat != "compositional":
        if f != "none":
            out.append("7.1 natural/clean look: none")
    elif cat in NO_PRESET_CATS:
        if f != "none" and not trig:
            out.append("7.1 subject/food preset without trigger word")
    elif cat in TRIGGER_ONLY:
        if f != "none" and not trig:
            out.append("7.1 time/weather preset without trigger word")
        if f == "none" and trig:
            out.append("7.1 time/weather trigger word but no preset")
    elif cat in ALWAYS:
        if f == "none":
            out.append("7.1 look without preset (always a preset)")
    # ---- 7.2 tie-breaks (only the confusable neighbour counts as a break)
    if f != "none" and not is_bw(o):
        for rx, want, nb, excl in TIE:
            if re.search(rx, base) and not (excl and re.search(excl, base)):
                if f in nb:
                    out.append(f"7.2 tie-break: {want} not {f}")
                break
    # ---- 7.3 selective (v2.2): only for a reason in the request's own words
    colour_named = re.search(COLOUR, t) and not re.search(CAST, t)
    if sel and is_bw(o):
        out.append("7.3 selective on B&W")
    elif sel and not (cat == "food_drink" or o["concept"] in reason_concepts):
        out.append("7.3 selective without a reason in the request's words (v2.2)")
    elif not sel and not is_bw(o) and cat in ("corrections", "compositional") \
            and (colour_named or re.search(SUBJECT, t)) \
            and not re.search(r"\b(snow|white|whites|grey|gray|light|lighting)\b", t):
        out.append("7.3 colour range / subject named but no selective")
    return out


def main():
    rows = load_data()
    reason_concepts = {o["concept"] for o in rows if reason(o["intent"])}
    by_file = collections.defaultdict(list)
    rule_counts = collections.Counter()
    for o in rows:
        rs = check(o, reason_concepts)
        if not rs:
            continue
        for r in rs:
            rule_counts[r] += 1
        sel = o.get("selective_adjust") or {}
        by_file[o["_file"]].append({
            "file": o["_file"], "line": o["_line"], "intent": o["intent"], "concept": o["concept"],
            "category": o["category"], "rules": rs,
            "filter": f"{fname(o)}/{(o.get('filter') or {}).get('intensity', 0)}",
            "selective": sel_colors(o) if sel else []})
    files = sorted({o["_file"] for o in rows})
    tot_rows = tot_conc = 0
    print(f"{'file':34s} {'rows':>6s} {'flagged':>8s} {'concepts':>8s}")
    for fn in files:
        L = by_file.get(fn, [])
        (OUT / f"worklist_{Path(fn).stem}.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n"
                                                                     for x in L))
        n = sum(o["_file"] == fn for o in rows)
        c = len({x["concept"] for x in L})
        tot_rows += len(L)
        tot_conc += c
        print(f"{fn:34s} {n:6d} {len(L):8d} {c:8d}")
    print(f"{'total':34s} {len(rows):6d} {tot_rows:8d} {tot_conc:8d}")
    print("\nby rule (rows):")
    for r, c in rule_counts.most_common():
        print(f"  {c:5d}  {r}")


if __name__ == "__main__":
    main()
