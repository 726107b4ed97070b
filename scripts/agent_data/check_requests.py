"""Check authored planner rows (data/agent/requests/*.jsonl) against data/agent/STYLE_GUIDE.md.

    python scripts/agent_data/check_requests.py data/agent/requests/*.jsonl

Errors (exit 1): a line that is not JSON, a missing or malformed field, a checklist the project's model
rejects (vibegrade.agent.checklist), a duplicate row id or request text, phrasings of one concept whose
checklists differ (items compared by region, property, direction, size, feasible), contradicting items
(increase and decrease of one property in one region), more than 6 feasible items.
Warnings: a row with no feasible item (allowed for wholly impossible requests).
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from vibegrade.agent.checklist import parse_checklist

ID = re.compile(r"^[a-z0-9]+-\d{4}$")
CONCEPT = re.compile(r"^[a-z0-9_]{2,60}$")


def norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def signature(checklist) -> tuple:
    return tuple(sorted((i.region, i.property, i.direction, i.size if i.feasible else "-", i.feasible)
                        for i in checklist.items))


def main(paths: list[str]) -> int:
    errors: list[str] = []
    warnings: list[str] = []
    ids: dict[str, str] = {}
    requests: dict[str, str] = {}
    concepts: dict[str, list[tuple[str, tuple]]] = defaultdict(list)
    n = 0
    for path in paths:
        for ln, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path}:{ln}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"{where}: not JSON ({e.msg})")
                continue
            n += 1
            missing = [k for k in ("id", "concept", "request", "rationale", "checklist") if k not in row]
            extra = sorted(set(row) - {"id", "concept", "request", "rationale", "checklist"})
            if missing or extra:
                errors.append(f"{where}: missing {missing} / unknown {extra}")
                continue
            rid, concept, request = row["id"], row["concept"], row["request"]
            if not (isinstance(rid, str) and ID.match(rid)):
                errors.append(f"{where}: bad id {rid!r}")
            elif rid in ids:
                errors.append(f"{where}: id {rid} repeats {ids[rid]}")
            else:
                ids[rid] = where
            if not (isinstance(concept, str) and CONCEPT.match(concept)):
                errors.append(f"{where}: bad concept {concept!r}")
            if not (isinstance(request, str) and 2 <= len(request.strip()) <= 300):
                errors.append(f"{where}: request must be text of 2..300 characters")
                continue
            if not (isinstance(row["rationale"], str) and len(row["rationale"].strip()) >= 20):
                errors.append(f"{where}: rationale too short")
            key = norm(request)
            if key in requests:
                errors.append(f"{where}: request {request!r} repeats {requests[key]}")
            else:
                requests[key] = where
            try:
                cl = parse_checklist(row["checklist"])
            except ValueError as e:
                errors.append(f"{where}: checklist: {e}")
                continue
            feasible = cl.feasible
            if not feasible:
                warnings.append(f"{where}: no feasible item ({request!r})")
            if len(feasible) > 6:
                errors.append(f"{where}: {len(feasible)} feasible items (6 at most)")
            seen: dict[tuple[str, str], str] = {}
            for it in feasible:
                if it.direction == "keep":
                    continue
                k = (it.region, it.property)
                if k in seen and seen[k] != it.direction:
                    errors.append(f"{where}: {it.property} of {it.region} both increases and decreases")
                seen[k] = it.direction
            concepts[concept].append((where, signature(cl)))
    for concept, rows in concepts.items():
        sigs = {s for _, s in rows}
        if len(sigs) > 1:
            errors.append(f"concept {concept}: phrasings disagree ({', '.join(w for w, _ in rows)})")
    for w in warnings:
        print("warning:", w)
    for e in errors:
        print("error:", e)
    print(f"{n} rows, {len(concepts)} concepts, {len(errors)} errors, {len(warnings)} warnings")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
