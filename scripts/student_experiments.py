#!/usr/bin/env python3
"""Student v2 experiments: every design on the concept split, the phrasing test and the behaviour suite.

    .venv/bin/python scripts/student_experiments.py --model out/exp/split_model [--train] [--json out.json]

With ``--train`` the encoder student is first trained on data/vibes/split/train.jsonl (the evaluated
model; the shipped one is the same recipe on all rows). One trained encoder serves three decoders,
compared here with the baselines:

* ``heads``: round one's decoder -- regression heads, plus the (direction-guarded) answer memory;
* ``retrieval``: answers assembled from the nearest training answers (mode-preserving);
* ``hybrid``: the heads choose tools and preset, the nearest answers supply the values;
* ``1-NN (plain MiniLM)``: the nearest training request with the untuned encoder;
* ``majority``: one answer for everything.

Prints markdown tables (docs/experiments.md) and optionally writes every figure as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "out/exp/split_model")
    ap.add_argument("--train", action="store_true", help="train the model on the train split first")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--typo-rate", type=float, default=None,
                    help="share of training requests read with a typo")
    ap.add_argument("--split", type=Path, default=ROOT / "data/vibes/split")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()

    from vibegrade.data.rows import read_rows
    from vibegrade.evaluation.behaviour import run_suite
    from vibegrade.evaluation.metrics import evaluate_chains, value_spread
    from vibegrade.students.baselines import MajorityStudent, NearestNeighbourStudent
    from vibegrade.students.encoder_student import RETRIEVAL_DEFAULTS, EncoderStudent
    from vibegrade.students.encoder_training import EncoderTrainConfig, train_encoder_student

    train = read_rows([a.split / "train.jsonl"])
    test = read_rows([a.split / "test.jsonl"])
    phr = read_rows([a.split / "phrasing.jsonl"])
    if a.train:
        extra = {"epochs": a.epochs} if a.epochs else {}
        if a.typo_rate is not None:
            extra["typo_rate"] = a.typo_rate
        cfg = EncoderTrainConfig(threads=a.threads, **extra)
        t0 = time.perf_counter()
        summary = train_encoder_student(train, a.model, cfg,
                                        progress=lambda e: print(json.dumps(e), file=sys.stderr)
                                        if "dev_overall" in e else None)
        print(f"trained in {time.perf_counter() - t0:.0f} s; best epoch {summary['best_epoch']}",
              file=sys.stderr)

    # the bare wording of each phrasing-test concept (in train): the reference the variants are held to
    held = {r.concept for r in phr}
    bare = [r for r in train if r.concept in held and r.phrasing == "bare"]
    typed_test = [r for r in test if r.phrasing != "bare"]
    bare_test = [r for r in test if r.phrasing == "bare"]
    round1_test = [r for r in test if r.extra.get("round") == 1]

    st = EncoderStudent(a.model)
    chosen = (st.decoder, dict(st.retrieval))
    grid = [("heads", {}), ("retrieval", {"k": 1}), ("retrieval", {"k": 4, "lexical": 0.0}),
            ("retrieval", {"k": 4, "answer_check": 0}), ("retrieval", {"k": 4, "compose": 0}),
            ("retrieval", {"k": 4}),
            ("hybrid", {"k": 1, "rerank": 0.0}), ("hybrid", {"k": 8, "rerank": 1.0}),
            ("hybrid", {"k": 8, "mode_cos": 0.8, "rerank": 0.3})]
    if chosen not in [(n, {**RETRIEVAL_DEFAULTS, **p}) for n, p in grid]:
        grid.append((chosen[0], chosen[1]))

    def score(predict, rows):
        return evaluate_chains(predict([r.intent for r in rows]), [r.chain for r in rows]) if rows else None

    results = {}
    for name, params in grid:
        st.decoder, st.retrieval = name, {**RETRIEVAL_DEFAULTS, **params}
        label = name if not params else f"{name} " + ",".join(f"{k}={v}" for k, v in params.items())
        preds = st.predict([r.intent for r in test])
        rep = evaluate_chains(preds, [r.chain for r in test])
        spread = value_spread(preds, [r.chain for r in test])
        beh = run_suite(st.predict)
        results[label] = {
            "test": rep, "spread": spread,
            "phrasing": score(st.predict, phr)["overall"],
            "phrasing_bare": score(st.predict, bare)["overall"],
            "test_bare": score(st.predict, bare_test)["overall"] if bare_test else None,
            "test_typed": score(st.predict, typed_test)["overall"] if typed_test else None,
            "test_round1": score(st.predict, round1_test)["overall"] if round1_test else None,
            "behaviour": {"pass_rate": beh["pass_rate"], "n": beh["n"],
                          "capabilities": {k: v["pass_rate"] for k, v in beh["capabilities"].items()}},
            "chosen_on_dev": (name, {**RETRIEVAL_DEFAULTS, **params}) == chosen,
        }
    nn = NearestNeighbourStudent(train)
    maj = MajorityStudent.fit(train)
    for label, s in (("1-NN (plain MiniLM)", nn), ("majority", maj)):
        preds = s.predict([r.intent for r in test])
        results[label] = {"test": evaluate_chains(preds, [r.chain for r in test]),
                          "spread": value_spread(preds, [r.chain for r in test]),
                          "phrasing": score(s.predict, phr)["overall"],
                          "phrasing_bare": score(s.predict, bare)["overall"],
                          "test_bare": score(s.predict, bare_test)["overall"] if bare_test else None,
                          "test_typed": score(s.predict, typed_test)["overall"] if typed_test else None,
                          "test_round1": score(s.predict, round1_test)["overall"] if round1_test else None}
    info = {"train": len(train), "test": len(test), "phrasing": len(phr), "test_bare": len(bare_test),
            "test_typed": len(typed_test), "test_round1": len(round1_test), "model": str(a.model),
            "chosen_on_dev": {"decoder": chosen[0], "retrieval": chosen[1]}}

    print(f"\nConcept-split test ({len(test)} rows of unseen concepts; train {len(train)} rows)\n")
    print("| design | overall | adjust | selective | filter | spread min–max | bare | typed | round-1 rows |")
    print("| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    for label, r in results.items():
        t = r["test"]["tools"]
        ratios = [v["ratio"] for v in r["spread"].values()]
        mark = " (the model's decoder)" if r.get("chosen_on_dev") else ""
        print(f"| {label}{mark} | {r['test']['overall']:.3f} | {t['adjust']['final']:.3f} | "
              f"{t['selective_adjust']['final']:.3f} | {t['filter']['final']:.3f} | "
              f"{min(ratios):.2f}–{max(ratios):.2f} | {r['test_bare'] or 0:.3f} | "
              f"{r['test_typed'] or 0:.3f} | "
              f"{r['test_round1'] or 0:.3f} |")
    print(
        f"\nPhrasing test ({len(phr)} new wordings of training concepts) vs the bare wordings of the same "
        "concepts\n")
    print("| design | phrasing test | bare wordings | gap |")
    print("| --- | ---: | ---: | ---: |")
    for label, r in results.items():
        print(
            f"| {label} | {r['phrasing']:.3f} | {r['phrasing_bare']:.3f} | "
            f"{r['phrasing'] - r['phrasing_bare']:+.3f} |")
    print("\nBehaviour suite (pass rate)\n")
    caps = sorted({c for r in results.values() if "behaviour" in r for c in r["behaviour"]["capabilities"]})
    print("| design | all | " + " | ".join(caps) + " |")
    print("| --- | ---: | " + " | ".join("---:" for _ in caps) + " |")
    for label, r in results.items():
        if "behaviour" in r:
            b = r["behaviour"]
            print(f"| {label} | {b['pass_rate']:.3f} | "
                  + " | ".join(f"{b['capabilities'].get(c, 0):.2f}" for c in caps) + " |")
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps({"info": info, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
