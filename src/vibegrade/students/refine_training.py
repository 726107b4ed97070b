"""Training the refinement model (:class:`vibegrade.students.refine.RefineModel`), top to bottom.

Read top to bottom:

1. rows are the authored triples of ``data/refine/*.jsonl`` (``before``, ``request``, ``op``,
   ``after``, ``amount``); :func:`read_triples` validates them;
2. every request becomes φ = [encoder embedding · ``emb_weight``, lexical features, 1] with the vibes
   student's encoder (frozen);
3. four heads are fitted in closed form, ``W = (XᵀX + λI)⁻¹ Xᵀ Y``:
   the op head on one-hot ops (all rows); the filter head on keep / none / preset (edit rows); the amount
   head on the authored amount (toward rows); and, per value p of the 27, the delta head on
   ``after_p − before_p`` with inputs [φ, φ·before_p/100] (edit rows);
4. the heads, the direction vocabulary and the training requests (for typo repair) are written to a
   model folder.

NumPy only, a few seconds on a CPU for 2,000 rows (the encoder pass dominates).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vibegrade.files import atomic_write_text
from vibegrade.schema import FILTER_NONE, ToolChain
from vibegrade.students import Student
from vibegrade.students.refine import HEAD_OPS, MODEL_KIND, OPS, RefineModel
from vibegrade.students.refine_features import (
    PARAM_KEYS,
    RANGES,
    bag_of_ngrams,
    chain_vector,
    direction_vocab,
    lexical,
    ngram_vocab,
)

__all__ = ["Triple", "RefineConfig", "read_triples", "train_refiner", "split_triples", "split_phrasings",
           "scale_factor"]


@dataclass(frozen=True)
class Triple:
    """One authored refinement: the chain before, the follow-up, what it does and the chain after."""

    before: ToolChain
    request: str
    op: str
    after: ToolChain | None
    concept: str
    amount: float | None = None
    look: str | None = None
    phrasing: str = "variant"
    batch: str = ""


@dataclass(frozen=True)
class RefineConfig:
    """Hyper-parameters (chosen by grouped cross-validation on the training split, docs/refine.md)."""

    emb_weight: float = 2.0
    bow_weight: float = 1.0
    ridge: float = 1.0
    ridge_delta: float = 1.0
    min_move: float = 2.0
    min_ngram_count: int = 2
    #: ``linear``: the heads read φ directly (ridge, closed form); ``mlp``: they read a learned hidden
    #: layer ``gelu(φ W + b)`` trained jointly with them (torch, at training time only)
    design: str = "linear"
    #: ``program``: an edit is the taught program of the nearest meaning unless the delta head disagrees
    #: on a direction; ``delta``: the delta head alone
    edit_decoder: str = "program"
    hidden: int = 256
    epochs: int = 300
    lr: float = 3e-3
    weight_decay: float = 1e-4
    dropout: float = 0.2
    seed: int = 0


def read_triples(paths: Iterable[str | os.PathLike[str]]) -> list[Triple]:
    """The triples of ``data/refine``-format JSONL files (``pool.jsonl`` is skipped), validated."""
    out: list[Triple] = []
    for path in paths:
        p = Path(path)
        if p.name == "pool.jsonl":
            continue
        for n, line in enumerate(p.open(encoding="utf-8"), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                op = row["op"]
                if op not in OPS:
                    raise ValueError(f"op {op!r} is not one of {OPS}")
                after = None if row.get("after") is None else ToolChain.model_validate(row["after"])
                if after is None and op not in ("undo", "redo", "reset"):
                    raise ValueError(f"a {op!r} row needs 'after'")
                out.append(Triple(ToolChain.model_validate(row["before"]), str(row["request"]), op, after,
                                  str(row["concept"]), row.get("amount"), row.get("look"),
                                  row.get("phrasing", "variant"), str(row.get("batch", ""))))
            except (KeyError, TypeError, ValueError, json.JSONDecodeError) as e:
                raise ValueError(f"{p}:{n}: {e}") from None
    return out


def _ridge(x: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """Closed-form ridge ``(XᵀX + λI)⁻¹Xᵀy``, or its dual ``Xᵀ(XXᵀ + λI)⁻¹y`` when there are more features
    than rows (the same solution, a smaller system)."""
    n, d = x.shape
    if d <= n:
        return np.linalg.solve(x.T @ x + lam * np.eye(d), x.T @ y)
    return x.T @ np.linalg.solve(x @ x.T + lam * np.eye(n), y)


def fit_heads(phi: np.ndarray, triples: Sequence[Triple], presets: Sequence[str],
              cfg: RefineConfig) -> dict[str, Any]:
    """The four heads from features ``phi`` (n, D) of ``triples``."""
    d = phi.shape[1]
    tg = _targets(triples, presets)
    factors = tg["scale"]
    ops = np.eye(len(HEAD_OPS))[tg["op"]]
    # classes weighted by 1/√count so the few history rows are not drowned by the edits
    sw = 1.0 / np.sqrt(ops.sum(0)[ops.argmax(1)])
    sw = np.sqrt(sw / sw.mean())[:, None]
    op_w = _ridge(phi * sw, ops * sw, cfg.ridge)

    scaled = np.flatnonzero(~np.isnan(tg["factor"]))
    factor_w = _ridge(phi[scaled], tg["factor"][scaled], cfg.ridge) if len(scaled) else np.zeros(d)

    edit = np.flatnonzero(tg["edit"])
    classes = tg["classes"]
    fy = np.eye(len(classes))[tg["filter"][edit]]
    filter_w = _ridge(phi[edit], fy, cfg.ridge) if len(edit) else np.zeros((d, len(classes)))

    toward = np.flatnonzero(~np.isnan(tg["amount"]))
    amount_w = _ridge(phi[toward], tg["amount"][toward], cfg.ridge) if len(toward) else np.zeros(d)

    before, after = tg["before"][edit], tg["after"][edit]
    pe = phi[edit]
    delta_a = np.zeros((len(PARAM_KEYS), d))
    delta_b = np.zeros((len(PARAM_KEYS), d))
    # inputs [φ·c_p/100, φ] per value p, solved in the dual: their Gram matrix is G ∘ (1 + c cᵀ/10⁴)
    gram = pe @ pe.T
    for p in range(len(PARAM_KEYS)):
        c = before[:, p] / 100.0
        alpha = np.linalg.solve(gram * (1.0 + np.outer(c, c)) + cfg.ridge_delta * np.eye(len(edit)),
                                after[:, p] - before[:, p])
        delta_b[p], delta_a[p] = pe.T @ (alpha * c), pe.T @ alpha
    out = {"op": op_w, "filter": filter_w, "amount": amount_w, "factor": factor_w, "delta.a": delta_a,
           "delta.b": delta_b, "filter_classes": classes}
    out.update(fit_programs(phi, triples, classes, factors, cfg))
    return out


#: Per-value rules of an edit program: keep the value, add a constant, multiply by one, set it to one.
RULE_KEEP, RULE_ADD, RULE_MUL, RULE_SET, RULE_TOWARD = 0, 1, 2, 3, 4


def _apply_rule(rule: int, const: float, b: np.ndarray) -> np.ndarray:
    if rule == RULE_ADD:
        return b + const
    if rule == RULE_MUL:
        return b * const
    if rule == RULE_SET:
        return np.full_like(b, const)
    if rule == RULE_TOWARD:
        return np.sign(b) * np.maximum(np.abs(b) - const, 0.0)
    return b


def _fit_rule(b: np.ndarray, a: np.ndarray, lo: float, hi: float) -> tuple[int, float]:
    """The rule (and constant) that best explains ``before → after`` over one concept's rows: mean
    absolute error after clamping; ties prefer keep, then add, then multiply, then set, then toward 0.

    "Toward 0" (a step toward 0 that stops there) is a candidate only where the moves (nine in ten of
    them or more: answers made with an older rule disagree) go toward 0 and never past it: "fix the white
    balance" takes 25 off a warm look's temperature and stops at 0, where adding −25 would cool a neutral
    or cool look."""
    if np.all(a == b):
        return RULE_KEEP, 0.0
    cands: list[tuple[int, float]] = [(RULE_ADD, float(np.median(a - b))), (RULE_SET, float(np.median(a)))]
    nz = b != 0
    if nz.any():
        cands.insert(1, (RULE_MUL, float(np.median(a[nz] / b[nz]))))
    moved = a != b
    if np.mean((np.abs(a[moved]) < np.abs(b[moved])) & (a[moved] * b[moved] >= 0)) >= 0.9:
        free = moved & (a != 0)  # moves that did not stop at 0 show the step
        step = np.abs(a - b)[free] if free.any() else np.abs(b[moved])
        cands.append((RULE_TOWARD, float(np.median(step))))
    best, best_err = (RULE_KEEP, 0.0), float(np.mean(np.abs(a - b))) - 1e-9
    for rule, const in cands:
        err = float(np.mean(np.abs(np.clip(_apply_rule(rule, const, b), lo, hi) - a)))
        if err < best_err - 1e-9:
            best, best_err = (rule, const), err
    return best


def _other_side_step(b: np.ndarray, a: np.ndarray, core: float = 0.6) -> float:
    """The step a multiplying rule adds where multiplying would not move the value the meaning's way.

    "Less contrast" keeps part of the look's contrast (× 0.5): right on a look with contrast 30, but on
    one with −20 it would raise contrast, and on 0 do nothing. The style guide's rule is "keep part of
    what the look does, otherwise add the step": the median move of the rows whose start does not do it
    (the value at 0 or on the other side), or, with none, the median size of all the moves, in the
    meaning's direction. 0 (multiply everywhere) for a value the rows move one way in fewer than
    ``core`` of them: a supporting move, not the meaning itself."""
    d = a - b
    moved = d != 0
    if moved.mean() < core:
        return 0.0
    way = float(np.sign(np.median(d[moved])))
    if way == 0.0:
        return 0.0
    other = moved & (b * way >= 0)
    if other.any() and np.sign(np.median(d[other])) == way:
        return float(np.median(d[other]))
    return way * float(np.median(np.abs(d[moved])))


def fit_programs(phi: np.ndarray, triples: Sequence[Triple], classes: Sequence[str],
                 factors: Sequence[float | None], cfg: RefineConfig) -> dict[str, Any]:
    """Edit programs, one per concept of the ``edit`` rows, and a classifier from φ to them.

    A concept's rows (one meaning and size, several starting looks) show what the meaning does to each
    value: keep it, add a constant ("warmer": temperature + 25), multiply it ("less glow": bloom × 0.5;
    "less": everything × 0.6) or set it ("black and white": saturation = −100, colour ranges = 0). The
    rule per value is the one that explains the rows best (:func:`_fit_rule`); a concept whose rows all
    scale the whole look multiplies every value. Its preset rule is the majority of its rows: keep, none
    or a named preset. A multiplying rule also keeps a step (:func:`_other_side_step`) that it adds where
    multiplying would not move the value the meaning's way. The classifier is a ridge regression on
    one-hot concepts."""
    from vibegrade.students.refine_features import RANGES

    edit = [i for i, t in enumerate(triples) if t.op == "edit"]
    concepts = sorted({triples[i].concept for i in edit})
    if not concepts:
        return {}
    index = {c: k for k, c in enumerate(concepts)}
    rules = np.zeros((len(concepts), len(PARAM_KEYS)))
    consts = np.zeros((len(concepts), len(PARAM_KEYS)))
    steps = np.zeros((len(concepts), len(PARAM_KEYS)))
    filt = np.zeros(len(concepts))
    hue = PARAM_KEYS.index("hue")
    for c in concepts:
        rows = [i for i in edit if triples[i].concept == c]
        k = index[c]
        fs = [factors[i] for i in rows]
        b = np.array([chain_vector(triples[i].before) for i in rows])
        a = np.array([chain_vector(triples[i].after) for i in rows])  # type: ignore[arg-type]
        if all(f is not None for f in fs):
            rules[k, :] = RULE_MUL
            consts[k, :] = float(np.median(np.array(fs, dtype=np.float64)))
            rules[k, hue], consts[k, hue] = RULE_KEEP, 0.0
        else:
            for p in range(len(PARAM_KEYS)):
                rules[k, p], consts[k, p] = _fit_rule(b[:, p], a[:, p], RANGES[p, 0], RANGES[p, 1])
                if rules[k, p] == RULE_MUL and consts[k, p] not in (0.0, 1.0):
                    steps[k, p] = _other_side_step(b[:, p], a[:, p])
        labels = ["keep" if triples[i].after.filter.name == triples[i].before.filter.name  # type: ignore[union-attr]
                  else triples[i].after.filter.name for i in rows]  # type: ignore[union-attr]
        filt[k] = classes.index(max(set(labels), key=labels.count))
    y = np.zeros((len(edit), len(concepts)))
    for r, i in enumerate(edit):
        y[r, index[triples[i].concept]] = 1.0
    concept_w = _ridge(phi[edit], y, cfg.ridge)
    # each concept's wordings: a request whose direction words conflict with most of them (of those with
    # direction words) never gets that concept (students/direction.py)
    words = [sorted({" ".join(triples[i].request.lower().split()) for i in edit if triples[i].concept == c})
             for c in concepts]
    return {"program.rule": rules, "program.const": consts, "program.step": steps, "program.filter": filt,
            "concept": concept_w,
            "concept_words": words}


def _targets(triples: Sequence[Triple], presets: Sequence[str]) -> dict[str, Any]:
    """Per-row training targets shared by both designs."""
    classes = ["keep", FILTER_NONE, *presets]
    factors = [scale_factor(t) for t in triples]
    op = np.array([HEAD_OPS.index("scale" if f is not None else t.op) for t, f in zip(triples, factors)])
    edit = np.array([t.op == "edit" and f is None for t, f in zip(triples, factors)])
    filt = np.zeros(len(triples), dtype=np.int64)
    before = np.zeros((len(triples), len(PARAM_KEYS)))
    after = np.zeros((len(triples), len(PARAM_KEYS)))
    for i, t in enumerate(triples):
        before[i] = chain_vector(t.before)
        if t.after is not None:
            after[i] = chain_vector(t.after)
            filt[i] = 0 if t.after.filter.name == t.before.filter.name else classes.index(t.after.filter.name)
    return {"classes": classes, "op": op, "edit": edit, "filter": filt, "before": before, "after": after,
            "scale": factors, "factor": np.array([np.log(f) if f is not None else np.nan for f in factors]),
            "amount": np.array([float(t.amount) if t.op == "toward" and t.amount is not None else np.nan
                                for t in triples])}


def fit_mlp(phi: np.ndarray, triples: Sequence[Triple], presets: Sequence[str],
            cfg: RefineConfig) -> dict[str, Any]:
    """The same four heads on a learned hidden layer, trained jointly (full batch, AdamW): cross-entropy
    for op and filter, squared error for the log factor, the amount and the edit's change (in units of
    the plain step, 25)."""
    import torch

    torch.manual_seed(cfg.seed)
    tg = _targets(triples, presets)
    x = torch.tensor(phi, dtype=torch.float32)
    n_p = len(PARAM_KEYS)
    hidden = torch.nn.Linear(x.shape[1], cfg.hidden)
    out = torch.nn.Linear(cfg.hidden + 1, len(HEAD_OPS) + len(tg["classes"]) + 2 + 2 * n_p, bias=False)
    drop = torch.nn.Dropout(cfg.dropout)
    params = [*hidden.parameters(), *out.parameters()]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    op_y = torch.tensor(tg["op"])
    edit = torch.tensor(tg["edit"])
    filt_y = torch.tensor(tg["filter"])
    before = torch.tensor(tg["before"] / 100.0, dtype=torch.float32)
    delta = torch.tensor((tg["after"] - tg["before"]) / 25.0, dtype=torch.float32)
    fac = torch.tensor(tg["factor"], dtype=torch.float32)
    amt = torch.tensor(tg["amount"], dtype=torch.float32)
    k_op, k_f = len(HEAD_OPS), len(tg["classes"])
    for _ in range(cfg.epochs):
        h = drop(torch.nn.functional.gelu(hidden(x)))
        h = torch.cat([h, torch.ones(len(h), 1)], 1)
        o = out(h)
        op_l, f_l = o[:, :k_op], o[:, k_op:k_op + k_f]
        fac_p, amt_p = o[:, k_op + k_f], o[:, k_op + k_f + 1]
        a = o[:, k_op + k_f + 2:k_op + k_f + 2 + n_p]
        b = o[:, k_op + k_f + 2 + n_p:]
        loss = torch.nn.functional.cross_entropy(op_l, op_y)
        if edit.any():
            d = a[edit] + b[edit] * before[edit]
            loss = loss + torch.nn.functional.mse_loss(d, delta[edit]) * 4.0
            loss = loss + torch.nn.functional.cross_entropy(f_l[edit], filt_y[edit])
        m = ~torch.isnan(fac)
        if m.any():
            loss = loss + torch.nn.functional.mse_loss(fac_p[m], fac[m]) * 4.0
        m = ~torch.isnan(amt)
        if m.any():
            loss = loss + torch.nn.functional.mse_loss(amt_p[m], amt[m]) * 4.0
        opt.zero_grad()
        loss.backward()
        opt.step()
    w = out.weight.detach().numpy().T.astype(np.float64)  # (hidden + 1, outputs)
    return {"hidden.w": hidden.weight.detach().numpy().T.astype(np.float64),
            "hidden.b": hidden.bias.detach().numpy().astype(np.float64),
            "op": w[:, :k_op], "filter": w[:, k_op:k_op + k_f], "factor": w[:, k_op + k_f],
            "amount": w[:, k_op + k_f + 1], "delta.a": w[:, k_op + k_f + 2:k_op + k_f + 2 + n_p].T * 25.0,
            "delta.b": w[:, k_op + k_f + 2 + n_p:].T * 25.0, "filter_classes": tg["classes"]}


def scale_factor(t: Triple, tolerance: float = 1.5) -> float | None:
    """The factor ``k`` when an edit multiplies the whole look (every value ``round(k·before)`` within
    ``tolerance``, at least two values set, the preset kept, ``k`` at least 10 % from 1), else None.
    Such rows train the model's ``scale`` operation ("less", "too much", "double it")."""
    if t.op != "edit" or t.after is None or t.after.filter.name != t.before.filter.name:
        return None
    b, a = chain_vector(t.before), chain_vector(t.after)
    b[PARAM_KEYS.index("hue")] = a[PARAM_KEYS.index("hue")] = 0.0
    nz = b != 0
    if nz.sum() < 2:
        return None
    free = nz & (a > RANGES[:, 0]) & (a < RANGES[:, 1])  # values the clamp did not stop
    use = free if free.any() else nz
    k = float(a[use] @ b[use] / (b[use] @ b[use]))
    if abs(k - 1.0) < 0.1 or k <= 0:
        return None
    fit = np.clip(np.sign(k * b) * np.floor(np.abs(k * b) + 0.5), RANGES[:, 0], RANGES[:, 1])
    return k if float(np.max(np.abs(a - fit))) <= tolerance else None


