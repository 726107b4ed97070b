"""Answer new wordings of taught refinement meanings the way the dataset answers those meanings.

Authoring aid for new rounds of wordings and for blind test sets. An author writes one JSON object per
line, a follow-up and the meaning (concept) it belongs to::

    {"concept": "refine/wb/warmer/slightly", "request": "warmth up a smidge"}

and this script gives each row a starting look and its answer:

* the start is a pool look (``data/refine/pool.jsonl``) drawn from a hash of the seed, the concept and
  the request, so a row keeps its start when rows are added or reordered; a start the meaning does not
  fit is drawn again (``"before": "P123"`` in the input picks one instead). An ``edit`` meaning fits a
  start when its answer moves every value the meaning's taught rows nearly always move (in 60 % of
  them or more), each the way those rows move it (where 80 % agree): no "less glow" on a look without
  glow, no part of "warmer and brighter" left undone, no "less contrast" that halves a negative
  contrast toward 0 (a rise);
* ``edit``: the meaning's taught rule, fitted on every row of that concept in the main files (per value
  keep, add, multiply or set; the preset kept, dropped or switched: ``students.refine.run_program``);
* ``toward``: the meaning's ``amount`` of the way to the vibes dataset's answer for its ``look``
  (``students.refine.blend_toward``); ``replace``: that answer; ``undo`` / ``redo`` / ``reset``: none.

Requests equal (case and spaces aside) to one in ``--exclude`` files are dropped and counted: by default
the main files and every blind set, so no wording is trained and tested on.

    .venv/bin/python scripts/refine_data/answer.py WORDINGS.jsonl -o COMPACT.jsonl
        # compact rows for build.py, with "changes" to write each rationale from; then
        # .venv/bin/python scripts/refine_data/build.py COMPACT.jsonl --batch j -o data/refine/j.jsonl
    .venv/bin/python scripts/refine_data/answer.py WORDINGS.jsonl --full --batch blind2 -o test.jsonl
        # full triples (no rationale needed), e.g. a blind test set

Exit 1 with the line number on an unknown concept, a malformed line or an unknown pool id; nothing is
written then.
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from build import flat, load_pool  # noqa: E402  (the authoring format's pool and flat view, one copy)

from vibegrade.data.rows import read_rows  # noqa: E402
from vibegrade.schema import ToolChain  # noqa: E402
from vibegrade.students.refine import blend_toward, run_program  # noqa: E402
from vibegrade.students.refine_features import chain_vector  # noqa: E402
from vibegrade.students.refine_training import (  # noqa: E402
    RULE_ADD,
    RULE_MUL,
    RULE_SET,
    RULE_TOWARD,
    RefineConfig,
    Triple,
    fit_programs,
    read_triples,
    scale_factor,
)
from vibegrade.tools.filters import preset_names  # noqa: E402

MAIN = sorted(p for p in (ROOT / "data/refine").glob("*.jsonl") if p.name != "pool.jsonl")
BLIND = sorted((ROOT / "data/refine").glob("blind*/*.jsonl"))


def norm(text: str) -> str:
    return " ".join(str(text).lower().split())


class Answerer:
    """Each taught meaning's answer on any start, from the rows of the main files."""

    def __init__(self, triples: list[Triple]) -> None:
        self.meta: dict[str, Triple] = {}
        for t in triples:
            self.meta.setdefault(t.concept, t)
        edit = [t for t in triples if t.op == "edit"]
        classes = ["keep", "none", *preset_names()]
        factors = [scale_factor(t) for t in edit]
        progs = fit_programs(np.zeros((len(edit), 1)), edit, classes, factors, RefineConfig())
        concepts = sorted({t.concept for t in edit})
        self.programs = {c: (progs["program.rule"][k], progs["program.const"][k],
                             classes[int(progs["program.filter"][k])], progs["program.step"][k])
                         for k, c in enumerate(concepts)}
        self._looks: dict[str, ToolChain] | None = None
        scaled = {c for c in concepts  # most rows scale every value by one factor
                  if np.mean([f is not None for t, f in zip(edit, factors) if t.concept == c]) >= 0.8}
        self.usual = usual_moves(edit, self.programs, scaled)

    def fits(self, concept: str, before: ToolChain, after: ToolChain | None) -> bool:
        """Whether ``after`` does on ``before`` what the meaning's taught rows nearly always do (see
        :func:`usual_moves`); history, toward and replace meanings fit every start that they change."""
        if after is None or self.meta[concept].op == "replace":
            return True
        if after == before:
            return False
        d = chain_vector(after) - chain_vector(before)
        for k, (sign, required) in self.usual.get(concept, {}).items():
            if (required and d[k] == 0) or d[k] * sign < 0:
                return False
        return True

    def look(self, name: str) -> ToolChain:
        """The vibes dataset's answer for the look ``name``: its first row whose request is ``name`` word
        for word (the row ``scripts/refine_data/lookup.py`` shows first)."""
        if self._looks is None:  # read once, on the first toward / replace meaning
            self._looks = {}
            for row in read_rows(sorted((ROOT / "data/vibes").glob("*.jsonl"))):
                self._looks.setdefault(norm(row.intent), row.chain)
        if norm(name) not in self._looks:
            raise KeyError(f"no vibes row for the look {name!r}")
        return self._looks[norm(name)]

    def answer(self, concept: str, before: ToolChain) -> tuple[Triple, ToolChain | None]:
        meta = self.meta[concept]
        if meta.op == "edit":
            return meta, run_program(before, *self.programs[concept])
        if meta.op == "toward":
            return meta, blend_toward(before, self.look(str(meta.look)), float(meta.amount or 0.5))
        if meta.op == "replace":
            return meta, self.look(str(meta.look))
        return meta, None


