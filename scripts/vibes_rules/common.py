"""Shared loading for the STYLE_GUIDE §7 rule checker and the blind-sample draw."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
import vibes_authoring

ROOT = Path(__file__).resolve().parents[2]

COLORS = ("red", "orange", "yellow", "green", "cyan", "blue")

def load_data():
    rows = []
    for p in sorted((ROOT / "data/vibes").glob("*.jsonl")):
        for i, line in enumerate(p.open(), 1):
            if line.strip():
                o = json.loads(line)
                o["_file"] = p.name
                o["_line"] = i
                rows.append(o)
    return rows

def fname(o):
    f = o.get("filter") or {}
    return f.get("name", "none") if f else "none"

def sel_used(o):
    return bool(o.get("selective_adjust"))

def sel_colors(o, thr=0):
    s = o.get("selective_adjust") or {}
    return sorted(c for c, d in s.items() if any(abs(v) > thr for v in d.values()))

def load_second(paths):
    out = []
    for p in paths:
        for _, obj in vibes_authoring._read(p):
            for row in vibes_authoring.expand(obj):
                row["_src"] = Path(p).name
                row["_compact"] = obj
                out.append(row)
    return out
