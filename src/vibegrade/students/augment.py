"""Data augmentation where the student errs (one round of the original work's recipe).

1. Run the student on a random sample (default 1,000) of training requests.
2. A *mistake* is a wrong preset name (both sides use a filter, names differ), or an adjust / selective
   cosine similarity below that tool's mean cosine over the sample (where both sides use the tool).
3. For each request with a mistake in at least one tool, generate similar requests and pair each with the
   teacher's original answer for that request.
4. Retrain on training rows + new rows.

Two generators of similar requests:

* :class:`OfflineParaphraser` needs no network: it strips and re-wraps the way users phrase requests
  ("X vibes", "make it look like X", ...), swaps words from a small lexicon of look vocabulary
  (cold -> chilly, old -> vintage, night -> midnight), drops words and adds keyboard typos, all seeded.
* :class:`LLMParaphraser` asks an OpenAI-compatible model with a few-shot prompt for requests that mean
  nearly the same look ("cool tone" from "cool morning").
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from vibegrade.data.rows import MAX_INTENT_CHARS, VibeRow, normalize_intent
from vibegrade.evaluation.metrics import cosine
from vibegrade.llm.client import TeacherClient
from vibegrade.schema import ToolChain

__all__ = ["Mistakes", "find_mistakes", "OfflineParaphraser", "LLMParaphraser", "augment_rows", "Paraphraser"]


@dataclass
class Mistakes:
    rows: list[VibeRow]
    by_tool: dict[str, int]
    mean_cosine: dict[str, float]
    sampled: int


def find_mistakes(student, rows: Sequence[VibeRow], sample: int = 1000, seed: int = 0) -> Mistakes:
    """Requests (from a seeded random sample) where the student's answer is a mistake in any tool."""
    rng = random.Random(seed)
    picked = list(rows) if len(rows) <= sample else rng.sample(list(rows), sample)
    preds: list[ToolChain] = student.predict([r.intent for r in picked])
    cos: dict[str, list[float | None]] = {"adjust": [], "selective_adjust": []}
    for p, r in zip(preds, picked):
        t = r.chain
        cos["adjust"].append(cosine(np.array(p.adjust.vector(), float), np.array(t.adjust.vector(), float))
                             if p.adjust.used and t.adjust.used else None)
        cos["selective_adjust"].append(
            cosine(np.array(p.selective_adjust.vector(), float), np.array(t.selective_adjust.vector(), float))
            if p.selective_adjust.used and t.selective_adjust.used else None)
    mean = {k: float(np.mean([c for c in v if c is not None])) if any(c is not None for c in v) else 1.0
            for k, v in cos.items()}
    wrong: list[VibeRow] = []
    by_tool = {"adjust": 0, "selective_adjust": 0, "filter": 0}
    for i, (p, r) in enumerate(zip(preds, picked)):
        m = False
        if p.filter.used and r.chain.filter.used and p.filter.name != r.chain.filter.name:
            by_tool["filter"] += 1
            m = True
        for tool in ("adjust", "selective_adjust"):
            c = cos[tool][i]
            if c is not None and c < mean[tool]:
                by_tool[tool] += 1
                m = True
        if m:
            wrong.append(r)
    return Mistakes(wrong, by_tool, mean, len(picked))


class Paraphraser(Protocol):
    def generate(self, intents: Sequence[str], n: int) -> dict[str, list[str]]: ...


# Look vocabulary: each group holds words users use interchangeably in look requests.
_SYNONYM_GROUPS = [
    ["cold", "cool", "chilly", "icy", "frosty"], ["warm", "cozy", "toasty"],
    ["dark", "moody", "gloomy", "dim"],
    ["bright", "sunny", "light", "airy"], ["old", "vintage", "retro", "aged", "antique"],
    ["night", "midnight", "nighttime"], ["morning", "dawn", "sunrise"], ["evening", "dusk", "sunset"],
    ["vivid", "vibrant", "colorful", "saturated", "punchy"], ["faded", "washed out", "muted", "matte"],
    ["dreamy", "ethereal", "soft", "hazy"], ["creepy", "eerie", "spooky", "scary"],
    ["happy", "cheerful", "joyful"], ["sad", "melancholic", "melancholy", "blue mood"],
    ["movie", "film", "cinematic"], ["photo", "picture", "pic", "shot"], ["city", "urban", "downtown"],
    ["forest", "woods"], ["beach", "seaside", "coast"], ["autumn", "fall"],
    ["black and white", "b&w", "monochrome"],
    ["neon", "glowing", "electric"], ["gritty", "grungy", "raw"], ["pastel", "soft colors"],
]
_WORD_TO_GROUP = {w: g for g in _SYNONYM_GROUPS for w in g}
_WRAPPERS = ["{x}", "{x} vibes", "{x} look", "{x} filter", "{x} aesthetic", "{x} style",
             "make it look like {x}", "like {x}", "{x} feel", "give it a {x} look", "{x} mood", "{x} tones"]
_STRIP = re.compile(r"^(make it look like|make it|like|give it an?|give "
                    r"it)\s+|\s+(vibes?|look|filter|aesthetic|style|"
                    r"feel|mood|tones?|effect)$")
_KEYS = "qwertyuiop asdfghjkl zxcvbnm".split()


