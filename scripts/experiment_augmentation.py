"""Reproduce the design of the original work's augmentation table with the encoder student.

For train fractions 100 / 50 / 25 / 12.5 % of the vibes train split (seeded subsamples): train a student,
score it on the test split; run one augmentation round (mistakes on up to 1,000 training requests ->
similar requests from the offline generator, paired with the teacher's answers), retrain on the union,
score again. Prints a Markdown table and writes all figures as JSON.

Usage:
    .venv/bin/python scripts/experiment_augmentation.py [--epochs 12] [--fractions 1 0.5 0.25 0.125]
        [--out docs/results/augmentation.json]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from vibegrade.data.rows import read_rows
from vibegrade.evaluation.metrics import evaluate_chains
from vibegrade.students.augment import OfflineParaphraser, augment_rows
from vibegrade.students.encoder_student import EncoderStudent
from vibegrade.students.encoder_training import EncoderTrainConfig, train_encoder_student

ROOT = Path(__file__).resolve().parents[1]


def score(model_dir: Path, test) -> float:
    student = EncoderStudent(model_dir)
    return evaluate_chains(student.predict([r.intent for r in test]), [r.chain for r in test])["overall"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--fractions", type=float, nargs="+", default=[1.0, 0.5, 0.25, 0.125])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-request", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "augmentation.json")
    a = ap.parse_args()
    train = read_rows([ROOT / "data/vibes/split/train.jsonl"])
    test = read_rows([ROOT / "data/vibes/split/test.jsonl"])
    results = []
    work = Path(tempfile.mkdtemp(prefix="vibegrade-aug-"))
    for frac in a.fractions:
        rng = random.Random(a.seed)
        sub = train if frac >= 1 else rng.sample(train, max(10, round(frac * len(train))))
        cfg = EncoderTrainConfig(epochs=a.epochs, seed=a.seed, threads=a.threads)
        t0 = time.time()
        base_dir = work / f"base_{frac}"
        train_encoder_student(sub, base_dir, cfg)
        base = score(base_dir, test)
        new, stats = augment_rows(EncoderStudent(base_dir), sub, OfflineParaphraser(a.seed),
                                  sample=1000, per_request=a.per_request, seed=a.seed)
        aug_dir = work / f"aug_{frac}"
        train_encoder_student(list(sub) + new, aug_dir, cfg)
        aug = score(aug_dir, test)
        rec = {"fraction": frac, "train_rows": len(sub), "new_rows": len(new), "overall": base,
               "overall_augmented": aug, "gain": round((aug - base) / base, 4) if base else None,
               "augmentation": stats, "minutes": round((time.time() - t0) / 60, 1)}
        results.append(rec)
        print(json.dumps(rec), flush=True)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({"epochs": a.epochs, "seed": a.seed, "test_rows": len(test),
                                 "results": results},
                                indent=2))
    print("\n| train data | rows | overall | + 1 augmentation round (new rows) | relative change |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['fraction']:.1%} | {r['train_rows']} | {r['overall']:.3f} | "
              f"{r['overall_augmented']:.3f} "
              f"({r['new_rows']}) | {r['gain']:+.1%} |")


if __name__ == "__main__":
    main()