def usual_moves(edit: list[Triple], programs: dict[str, tuple[np.ndarray, np.ndarray, str, np.ndarray]],
                scaled: set[str], core: float = 0.9, share: float = 0.6,
                agree: float = 0.8) -> dict[str, dict[int, tuple[int, bool]]]:
    """Per edit meaning, what its answer must do on a start it fits: ``{value index: (sign, required)}``
    over ``refine_features.PARAM_KEYS``. Values its rule adds to or multiplies count: ``sign`` (+1 / −1,
    0 for either) is the way the meaning's rows move the value where ``agree`` of its moves agree; a
    value moved in ``core`` of the rows must move (``required``), one moved in ``share`` of them must not
    move against its sign. A value the rule sets (a multiplication by 0 is a set) counts only where every
    taught move goes one way, and then only its sign: "drop the cool cast" sets the temperature to 0 and
    was only taught on cool looks, so a warm look, which it would cool, does not fit it; "neutral white
    balance", taught both ways, fits any start. Meanings in ``scaled``, which scale the whole look
    ("less", "double it"), ask nothing in particular."""
    by: dict[str, list[np.ndarray]] = {}
    for t in edit:
        if t.after is not None:
            by.setdefault(t.concept, []).append(chain_vector(t.after) - chain_vector(t.before))
    out: dict[str, dict[int, tuple[int, bool]]] = {}
    for concept, deltas in by.items():
        rules, consts, _, _ = programs[concept]
        out[concept] = {}
        if concept in scaled:
            continue
        d = np.array(deltas)
        moved = (d != 0).mean(axis=0)
        up, down = (d > 0).sum(axis=0), (d < 0).sum(axis=0)
        counted = (rules == RULE_ADD) | (rules == RULE_TOWARD) | ((rules == RULE_MUL) & (consts != 0))
        for k in np.flatnonzero(counted & (moved >= share)):
            n = up[k] + down[k]
            sign = 1 if up[k] >= agree * n else -1 if down[k] >= agree * n else 0
            out[concept][int(k)] = (sign, bool(moved[k] >= core))
        sets = (rules == RULE_SET) | ((rules == RULE_MUL) & (consts == 0))
        for k in np.flatnonzero(sets & (moved >= share)):
            if up[k] == 0 or down[k] == 0:  # one way in every taught row
                out[concept][int(k)] = (1 if up[k] else -1, False)
    return out


def _filter_text(values: dict[str, Any]) -> str:
    return f"{values['filter']} {values['intensity']}" if values["filter"] != "none" else "none"


def changes(before: ToolChain, after: ToolChain | None) -> str:
    """What moved, in words an author writes a rationale from ("temperature 0 → 25; filter fortune 30 →
    none")."""
    if after is None:
        return "history step: no settings"
    fb, fa = flat(before.to_wire()), flat(after.to_wire())
    out = [f"{k} {fb[k]} → {fa[k]}" for k in fb if k not in ("filter", "intensity") and fb[k] != fa[k]]
    if _filter_text(fb) != _filter_text(fa):
        out.append(f"filter {_filter_text(fb)} → {_filter_text(fa)}")
    return "; ".join(out) or "nothing"


