"""Planners: request -> checklist.

* :class:`OfflinePlanner` -- the default; no network. Trained on the authored abstract requests of
  ``data/agent/requests`` (``data/agent/STYLE_GUIDE.md``). A checklist item is predicted by its
  *signature* (region, property, direction; or "infeasible"): each signature is scored by a ridge head over
  the request's sentence embedding (the vibes student's encoder, so the planner ships only its heads) and
  its hashed words and word pairs (:func:`lexical`: "sky", "faces", "warm" name signatures directly),
  mixed with a similarity-weighted vote of the nearest authored requests (by embedding); signatures over
  the threshold become items, with the size and weight their nearest authored items use. An infeasible part
  is reported with the text and reason of the nearest authored infeasible item. Mixing weight, neighbour
  count, threshold, ridge and the words' weight are chosen on held-out concepts
  (``scripts/agent/train_planner.py``).
* :class:`TeacherPlanner` -- any OpenAI-compatible chat model through the teacher client
  (prompt and parser in :mod:`vibegrade.agent.plan_prompt`), falling back to a given planner on failure.

Both give a validated :class:`~vibegrade.agent.checklist.Checklist`.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vibegrade.agent.checklist import Checklist, ChecklistItem

__all__ = ["Planner", "TeacherPlanner", "lexical", "design", "LEXICAL_DIM", "PlanRow", "Signature",
           "INFEASIBLE", "signature_of", "item_text",
           "OfflinePlanner",
           "fit_planner", "DEFAULT_PLANNER_DIR", "load_planner", "read_plan_rows", "concept_split"]

DEFAULT_PLANNER_DIR = Path(__file__).with_name("planner_model")
#: The signature of every infeasible item.
INFEASIBLE = "infeasible"
Signature = str
"""``region:property:direction`` of a feasible item, or :data:`INFEASIBLE`."""


#: Buckets of the hashed bag of words and word pairs.
LEXICAL_DIM = 4096
_WORD = re.compile(r"[a-z]+")


def lexical(texts: Sequence[str], dim: int = LEXICAL_DIM) -> np.ndarray:
    """Unit rows of log-scaled counts of each text's lower-cased words and adjacent word pairs, hashed
    (CRC-32) into ``dim`` buckets."""
    import zlib

    out = np.zeros((len(texts), dim))
    for i, t in enumerate(texts):
        w = _WORD.findall(t.lower())
        for tok in (*w, *(f"{a}_{b}" for a, b in zip(w, w[1:]))):
            out[i, zlib.crc32(tok.encode()) % dim] += 1.0
    out = np.log1p(out)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


class Planner(Protocol):
    def plan(self, request: str) -> Checklist: ...


@dataclass(frozen=True)
class PlanRow:
    """One authored row: a request, its meaning (concept) and its checklist."""

    id: str
    concept: str
    request: str
    checklist: Checklist


def read_plan_rows(paths: Sequence[str | os.PathLike[str]]) -> list[PlanRow]:
    """Rows of authored ``.jsonl`` files (checked by ``scripts/agent_data/check_requests.py``)."""
    from vibegrade.agent.checklist import parse_checklist

    rows = []
    for path in paths:
        for ln, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                obj = json.loads(line)
                try:
                    rows.append(PlanRow(obj["id"], obj["concept"], obj["request"],
                                        parse_checklist(obj["checklist"])))
                except (KeyError, ValueError) as e:
                    raise ValueError(f"{path}:{ln}: {e}") from None
    return rows


def concept_split(rows: Sequence[PlanRow], test_fraction: float = 0.2, seed: int = 11
                  ) -> tuple[list[PlanRow], list[PlanRow]]:
    """(train, test) with whole concepts on one side; the test side holds ``test_fraction`` of the
    concepts, chosen by a seeded hash."""
    import hashlib

    concepts = sorted({r.concept for r in rows},
                      key=lambda c: hashlib.sha256(f"{seed}:{c}".encode()).hexdigest())
    test = set(concepts[: max(1, round(len(concepts) * test_fraction))])
    return [r for r in rows if r.concept not in test], [r for r in rows if r.concept in test]


def signature_of(item: ChecklistItem) -> Signature:
    return f"{item.region}:{item.property}:{item.direction}" if item.feasible else INFEASIBLE


_REGION_WORDS = {"global": "overall", "faces": "faces", "people": "people", "skin": "skin tones",
                 "subject": "the subject", "background": "the background", "sky": "the sky",
                 "center": "the centre", "edges": "the edges", "top": "the top", "bottom": "the bottom"}
_PROPERTY_WORDS = {
    ("luminance", "increase"): "brighter", ("luminance", "decrease"): "darker",
    ("contrast", "increase"): "more contrast", ("contrast", "decrease"): "softer contrast",
    ("warmth", "increase"): "warmer", ("warmth", "decrease"): "cooler",
    ("tint", "increase"): "more magenta, less green", ("tint", "decrease"): "greener, less magenta",
    ("saturation", "increase"): "more colourful", ("saturation", "decrease"): "more muted",
    ("clipping", "decrease"): "fewer blown or crushed pixels", ("clipping", "increase"): "more clipped",
}
_SIZE_WORDS = {"slight": "slightly ", "moderate": "", "strong": "much "}


def item_text(region: str, prop: str, direction: str, size: str) -> str:
    """Plain words for an item, e.g. "the sky: slightly cooler"."""
    where = _REGION_WORDS.get(region, region)
    if direction == "keep":
        return f"{where}: colours kept as they are"
    return f"{where}: {_SIZE_WORDS[size]}{_PROPERTY_WORDS.get((prop, direction), f'{prop} {direction}')}"


def _item_id(sig: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", sig.lower()).strip("_")[:40]


class OfflinePlanner:
    """The trained offline planner (see the module docstring). ``embed`` maps texts to unit vectors."""

    kind = "agent-planner-ridge-knn"

    def __init__(self, signatures: Sequence[str], ridge: np.ndarray, memory: np.ndarray,
                 memory_labels: np.ndarray, memory_items: Sequence[dict[str, Any]],
                 config: dict[str, Any], embed: Any) -> None:
        self.signatures = list(signatures)
        self.ridge = np.asarray(ridge, dtype=np.float64)          # (D + 1, S)
        self.memory = np.asarray(memory, dtype=np.float64)        # (N, D) unit rows
        self.memory_labels = np.asarray(memory_labels, dtype=np.float64)  # (N, S) 0/1
        self.memory_items = list(memory_items)                     # per row: {sig: item dict}
        self.config = dict(config)
        self.embed = embed

    # ---------------------------------------------------------------------------------------- scoring
    def scores(self, embeddings: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """(n, S) signature scores in about [0, 1] for ``texts`` with their unit-row ``embeddings``."""
        e = np.asarray(embeddings, dtype=np.float64)
        ridge = design(e, texts, float(self.config.get("lexical", 0.0))) @ self.ridge
        sims = e @ self.memory.T
        k = int(self.config["k"])
        idx = np.argsort(-sims, axis=1)[:, :k]
        w = np.maximum(np.take_along_axis(sims, idx, axis=1), 0.0) ** float(self.config.get("power", 4.0))
        w = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-9)
        knn = np.einsum("nk,nks->ns", w, self.memory_labels[idx])
        a = float(self.config["mix"])
        return a * ridge + (1.0 - a) * knn

    def plan(self, request: str) -> Checklist:
        return self.plan_many([request])[0]

    def plan_many(self, requests: Sequence[str]) -> list[Checklist]:
        emb = np.asarray(self.embed(list(requests)), dtype=np.float64)
        return [self._decode(emb[i], s) for i, s in enumerate(self.scores(emb, requests))]

    def _decode(self, emb: np.ndarray, scores: np.ndarray) -> Checklist:
        thr = float(self.config["threshold"])
        # ties (items taught together score alike up to float noise, which a float32 save or another BLAS
        # changes) go to the signatures' own order
        order = [int(i) for i in np.argsort(-np.round(scores, 5), kind="stable") if scores[i] >= thr]
        if not order:
            order = [int(np.argmax(scores))]
        sims = self.memory @ emb
        chosen: list[ChecklistItem] = []
        taken: set[tuple[str, str]] = set()
        for j in order[: int(self.config.get("max_items", 6))]:
            sig = self.signatures[j]
            donor = self._donor(sims, j)
            if sig == INFEASIBLE:
                chosen.append(ChecklistItem.model_validate({**donor, "id": donor.get("id", "infeasible")}))
                continue
            region, prop, direction = sig.split(":")
            if (region, prop) in taken:  # the stronger of two contradicting directions wins
                continue
            taken.add((region, prop))
            size = donor.get("size", "moderate")
            chosen.append(ChecklistItem(id=_item_id(sig), text=item_text(region, prop, direction, size),
                                        region=region, property=prop, direction=direction,  # type: ignore[arg-type]
                                        size=size, weight=float(donor.get("weight", 1.0))))
        ids: set[str] = set()
        unique = []
        for it in chosen:
            if it.id not in ids:
                ids.add(it.id)
                unique.append(it)
        return Checklist(items=tuple(unique))

    def _donor(self, sims: np.ndarray, j: int) -> dict[str, Any]:
        """The item of signature ``j`` in the most similar authored request that has one."""
        has = np.flatnonzero(self.memory_labels[:, j] > 0)
        best = int(has[np.argmax(sims[has])])
        return dict(self.memory_items[best][self.signatures[j]])

    # ---------------------------------------------------------------------------------------- storage
    def save(self, folder: str | os.PathLike[str]) -> Path:
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(out / "heads.npz", ridge=self.ridge.astype(np.float32),
                            memory=self.memory.astype(np.float16),
                            memory_labels=self.memory_labels.astype(np.uint8))
        (out / "items.json").write_text(json.dumps(self.memory_items, separators=(",", ":")) + "\n",
                                        encoding="utf-8")
        (out / "config.json").write_text(json.dumps({"kind": self.kind, "signatures": self.signatures,
                                                     **self.config}, indent=1) + "\n", encoding="utf-8")
        return out

    @classmethod
    def load(cls, folder: str | os.PathLike[str], embed: Any) -> OfflinePlanner:
        p = Path(folder)
        try:
            cfg = json.loads((p / "config.json").read_text(encoding="utf-8"))
            heads = np.load(p / "heads.npz")
            items = json.loads((p / "items.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ValueError(f"{p}: not a planner folder ({e})") from None
        if cfg.get("kind") != cls.kind:
            raise ValueError(f"{p}: not an offline planner (kind={cfg.get('kind')!r})")
        sigs = cfg.pop("signatures")
        cfg.pop("kind")
        return cls(sigs, heads["ridge"], heads["memory"].astype(np.float64), heads["memory_labels"], items,
                   cfg, embed)


def _labels(rows: Sequence[PlanRow], signatures: Sequence[str],
            item_weight: dict[str, float] | None = None) -> tuple[np.ndarray, list[dict[str, Any]]]:
    index = {s: i for i, s in enumerate(signatures)}
    y = np.zeros((len(rows), len(signatures)))
    items: list[dict[str, Any]] = []
    for r, row in enumerate(rows):
        by_sig: dict[str, Any] = {}
        for it in row.checklist.items:
            sig = signature_of(it)
            if sig in index and sig not in by_sig:
                keep = 1.0 if item_weight is None else item_weight.get(sig, 1.0)
                if keep > 0:
                    y[r, index[sig]] = 1.0
                    by_sig[sig] = it.model_dump(exclude_none=True)
        items.append(by_sig)
    return y, items


def design(embeddings: np.ndarray, texts: Sequence[str], lexical_weight: float) -> np.ndarray:
    """The ridge head's inputs: [embedding, lexical_weight x :func:`lexical`, 1]."""
    parts = [np.asarray(embeddings, dtype=np.float64)]
    if lexical_weight > 0:
        parts.append(lexical_weight * lexical(texts))
    parts.append(np.ones((len(texts), 1)))
    return np.hstack(parts)


