"""Refinement: a follow-up request ("warmer", "less", "more like the matrix", "undo") edits the current chain.

Public interface (the model behind :func:`load_refiner` is trained on ``data/refine``; see
``docs/refine.md``)::

    refiner = load_refiner()                       # the shipped refinement model
    r = refiner.refine(current_chain, "less orange")
    r.op      # "edit" | "toward" | "replace" | "undo" | "redo" | "reset"
    r.chain   # the next chain (None for undo / redo / reset: the history does those)

:func:`apply` runs a refinement on a :class:`~vibegrade.students.conversation.History`.
"""

from __future__ import annotations

import json
import os
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast, runtime_checkable

import numpy as np

from vibegrade.schema import FILTER_NONE, SELECTIVE_COLORS, ToolChain
from vibegrade.students import Student, StudentLoadError, limits, load_student, refine_strength, sliders
from vibegrade.students.answer_check import (
    checkable,
    checked_signature,
    follows_change,
    named_values,
    wished_signature,
)
from vibegrade.students.conversation import History, Op
from vibegrade.students.direction import conflicts, known_words, signature
from vibegrade.students.encoders import gelu
from vibegrade.students.refine_features import (
    FUNCTION_WORDS,
    PARAM_KEYS,
    bag_of_ngrams,
    chain_vector,
    lexical,
    vector_chain,
)
from vibegrade.students.spelling import SpellingRepair

__all__ = ["Refinement", "Refiner", "apply", "RefineModel", "load_refiner", "blend_toward", "scale_chain",
           "OPS",
           "HEAD_OPS", "look_words",
           "DEFAULT_REFINER_DIR", "MODEL_KIND"]


@dataclass(frozen=True)
class Refinement:
    """What a follow-up does: the operation and, unless it is a history step, the next chain."""

    op: Op
    chain: ToolChain | None
    request: str


@runtime_checkable
class Refiner(Protocol):
    def refine(self, chain: ToolChain, request: str) -> Refinement: ...


def apply(history: History, refinement: Refinement) -> bool:
    """Apply ``refinement`` to ``history``; False when an undo/redo had nowhere to go."""
    if refinement.op == "undo":
        return history.undo()
    if refinement.op == "redo":
        return history.redo()
    if refinement.op == "reset":
        history.reset(refinement.request)
        return True
    if refinement.chain is None:
        raise ValueError(f"a {refinement.op!r} refinement carries the next chain")
    history.push(refinement.chain, refinement.request, refinement.op)
    return True


# ----------------------------------------------------------------------------------------- the model

#: ``kind`` in the refinement model's config.json.
MODEL_KIND = "refine-bilinear"
#: The shipped refinement model (trained on all of data/refine; see docs/refine.md).
DEFAULT_REFINER_DIR = Path(__file__).with_name("refine_model")
#: Operations the model chooses between, in the order of its op head.
OPS: tuple[Op, ...] = ("edit", "toward", "replace", "undo", "redo", "reset")
#: A move of the delta head the edit program does not make is taken when at least this large.
MISSED = 5.0
_HUE = PARAM_KEYS.index("hue")
# a follow-up with a number in it is slider talk the model is taught value by value ("warmth: 0", "magenta
# tint +10"); the answer check's reader takes some of them the other way, so it leaves them alone
_DIGIT = re.compile(r"\d")
# two looks with something of every value to take away or add, one on each side of 0 where the range allows:
# run on them, a meaning's program shows which way its taught answers move what its wordings name
_PROBES: tuple[ToolChain, ...] = tuple(ToolChain.model_validate(p) for p in (
    {"adjust": {"exposure": 10, "contrast": 15, "highlights": -10, "shadows": 10, "saturation": 15,
                "vibrance": 10, "temperature": 15, "tint": 5, "linearOffset": 10, "bloom": 20, "sharpen": 20,
                "structure": 20},
     "selective_adjust": {c: {"saturation": 15, "luminance": 5} for c in SELECTIVE_COLORS},
     "filter": {"name": "fortune", "intensity": 40}},
    {"adjust": {"exposure": -10, "contrast": -15, "highlights": 10, "shadows": -10, "saturation": -15,
                "vibrance": -10, "temperature": -15, "tint": -5, "linearOffset": -10, "bloom": 10,
                "sharpen": 10, "structure": 10},
     "selective_adjust": {c: {"saturation": -15, "luminance": -5} for c in SELECTIVE_COLORS},
     "filter": {"name": "north", "intensity": 30}},
))
#: The op head's classes: the operations, with ``scale`` (an edit that multiplies the whole look) apart.
HEAD_OPS: tuple[str, ...] = ("edit", "scale", "toward", "replace", "undo", "redo", "reset")


