"""Score a refinement model on a blind set of wordings (data/refine/blind*/, see their READMEs).

    .venv/bin/python scripts/refine_data/blind_eval.py [--set blind|blind2|...|blind8] [--model DIR]
                                                       [--json OUT] [--failures] [--no-said-guard]
                                                       [--no-answer-check]

Each set's wordings were written by an author who saw only the style guide and a few wordings of each
meaning, never the model or its direction reader; each is answered by its meaning's taught rule on a
seeded start from the pool (scripts/refine_data/answer.py). The default model is the shipped one
(trained on all of data/refine/*.jsonl, none of these).

Sets 2–5 were answered before ``answer.py`` checked that a start fits its meaning, so some of their
answers move a value against the meaning ("less contrast" that halves a negative contrast, a rise) or
leave a part of it undone ("cooler and less glow" on a look without glow). The scores are printed
twice: on every row, and on the rows whose answer fits its meaning (``answer.Answerer.fits``, against
the meanings of the main files); the JSON has the second under ``fitting``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

sys.path.insert(0, str(Path(__file__).resolve().parent))

from answer import MAIN, Answerer  # noqa: E402  (the meanings' taught rules and the start check)

from vibegrade.evaluation.refine_metrics import main_direction_correct, score_refinements, wrong_way  # noqa: E402
from vibegrade.students import StudentLoadError  # noqa: E402
from vibegrade.students.refine import load_refiner  # noqa: E402
from vibegrade.students.refine_training import read_triples  # noqa: E402

SETS = {p.parent.name: p for p in sorted((ROOT / "data/refine").glob("blind*/triples.jsonl"))}
KEYS = ("n", "overall", "direction_correct", "main_direction_correct", "wrong_way", "restrained",
        "op_accuracy", "mean_abs_error")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", choices=sorted(SETS), default="blind", help="which blind set (default: blind)")
    ap.add_argument("--model", type=Path, help="a refinement model folder (default: the shipped one)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--failures", action="store_true", help="list the rows whose main move goes wrong")
    ap.add_argument("--no-said-guard", action="store_true",
                    help="let the delta head move a value against the direction the words name (ablation)")
    ap.add_argument("--no-answer-check", action="store_true",
                    help="keep a plain follow-up's answer where it does not move what the words name "
                         "(ablation of RefineModel.answer_check)")
    a = ap.parse_args()
    rows = read_triples([SETS[a.set]])
    try:
        model = load_refiner(a.model)
    except StudentLoadError as e:
        sys.exit(f"blind_eval: {e}")
    model.said_guard = not a.no_said_guard
    model.answer_check = not a.no_answer_check
    res = model.refine_many([(t.before, t.request) for t in rows])

    def scores(keep: list[int]) -> dict[str, float]:
        rep = score_refinements([rows[i].before for i in keep], [res[i].chain for i in keep],
                                [rows[i].after for i in keep], [res[i].op for i in keep],
                                [rows[i].op for i in keep])
        return {k: rep[k] for k in KEYS if k in rep}

    answerer = Answerer(read_triples(MAIN))
    fitting = [i for i, t in enumerate(rows)
               if t.concept in answerer.meta and answerer.fits(t.concept, t.before, t.after)]
    out = scores(list(range(len(rows))))
    out["fitting"] = scores(fitting)
    print(json.dumps({k: v for k, v in out.items() if k != "fitting"}))
    print(f"rows whose answer fits its meaning ({len(fitting)} of {len(rows)}): {json.dumps(out['fitting'])}")
    if a.failures:
        for t, r in zip(rows, res):
            if r.chain is not None and t.after is not None and (
                    main_direction_correct(t.before, r.chain, t.after) is False
                    or wrong_way(t.before, r.chain, t.after)):
                print(f"  {r.op:7s} {t.request}  ({t.concept})")
    if a.json:
        record = {"set": a.set, "model": str(a.model or "shipped"), "said_guard": model.said_guard,
                  "answer_check": model.answer_check, **out}
        a.json.write_text(json.dumps(record, indent=1) + "\n",
                          encoding="utf-8")


if __name__ == "__main__":
    main()