def fit_planner(rows: Sequence[PlanRow], embeddings: np.ndarray, embed: Any, *, ridge: float = 1.0,
                mix: float = 0.5, k: int = 8, threshold: float = 0.4, lexical_weight: float = 1.5,
                min_count: int = 2, drop: Sequence[str] = ()) -> OfflinePlanner:
    """Fit the planner on authored ``rows`` (with their unit ``embeddings``). Signatures seen fewer than
    ``min_count`` times are not predicted; ``drop`` removes signatures (the refinement step: what the
    search could never satisfy)."""
    counts: dict[str, int] = {}
    for row in rows:
        for sig in {signature_of(i) for i in row.checklist.items}:
            counts[sig] = counts.get(sig, 0) + 1
    signatures = sorted(s for s, c in counts.items() if c >= min_count and s not in set(drop))
    y, items = _labels(rows, signatures)
    X = design(embeddings, [r.request for r in rows], lexical_weight)
    # the dual form: rows are far fewer than features (384 + 4096 + 1)
    reg = ridge * np.eye(len(rows))
    W = X.T @ np.linalg.solve(X @ X.T + reg, y)
    cfg = {"ridge": ridge, "mix": mix, "k": k, "threshold": threshold, "lexical": lexical_weight,
           "min_count": min_count,
           "dropped": sorted(drop), "rows": len(rows), "max_items": 6}
    return OfflinePlanner(signatures, W, embeddings, y, items, cfg, embed)


