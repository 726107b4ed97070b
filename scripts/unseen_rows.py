#!/usr/bin/env python3
"""A retrieval setting of the shipped student off and on, against the teacher, on vibes rows it has not
stored: the rows' concepts are taken out of its answer memory (every row of them, so none is answered word
for word or from a rewording), and both answers are scored with the project's metric. (The encoder was
trained on every row, so this shows what the setting does with the memory, not a concept split.)

    .venv/bin/python scripts/unseen_rows.py --setting limits --rows limits [--json OUT] [--list]
    .venv/bin/python scripts/unseen_rows.py --setting compose_size --off 0 --rows test [--json OUT]
    .venv/bin/python scripts/unseen_rows.py --setting opposite --rows less [--json OUT] [--list]
    .venv/bin/python scripts/unseen_rows.py --setting more_of --rows more [--json OUT] [--list]

``--rows limits``: the rows whose request ``students.limits`` reads ("golden hour, keep skin natural",
"b&w except the reds"); ``--rows less``: the rows whose request ``students.opposite`` reads ("less
moody", "not so gloomy", "less washed out"); ``--rows more``: the rows whose request ``students.more_of``
reads and ``students.opposite`` does not ("moodier", "a bit more vintage", "make it super hazy");
``--rows test``: the concept split's test rows. ``--list`` prints the rows whose score moves by more than
0.01, with the teacher's answer and both of the student's. (docs/experiments.md, "What not to do", "Less
of it", "More of it")
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SPLIT = ROOT / "data/vibes/split"
PROG = "unseen_rows"
sys.path.insert(0, str(ROOT / "scripts"))

from blind_sets import moved as _moved  # noqa: E402  (the compact chain the blind-set evals print)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--setting", required=True, help="a key of the student's retrieval settings, e.g. limits")
    ap.add_argument("--off", type=float, default=0.0, help="its value for the 'off' answers (default 0)")
    ap.add_argument("--on", type=float, help="its value for the 'on' answers (default: the model's own)")
    ap.add_argument("--rows", choices=("limits", "less", "more", "test"), required=True)
    ap.add_argument("--model", type=Path, help="a student folder (default: the shipped one)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--list", action="store_true", help="list the rows whose score moves")
    a = ap.parse_args()

    from vibegrade.evaluation.metrics import evaluate_chains
    from vibegrade.schema import parse_chain
    from vibegrade.students import StudentLoadError, limits, load_student, more_of, opposite
    from vibegrade.students.request_text import canonical

    files = {path.stem: [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                         if line.strip()] for path in sorted(SPLIT.glob("*.jsonl"))}
    if a.rows == "test":
        rows = files["test"]
    elif a.rows == "less":  # the words as the student reads them (wrappers off: "make it less moody")
        rows = [r for f in files.values() for r in f if opposite.read(canonical(r["intent"])) is not None]
    elif a.rows == "more":
        rows = [r for f in files.values() for r in f if opposite.read(canonical(r["intent"])) is None
                and more_of.read(canonical(r["intent"])) is not None]
    else:
        rows = [r for f in files.values() for r in f if limits.read(r["intent"]) is not None]
    concepts = {r["concept"] for r in rows}
    drop = {r["intent"] for f in files.values() for r in f if r["concept"] in concepts}
    try:
        student: Any = load_student(a.model)  # an encoder student: its memory is edited below
    except StudentLoadError as e:
        sys.exit(f"{PROG}: {e}")
    retrieval = getattr(student, "retrieval", None)
    if getattr(student, "memory_intents", None) is None or not isinstance(retrieval, dict):
        sys.exit(f"{PROG}: the model has no answer memory (an encoder student is needed)")
    if a.setting not in retrieval:
        sys.exit(f"{PROG}: unknown setting {a.setting!r} (one of {', '.join(sorted(retrieval))})")
    keep = [j for j, t in enumerate(student.memory_intents) if t not in drop]
    out: dict[str, Any] = {"rows": len(rows), "concepts": len(concepts),
                           "memory": len(student.memory_intents), "memory_without": len(keep),
                           "setting": a.setting}
    student.memory_emb = student.memory_emb[keep]
    student.memory_chains = [student.memory_chains[j] for j in keep]
    student.memory_intents = [student.memory_intents[j] for j in keep]

    truth = [parse_chain({k: r[k] for k in ("adjust", "selective_adjust", "filter") if k in r}) for r in rows]
    texts = [r["intent"] for r in rows]
    values = {"off": a.off, "on": retrieval[a.setting] if a.on is None else a.on}
    answers = {}
    for name, value in values.items():
        retrieval[a.setting] = value
        answers[name] = student.predict(texts)
    for name, got in answers.items():
        sc = evaluate_chains(got, truth)
        out[name] = {"value": values[name], "overall": sc["overall"],
                     **{t: round(v["final"], 4) for t, v in sc["tools"].items()}}
    moved = [i for i, (x, y) in enumerate(zip(answers["off"], answers["on"])) if x != y]
    out["rows_moved"] = len(moved)
    if moved:
        out["on_moved_rows"] = {name: evaluate_chains([answers[name][i] for i in moved],
                                                      [truth[i] for i in moved])["overall"]
                                for name in answers}
    out["by_file"] = {stem: sum(1 for r in rows if r["intent"] in {x["intent"] for x in f})
                      for stem, f in files.items()}
    if a.list:
        for r, t, off, on in zip(rows, truth, answers["off"], answers["on"]):
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
