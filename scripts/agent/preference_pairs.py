"""Pairs of renders for authored pairwise preferences (calibration of the programmatic judge).

    .venv/bin/python scripts/agent/preference_pairs.py make --out data/agent/preferences/pairs.jsonl
    .venv/bin/python scripts/agent/preference_pairs.py sheets --pairs data/agent/preferences/pairs.jsonl \
        --dir /tmp/pref_sheets

``make`` picks (photo, request) pairs from the authored requests and the shared photos (seeded) and, for
each, two different answers drawn from the agent's designs (single-shot student, rules, search, a
weaker or stronger variant of the search's answer), and writes one JSON line per pair: id, photo,
request, the authored checklist, chain A and chain B. Which design made which side is kept in ``source``
but authors never see it. ``sheets`` renders each pair as a side-by-side PNG (original, A, B) with the
request written above, for the authors to look at; the images are not part of the repository (they are
rebuilt from the pairs file).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from vibegrade.agent.actions import apply_actions  # noqa: E402
from vibegrade.agent.planner import read_plan_rows  # noqa: E402
from vibegrade.agent.run import run_agent  # noqa: E402
from vibegrade.agent.training import PhotoBank  # noqa: E402
from vibegrade.schema import ToolChain  # noqa: E402
from vibegrade.tools.chain import render  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "photos"
REQUESTS = sorted((ROOT / "data" / "agent" / "requests").glob("*.jsonl"))


def _h(seed: int, key: str) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def _scaled(actions, factor: float) -> list:
    from vibegrade.agent.actions import Action

    out = []
    for a in actions:
        params = {k: (round(v * factor) if isinstance(v, int) else v) for k, v in a.params.items()}
        out.append(Action(a.tool, a.region, params, a.item_id))
    return out


def make(out: Path, n: int, seed: int = 3) -> None:
    from vibegrade.students import load_student

    rows = read_plan_rows(REQUESTS)
    # one phrasing per concept, in a seeded order
    by_concept: dict[str, object] = {}
    for r in sorted(rows, key=lambda r: _h(seed, r.id)):
        by_concept.setdefault(r.concept, r)
    chosen = sorted(by_concept.values(), key=lambda r: _h(seed, r.concept))  # type: ignore[attr-defined]
    chosen = [r for r in chosen if r.checklist.feasible][:n]  # type: ignore[attr-defined]
    photo_names = sorted(p.name for p in PHOTOS.glob("*.jpg"))
    bank = PhotoBank(PHOTOS)
    student = load_student()
    lines = []
    kinds = ("single_shot", "rules", "search", "search_half", "search_double")
    for i, row in enumerate(chosen):
        photo = photo_names[int(_h(seed + 1, row.id), 16) % len(photo_names)]
        proxy, masks = bank.get(photo)
        answers: dict[str, ToolChain] = {"single_shot": student.predict([row.request])[0]}
        res_rules = run_agent(proxy, row.request, checklist=row.checklist, masks=masks, mode="rules",
                              student=student)
        answers["rules"] = res_rules.chain
        res = run_agent(proxy, row.request, checklist=row.checklist, masks=masks, mode="search", budget=8,
                        student=student)
        answers["search"] = res.chain
        answers["search_half"] = apply_actions(ToolChain(), _scaled(res.actions, 0.5))
        answers["search_double"] = apply_actions(ToolChain(), _scaled(res.actions, 2.0))
        # two different designs, chosen by a seeded hash; sides shuffled
        order = sorted(kinds, key=lambda k: _h(seed + 2, f"{row.id}:{k}"))
        a_kind = order[0]
        b_kind = next(k for k in order[1:] if answers[k] != answers[a_kind])
        if int(_h(seed + 3, row.id), 16) % 2:
            a_kind, b_kind = b_kind, a_kind
        lines.append({"id": f"p{i + 1:03d}", "photo": photo, "request": row.request, "row": row.id,
                      "checklist": row.checklist.to_wire(), "a": answers[a_kind].to_wire(),
                      "b": answers[b_kind].to_wire(), "source": {"a": a_kind, "b": b_kind}})
        print(f"{i + 1}/{len(chosen)}", file=sys.stderr)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")


def sheets(pairs: Path, folder: Path, size: int = 480) -> None:
    from vibegrade.schema import parse_chain

    bank = PhotoBank(PHOTOS)
    folder.mkdir(parents=True, exist_ok=True)
    for line in pairs.read_text(encoding="utf-8").splitlines():
        p = json.loads(line)
        full = bank.load(p["photo"])
        h, w = full.shape[:2]
        s = size / max(h, w)
        img = cv2.resize(full, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        _, masks = bank.get(p["photo"])
        tiles = [img] + [render(img, parse_chain(p[k]), masks=masks) for k in ("a", "b")]
        gap = np.full((img.shape[0], 8, 3), 255, np.uint8)
        row = np.hstack([tiles[0], gap, tiles[1], gap, tiles[2]])
        canvas = Image.new("RGB", (row.shape[1], row.shape[0] + 40), "white")
        canvas.paste(Image.fromarray(row), (0, 40))
        d = ImageDraw.Draw(canvas)
        d.text((6, 4), f"{p['id']}  request: {p['request']}", fill="black")
        d.text((6, 22), "original", fill="black")
        d.text((img.shape[1] + 14, 22), "A", fill="black")
        d.text((2 * img.shape[1] + 22, 22), "B", fill="black")
        canvas.save(folder / f"{p['id']}.png")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--out", type=Path, required=True)
    m.add_argument("--n", type=int, default=120)
    s = sub.add_parser("sheets")
    s.add_argument("--pairs", type=Path, required=True)
    s.add_argument("--dir", type=Path, required=True)
    args = ap.parse_args()
    if args.cmd == "make":
        make(args.out, args.n)
    else:
        sheets(args.pairs, args.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