class RefineModel:
    """The learned refinement model (``docs/refine.md``).

    Reads a follow-up as :math:`\\varphi` = [encoder embedding, lexical features, 1]
    (:mod:`vibegrade.students.refine_features`) and answers with four linear heads over it:

    * **op** (6 classes, argmax): edit, toward, replace, undo, redo, reset;
    * **delta** for ``edit``: each of the 27 values moves by ``a_p·φ + (b_p·φ)·c_p/100`` where ``c_p`` is
      its current value, so one model says both "add 25 to temperature" (warmer) and "keep 60 % of
      every value" (less, too much) — and "set saturation to −100" (a = −100, b = −100);
      moves under ``min_move`` are dropped;
    * **filter** for ``edit``: keep the current preset, drop it, or switch to a named one;
    * **amount** for ``toward``: how far to blend toward the look the vibes student reads from the same
      words (``new = c + amount·(look − c)`` on the values the look sets; its preset is taken when its
      share is at least 10 and larger than the current one).

    ``replace`` answers the vibes student's chain for the request; undo / redo / reset return no chain.
    The heads are ridge regressions fitted in closed form (:mod:`vibegrade.students.refine_training`);
    the encoder is the vibes student's, so the model folder holds only the heads (a few MB).
    """

    kind = MODEL_KIND

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_REFINER_DIR,
                 student: Student | None = None) -> None:
        from safetensors.numpy import load_file

        self.path = Path(path)
        cfg_path = self.path / "config.json"
        if not cfg_path.is_file():
            raise StudentLoadError(f"{self.path}: not a refinement model folder (no config.json)")
        self.config: dict[str, Any] = json.loads(cfg_path.read_text(encoding="utf-8"))
        if self.config.get("kind") != MODEL_KIND:
            raise StudentLoadError(f"{self.path}: not a refinement model (kind={self.config.get('kind')!r})")
        w = load_file(str(self.path / "weights.safetensors"))
        self.op_w = w["op"].astype(np.float64)           # (D, 6)
        self.delta_a = w["delta.a"].astype(np.float64)   # (27, D)
        self.delta_b = w["delta.b"].astype(np.float64)   # (27, D)
        self.filter_w = w["filter"].astype(np.float64)   # (D, K)
        self.amount_w = w["amount"].astype(np.float64)   # (D,)
        self.factor_w = w["factor"].astype(np.float64)   # (D,): log of the scale factor
        # edit programs per taught concept and the classifier that picks one (design "linear")
        self.programs = ((w["program.rule"].astype(np.int64), w["program.const"].astype(np.float64),
                          w["program.filter"].astype(np.int64), w["concept"].astype(np.float64))
                         if "concept" in w and self.config.get("edit_decoder", "program") == "program"
                         else None)
        # the steps of multiplying rules (absent in models saved before them: multiply everywhere)
        self.program_steps = (w["program.step"].astype(np.float64) if "program.step" in w
                              else None)
        # design "mlp": the heads read a hidden layer gelu(φ W + b), plus a constant 1
        self.hidden = ((w["hidden.w"].astype(np.float64), w["hidden.b"].astype(np.float64))
                       if "hidden.w" in w else None)
        self.filter_classes: list[str] = list(self.config["filter_classes"])
        self.vocab: list[str] = list(self.config["direction_vocab"])
        self.emb_weight = float(self.config["emb_weight"])
        self.grams: list[str] = list(self.config.get("ngram_vocab") or [])
        self.bow_weight = float(self.config.get("bow_weight", 1.0))
        self.min_move = float(self.config.get("min_move", 2.0))
        if student is None:
            ref = self.config.get("student")
            student = load_student(None if ref in (None, "default") else self.path / ref)
        self.student = student
        self._requests: list[str] = list(self.config.get("requests") or [])
        #: the delta head's move is not taken against a direction the follow-up's words name (``_edit``);
        #: off only to measure what it does (``scripts/refine_experiments.py --no-said-guard``)
        self.said_guard = True
        #: a plain follow-up ("a hair brighter", "exp + a hair") takes only a meaning whose words name
        #: nothing it does not (``_program``); off only to measure what it does
        self.plain_guard = True
        #: a plain follow-up whose answer does not move what it names the way it says ("too sharp" on a
        #: look without sharpening: no move) is answered as on an ungraded photo, added (``_checked``);
        #: off only to measure what it does
        self.answer_check = True
        #: a follow-up that says what not to do ("warmer but keep the skin natural", "make it black and white
        #: except the red") is refined by the rest, then its holds are kept from the current chain
        #: (:mod:`vibegrade.students.limits`); off only to measure what it does
        self.limits = True
        #: a scale follow-up whose factor goes against the way its words say ("take it further" at × 0.78)
        #: takes the taught factor of that way and size (:mod:`vibegrade.students.refine_strength`); off only
        #: to measure what it does
        self.scale_check = True
        self._otherwise: dict[int, set[frozenset[tuple[str, int]]]] = {}  # see _read_otherwise
        self._spelling: SpellingRepair | None = None
        # every taught wording of an edit meaning, to its meaning (-1 where two meanings share one): a
        # follow-up typed exactly as taught gets that meaning ("more saturated" is the plain step, which
        # the classifier alone put behind "slightly more saturated")
        self._taught: dict[str, int] = {}
        for k, ws in enumerate(self.config.get("concept_words") or []):
            for w in ws if isinstance(ws, list) else [ws]:
                key = wording_key(w)
                if key:
                    self._taught[key] = k if self._taught.get(key, k) == k else -1

    def read(self, request: str) -> str:
        """The follow-up as the model reads it: lower case, typos repaired against the words of the
        requests it was trained on and the vibes student's (e.g. "warmr" → "warmer")."""
        text = " ".join(str(request).lower().split())
        if self._spelling is None:
            memory = list(getattr(self.student, "memory_intents", []) or [])
            encoder = getattr(self.student, "encoder", None)
            vocab = [t for t in encoder.tokenizer.get_vocab() if t.isalpha()] if encoder is not None else []
            self._spelling = SpellingRepair([*self._requests, *memory],
                                            known=[*vocab, *FUNCTION_WORDS, *known_words()])
        return self._spelling(text)

    def features(self, requests: Sequence[str]) -> np.ndarray:
        """φ of each request: (n, D) = [embedding · emb_weight, lexical, n-grams · bow_weight, 1]."""
        texts = [self.read(r) for r in requests]
        emb = embed_texts(self.student, texts) * self.emb_weight
        phi = np.hstack([emb, lexical(texts, self.vocab), bag_of_ngrams(texts, self.grams) * self.bow_weight,
                         np.ones((len(texts), 1))])
        if self.hidden is None:
            return phi
        h = gelu(phi @ self.hidden[0] + self.hidden[1])  # exact GELU, as torch's default
        return np.hstack([h, np.ones((len(h), 1))])

    def refine(self, chain: ToolChain, request: str) -> Refinement:
        return self.refine_many([(chain, request)])[0]

    def refine_many(self, pairs: Sequence[tuple[ToolChain, str]]) -> list[Refinement]:
        """Refinements of several (current chain, follow-up) pairs at once (one encoder batch). A follow-up
        that says what not to do is refined by the rest of its words, then held from the current chain
        (:func:`vibegrade.students.limits.apply`); one that only keeps a colour ("keep only the red") is
        the current chain with the rest greyed."""
        if not pairs:
            return []
        said = [limits.read(r) if self.limits else None for _, r in pairs]
        if any(lim is not None for lim in said):
            asked = [(c, lim.rest) for (c, _), lim in zip(pairs, said) if lim is not None and lim.rest]
            done = iter(self._refine_many(asked))
            out: list[Refinement | None] = []
            for (chain, request), lim in zip(pairs, said):
                if lim is None:
                    out.append(None)
                    continue
                got = next(done) if lim.rest else Refinement("edit", chain, request)
                if got.chain is None:  # a history step ("undo, but keep the red"): as it is
                    out.append(Refinement(got.op, None, request))
                else:
                    out.append(Refinement(got.op, limits.apply(got.chain, lim, before=chain), request))
            rest = iter(self._refine_many([p for p, lim in zip(pairs, said) if lim is None]))
            return [r if r is not None else next(rest) for r in out]
        return self._refine_many(pairs)

    def _refine_many(self, pairs: Sequence[tuple[ToolChain, str]]) -> list[Refinement]:
        """:meth:`refine_many` without reading what not to do."""
        if not pairs:
            return []
        phi = self.features([r for _, r in pairs])
        ops = np.argmax(phi @ self.op_w, axis=1)
        looks_for = [i for i, o in enumerate(ops) if HEAD_OPS[o] in ("toward", "replace")]
        looks = (dict(zip(looks_for, self.student.predict([look_words(pairs[i][1]) for i in looks_for])))
                 if looks_for else {})
        out = []
        for i, (chain, request) in enumerate(pairs):
            op = HEAD_OPS[int(ops[i])]
            said = sliders.read(request) if sliders.may_hold(request) else None
            if said is not None:  # slider numbers: "contrast +20" adds 20, "set saturation to -100" sets it
                out.append(Refinement("edit", sliders.apply(chain, said), request))
            elif op == "scale":
                factor = float(np.exp(np.clip(phi[i] @ self.factor_w, np.log(0.2), np.log(2.5))))
                if self.scale_check:  # "take it further" at × 0.78: the taught factor of the way said
                    factor = refine_strength.checked_factor(request, factor)
                scaled = scale_chain(chain, factor)
                out.append(Refinement("edit", self._checked(chain, scaled, request), request))
            elif op in ("undo", "redo", "reset"):
                out.append(Refinement(cast(Op, op), None, request))
            elif op == "replace":
                out.append(Refinement("replace", looks[i], request))
            elif op == "toward":
                amount = float(np.clip(phi[i] @ self.amount_w, 0.1, 1.0))
                out.append(Refinement("toward", blend_toward(chain, looks[i], amount), request))
            else:
                edited, meaning = self._edit(chain, phi[i], self.read(request))
                out.append(Refinement("edit", self._checked(chain, edited, request, meaning), request))
        return out

    def _checked(self, chain: ToolChain, answer: ToolChain, request: str, meaning: int | None = None
                 ) -> ToolChain:
        """``answer``, unless ``request`` is a plain correction (:func:`~vibegrade.students.answer_check.
        checkable`: "too sharp", "photo is underexposed", "warmer, brighter") with no number in it, and
        ``answer`` does not move what it names the way the words say. Then the vibes student's answer to
        the same words (what vibegrade does with them on an ungraded photo; itself checked) is added to
        the current values, the preset and the hue rotation kept, if that does follow the words; else
        ``answer``. Both read the words as typed, as the vibes student does (this model's typo repair
        reads "everythings super blue", a complaint, as "everything super blue", a wish). Where the edit
        came from a ``meaning`` whose taught wordings said the same way are answered otherwise than the
        check reads them ("more faded" lifts the blacks here; the check reads a fall in saturation), the
        taught meaning stands."""
        if not self.answer_check or _DIGIT.search(request):
            return answer
        if follows_change(request, chain, answer) is not False:
            return answer
        if meaning is not None and checked_signature(request) in self._read_otherwise(meaning):
            return answer
        first = chain_vector(self.student.predict([request])[0])
        first[[_HUE, -1]] = 0.0
        added = vector_chain(chain_vector(chain) + first, chain.filter.name)
        return added if follows_change(request, chain, added) else answer

    def _read_otherwise(self, k: int) -> set[frozenset[tuple[str, int]]]:
        """The answer check's readings ("more faded": saturation down) of taught edit meaning ``k``'s own
        wordings that its program, run on the two :data:`_PROBES`, does not follow in most of them
        (worked out once per meaning, when first asked)."""
        if k not in self._otherwise:
            ws = (self.config.get("concept_words") or [])[k]
            probed = [(p, self._program(p, k)) for p in _PROBES]
            seen: dict[frozenset[tuple[str, int]], list[bool]] = {}
            for w in ws if isinstance(ws, list) else [ws]:
                sig = None if _DIGIT.search(w) else checked_signature(w)
                if sig is not None:
                    seen.setdefault(sig, []).extend(bool(follows_change(w, p, a)) for p, a in probed)
            self._otherwise[k] = {sig for sig, ok in seen.items() if 2 * sum(ok) < len(ok)}
        return self._otherwise[k]

    def _edit(self, chain: ToolChain, phi: np.ndarray, request: str) -> tuple[ToolChain, int | None]:
        """The next chain of an ``edit``: the taught program of the nearest meaning, value by value, except
        where the delta head moves a value the other way or makes a clear move the program does not (both
        by at least :data:`MISSED`); and that meaning (``None`` for a model without programs)."""
        delta = self._delta(chain, phi)
        if self.programs is None:
            return delta, None
        k = self._meaning(phi, request)
        return self._edit_from(chain, delta, self._program(chain, k), request), k

    def _edit_from(self, chain: ToolChain, delta: ToolChain, program: ToolChain, request: str) -> ToolChain:
        """:meth:`_edit`'s value-by-value choice between the meaning's ``program`` and the ``delta`` head."""
        # the program gives the taught sizes and set values; the delta head reads directions better on
        # wordings it was not taught: take the program unless the two disagree on a direction
        c, dp, dd = chain_vector(chain), chain_vector(program), chain_vector(delta)
        # where the words themselves say which way a value goes ("nudge the temperature up"), the delta
        # head's move is taken only if it goes that way
        said = said_directions(request) if self.said_guard else np.zeros(len(c))
        against = (said != 0) & (np.sign(dd - c) == -said)
        # a plain follow-up ("exp + a hair") moves only what it names
        named = self._named_mask(request)
        if program == chain:
            # the program has nothing to do ("less sharpening" on a look without sharpening): the delta
            # head's moves, but none against the words (it sharpened by 9) and, for a plain follow-up, none
            # of what it does not name ("less detail" cooled by 3); the answer check takes it from there
            keep = ~against & named
            if keep.all():
                return delta
            return vector_chain(np.where(keep, dd, c), delta.filter.name if keep[-1] else chain.filter.name)
        both = (np.abs(dd - c) >= MISSED) & (np.abs(dp - c) >= 1)
        opposite = both & (np.sign(dp - c) != np.sign(dd - c))
        missed = (np.abs(dd - c) >= MISSED) & (dp == c)  # a clear move the program does not make
        take = (opposite | missed) & ~against & named
        if not take.any():
            return program
        # value by value: the delta head's where it disagrees or moves what the program leaves
        name = delta.filter.name if take[-1] else program.filter.name
        return vector_chain(np.where(take, dd, dp), name)

    def _named_mask(self, request: str) -> np.ndarray:
        """Per value of :data:`PARAM_KEYS`, whether the delta head may move it: for a plain follow-up
        (the plain guard), only the values its words name (the preset's strength never); else all."""
        if not (self.plain_guard and checkable(request)):
            return np.ones(len(PARAM_KEYS), dtype=bool)
        named = set().union(*(named_values(a) for a, _ in signature(request)))
        return np.array([k in named for k in PARAM_KEYS[:-1]] + [False])

    def _delta(self, chain: ToolChain, phi: np.ndarray) -> ToolChain:
        c = chain_vector(chain)
        d = self.delta_a @ phi + (self.delta_b @ phi) * (c / 100.0)
        d[np.abs(d) < self.min_move] = 0.0
        d[_HUE] = 0.0  # hue rotation is never moved by a follow-up
        nxt = c + d
        choice = self.filter_classes[int(np.argmax(phi @ self.filter_w))]
        name = chain.filter.name if choice == "keep" else choice
        if choice not in ("keep", FILTER_NONE) and not chain.filter.used and nxt[-1] < 1:
            nxt[-1] = 35.0  # a preset switched on without a learned strength: the usual band (vibes §1)
        return vector_chain(nxt, name)

    def _meaning(self, phi: np.ndarray, request: str) -> int:
        """The taught edit meaning a follow-up gets (the classifier, with the taught-wording memory and
        the plain and direction rules)."""
        concept_w = self.programs[3]  # type: ignore[index]
        scores = phi @ concept_w
        words = self.config.get("concept_words") or []
        taught = self._taught.get(wording_key(request), -1)
        k = int(np.argmax(scores))  # the classifier's choice, unless a rule below says otherwise
        if taught >= 0:
            k = taught
        elif self.plain_guard and checkable(request):
            # a plain follow-up: the best meaning most of whose wordings name what it names, all of it
            # ("temp down a hair, exp down a hair") or part of it, and nothing else ("a hair brighter" is
            # not "slightly warmer and slightly brighter"); but where the classifier's meaning is one whose
            # own taught wordings the reader takes another way ("a little more faded": the reader reads
            # less saturation, the data lifts the blacks), this guard, which goes by the reader, cannot
            # judge it, and the classifier's choice stands (the guard gave "a little more faded" the
            # "much" meaning)
            if checked_signature(request) not in self._read_otherwise(k):
                for exact in (True, False):
                    k_fit = next((int(j) for j in np.argsort(-scores)
                                  if _most_name_only(request, _said_wordings(words[j]), exact)), None)
                    if k_fit is not None:
                        k = k_fit
                        break
        elif signature(request):
            for j in np.argsort(-scores):
                said = _said_wordings(words[j])
                if 2 * sum(conflicts(request, w) for w in said) <= len(said):  # most of them agree
                    k = int(j)
                    break
        return int(k)

    def _program(self, chain: ToolChain, k: int) -> ToolChain:
        """Meaning ``k``'s taught program run on ``chain``."""
        rules, consts, filt, _ = self.programs  # type: ignore[misc]
        steps = None if self.program_steps is None else self.program_steps[k]
        return run_program(chain, rules[k], consts[k], self.filter_classes[int(filt[k])], steps)


