#!/usr/bin/env python3
"""Does the limits reader answer as the teacher does? The rows of the vibes data whose request it reads
("golden hour, keep skin natural", "b&w except the reds", "not enough contrast"), answered by the shipped
student with every row of their concepts taken out of its answer memory (so none is answered word for
word), with the reader off and on, scored against the teacher's own answers with the project's metric.

    .venv/bin/python scripts/limits_vibes_rows.py [--model DIR] [--json OUT] [--rows]

``--rows`` lists the rows whose score moves by more than 0.01, with the teacher's answer and both of the
student's. (docs/experiments.md, "What not to do")
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SPLIT = ROOT / "data/vibes/split"


def _moved(chain) -> str:
    """The values a chain moves, compactly."""
    adj = {k: v for k, v in chain.adjust.to_wire().items() if v}
    sel = {c: (v["saturation"], v["luminance"]) for c, v in chain.selective_adjust.model_dump().items()
           if v["saturation"] or v["luminance"]}
    flt = f" [{chain.filter.name} {chain.filter.intensity}]" if chain.filter.used else ""
    return f"{adj} {sel}{flt}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, help="a student folder (default: the shipped one)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--rows", action="store_true", help="list the rows whose score moves")
    a = ap.parse_args()

    from vibegrade.evaluation.metrics import evaluate_chains
    from vibegrade.schema import parse_chain
    from vibegrade.students import StudentLoadError, limits, load_student

    rows = [json.loads(line) for path in sorted(SPLIT.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    read = [r for r in rows if limits.read(r["intent"]) is not None]
    concepts = {r["concept"] for r in read}
    drop = {r["intent"] for r in rows if r["concept"] in concepts}
    try:
        student: Any = load_student(a.model)  # an encoder student: its memory is edited below
    except StudentLoadError as e:
        sys.exit(f"limits_vibes_rows: {e}")
    if getattr(student, "memory_intents", None) is None:
        sys.exit("limits_vibes_rows: the model has no answer memory (an encoder student is needed)")
    keep = [j for j, t in enumerate(student.memory_intents) if t not in drop]
    memory = len(student.memory_intents)
    student.memory_emb = student.memory_emb[keep]
    student.memory_chains = [student.memory_chains[j] for j in keep]
    student.memory_intents = [student.memory_intents[j] for j in keep]

    truth = [parse_chain({k: r[k] for k in ("adjust", "selective_adjust", "filter") if k in r}) for r in read]
    texts = [r["intent"] for r in read]
    answers = {}
    for name, setting in (("off", 0), ("on", 1)):
        student.retrieval["limits"] = setting
        answers[name] = student.predict(texts)
    scores = {name: evaluate_chains(p, truth) for name, p in answers.items()}
    out: dict[str, Any] = {"rows": len(read), "concepts": len(concepts), "memory": memory,
                           "memory_without": len(keep)}
    for name, sc in scores.items():
        out[f"reader_{name}"] = {"overall": sc["overall"],
                                 **{t: round(v["final"], 4) for t, v in sc["tools"].items()}}
    out["by_file"] = {}
    for path in sorted(SPLIT.glob("*.jsonl")):
        names = {json.loads(line)["intent"] for line in path.read_text(encoding="utf-8").splitlines()
                 if line.strip()}
        out["by_file"][path.stem] = sum(1 for r in read if r["intent"] in names)
    if a.rows:
        for r, t, off, on in zip(read, truth, answers["off"], answers["on"]):
            d = evaluate_chains([on], [t])["overall"] - evaluate_chains([off], [t])["overall"]
            if abs(d) > 0.01:
                print(f"{d:+.2f} {r['intent']!r}\n    teacher {_moved(t)}\n    off     {_moved(off)}\n"
                      f"    on      {_moved(on)}")
    text = json.dumps(out, indent=1)
    print(text)
    if a.json:
        a.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
