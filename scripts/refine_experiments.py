"""Refinement model experiments: designs compared on held-out follow-up meanings, and the shipped model.

    .venv/bin/python scripts/refine_experiments.py                    # compare designs (split model)
    .venv/bin/python scripts/refine_experiments.py --cv               # + hyper-parameter search on train
    .venv/bin/python scripts/refine_experiments.py --ship             # + train on all rows, write the
                                                                      #   shipped model folder
    .venv/bin/python scripts/refine_experiments.py --ship \
        --extra-sets blind,blind2,blind4,blind6,blind7,blind8         # the shipped recipe: + the blind
                                                                      #   development sets in training
    .venv/bin/python scripts/refine_experiments.py --json out.json    # figures as JSON

The split is by concept (``split_triples``: 20 % of rows, seed 7): the test follow-ups mean something
(a direction and size, a look, a strength) no training row says. Designs:

* ``keep``: the current chain unchanged (the floor);
* ``replace``: the vibes student answers the follow-up from its words alone (what vibegrade did before
  refinement existed: every request a new look);
* ``nearest``: the training follow-up nearest in embedding; its op, and for an edit its change
  (after − before) added to the current chain;
* ``bilinear``: the refinement model (students/refine.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from vibegrade.evaluation.refine_metrics import score_refinements  # noqa: E402
from vibegrade.schema import ToolChain  # noqa: E402
from vibegrade.students import load_student  # noqa: E402
from vibegrade.students.refine import OPS, RefineModel, blend_toward, embed_texts  # noqa: E402
from vibegrade.students.refine_features import chain_vector, vector_chain  # noqa: E402
from vibegrade.students.refine_training import (  # noqa: E402
    RefineConfig,
    Triple,
    read_triples,
    split_phrasings,
    split_triples,
    train_refiner,
)

DATA = sorted(p for p in (ROOT / "data/refine").glob("*.jsonl") if p.name != "pool.jsonl")


def blind_rows(names: list[str]) -> list[Triple]:
    """The rows of blind sets whose answer fits its meaning (``answer.Answerer.fits``)."""
    if not names:
        return []
    sys.path.insert(0, str(ROOT / "scripts/refine_data"))
    from answer import MAIN, Answerer  # the meanings' taught rules and the start check

    answerer = Answerer(read_triples(MAIN))
    out = []
    for name in names:
        path = ROOT / "data/refine" / name / "triples.jsonl"
        if not path.is_file():
            sys.exit(f"refine_experiments: no blind set {name!r} ({path})")
        rows = read_triples([path])
        keep = [t for t in rows if t.concept in answerer.meta and (
            t.after is None or answerer.fits(t.concept, t.before, t.after))]
        print(f"{name}: {len(keep)} of {len(rows)} rows fit their meaning, added to training", flush=True)
        out += keep
    return out


def score(test: list[Triple], preds: list[ToolChain | None], ops: list[str]) -> dict:
    return score_refinements([t.before for t in test], preds, [t.after for t in test], ops,
                             [t.op for t in test])


def design_keep(test: list[Triple]) -> tuple[list, list]:
    return [t.before for t in test], ["edit"] * len(test)


def design_replace(test: list[Triple], student) -> tuple[list, list]:
    return student.predict([t.request for t in test]), ["replace"] * len(test)


def design_nearest(train: list[Triple], test: list[Triple], student) -> tuple[list, list]:
    e_tr = embed_texts(student, [t.request.lower() for t in train])
    e_te = embed_texts(student, [t.request.lower() for t in test])
    nn = np.argmax(e_te @ e_tr.T, axis=1)
    looks = student.predict([t.request for t in test])
    preds, ops = [], []
    for i, t in enumerate(test):
        n = train[int(nn[i])]
        ops.append(n.op)
        if n.op in ("undo", "redo", "reset"):
            preds.append(None)
        elif n.op == "replace":
            preds.append(looks[i])
        elif n.op == "toward":
            preds.append(blend_toward(t.before, looks[i], float(n.amount or 0.5)))
        else:
            d = chain_vector(n.after) - chain_vector(n.before)  # type: ignore[arg-type]
            kept = n.after.filter.name == n.before.filter.name  # type: ignore[union-attr]
            name = t.before.filter.name if kept else n.after.filter.name  # type: ignore[union-attr]
            preds.append(vector_chain(chain_vector(t.before) + d, name))
    return preds, ops


def design_model(model: RefineModel, test: list[Triple]) -> tuple[list, list]:
    res = model.refine_many([(t.before, t.request) for t in test])
    return [r.chain for r in res], [r.op for r in res]


def cache_encoder(student) -> None:
    """Memoise the student's encoder per text (the experiments embed the same requests many times)."""
    enc = student.encoder
    memo: dict[str, np.ndarray] = {}
    plain = enc.encode

    def encode(texts, batch_size: int = 64):
        todo = [t for t in dict.fromkeys(texts) if t not in memo]
        if todo:
            memo.update(zip(todo, plain(todo, batch_size=batch_size)))
        return np.stack([memo[t] for t in texts]) if texts else plain(texts)

    enc.encode = encode