# attributes a meaning may name for a plain follow-up that names the other: "exp + a hair" is "brighter"
_SAME_ATTR = {"exposure_level": "light"}


def _said_wordings(words: str | list[str]) -> list[str]:
    """A meaning's taught wordings that name a direction."""
    return [w for w in (words if isinstance(words, list) else [words]) if signature(w)]


def _named(text: str) -> set[tuple[str, int]]:
    """The directions a text names, a cast as its colour ("too yellowish", "yellow cast")."""
    return {(_SAME_ATTR.get(a, a).removesuffix("@cast"), s) for a, s in signature(text)}


def _most_name_only(request: str, wordings: list[str], exact: bool) -> bool:
    """Most ``wordings`` name only directions the request names, each the same way ("slightly brighter"
    for "a hair brighter" and for "exp + a hair"); with ``exact``, all of them."""
    want = _named(request)
    fits = sum((_named(w) == want) if exact else (_named(w) <= want) for w in wordings)
    return 2 * fits > len(wordings)


# the values (indices into PARAM_KEYS) each direction the reader names moves (students/direction.py:
# ("temperature", +1) for "warmer", ("light@shadows", -1) for "deeper shadows"); states of exposure and
# colour casts are left out
_SAID: dict[str, tuple[int, ...]] = {attr: tuple(PARAM_KEYS.index(k) for k in keys) for attr, keys in {
    "temperature": ("temperature",), "contrast": ("contrast",), "saturation": ("saturation", "vibrance"),
    "light": ("exposure", "brightness"), "exposure_level": ("exposure",), "light@shadows": ("shadows",),
    "light@highlights": ("highlights",), "glow": ("bloom",), "sharpness": ("sharpen", "structure"),
    **{c: (f"{c}.saturation",) for c in ("red", "orange", "yellow", "green", "cyan", "blue")}}.items()}