def _core(intent: str) -> str:
    t = intent.lower().strip()
    for _ in range(3):
        t2 = _STRIP.sub("", t).strip()
        if t2 == t or not t2:
            break
        t = t2
    return t


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["swap", "drop", "double", "near"])
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    for row in _KEYS:
        j = row.find(word[i])
        if j >= 0:
            nb = row[max(0, j - 1)] if j > 0 else row[j + 1]
            return word[:i] + nb + word[i + 1:]
    return word


@dataclass
class OfflineParaphraser:
    """Seeded, network-free generator of similar requests."""

    seed: int = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def variants(self, intent: str, n: int) -> list[str]:
        rng = self._rng
        core = _core(intent)
        words = core.split()
        candidates: list[str] = []
        for _ in range(12 * n):
            w = list(words)
            op = rng.random()
            swapped = False
            for k, word in enumerate(w):  # synonym swap
                if word in _WORD_TO_GROUP and rng.random() < 0.7:
                    w[k] = rng.choice([s for s in _WORD_TO_GROUP[word] if s != word])
                    swapped = True
            if not swapped and len(w) > 2 and op < 0.3:  # drop a word
                del w[rng.randrange(len(w))]
            if op > 0.8 and w:  # typo in one word
                k = rng.randrange(len(w))
                w[k] = _typo(w[k], rng)
            text = rng.choice(_WRAPPERS).format(x=" ".join(w))
            text = " ".join(text.split())
            if text and len(text) <= MAX_INTENT_CHARS:
                candidates.append(text)
        seen = {normalize_intent(intent)}
        out = []
        for c in candidates:
            key = normalize_intent(c)
            if key not in seen:
                seen.add(key)
                out.append(c)
            if len(out) == n:
                break
        return out

    def generate(self, intents: Sequence[str], n: int) -> dict[str, list[str]]:
        return {i: self.variants(i, n) for i in intents}


_LLM_SYSTEM = (
    "You help build training data for a photo-grading app. Users type short requests for a look, such as a "
    "place, film, mood, time of day or style. Given one request, write other requests that a user wanting "
    "nearly the same look might type: short (1-5 words), lowercase, natural, varied in wording; include "
    "closely related concepts (e.g. 'cool tone' for 'cool morning'), common phrasings ('X vibes', 'make it "
    "look like X') and at most one with a typo. Never change the look itself. One request per line, no "
    "numbering, nothing else."
)
_LLM_EXAMPLES = [
    ("cool morning", 4, "cool tone\nchilly dawn\nfresh cold morning light\ncool morning vibes"),
    ("wes anderson", 3, "wes anderson vibes\ngrand budapest hotel look\nsymmetrical pastel film"),
]


class LLMParaphraser:
    """Few-shot request paraphrases from any OpenAI-compatible chat endpoint (uses the teacher client)."""

    def __init__(self, config) -> None:  # a vibegrade.llm.client.ClientConfig
        self.config = config

    def messages(self, intent: str, n: int) -> list[dict[str, str]]:
        msgs = [{"role": "system", "content": _LLM_SYSTEM}]
        for req, k, ans in _LLM_EXAMPLES:
            msgs.append({"role": "user", "content": f"Request: {req}\nWrite {k} similar requests."})
            msgs.append({"role": "assistant", "content": ans})
        msgs.append({"role": "user", "content": f"Request: {intent}\nWrite {n} similar requests."})
        return msgs

    @staticmethod
    def parse(text: str, intent: str, n: int) -> list[str]:
        out, seen = [], {normalize_intent(intent)}
        for line in text.splitlines():
            t = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line).strip().strip('"').strip()
            if not t or len(t) > MAX_INTENT_CHARS or t.lower().startswith(("request", "here are")):
                continue
            k = normalize_intent(t)
            if k not in seen:
                seen.add(k)
                out.append(t.lower())
        return out[:n]

    def generate(self, intents: Sequence[str], n: int) -> dict[str, list[str]]:
        import asyncio

        async def run() -> dict[str, list[str]]:
            async with TeacherClient(self.config) as client:

                async def one(i: str) -> tuple[str, list[str]]:
                    comp = await client.complete(self.messages(i, n))
                    return i, self.parse(comp.content, i, n)

                return dict(await asyncio.gather(*(one(i) for i in intents)))

        return asyncio.run(run())


def augment_rows(student, rows: Sequence[VibeRow], generator: Paraphraser, *, sample: int = 1000,
                 per_request: int = 3, seed: int = 0) -> tuple[list[VibeRow], dict]:
    """New rows (similar requests + the teacher's original answers) for the student's mistakes."""
    mistakes = find_mistakes(student, rows, sample=sample, seed=seed)
    existing = {r.key for r in rows}
    variants = generator.generate([r.intent for r in mistakes.rows], per_request)
    new: list[VibeRow] = []
    for r in mistakes.rows:
        for v in variants.get(r.intent, []):
            k = normalize_intent(v)
            if k in existing:
                continue
            existing.add(k)
            new.append(VibeRow(intent=v, chain=r.chain, rationale=dict(r.rationale), category=r.category,
                               extra={"augmented_from": r.intent}))
    stats = {"sampled": mistakes.sampled, "mistakes": len(mistakes.rows), "by_tool": mistakes.by_tool,
             "mean_cosine": {k: round(v, 4) for k, v in mistakes.mean_cosine.items()}, "new_rows": len(new)}
    return new, stats