def featurise(student: Student, triples: Sequence[Triple], vocab: Sequence[str], grams: Sequence[str],
              cfg: RefineConfig) -> np.ndarray:
    """φ of the triples' requests: the same as :meth:`RefineModel.features` (without typo repair: the
    stored requests are the dictionary the repair maps to)."""
    from vibegrade.students.refine import embed_texts

    texts = [" ".join(t.request.lower().split()) for t in triples]
    return np.hstack([embed_texts(student, texts) * cfg.emb_weight, lexical(texts, vocab),
                      bag_of_ngrams(texts, grams) * cfg.bow_weight, np.ones((len(texts), 1))])


def train_refiner(triples: Sequence[Triple], student: Student, out_dir: str | os.PathLike[str],
                  cfg: RefineConfig = RefineConfig(), *, name: str = "refine",
                  student_ref: str = "default") -> RefineModel:
    """Fit the heads on ``triples`` and write a model folder; returns the loaded model."""
    from safetensors.numpy import save_file

    from vibegrade.tools.filters import preset_names

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    requests = sorted({" ".join(t.request.lower().split()) for t in triples})
    vocab = direction_vocab(requests)
    grams = ngram_vocab(requests, cfg.min_ngram_count)
    presets = [p for p in preset_names() if any(t.after is not None and t.after.filter.name == p
                                                for t in triples)]
    phi = featurise(student, triples, vocab, grams, cfg)
    fit = fit_heads if cfg.design == "linear" else fit_mlp
    heads = fit(phi, triples, presets, cfg)
    classes = heads.pop("filter_classes")
    concept_words = heads.pop("concept_words", [])
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in heads.items()},
              str(out / "weights.safetensors"))
    config = {"kind": MODEL_KIND, "name": name, "student": student_ref, "filter_classes": classes,
              "direction_vocab": vocab, "ngram_vocab": grams, "concept_words": concept_words, **asdict(cfg),
              "n_triples": len(triples), "requests": requests}
    atomic_write_text(out / "config.json", json.dumps(config, indent=1, ensure_ascii=False) + "\n")
    return RefineModel(out, student=student)