def wording_key(text: str) -> str:
    """A follow-up as compared with the taught wordings: lower case, single spaces, no final ".", "!"
    or "?", no "please" / "pls" / "plz" at either end."""
    t = re.sub(r"[\s.!?]+$", "", " ".join(str(text).lower().split()))
    return _POLITE.sub("", t).strip()


_POLITE = re.compile(r"^(?:please|pls|plz)\b[\s,]*|[\s,]*\b(?:please|pls|plz)$")


def said_directions(request: str) -> np.ndarray:
    """Per value of :data:`PARAM_KEYS`: +1 / -1 where the request's words say which way it goes, else 0
    (also 0 where they say both)."""
    out = np.zeros(len(PARAM_KEYS))
    for attr, sign in signature(request):
        for k in _SAID.get(attr, ()):
            out[k] = sign if out[k] in (0, sign) else 2  # 2: said both ways
    out[out == 2] = 0
    return out


# words around a look's name in a follow-up ("nah, make it more like the matrix instead pls")
_LOOK_FILLER = frozenset("""
    instead actually nah nahh nope no ok okay hmm ugh lol nvm go do try make it more like a an bit the look
    looks vibe vibes vibey pls please plz just switch to feel lean into push toward towards much way lot hint
    of touch slightly little lil give me let's lets can you u could kinda sort somewhat some add bring closer
    style version aesthetic scrap scratch that forget change turn same ish y new different idea rather now on
    this with we for what about full start from then maybe up swap replace redo as something over still yet
    enough needs need missing tbh further almost move near nowhere doesn't doesnt does at all n
    only smidge smidgen tiny step hair tad notch harder stronger bigger em isn't isnt is be energy
    lots loads heaps tons nudge want wanna
    """.split())