def compact_set(before: ToolChain, after: ToolChain) -> dict[str, Any]:
    """The ``set`` of build.py's compact format: the new values of what changed."""
    fb, fa = flat(before.to_wire()), flat(after.to_wire())
    out = {k: fa[k] for k in fb if k not in ("filter", "intensity") and fb[k] != fa[k]}
    if (fb["filter"], fb["intensity"]) != (fa["filter"], fa["intensity"]):
        out["filter"] = fa["filter"]
        if fa["filter"] != "none":
            out["intensity"] = fa["intensity"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("wordings", type=Path)
    ap.add_argument("-o", "--out", type=Path, required=True)
    ap.add_argument("--full", action="store_true", help="write full triples instead of compact rows")
    ap.add_argument("--batch", default="x")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--exclude", type=Path, nargs="*", default=None,
                    help="files whose requests are not to be repeated (default: main files and blind sets)")
    a = ap.parse_args()
    triples = read_triples(MAIN)
    answerer = Answerer(triples)
    pool = load_pool()
    ids = sorted(pool)
    seen = set()
    for path in (MAIN + BLIND) if a.exclude is None else a.exclude:
        for line in path.open(encoding="utf-8"):
            if line.strip():
                seen.add(norm(json.loads(line)["request"]))
    out, dropped, unfit = [], 0, []
    for n, line in enumerate(a.wordings.open(encoding="utf-8"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            concept, request = str(row["concept"]), str(row["request"]).strip()
            if not concept.startswith("refine/"):
                concept = "refine/" + concept
            if concept not in answerer.meta:
                raise ValueError(f"unknown concept {concept!r}")
            if not request:
                raise ValueError("empty request")
            key = norm(request)
            if key in seen:
                dropped += 1
                continue
            seen.add(key)
            if row.get("before") and row["before"] not in pool:
                raise ValueError(f"unknown pool id {row['before']!r} (data/refine/pool.jsonl has P000..)")
            for attempt in range(1 if row.get("before") else 100):
                start = row.get("before") or ids[
                    zlib.crc32(f"{a.seed}|{concept}|{key}|{attempt}".encode()) % len(ids)]
                before = ToolChain.model_validate(pool[start]["chain"])
                meta, after = answerer.answer(concept, before)
                if answerer.fits(concept, before, after):
                    break
            else:
                unfit.append(n)  # the given start, or the last of 100 draws
        except (KeyError, TypeError, ValueError, json.JSONDecodeError) as e:
            sys.exit(f"{a.wordings}:{n}: {e}")
        if a.full:
            rec: dict[str, Any] = {"concept": concept, "op": meta.op, "request": request,
                                   "phrasing": a.batch, "before": before.to_wire(), "before_id": start,
                                   "rationale": str(row.get("rationale", "")),
                                   "after": None if after is None else after.to_wire(), "batch": a.batch}
        else:
            rec = {"concept": concept.removeprefix("refine/"), "op": meta.op, "before": start,
                   "start_look": pool[start]["intent"],
                   "start_filter": (f"{before.filter.name} {before.filter.intensity}" if before.filter.used
                                    else "none"), "request": request,
                   "phrasing": row.get("phrasing", "variant"), "changes": changes(before, after),
                   "rationale": str(row.get("rationale", ""))}
            if after is not None and meta.op != "replace":
                rec["set"] = compact_set(before, after)
            elif after is not None:
                rec["set"] = compact_set(ToolChain(), after)
        if meta.op in ("toward", "replace"):
            rec["look"] = meta.look
        if meta.op == "toward":
            rec["amount"] = meta.amount
        out.append(rec)
    a.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
    print(f"{len(out)} rows written to {a.out}; {dropped} dropped as repeats of an existing request")
    if unfit:
        print(f"{len(unfit)} rows have a start their meaning does not fit (the one given, or the last of 100 "
              f"draws; lines {', '.join(map(str, unfit[:20]))}{' …' if len(unfit) > 20 else ''}): check "
              f"their answers or give them another \"before\"")


if __name__ == "__main__":
    main()