def split_triples(triples: Sequence[Triple], test_fraction: float = 0.2,
                  seed: int = 7) -> tuple[list[Triple], list[Triple]]:
    """(train, test), grouped by concept (a meaning and size, shared by its rewordings) so that the test
    holds follow-ups whose meaning was never taught, ordered by a seeded hash (deterministic)."""
    import hashlib

    concepts = sorted({t.concept for t in triples},
                      key=lambda c: hashlib.sha256(f"{seed}:{c}".encode()).hexdigest())
    target = round(test_fraction * len(triples))
    test_c: set[str] = set()
    count = 0
    per = {c: sum(t.concept == c for t in triples) for c in concepts}
    for c in concepts:
        if count >= target:
            break
        test_c.add(c)
        count += per[c]
    return ([t for t in triples if t.concept not in test_c], [t for t in triples if t.concept in test_c])


def split_phrasings(triples: Sequence[Triple], test_fraction: float = 0.2,
                    seed: int = 7) -> tuple[list[Triple], list[Triple]]:
    """(train, test) where the test holds new *wordings* of taught meanings: within each concept with at
    least three distinct requests, a seeded ``test_fraction`` of its distinct request texts (at least one,
    never the bare one) goes to the test with all its rows, so no test request appears word for word in
    training. The follow-ups people type most are a few meanings in endless wordings; this is the split
    that measures them. :func:`split_triples` measures meanings never taught."""
    import hashlib

    by_concept: dict[str, list[str]] = {}
    bare: set[str] = set()
    for t in triples:
        key = " ".join(t.request.lower().split())
        texts = by_concept.setdefault(t.concept, [])
        if key not in texts:
            texts.append(key)
        if t.phrasing == "bare":
            bare.add(key)
    test_texts: set[tuple[str, str]] = set()
    for concept, texts in by_concept.items():
        cands = sorted((x for x in texts if x not in bare),
                       key=lambda x: hashlib.sha256(f"{seed}:{concept}:{x}".encode()).hexdigest())
        if len(texts) >= 3 and cands:
            k = max(1, round(test_fraction * len(texts)))
            test_texts.update((concept, x) for x in cands[:k])
    test_keys = {x for _, x in test_texts}
    is_test = [(t.concept, " ".join(t.request.lower().split())) in test_texts for t in triples]
    # a wording held out in one concept is held out everywhere (it may recur in another concept)
    train = [t for t, s in zip(triples, is_test)
             if not s and " ".join(t.request.lower().split()) not in test_keys]
    return train, [t for t, s in zip(triples, is_test) if s]
