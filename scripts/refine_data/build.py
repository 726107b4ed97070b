"""Expand compact refinement triples into full dataset rows, and check them.

Authoring aid. An author writes one JSON object per line (see ``data/refine/STYLE_GUIDE.md`` §6)::

    {"concept": "warmer/slightly", "op": "edit", "before": "P123", "request": "a bit warmer pls",
     "phrasing": "variant", "rationale": "...", "set": {"temperature": 42}}

``before`` is a pool id (``data/refine/pool.jsonl``) or a literal chain; ``set`` gives the *new* values
of the parameters that change (adjust names, ``orange.saturation``-style selective keys, ``filter`` and
``intensity``). For ``op: "replace"`` the after chain starts from nothing and ``set`` is all of it. This
script copies the before chain, applies ``set``, validates ranges and presets, runs the consistency
checks and writes full rows (``before`` and ``after`` as wire chains) to OUT.

    .venv/bin/python scripts/refine_data/build.py AUTHORED.jsonl --batch a -o data/refine/a.jsonl
    .venv/bin/python scripts/refine_data/build.py AUTHORED.jsonl --check-only   # only report problems

Exit 1 when a row has an error (nothing is written then); warnings are printed but do not stop it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from vibegrade.schema import (  # noqa: E402
    ADJUST_PARAMS,
    SELECTIVE_COLORS,
    ToolChain,
)
from vibegrade.tools.filters import preset_names  # noqa: E402

OPS = ("edit", "toward", "replace", "undo", "redo", "reset")
HISTORY_OPS = ("undo", "redo", "reset")
RANGES = {p.name: (p.lo, p.hi) for p in ADJUST_PARAMS}
PRESETS = set(preset_names())


def empty_chain() -> dict[str, Any]:
    return {"adjust": {}, "selective_adjust": {}, "filter": {"name": "none", "intensity": 0}}


def flat(chain: dict[str, Any]) -> dict[str, Any]:
    """Chain -> {key: value} with adjust names, ``colour.channel`` and ``filter``/``intensity``."""
    out: dict[str, Any] = {k: 0 for k in RANGES}
    out.update({k: v for k, v in (chain.get("adjust") or {}).items()})
    for c in SELECTIVE_COLORS:
        for ch in ("saturation", "luminance"):
            out[f"{c}.{ch}"] = ((chain.get("selective_adjust") or {}).get(c) or {}).get(ch, 0)
    f = chain.get("filter") or {"name": "none", "intensity": 0}
    out["filter"] = f.get("name", "none")
    out["intensity"] = f.get("intensity", 0)
    return out


def unflat(values: dict[str, Any]) -> dict[str, Any]:
    adjust = {k: int(values[k]) for k in RANGES}
    sel = {c: {"saturation": int(values[f"{c}.saturation"]), "luminance": int(values[f"{c}.luminance"])}
           for c in SELECTIVE_COLORS}
    chain = {"adjust": adjust, "selective_adjust": sel,
             "filter": {"name": values["filter"], "intensity": int(values["intensity"])}}
    return ToolChain.model_validate(chain).to_wire()


def load_pool() -> dict[str, dict[str, Any]]:
    pool = {}
    for line in (ROOT / "data/refine/pool.jsonl").open(encoding="utf-8"):
        item = json.loads(line)
        pool[item["id"]] = item
    return pool


# Direction checks: (pattern on the request, key, required sign of the change). Applied to "edit" rows
# whose request matches the pattern and does not match any negation of it.
_DIRECTION_RULES: list[tuple[str, str, int]] = [
    (r"\b(warmer|warm it up|more warmth)\b", "temperature", +1),
    (r"\b(cooler|colder|cool it down|bluer tone)\b", "temperature", -1),
    (r"\btoo (warm|yellow|orange)\b", "temperature", -1),
    (r"\btoo (cold|cool|blue)\b", "temperature", +1),
    (r"\b(green cast|too green)\b", "tint", +1),
    (r"\b(magenta cast|too magenta|too pink)\b", "tint", -1),
    (r"\b(brighter|brighten|lighter overall)\b", "exposure|brightness", +1),
    (r"\b(darker overall|darken it|too bright|overexposed)\b", "exposure|brightness|highlights", -1),
    (r"\b(too dark|underexposed)\b", "exposure|brightness|shadows", +1),
    (r"\bmore contrast\b", "contrast", +1),
    (r"\bless contrast\b", "contrast", -1),
    (r"\b(lift|open up|brighten) (the )?shadows\b", "shadows", +1),
    (r"\b(recover|tame|pull down|bring down) (the )?highlights\b", "highlights", -1),
    (r"\b(more saturat\w*|more colou?rful)\b", "saturation|vibrance", +1),
    (r"\b(less saturat\w*|desaturate|less colou?rful)\b", "saturation|vibrance", -1),
    (r"\b(sharper|sharpen)\b", "sharpen|structure", +1),
    (r"\b(more glow|glowier)\b", "bloom", +1),
    (r"\b(less glow|no glow|drop the glow|remove the glow)\b", "bloom", -1),
]
_NEGATION = re.compile(r"\b(not|no longer|isn't|dont|don't|too)\b")

_SCALE_DOWN = re.compile(r"^\W*(a (bit|little|touch) |slightly |much |way )?(less|weaker|subtler|more subtle|"
                         r"tone it down|dial it back|too much|too strong|softer)\W*$")
_SCALE_UP = re.compile(r"^\W*(a (bit|little|touch) |slightly |much |way )?(more|stronger|push it|go further|"
                       r"intensify|crank it up)\W*$")


def check_row(row: dict[str, Any], before: dict[str, Any],
              after: dict[str, Any] | None) -> tuple[list[str], list[str]]:
    errors: list[str] = []
    warnings: list[str] = []
    op = row["op"]
    req = row["request"].lower()
    if after is None:
        return errors, warnings
    fb, fa = flat(before), flat(after)
    changed = {k for k in fb if fb[k] != fa[k]}
    if op in ("edit", "toward") and not changed:
        errors.append("silent no-op: the after chain equals the before chain")
    if op == "edit" and not row.get("is_compound"):
        for pattern, keys, sign in _DIRECTION_RULES:
            if re.search(pattern, req) and not (
                    sign and re.search(r"\b(less|not|no) " + pattern.strip("\\b()"), req)):
                moved = [k for k in keys.split("|") if k in fb and (fa[k] - fb[k]) * sign > 0]
                wrong = [k for k in keys.split("|") if k in fb and (fa[k] - fb[k]) * sign < 0]
                if wrong or not moved:
                    warnings.append(f"direction: {pattern!r} expects {keys} {'+' if sign > 0 else '-'}")
        numeric = [k for k in fb if k != "filter"]
        if _SCALE_DOWN.match(req):
            grew = [k for k in numeric if abs(fa[k]) > abs(fb[k])]
            if grew:
                warnings.append(f"scale-down request but |value| grew: {grew}")
        if _SCALE_UP.match(req):
            shrank = [k for k in numeric if abs(fa[k]) < abs(fb[k]) and k != "hue"]
            if shrank:
                warnings.append(f"scale-up request but |value| shrank: {shrank}")
    rationale = row.get("rationale", "")
    named = {p for p in PRESETS if re.search(rf"(?<![\w]){re.escape(p)}(?![\w])", rationale)}
    if named - {fa["filter"], fb["filter"]}:
        errors.append(f"rationale names preset(s) {sorted(named - {fa['filter'], fb['filter']})} that "
                      "neither chain uses")
    return errors, warnings


def build(rows: list[dict[str, Any]], batch: str) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    pool = load_pool()
    out, errors, warnings = [], [], []
    for n, row in enumerate(rows, start=1):
        where = f"row {n} ({row.get('request', '?')!r})"
        try:
            op = row["op"]
            if op not in OPS:
                raise ValueError(f"op must be one of {OPS}")
            for key in ("concept", "request", "rationale"):
                if not isinstance(row.get(key), str) or not row[key].strip():
                    raise ValueError(f"missing {key}")
            b = row.get("before", "P000")
            before_chain = pool[b]["chain"] if isinstance(b, str) else b
            before = ToolChain.model_validate(before_chain).to_wire()
            after = None
            if op in HISTORY_OPS:
                if row.get("set"):
                    raise ValueError("a history op (undo/redo/reset) has no 'set'")
            else:
                values = flat(empty_chain() if op == "replace" else before)
                for key, value in (row.get("set") or {}).items():
                    if key not in values:
                        raise ValueError(f"unknown key {key!r} in set")
                    if key == "filter":
                        if value != "none" and value not in PRESETS:
                            raise ValueError(f"unknown preset {value!r}")
                    else:
                        lo, hi = RANGES.get(key, (0, 100) if key == "intensity" else (-100, 100))
                        if not isinstance(value, int) or not lo <= value <= hi:
                            raise ValueError(f"{key}={value!r} is not an integer in {lo}..{hi}")
                    values[key] = value
                if values["filter"] == "none":
                    values["intensity"] = 0
                elif values["intensity"] == 0:
                    raise ValueError(f"filter {values['filter']} at intensity 0: "
                                     "say 'filter': 'none' instead")
                after = unflat(values)
            amount = row.get("amount")
            if op == "toward" and not (isinstance(amount, (int, float)) and 0 < amount <= 1):
                raise ValueError("a toward row needs 'amount' in (0, 1]")
            if op in ("toward", "replace") and not isinstance(row.get("look"), str):
                raise ValueError(f"a {op} row needs 'look' (the look it moves to, as the vibes data "
                                 "names it)")
            e, w = check_row(row, before, after)
            errors += [f"{where}: {m}" for m in e]
            warnings += [f"{where}: {m}" for m in w]
        except (KeyError, ValueError, TypeError) as exc:
            errors.append(f"{where}: {exc}")
            continue
        full = {"concept": "refine/" + row["concept"], "op": op, "request": row["request"].strip(),
                "phrasing": row.get("phrasing", "variant"), "before": before,
                "before_id": b if isinstance(b, str) else None,
                "rationale": row["rationale"].strip(), "after": after, "batch": batch}
        if op in ("toward", "replace"):
            full["look"] = row["look"]
        if op == "toward":
            full["amount"] = row["amount"]
        out.append(full)
    return out, errors, warnings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("authored", type=Path)
    ap.add_argument("--batch", default="x")
    ap.add_argument("-o", "--out", type=Path)
    ap.add_argument("--check-only", action="store_true")
    args = ap.parse_args()
    rows = []
    for n, line in enumerate(args.authored.open(encoding="utf-8"), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                sys.exit(f"{args.authored}:{n}: not JSON: {exc}")
    out, errors, warnings = build(rows, args.batch)
    for m in errors:
        print("ERROR", m)
    for m in warnings:
        print("WARN ", m)
    print(f"{len(rows)} rows, {len(errors)} errors, {len(warnings)} warnings")
    if errors:
        sys.exit(1)
    if args.out and not args.check_only:
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
