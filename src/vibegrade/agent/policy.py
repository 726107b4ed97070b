"""The learned orchestrator: which tool, where and how strong, for each checklist item, without search.

Trained on the decisions of the judge-guided search (:mod:`vibegrade.agent.search`) over a corpus of
(photo, request) pairs, keeping only high-reward trajectories (expert iteration, as in Plan2Pix: the
reward of a trajectory is the sum of its steps' reward gains, and only trajectories whose final checklist
satisfaction reaches a threshold are imitated).

Model: a masked softmax over *choices* = (template, strength) pairs plus "do nothing", linear in features of
the item and of the photo measured in the item's region (:func:`item_features`): the property, direction and
size of the item, the kind of region, how much of the picture it covers, and how the region's value of the
property compares with the whole picture. Choices a template cannot make for the item are masked out. Fitted
with full-batch gradient descent (Adam, L2); prediction is one matrix product per item.

Without search the policy answers each item with its top choice and the chain is rendered once
(:func:`act`); with a small search its ranking orders the candidates (:meth:`Policy.ranking`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vibegrade.agent.actions import HUE_REGIONS, LEVERS, MULTIPLIERS, Action, Template, action_for, templates
from vibegrade.agent.checklist import ChecklistItem
from vibegrade.agent.judge import Scene
from vibegrade.agent.measure import measure

__all__ = ["CHOICES", "NONE", "item_features", "PolicyExample", "Policy", "train_policy",
           "DEFAULT_POLICY_DIR",
           "load_policy"]

_LEVER_NAMES = sorted({lever for levers in LEVERS.values() for lever, _ in levers})
_TEMPLATE_KEYS = [f"{lever}@{scope}" for lever in _LEVER_NAMES for scope in ("region", "global")]
NONE = "none"
#: Every choice the policy can make: a template at a strength, or nothing.
CHOICES: tuple[str, ...] = (NONE, *(f"{k}x{m:g}" for k in _TEMPLATE_KEYS for m in MULTIPLIERS))
_CHOICE_INDEX = {c: i for i, c in enumerate(CHOICES)}

_ACTING = tuple(LEVERS)  # properties an item can move
_KINDS = ("global", "tonal", "hue", "semantic", "geometric")
_TONAL = {"shadows", "midtones", "highlights"}
_GEOMETRIC = {"center", "edges", "top", "bottom"}
#: Scale of each property's values in the features (about one "large" difference).
_SCALE = {"luminance": 50.0, "contrast": 20.0, "warmth": 20.0, "tint": 10.0, "saturation": 30.0,
          "clipping": 5.0}

DEFAULT_POLICY_DIR = Path(__file__).with_name("policy_model")


def _kind(region: str) -> str:
    if region == "global":
        return "global"
    if region in _TONAL:
        return "tonal"
    if region in HUE_REGIONS or region == "skin":
        return "hue"
    if region in _GEOMETRIC:
        return "geometric"
    return "semantic"


def choice_key(template: Template | None, multiplier: float) -> str:
    return NONE if template is None else f"{template.key}x{multiplier:g}"


def item_features(item: ChecklistItem, scene: Scene) -> np.ndarray:
    """Features of one acting item on one photo (see the module docstring)."""
    head = np.zeros(len(_ACTING) * 2)
    head[_ACTING.index(item.property) * 2 + (item.direction == "decrease")] = 1.0
    mask = scene.masks.get(item.region) if item.region != "global" else None
    area = float(mask.mean()) if mask is not None else 1.0
    scale = _SCALE[item.property]
    glob = measure(scene.lab, scene.rgb, scene.masks["global"], item.property) / scale
    here = measure(scene.lab, scene.rgb, mask, item.property) / scale if mask is not None and area > 0.005 \
        else glob
    sign = -1.0 if item.direction == "decrease" else 1.0
    body = [1.0,
            *(float(item.size == s) for s in ("slight", "moderate", "strong")),
            *(float(_kind(item.region) == k) for k in _KINDS),
            area, float(area > 0.3), float(area < 0.05),
            sign * (here - glob),  # how far the region already leans the asked way, relative to the picture
            sign * here, sign * glob]
    return np.outer(head, np.asarray(body)).ravel()


def valid_choices(item: ChecklistItem) -> np.ndarray:
    ok = np.zeros(len(CHOICES), dtype=bool)
    ok[0] = True
    for t in templates(item):
        for m in MULTIPLIERS:
            ok[_CHOICE_INDEX[f"{t.key}x{m:g}"]] = True
    return ok


def _parse_choice(key: str) -> tuple[Template, float] | None:
    if key == NONE:
        return None
    tkey, mult = key.rsplit("x", 1)
    lever, scope = tkey.split("@")
    return Template(lever, scope), float(mult)  # type: ignore[arg-type]


@dataclass
class PolicyExample:
    """One decision to imitate: features, the valid choices, the chosen one, and its sample weight."""

    features: np.ndarray
    valid: np.ndarray
    choice: int
    weight: float = 1.0


class Policy:
    """A fitted orchestrator policy (weights ``W`` of shape (features, choices))."""

    kind = "agent-policy-softmax"

    def __init__(self, weights: np.ndarray, meta: dict | None = None) -> None:
        self.W = np.asarray(weights, dtype=np.float64)
        self.meta = dict(meta or {})

    def scores(self, item: ChecklistItem, scene: Scene) -> np.ndarray:
        z = item_features(item, scene) @ self.W
        return np.where(valid_choices(item), z, -np.inf)

    def ranking(self, item: ChecklistItem, scene: Scene, top: int | None = None
                ) -> list[tuple[Template, float]]:
        """The item's (template, strength) choices, best first ("do nothing" left out)."""
        s = self.scores(item, scene)
        out = [c for i in np.argsort(-s, kind="stable")
               if np.isfinite(s[i]) and (c := _parse_choice(CHOICES[i])) is not None]
        return out[:top] if top is not None else out

    def decide(self, item: ChecklistItem, scene: Scene) -> Action | None:
        """The top choice for ``item`` as an action (``None`` when doing nothing scores best)."""
        if not templates(item):
            return None
        best = _parse_choice(CHOICES[int(np.argmax(self.scores(item, scene)))])
        return None if best is None else action_for(item, *best)

    def save(self, folder: str | os.PathLike[str]) -> Path:
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        np.save(out / "weights.npy", self.W.astype(np.float32))
        (out / "config.json").write_text(json.dumps({"kind": self.kind, "choices": list(CHOICES),
                                                     **self.meta}, indent=1) + "\n", encoding="utf-8")
        return out

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> Policy:
        p = Path(folder)
        try:
            cfg = json.loads((p / "config.json").read_text(encoding="utf-8"))
            w = np.load(p / "weights.npy")
        except (OSError, ValueError) as e:
            raise ValueError(f"{p}: not an agent policy folder ({e})") from None
        if cfg.get("kind") != cls.kind or list(cfg.get("choices", [])) != list(CHOICES):
            raise ValueError(f"{p}: not a policy of this version (kind or choices differ)")
        return cls(w, {k: v for k, v in cfg.items() if k not in ("kind", "choices")})