def cross_validate(train: list[Triple], student, out: Path, grid: list[RefineConfig]) -> RefineConfig:
    """Choose the configuration by 3-fold phrasing-split validation inside the training rows."""
    folds = [split_phrasings(train, test_fraction=0.25, seed=100 + k) for k in range(3)]
    best, best_key = grid[0], (-1.0, -1.0)
    for cfg in grid:
        dirs, overall = [], []
        for k, (tr, va) in enumerate(folds):
            m = train_refiner(tr, student, out / f"cv{k}", cfg)
            s = score(va, *design_model(m, va))
            dirs.append(s["direction_correct"] or 0.0)
            overall.append(s["overall"])
        key = (round(float(np.mean(dirs)), 4), round(float(np.mean(overall)), 4))
        print(f"  cv {cfg}: direction {key[0]:.3f} overall {key[1]:.3f}", flush=True)
        if key > best_key:
            best, best_key = cfg, key
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cv", action="store_true")
    ap.add_argument("--ship", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--work", type=Path, default=ROOT / "out/refine")
    ap.add_argument("--design", choices=("linear", "mlp"), default="linear",
                    help="the refinement model's design (docs/refine.md)")
    ap.add_argument("--edit-decoder", choices=("program", "delta"), default="program")
    ap.add_argument("--extra-train", default="",
                    help="comma-separated batches kept out of the split and added to training only "
                         "(e.g. f,g,h,i: the second round's wordings, measured on the first round's test)")
    ap.add_argument("--train-all", type=Path, metavar="DIR",
                    help="also train the recipe on every selected row (see --batches) and write it to DIR, "
                         "e.g. to score it on a blind set")
    ap.add_argument("--batches", default="",
                    help="comma-separated batches to use (default: all), e.g. a,b,c,d,e,f,g,h,i: the rows "
                         "of the first two rounds only")
    ap.add_argument("--extra-sets", default="",
                    help="comma-separated blind sets (data/refine/NAME/triples.jsonl) added to training "
                         "only, the rows whose answer fits its meaning (the shipped recipe: blind,blind2,"
                         "blind4,blind6,blind7,blind8, the development sets); also to --train-all's and "
                         "--ship's model")
    ap.add_argument("--no-said-guard", action="store_true",
                    help="let the delta head move a value against the direction the words name (ablation)")
    ap.add_argument("--no-plain-guard", action="store_true",
                    help="let a plain follow-up ('a hair brighter') take a meaning or a delta-head move that "
                         "names other attributes (ablation)")
    ap.add_argument("--no-answer-check", action="store_true",
                    help="keep a plain follow-up's answer even where it does not move what the words name "
                         "their way ('too sharp' on a look without sharpening: no move) (ablation)")
    ap.add_argument("--split", choices=("phrasing", "concept"), default="phrasing",
                    help="phrasing: new wordings of taught meanings (default); "
                         "concept: meanings never taught")
    args = ap.parse_args()
    triples = read_triples(DATA)
    if args.batches and args.ship:
        sys.exit("refine_experiments: --ship trains on every row; leave out --batches")
    if args.batches:
        use = set(args.batches.split(","))
        triples = [t for t in triples if t.batch in use]
        if not triples:
            sys.exit(f"refine_experiments: no rows in batches {sorted(use)}")
    extra_batches = {b for b in args.extra_train.split(",") if b}
    extra = [t for t in triples if t.batch in extra_batches]
    train, test = (split_phrasings if args.split == "phrasing" else split_triples)(
        [t for t in triples if t.batch not in extra_batches])
    held = {" ".join(t.request.lower().split()) for t in test}
    extra += blind_rows([n for n in args.extra_sets.split(",") if n])
    train += [t for t in extra if " ".join(t.request.lower().split()) not in held
              and (args.split == "phrasing" or t.concept not in {x.concept for x in test})]
    print(f"{len(triples)} triples ({len({t.concept for t in triples})} concepts), {args.split} split: "
          f"train {len(train)}, test {len(test)} ({len({t.concept for t in test})} concepts)", flush=True)
    student = load_student()
    cache_encoder(student)
    cfg = RefineConfig(design=args.design, edit_decoder=args.edit_decoder)
    if args.cv:
        if args.design == "linear":
            grid = [RefineConfig(emb_weight=e, bow_weight=1.0, ridge=r, ridge_delta=r)
                    for e in (0.5, 1.0, 2.0) for r in (0.3, 1.0, 3.0)]
        else:
            grid = [RefineConfig(design="mlp", hidden=h, epochs=ep, dropout=dr)
                    for h in (256, 512) for ep in (200, 400) for dr in (0.1, 0.3)]
        cfg = cross_validate(train, student, args.work, grid)
        print(f"chosen: {cfg}")
    results = {}
    t0 = time.perf_counter()
    model = train_refiner(train, student, args.work / f"split-{args.split}", cfg, name="refine-split")
    fit_s = time.perf_counter() - t0
    model.said_guard = not args.no_said_guard
    model.plain_guard = not args.no_plain_guard
    model.answer_check = not args.no_answer_check
    for name, fn in [("keep", lambda: design_keep(test)), ("replace", lambda: design_replace(test, student)),
                     ("nearest", lambda: design_nearest(train, test, student)),
                     (f"{args.design}/{args.edit_decoder}", lambda: design_model(model, test))]:
        results[name] = score(test, *fn())
        r = results[name]
        print(f"{name:9s} overall {r['overall']:.3f}  direction {r['direction_correct']}  main "
              f"{r['main_direction_correct']}  wrong-way {r['wrong_way']}  restrained "
              f"{r['restrained']}  op {r['op_accuracy']:.3f}  filter {r['filter_right']}  "
              f"MAE {r['mean_abs_error']}", flush=True)
    by_op = {}
    for op in OPS:
        sub = [t for t in test if t.op == op]
        if sub:
            by_op[op] = score(sub, *design_model(model, sub))
    for op, r in by_op.items():
        print(f"  {args.design} on {op:8s} n={r['n']:4d} op {r['op_accuracy']:.3f} "
              f"overall {r['overall']:.3f} direction {r['direction_correct']} "
              f"main {r['main_direction_correct']} wrong-way {r['wrong_way']}",
              flush=True)
    # round 5's wordings (batches q-t: written to say which way in many ways) against the rounds before
    by_round = {}
    for name, batches in (("rounds 1-4", set("abcdefghijklmnop")), ("round 5", set("qrst"))):
        sub = [t for t in test if t.batch in batches]
        if sub:
            by_round[name] = score(sub, *design_model(model, sub))
            r = by_round[name]
            print(f"  {args.design} on {name:10s} n={r['n']:4d} overall {r['overall']:.3f} direction "
                  f"{r['direction_correct']} main {r['main_direction_correct']} wrong-way {r['wrong_way']}",
                  flush=True)
    out = {"split": args.split, "extra_train": sorted(extra_batches), "said_guard": model.said_guard,
           "plain_guard": model.plain_guard, "answer_check": model.answer_check,
           "n": len(triples), "train": len(train),
           "test": len(test),
           "config": cfg.__dict__,
           "fit_seconds": round(fit_s, 1), "designs": results, "bilinear_by_op": by_op,
           "by_round": by_round}
    if args.train_all:
        rows = triples + [t for t in extra if t.batch not in extra_batches]
        written = train_refiner(rows, student, args.train_all, cfg, name="refine-all-selected")
        print(f"model on all {len(rows)} selected rows written to {written.path}")
    if args.ship:
        rows = triples + [t for t in extra if t.batch not in extra_batches]
        shipped = train_refiner(rows, student, ROOT / "src/vibegrade/students/refine_model", cfg,
                                name="refine-v1-bilinear")
        print(f"shipped model written to {shipped.path}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