# clause ends; "lol", "haha" and brackets end a clause as punctuation does
_CLAUSES = re.compile(r"[.!?;:,()/]| - |—|\bbut\b|\blol\b|\bhaha\b|\blike\b")
# what follows these names the look being left ("vaporwave instead of this", "autumn rather than winter")
_LEAVING = re.compile(r"\binstead of\b|\brather than\b|\bnot\b")
# a clause that starts with these rejects or complains about the current look ("forget the pink", "too sad")
_REJECTING = frozenset({"forget", "scrap", "ditch", "drop", "lose", "remove", "no", "not", "without", "too",
                        "it's", "its", "it", "that's", "thats", "kill"})
_INTERJECTIONS = frozenset({"ok", "okay", "hmm", "hm", "ugh", "ehh", "eh", "nah", "nahh", "actually", "just",
                            "and", "then", "also", "pls", "please", "plz", "oh", "oof", "welp", "yeah"})
# a clause with one of these asks for the look
_ASKING = frozenset({"more", "like", "go", "do", "make", "switch", "try", "lean", "push", "instead", "want",
                     "rather", "give"})
_LEAVE_ALL = re.compile(r"\b(?:drop|scrap|ditch|forget|lose)\s+(?:all\s+)?(?:of\s+)?(?:this|that|it)\b"
                        r"(?:\s+and)?")
