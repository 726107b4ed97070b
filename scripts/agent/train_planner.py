"""Train and evaluate the offline planner (request -> checklist) on the authored requests.

    .venv/bin/python scripts/agent/train_planner.py            # evaluate on held-out concepts
    .venv/bin/python scripts/agent/train_planner.py --json docs/results/agent_planner.json

Split: data/agent/requests by concept (agent.training.concept_split, seed 11, 20 % of concepts held out).
Hyper-parameters (mix of ridge and nearest-neighbour vote, k, threshold, ridge) are chosen on a validation
split of the training concepts only, then the planner is refitted on all training rows and scored on the
test rows. Scores: micro F1 of item signatures (region:property:direction, or "infeasible"), size accuracy
on matched items, and the same for two baselines (copy the nearest authored checklist; ridge only).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from vibegrade.agent.checklist import Checklist  # noqa: E402
from vibegrade.agent.planner import (  # noqa: E402
    OfflinePlanner,
    PlanRow,
    concept_split,  # noqa: E402
    fit_planner,
    read_plan_rows,
    signature_of,
)

REQUESTS = sorted((ROOT / "data" / "agent" / "requests").glob("*.jsonl"))


def embedder():
    from vibegrade.students import load_student
    from vibegrade.students.refine import embed_texts

    student = load_student()

    def embed(texts: Sequence[str]) -> np.ndarray:
        e = embed_texts(student, texts)
        return e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-9)

    return embed


def sig_sizes(cl: Checklist) -> dict[str, str]:
    return {signature_of(i): (i.size if i.feasible else "-") for i in cl.items}


def score(pred: Sequence[Checklist], gold: Sequence[Checklist]) -> dict[str, float]:
    tp = fp = fn = size_ok = 0
    for p, g in zip(pred, gold):
        ps, gs = sig_sizes(p), sig_sizes(g)
        hit = set(ps) & set(gs)
        tp += len(hit)
        fp += len(set(ps) - set(gs))
        fn += len(set(gs) - set(ps))
        size_ok += sum(ps[s] == gs[s] for s in hit)
    prec = tp / max(1, tp + fp)
    rec = tp / max(1, tp + fn)
    return {"f1": round(2 * prec * rec / max(1e-9, prec + rec), 4), "precision": round(prec, 4),
            "recall": round(rec, 4), "size_accuracy": round(size_ok / max(1, tp), 4), "rows": len(gold)}


def nearest_copy(train: Sequence[PlanRow], e_train: np.ndarray, e_test: np.ndarray) -> list[Checklist]:
    idx = np.argmax(e_test @ e_train.T, axis=1)
    return [train[i].checklist for i in idx]


GRID = {"mix": (0.0, 0.5, 0.7, 1.0), "k": (8, 16), "threshold": (0.2, 0.25, 0.35, 0.45),
        "ridge": (0.3, 1.0, 3.0), "lexical": (0.0, 1.0, 1.5, 2.0)}


def choose(train: Sequence[PlanRow], emb: np.ndarray, embed, seed: int = 12) -> dict[str, float]:
    """Grid search on a concept-held-out validation split of ``train``."""
    fit_rows, val_rows = concept_split(train, 0.2, seed)
    pos = {r.id: i for i, r in enumerate(train)}
    ef = emb[[pos[r.id] for r in fit_rows]]
    ev = emb[[pos[r.id] for r in val_rows]]
    best: tuple[float, dict[str, float]] = (-1.0, {})
    texts = [r.request for r in val_rows]
    for ridge, lex in itertools.product(GRID["ridge"], GRID["lexical"]):
        base = fit_planner(fit_rows, ef, embed, ridge=ridge, lexical_weight=lex)
        for mix, k, thr in itertools.product(GRID["mix"], GRID["k"], GRID["threshold"]):
            base.config.update(mix=mix, k=k, threshold=thr)
            s = base.scores(ev, texts)
            pred = [base._decode(ev[i], s[i]) for i in range(len(val_rows))]
            f1 = score(pred, [r.checklist for r in val_rows])["f1"]
            if f1 > best[0]:
                best = (f1, {"ridge": ridge, "mix": mix, "k": k, "threshold": thr, "lexical": lex})
    return {**best[1], "validation_f1": best[0]}


def evaluate(planner: OfflinePlanner, rows: Sequence[PlanRow], emb: np.ndarray) -> dict[str, float]:
    s = planner.scores(emb, [r.request for r in rows])
    return score([planner._decode(emb[i], s[i]) for i in range(len(rows))], [r.checklist for r in rows])


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args(argv)
    rows = read_plan_rows(REQUESTS)
    train, test = concept_split(rows)
    embed = embedder()
    e_train = embed([r.request for r in train])
    e_test = embed([r.request for r in test])
    hp = choose(train, e_train, embed)
    planner = fit_planner(train, e_train, embed, ridge=hp["ridge"], mix=hp["mix"], k=int(hp["k"]),
                          threshold=hp["threshold"], lexical_weight=hp["lexical"])
    ridge_only = fit_planner(train, e_train, embed, ridge=hp["ridge"], mix=1.0, k=int(hp["k"]),
                             threshold=hp["threshold"], lexical_weight=hp["lexical"])
    embedding_only = fit_planner(train, e_train, embed, ridge=hp["ridge"], mix=hp["mix"], k=int(hp["k"]),
                                 threshold=hp["threshold"], lexical_weight=0.0)
    gold = [r.checklist for r in test]
    result = {
        "rows": {"train": len(train), "test": len(test),
                 "test_concepts": len({r.concept for r in test})},
        "chosen": hp,
        "planner": evaluate(planner, test, e_test),
        "ridge_only": evaluate(ridge_only, test, e_test),
        "embedding_only": evaluate(embedding_only, test, e_test),
        "nearest_copy": score(nearest_copy(train, e_train, e_test), gold),
    }
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
