"""Baselines reported next to every student.

* :class:`NearestNeighbourStudent` -- embed the request with the same sentence encoder as the
  ``encoder`` student and return the training answer of the most similar training request (cosine).
* :class:`MajorityStudent` -- the majority answer: per tool, the majority decision on whether to use
  it, and if so its most frequent setting in the training data (for the filter: the most frequent
  preset with its most frequent intensity). The same chain for every request.
"""

from __future__ import annotations

import collections
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vibegrade.data.rows import VibeRow, read_rows
from vibegrade.schema import Adjust, Filter, SelectiveAdjust, ToolChain, parse_chain
from vibegrade.students.encoders import DEFAULT_ENCODER, NumpyBertEncoder, resolve_encoder_path

__all__ = ["NearestNeighbourStudent", "MajorityStudent", "load_baseline", "save_baseline"]


class MajorityStudent:
    kind = "majority"

    def __init__(self, chain: ToolChain) -> None:
        self.chain = chain

    @classmethod
    def fit(cls, rows: Sequence[VibeRow]) -> MajorityStudent:
        n = len(rows)
        if n == 0:
            raise ValueError("no training rows")

        def most_common(items: list[str]) -> str:
            return collections.Counter(items).most_common(1)[0][0]

        adj_used = [r.chain.adjust for r in rows if r.chain.adjust.used]
        sel_used = [r.chain.selective_adjust for r in rows if r.chain.selective_adjust.used]
        flt_used = [r.chain.filter for r in rows if r.chain.filter.used]
        adjust = Adjust.model_validate_json(most_common([a.model_dump_json() for a in adj_used])) \
            if len(adj_used) * 2 > n else Adjust()
        selective = SelectiveAdjust.model_validate_json(most_common([s.model_dump_json()
                                                                     for s in sel_used])) \
            if len(sel_used) * 2 > n else SelectiveAdjust()
        if len(flt_used) * 2 > n:
            name = most_common([f.name for f in flt_used])
            intensity = int(most_common([str(f.intensity) for f in flt_used if f.name == name]))
            flt = Filter(name=name, intensity=intensity)
        else:
            flt = Filter()
        return cls(ToolChain(adjust=adjust, selective_adjust=selective, filter=flt))

    def predict(self, intents: Sequence[str]) -> list[ToolChain]:
        return [self.chain for _ in intents]


class NearestNeighbourStudent:
    kind = "nearest_neighbour"

    def __init__(self, rows: Sequence[VibeRow], encoder: str | None = None) -> None:
        if not rows:
            raise ValueError("no training rows")
        self.rows = list(rows)
        self.encoder_name = encoder or DEFAULT_ENCODER
        self.encoder = NumpyBertEncoder(resolve_encoder_path(self.encoder_name))
        self.index = self.encoder.encode([r.intent for r in self.rows])

    def predict(self, intents: Sequence[str]) -> list[ToolChain]:
        if not intents:
            return []
        q = self.encoder.encode([" ".join(t.split()) or "[empty]" for t in intents])
        best = np.argmax(q @ self.index.T, axis=1)
        return [self.rows[i].chain for i in best]


def save_baseline(student: MajorityStudent | NearestNeighbourStudent,
                  out_dir: str | os.PathLike[str]) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if isinstance(student, MajorityStudent):
        cfg = {"kind": "majority", "chain": student.chain.to_wire()}
    else:
        cfg = {"kind": "nearest_neighbour", "encoder": student.encoder_name}
        (out / "train.jsonl").write_text("".join(json.dumps(r.to_json()) + "\n" for r in student.rows))
    (out / "config.json").write_text(json.dumps(cfg, indent=2))


def load_baseline(path: str | os.PathLike[str]) -> MajorityStudent | NearestNeighbourStudent:
    p = Path(path)
    cfg = json.loads((p / "config.json").read_text())
    if cfg["kind"] == "majority":
        return MajorityStudent(parse_chain(cfg["chain"]))
    return NearestNeighbourStudent(read_rows([p / "train.jsonl"]), encoder=cfg.get("encoder"))