_NEGATIONS = frozenset({"not", "isn't", "isnt", "aren't", "arent", "doesn't", "doesnt", "still"})
_LOOK_TOKEN = re.compile(r"[a-z0-9&'\-]+")
_SUFFIX = re.compile(r"(?<=[a-z0-9])-(?:ish|y|like|esque|inspired|style|vibes?)\b")
# "it's not cyberpunk enough", "nowhere near synthwave enough": more of it (not the look left behind)
_NOT_ENOUGH = re.compile(r"\b(?:(?:it'?s|it is|it|this is|this|that'?s|still)\s+)?"
                         r"(?:not|isn'?t|nowhere\s+near|not\s+nearly"
                         r"|not\s+quite)\s+([^,.;!?]+?)\s+enough\b")
# "i'd like it to feel closer to portra 400": a wish ("like" there is no clause end)
_WISH = re.compile(r"\b(?:i'?d|i\s+would|we'?d|we\s+would)\s+(?:like|love)\b(?:\s+(?:it|this))?(?:\s+to)?"
                   r"(?:\s+(?:feel|look|be))?")
# "(the movie)", "(the film)": what kind of name the one before is
_KIND = re.compile(r"\((?:the\s+|a\s+)?(?:movie|film|show|series|tv\s+show|game|anime|book|album|painting)\)")
# what the picture is for ("for the halloween post", "for my wedding album"): not the look
_PURPOSE = re.compile(r"\bfor\s+(?:the|my|a|an|our|his|her|their)\s+(?:[a-z]+\s+){0,2}"
                      r"(?:post|pic|picture|photo|story"
                      r"|stories|feed|reel|album|shoot|party|wedding|website|site|poster|print|cover|header|banner"
                      r"|profile|page|thumbnail|insta|instagram|tiktok|blog|menu|card|invite|invitation)s?\b")