_lock = threading.Lock()
_loaded: dict[str, OfflinePlanner] = {}


def load_planner(folder: str | os.PathLike[str] | None = None) -> OfflinePlanner:
    """The offline planner in ``folder`` (``None``: the shipped one), with the shipped student's encoder."""
    from vibegrade.students import load_student
    from vibegrade.students.refine import embed_texts

    p = Path(folder) if folder is not None else DEFAULT_PLANNER_DIR
    key = str(p.resolve())
    with _lock:
        if key not in _loaded:
            student = load_student()

            def embed(texts: Sequence[str]) -> np.ndarray:
                e = embed_texts(student, texts)
                return e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-9)

            _loaded[key] = OfflinePlanner.load(p, embed)
        return _loaded[key]


class TeacherPlanner:
    """Planning by the teacher: any OpenAI-compatible chat model (prompt and parser in
    :mod:`vibegrade.agent.plan_prompt`). A failed call or an unusable answer falls back to ``fallback``
    when given, else raises :class:`vibegrade.llm.client.TeacherError`.

    The agent passes the photo's statistics (:func:`vibegrade.agent.run.image_stats`) and, with
    ``send_image=True`` (a vision model), the photo itself as a small JPEG data URL."""

    reads_image = True  # run_agent passes stats (and the image when send_image) to plan()

    def __init__(self, client_config: Any, fallback: Planner | None = None, send_image: bool = False) -> None:
        self.client_config = client_config
        self.fallback = fallback
        self.send_image = send_image
        self.last_rationale = ""

    def plan(self, request: str, stats: dict[str, float] | None = None,
             image_data_url: str | None = None) -> Checklist:
        import asyncio

        from vibegrade.agent.plan_prompt import PlanAnswerError, parse_plan_answer, plan_messages
        from vibegrade.llm.client import TeacherClient, TeacherError

        async def ask() -> str:
            async with TeacherClient(self.client_config) as client:
                return (await client.complete(plan_messages(request, stats, image_data_url))).content

        try:
            checklist, self.last_rationale = parse_plan_answer(asyncio.run(ask()))
        except (TeacherError, PlanAnswerError) as e:
            if self.fallback is None:
                raise TeacherError(str(e)) from None
            return self.fallback.plan(request)
        return checklist
