"""What the refinement model reads: a follow-up request as numbers, and a chain as a value vector.

A follow-up is read twice: by the sentence encoder (meaning, world knowledge) and by its words
(:func:`lexical`): the direction pairs of :func:`vibegrade.students.direction.signature` ("warmer" →
``temperature +``, "less orange" → ``orange −``), each also weighted by the size words
(:func:`~vibegrade.students.direction.size_class`: slightly −1, very +1, all of it +2), and a fixed list
of function words that carry strength, filter and history meaning ("less", "more", "too", "drop", "only",
"undo" …).
Encoders put "more contrast" next to "less contrast"; the lexical part keeps them apart.

Chains are read as 27 values (:data:`PARAM_KEYS`): the 14 adjust parameters, the 12 selective values and
the filter intensity, in the schema's order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from vibegrade.schema import (
    ADJUST_KEYS,
    ADJUST_PARAMS,
    FILTER_NONE,
    INTENSITY,
    SELECTIVE_CHANNELS,
    SELECTIVE_KEYS,
    Adjust,
    Filter,
    SelectiveAdjust,
    SelectiveColor,
    ToolChain,
)
from vibegrade.students.direction import signature, size_class

__all__ = ["PARAM_KEYS", "RANGES", "chain_vector", "vector_chain", "lexical", "FUNCTION_WORDS",
           "direction_vocab", "ngrams", "ngram_vocab", "bag_of_ngrams"]

#: The 27 values a refinement moves, in order: adjust, then selective (colour.channel), then intensity.
PARAM_KEYS: tuple[str, ...] = (*ADJUST_KEYS, *(f"{c}.{ch}" for c, ch in SELECTIVE_KEYS), "intensity")
#: (lo, hi) of each value of :data:`PARAM_KEYS`.
RANGES: np.ndarray = np.array([(p.lo, p.hi) for p in ADJUST_PARAMS]
                              + [(SELECTIVE_CHANNELS[0].lo, SELECTIVE_CHANNELS[0].hi)] * len(SELECTIVE_KEYS)
                              + [(INTENSITY.lo, INTENSITY.hi)], dtype=np.float64)
_N_ADJ = len(ADJUST_KEYS)
_N_SEL = len(SELECTIVE_KEYS)

#: Words whose presence is a feature of its own: strength, filter, keep/drop and history words.
FUNCTION_WORDS: tuple[str, ...] = (
    "less", "more", "too", "much", "way", "lot", "bit", "slightly", "little", "touch", "very", "extremely",
    "max", "stronger", "weaker", "subtler", "subtle", "half", "double", "twice", "tone", "dial", "back",
    "push", "intensify", "crank", "down", "up", "further", "keep", "but", "same", "no", "drop", "remove",
    "without", "lose", "only", "just", "filter", "preset", "lut", "undo", "redo", "revert", "previous",
    "reset", "start", "over", "original", "again", "put", "bring", "like", "instead", "actually", "scrap",
    "try", "go", "make", "it", "look", "feel", "vibe", "black", "white", "monochrome", "sepia", "grey",
    "gray", "greyscale", "grayscale", "b", "w", "bw", "everything", "all", "hint", "lean", "toward",
    "towards", "and", "then", "skin", "sky", "grass", "cast", "fix",
)
_WORD = re.compile(r"[a-z]+")


def chain_vector(chain: ToolChain) -> np.ndarray:
    """The 27 values of :data:`PARAM_KEYS` (float64)."""
    return np.array([*chain.adjust.vector(), *chain.selective_adjust.vector(), chain.filter.intensity
                     if chain.filter.used else 0], dtype=np.float64)


def vector_chain(values: np.ndarray, filter_name: str) -> ToolChain:
    """A chain from 27 values (rounded half away from zero, clamped) and a preset name (``none``: no
    filter, whatever the intensity; a preset at intensity 0 becomes ``none``)."""
    v = np.clip(np.sign(values) * np.floor(np.abs(values) + 0.5), RANGES[:, 0], RANGES[:, 1]).astype(int)
    adjust = Adjust(**dict(zip(ADJUST_KEYS, v[:_N_ADJ].tolist())))
    sel: dict[str, dict[str, int]] = {}
    for (c, ch), x in zip(SELECTIVE_KEYS, v[_N_ADJ:_N_ADJ + _N_SEL].tolist()):
        sel.setdefault(c, {})[ch] = x
    selective = SelectiveAdjust(**{c: SelectiveColor(**d) for c, d in sel.items()})
    intensity = int(v[-1])
    if filter_name == FILTER_NONE or intensity <= 0:
        flt = Filter()
    else:
        flt = Filter(name=filter_name, intensity=intensity)
    return ToolChain(adjust=adjust, selective_adjust=selective, filter=flt)


def direction_vocab(texts: Sequence[str]) -> list[str]:
    """The direction pairs seen in ``texts`` (sorted ``attribute:+1`` strings): the lexical vocabulary."""
    return sorted({f"{a}:{s:+d}" for t in texts for a, s in signature(t)})


def lexical(texts: Sequence[str], vocab: Sequence[str]) -> np.ndarray:
    """Word features of each text: direction pairs (multi-hot), the same weighted by size (slightly
    −1, very +1, all of it +2), the size class (one-hot: slightly, plain, very or more), and the
    :data:`FUNCTION_WORDS` present.

    Shape (n, 2·|vocab| + 3 + |words|)."""
    index = {k: i for i, k in enumerate(vocab)}
    words = {w: i for i, w in enumerate(FUNCTION_WORDS)}
    nv, nw = len(vocab), len(FUNCTION_WORDS)
    out = np.zeros((len(texts), 2 * nv + 3 + nw), dtype=np.float64)
    for r, text in enumerate(texts):
        t = text.lower()
        size = size_class(t)
        for a, s in signature(t):
            j = index.get(f"{a}:{s:+d}")
            if j is not None:
                out[r, j] = 1.0
                out[r, nv + j] = float(size)
        out[r, 2 * nv + 1 + min(size, 1)] = 1.0  # "all of it" (+2) shares the "very" slot
        for w in set(_WORD.findall(t.replace("b&w", " bw ").replace("&", " and "))):
            k = words.get(w)
            if k is not None:
                out[r, 2 * nv + 3 + k] = 1.0
    return out


_TOKEN = re.compile(r"[a-z]+|[+-]?\d+(?:\.\d+)?%?")


def ngrams(text: str) -> list[str]:
    """Word unigrams and bigrams of a (lower-cased) request; numbers keep their sign ("+1", "-0.5")."""
    toks = _TOKEN.findall(text.lower().replace("b&w", " bw "))
    return toks + [f"{a} {b}" for a, b in zip(toks, toks[1:])]


def ngram_vocab(texts: Sequence[str], min_count: int = 2) -> list[str]:
    """The n-grams seen in at least ``min_count`` of ``texts`` (sorted)."""
    from collections import Counter

    counts = Counter(g for t in texts for g in set(ngrams(t)))
    return sorted(g for g, n in counts.items() if n >= min_count)


def bag_of_ngrams(texts: Sequence[str], vocab: Sequence[str]) -> np.ndarray:
    """Presence (0/1) of each vocabulary n-gram in each text, shape (n, |vocab|)."""
    index = {g: i for i, g in enumerate(vocab)}
    out = np.zeros((len(texts), len(vocab)), dtype=np.float64)
    for r, t in enumerate(texts):
        for g in ngrams(t):
            j = index.get(g)
            if j is not None:
                out[r, j] = 1.0
    return out