def look_words(request: str) -> str:
    """The look a ``toward`` / ``replace`` follow-up names, for the vibes student ("ugh too cold. just do
    golden hour instead" → "golden hour", "can we do vaporwave instead of this" → "vaporwave", "more
    matrix-y" → "matrix"): accents dropped, what follows "instead of" / "rather than" left out, and of
    the clauses that neither reject nor complain, the first that asks for something, else the last. The
    request itself when nothing is left."""
    text = unicodedata.normalize("NFKD", request.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _SUFFIX.sub("", text)
    text = _KIND.sub(" ", text)
    text = _PURPOSE.sub(" ", text)
    text = _NOT_ENOUGH.sub(r" more \1 ", text)
    text = _WISH.sub(" want ", text)
    text = re.sub(r"\b([a-z]{3,})ier\b", r"\1y", text)  # "cozier" → "cozy", "moodier" → "moody"
    text = _LEAVE_ALL.sub(" ", text)  # "drop all this and go black and white"
    text = re.sub(r"([a-z])\1{2,}\b", r"\1", text)  # "sepiaaa" → "sepia"
    text = re.sub(r"(?<=[a-z])/(?=[a-z])", " and ", text)  # "teal/orange"
    head = _LEAVING.split(text)[0]
    if _content(_LOOK_TOKEN.findall(head)):
        text = head
    clauses: list[tuple[list[str], bool]] = []
    changes: list[tuple[int, str]] = []  # clauses that change the look ("… but darker"), by position
    for clause in _CLAUSES.split(text):
        toks = _LOOK_TOKEN.findall(clause)
        first = next((w for w in toks if w not in _INTERJECTIONS), None)
        if (first in ("not", "still") and {"enough", "yet", "all"} & set(toks)
                or "enough" in toks and _NEGATIONS & set(toks)):
            first = None  # "not cinematic enough", "it isn't moody enough yet" ask for more of it
        words = _content(toks)
        if words and clauses and wished_signature(" ".join(toks)) is not None:
            changes.append((len(clauses), " ".join(toks)))
        elif words and first not in _REJECTING:
            clauses.append((words, any(w in _ASKING for w in toks)))
    if not clauses:
        return request
    asking = [k for k, (_, ask) in enumerate(clauses) if ask]
    k = asking[0] if asking else len(clauses) - 1
    # a change said after the look goes with it, for the vibes student to compose ("more like the matrix
    # but darker" → "matrix but darker")
    return " but ".join([" ".join(clauses[k][0]), *(c for at, c in changes if at == k + 1)])


def _content(toks: list[str]) -> list[str]:
    """A clause's words that are not filler; a bare number ("moonlight (2016)") is not a look."""
    return [w for w in toks if w not in _LOOK_FILLER and not w.isdigit()]


def run_program(chain: ToolChain, rules: np.ndarray, consts: np.ndarray, filter_rule: str,
                steps: np.ndarray | None = None) -> ToolChain:
    """Apply an edit program: per value keep (0), add (1), multiply (2) or set (3) a constant, or step it
    toward 0 by the constant without passing 0 (4); the preset kept (``keep``), dropped (``none``) or
    switched to a named one (at the program's intensity, else 35).

    A multiplied value with a non-zero ``steps`` entry is multiplied only where that moves it the way the
    step does, and moved by the step elsewhere: "less contrast" keeps half of a contrast of 30 but takes
    a step down from 0 or −20, where halving would do nothing or raise it."""
    c = chain_vector(chain)
    mul = c * consts
    if steps is not None:
        other = (steps != 0) & (np.sign(mul - c) != np.sign(steps))
        mul = np.where(other, c + steps, mul)
    toward = np.sign(c) * np.maximum(np.abs(c) - np.abs(consts), 0.0)
    nxt = np.where(rules == 1, c + consts, np.where(rules == 2, mul, np.where(
        rules == 3, consts, np.where(rules == 4, toward, c))))
    name = chain.filter.name if filter_rule == "keep" else filter_rule
    if filter_rule not in ("keep", FILTER_NONE) and nxt[-1] < 1:
        nxt[-1] = 35.0
    return vector_chain(nxt, name)


def scale_chain(chain: ToolChain, factor: float) -> ToolChain:
    """Every value of ``chain`` (adjust but hue, selective, filter intensity) times ``factor``, rounded
    half away from zero and clamped; the preset stays (``data/refine/STYLE_GUIDE.md`` §3)."""
    v = chain_vector(chain)
    hue = PARAM_KEYS.index("hue")
    out = v * factor
    out[hue] = v[hue]
    return vector_chain(out, chain.filter.name)


def blend_toward(chain: ToolChain, look: ToolChain, amount: float) -> ToolChain:
    """``chain`` moved ``amount`` (0..1) of the way toward ``look`` on the values ``look`` sets; the look's
    preset is taken at ``amount`` × its intensity when that is at least 10 and stronger than the current
    filter's share (``data/refine/STYLE_GUIDE.md`` §4)."""
    c, t = chain_vector(chain), chain_vector(look)
    mask = t != 0
    mask[-1] = False
    nxt = c.copy()
    nxt[mask] = c[mask] + amount * (t[mask] - c[mask])
    name = chain.filter.name
    if look.filter.used:
        share = round(amount * look.filter.intensity)
        if share >= 10 and (not chain.filter.used or chain.filter.intensity < share):
            name, nxt[-1] = look.filter.name, float(share)
    return vector_chain(nxt, name)


def embed_texts(student: Student, texts: Sequence[str]) -> np.ndarray:
    """Sentence embeddings of ``texts`` by the student's encoder (an encoder student is required)."""
    encoder = getattr(student, "encoder", None)
    if encoder is None:
        raise StudentLoadError(f"the refinement model needs an encoder student, not {student.kind!r}")
    return np.asarray(encoder.encode(list(texts)), dtype=np.float64)


_loaded: dict[str, RefineModel] = {}
_lock = threading.Lock()


def load_refiner(path: str | os.PathLike[str] | None = None, student: Student | None = None) -> RefineModel:
    """The refinement model in folder ``path`` (``None``: the shipped one), loaded once per folder.

    ``student``: the vibes student it was trained with, when the caller has it loaded already (the
    shipped model uses the shipped student); by default it is loaded from the model's config."""
    p = Path(path) if path is not None else DEFAULT_REFINER_DIR
    key = str(p.resolve())
    with _lock:
        if key not in _loaded:
            _loaded[key] = RefineModel(p, student=student)
        return _loaded[key]


class TeacherRefiner:
    """Refinement by the teacher: any OpenAI-compatible chat model, asked with
    :func:`vibegrade.llm.refine_prompt.refine_messages` and parsed by
    :func:`~vibegrade.llm.refine_prompt.parse_refine_answer` (values clamped).

    An unusable answer or a failed call falls back to ``fallback`` (e.g. the learned model) when one is
    given, else raises :class:`vibegrade.llm.client.TeacherError`. ``last_rationale`` keeps the teacher's
    explanation of the latest answer.
    """

    def __init__(self, client_config: Any, fallback: Refiner | None = None,
                 presets: Sequence[str] | None = None) -> None:
        from vibegrade.tools.filters import preset_names

        self.client_config = client_config
        self.fallback = fallback
        self.presets = list(presets) if presets is not None else preset_names()
        self.last_rationale = ""

    def refine(self, chain: ToolChain, request: str) -> Refinement:
        import asyncio

        from vibegrade.llm.client import TeacherClient, TeacherError
        from vibegrade.llm.refine_prompt import parse_refine_answer, refine_messages

        async def ask() -> str:
            async with TeacherClient(self.client_config) as client:
                return (await client.complete(refine_messages(chain, request, self.presets))).content

        try:
            answer = parse_refine_answer(asyncio.run(ask()), self.presets)
            if answer.op is None:
                raise TeacherError(f"unusable refinement answer ({', '.join(answer.flags)})")
        except TeacherError:
            if self.fallback is None:
                raise
            return self.fallback.refine(chain, request)
        self.last_rationale = answer.rationale
        return Refinement(answer.op, answer.chain, request)  # type: ignore[arg-type]