def train_policy(examples: Sequence[PolicyExample], *, l2: float = 1e-3, steps: int = 400,
                 lr: float = 0.05, seed: int = 0) -> Policy:
    """Fit the masked softmax on ``examples`` (weighted cross-entropy + L2, Adam)."""
    if not examples:
        raise ValueError("no examples to learn from")
    X = np.stack([e.features for e in examples])
    M = np.stack([e.valid for e in examples])
    y = np.array([e.choice for e in examples])
    sw = np.array([e.weight for e in examples], dtype=np.float64)
    sw = sw / sw.sum()
    n, d = X.shape
    k = len(CHOICES)
    W = np.random.default_rng(seed).normal(0, 1e-3, (d, k))
    m1 = np.zeros_like(W)
    m2 = np.zeros_like(W)
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    for t in range(1, steps + 1):
        z = np.where(M, X @ W, -1e9)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = X.T @ ((p - onehot) * sw[:, None]) + l2 * W
        m1 = 0.9 * m1 + 0.1 * g
        m2 = 0.999 * m2 + 0.001 * g * g
        W -= lr * (m1 / (1 - 0.9 ** t)) / (np.sqrt(m2 / (1 - 0.999 ** t)) + 1e-8)
    return Policy(W, {"examples": int(n), "l2": l2, "steps": steps})


def load_policy(folder: str | os.PathLike[str] | None = None) -> Policy | None:
    """The policy in ``folder`` (``None``: the shipped one; ``None`` is returned when none is shipped)."""
    p = Path(folder) if folder is not None else DEFAULT_POLICY_DIR
    if folder is None and not (p / "config.json").is_file():
        return None
    return Policy.load(p)
