"""The default student at serving time: a sentence encoder, the taught requests and their answers.

Serving (:class:`EncoderStudent`) is pure NumPy: the encoder runs in
:class:`~vibegrade.students.encoders.NumpyBertEncoder` (with the LoRA adapters merged, or bundled already
merged in the model folder), and an answer is assembled from the nearest taught requests (the
``retrieval`` decoder, the default) or from the heads of :mod:`vibegrade.students.heads`. Training is in
:mod:`vibegrade.students.encoder_training`.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vibegrade.data.rows import normalize_intent
from vibegrade.schema import ToolChain
from vibegrade.students import limits, more_of, opposite, sliders
from vibegrade.students.answer_check import (
    as_said,
    checked_direction,
    correcting_words,
    moves,
    moves_range,
    names_range,
    plain_request,
)
from vibegrade.students.compose import AS_MUCH, as_it_is, compose, parts, split_change, split_requests
from vibegrade.students.direction import COLOURS, conflicts, known_words, signature, size_class, size_words
from vibegrade.students.encoders import NumpyBertEncoder, _gelu_exact, resolve_encoder_path
from vibegrade.students.heads import HeadLayout, decode, encode_targets
from vibegrade.students.request_text import canonical
from vibegrade.students.spelling import SpellingRepair

__all__ = ["EncoderStudent", "MODEL_KIND", "RETRIEVAL_DEFAULTS", "BUNDLED_ENCODER_DIR", "answer_vectors"]

MODEL_KIND = "encoder"
#: Retrieval decoder settings: neighbours considered, softmax temperature of their weights, cosine
#: above which the nearest answer is returned as is, and the answer cosine that counts as "same mode".
# lexical: weight of the char-trigram Jaccard similarity added to the embedding cosine when ranking stored
# requests (robust to slips the word pieces cannot read; docs/experiments.md, "Wording")
# answer_check: 1 = a plain correction ("lighter") takes the nearest answer that moves what its words name,
# the way they say (students/answer_check.py), where one of the close neighbours does; 0 = off
# compose: 1 = a look plus a change ("gothic but brighter") whose answer misses the change is answered as the
# look's answer plus the change's, several changes ("brighter and warmer") as the sum of theirs, a look
# without its preset ("vintage, no filter") as the look's answer without it, and a request for the photo as
# it is ("reset", "original", "no filter") with no edit (students/compose.py); 0 = off
# compose_size: the student's own answer to a split request is kept only where it moves each change within
# this factor of the change's own answer, either way ("more contrast, crushed blacks" answered as "crushed
# blacks", contrast +8, gets the sum: contrast +33); 0 = any size, as before December 7 (fifth session)
# sliders: 1 = a request made of slider settings ("contrast +20, sat -10") is answered with exactly those
# values, and a look followed by them ("golden hour, contrast +20") is the look's answer with them made
# (students/sliders.py); 0 = off
# limits: 1 = what a request says not to do is read apart from what to do: "just brighter, don't touch the
# colours" is "brighter" with saturation and warmth held, "black and white except the red" a colour splash,
# "the shadows shouldn't be this black" the complaint "the shadows too black" (students/limits.py); 0 = off
# opposite: 1 = a first request for less of a quality ("less moody", "its so gloomy, less of that", "less
# washed out") whose answer does not go the way out of it gets the stored corrections its words name, or the
# nearest stored look turned round (students/opposite.py); 0 = off
# more_of: 1 = a first request for more of a quality ("moodier", "a bit more cinematic", "make it super hazy")
# is the quality's stored look as much as the words say, or the stored corrections a photo problem names
# (students/more_of.py); 0 = off
# size_check: 1 = a plain correction of one attribute not stored word for word is answered at the style
# guide's size for its words ("contrast up a notch" +12, "reds a little stronger" +15: answer_check.as_said);
# 0 = off
# use probabilities, filter logits, intensity, adjust values, selective values (one row per request)
HeadOutputs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]

RETRIEVAL_DEFAULTS: dict[str, float] = {"k": 4, "tau": 0.02, "exact": 0.97, "mode_cos": 0.9,
                                        "size_penalty": 0.04, "lexical": 0.1, "answer_check": 1,
                                        "compose": 1, "compose_size": AS_MUCH, "sliders": 1, "limits": 1,
                                        "opposite": 1, "more_of": 1, "size_check": 1}
# a look typed with a change beside it ("kodak gold but make it warmer"), which a setting may restate
_JOINED = re.compile(r",|\b(?:but|with|and|w/)\b")
BUNDLED_ENCODER_DIR = "encoder"  # the merged float16 encoder inside a self-contained model folder
LORA_TARGETS = ("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense")


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
        return self._repaired(_clean(intent, bool(self.config.get("canonical_text"))))

    def _typed(self, intent: str) -> str:
        """The request as typed, with typos repaired but wrappers kept (:meth:`read` without them)."""
        return self._repaired(_clean(intent).lower())

    def _repaired(self, text: str) -> str:
        speller = self._speller()
        return speller(text) if speller is not None else text

    def _speller(self) -> SpellingRepair | None:
        if not self.config.get("spelling", True) or not self.memory_intents:
            return None
        if getattr(self, "_spelling_for", None) is not self.memory_intents:
            canon = bool(self.config.get("canonical_text"))
            vocab = [t for t in self.encoder.tokenizer.get_vocab() if t.isalpha()]
            # the reader's words stay as typed: "darks" is the shadows, not a typo of "dark"; "toastier" is
            # not "toaster", "overexpose" (a command) not "overexposed" (a state)
            self._spelling = SpellingRepair((_clean(t, canon) for t in self.memory_intents),
                                            known=[*vocab, *known_words(), *size_words()], keep_last=True)
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
        and spacing) always gets its stored answer. With ``retrieval.compose`` (on by default), a look
        plus a change whose answer misses the change (or makes it at another size, ``retrieval.compose_size``)
        gets the look's answer plus the change's, and several changes with no look get the sum of their
        answers (:mod:`vibegrade.students.compose`). With ``retrieval.sliders`` (on by default), slider
        settings typed as numbers are made exactly (:mod:`vibegrade.students.sliders`): alone ("contrast
        +20, sat -10") from the photo as it is, after a look ("golden hour, contrast +20") on the look's
        answer. With ``retrieval.limits`` (on by default), what a request says not to do is read first
        (:mod:`vibegrade.students.limits`): the rest is answered as above, then held ("just brighter, don't
        touch the colours") or made a colour splash ("black and white except the red").
        """
        if not self.retrieval.get("limits") or not intents:
            return self._predict_settings(intents)
        exact = self._exact_index() if self.memory_intents else {}
        found = {i: lim for i, t in enumerate(intents)
                 if normalize_intent(t) not in exact and (lim := limits.read(self._typed(t))) is not None}
        if not found:
            return self._predict_settings(intents)
        asked = list(intents)
        for i, lim in found.items():
            asked[i] = lim.rest  # "": the limits alone ("keep only red"), on the photo as it is
        ask = [i for i, t in enumerate(asked) if t]
        preds = dict(zip(ask, self._predict_settings([asked[i] for i in ask])))
        out = [preds.get(i, ToolChain()) for i in range(len(intents))]
        for i, lim in found.items():
            out[i] = limits.apply(out[i], lim)
        return out

    def _predict_settings(self, intents: Sequence[str]) -> list[ToolChain]:
        """:meth:`predict` without reading what a request says not to do."""
        if not self.retrieval.get("sliders") or not intents:
            return self._predict_words(intents)
        exact = self._exact_index() if self.memory_intents else {}
        out: list[ToolChain | None] = [None] * len(intents)
        looks: dict[int, tuple[str, tuple[sliders.Setting, ...]]] = {}
        for i, t in enumerate(intents):
            if normalize_intent(t) in exact or not sliders.may_hold(t):
                continue  # the teacher's own answer; no number, no setting
            found = self._settings(t, exact)
            if found is not None and not found[0]:
                out[i] = sliders.apply(ToolChain(), found[1])
            elif found is not None:
                looks[i] = found
        rest = [i for i, a in enumerate(out) if a is None and i not in looks]
        preds = self._predict_words([*(intents[i] for i in rest), *(look for look, _ in looks.values())])
        for i, a in zip(rest, preds):
            out[i] = a
        for (i, (_, settings)), a in zip(looks.items(), preds[len(rest):]):
            out[i] = sliders.apply(a, settings)
        return [a if a is not None else ToolChain() for a in out]

    def _settings(self, text: str, exact: dict[str, int]) -> tuple[str, tuple[sliders.Setting, ...]] | None:
        """``(look, settings)`` of a request with slider settings in it (:mod:`vibegrade.students.sliders`;
        no look: ``""``), as typed or with its slips repaired; words that only say what the settings do
        are not a look or a change of their own ("warmer pls, temp +30", "kodak gold but make it warmer
        temp +10": kodak gold and the setting)."""
        def readings() -> Iterator[str]:  # as typed, then repaired where that differs (the speller costs)
            yield text
            if (typed := self._typed(text)) != text:
                yield typed

        for t in readings():
            said = sliders.read(t)
            if said is not None:
                return "", said
            lead = sliders.split_lead(t)
            if lead is not None:
                return "", lead[0]
            split = sliders.split_look(t)
            if split is None:
                continue
            look, said = split
            if sliders.explained(look, said):
                return "", said
            parted = split_change(self.read(look), known=lambda x: normalize_intent(x) in exact) \
                if _JOINED.search(look) else None  # "sunset glow" is a look, not sunset and a change
            if parted is not None and parted[0] and all(sliders.explained(c, said) for c, _ in parted[1]):
                return parted[0], said
            return look, said
        return None

    def _predict_words(self, intents: Sequence[str]) -> list[ToolChain]:
        """:meth:`predict` without reading slider settings."""
        if not self.retrieval.get("compose") or not intents:
            return self._predict(intents)
        exact = self._exact_index() if self.memory_intents else {}
        splits = split_requests(intents, self.read, stored=lambda t: normalize_intent(t) in exact,
                                typed=self._typed)
        # a part stored word for word ("gothic", "brighter") is answered from the memory without encoding it
        # (as :meth:`_predict` would answer it); the rest go in one encoder batch with the requests
        got = {x: self.memory_chains[exact[normalize_intent(x)]] for x in parts(splits)
               if normalize_intent(x) in exact}
        extra = [x for x in parts(splits) if x not in got]
        preds = self._predict([*intents, *extra])
        got.update(zip(extra, preds[len(intents):]))
        out = compose(preds[:len(intents)], splits, got, correction=self._correction,
                      as_much=float(self.retrieval.get("compose_size", AS_MUCH)))
        for i, t in enumerate(intents):  # "reset", "original", "no filter": the photo as it is
            if normalize_intent(t) not in exact and (as_it_is(t) or as_it_is(self._typed(t))):
                out[i] = ToolChain()
        if not any(self.retrieval.get(k) for k in ("opposite", "more_of", "size_check")):
            return out
        reads = {i: self.read(t) for i, t in enumerate(intents) if normalize_intent(t) not in exact}
        # less of a quality, read once: answered as such, and never read as more of one
        less = {i: lo for i, read in reads.items() if (lo := opposite.read(read)) is not None} \
            if self.retrieval.get("opposite") or self.retrieval.get("more_of") else {}
        if self.retrieval.get("opposite"):
            self._less_of(less, reads, out)
        if self.retrieval.get("more_of"):
            self._more_of(intents, {i: read for i, read in reads.items() if i not in less}, out)
        if self.retrieval.get("size_check"):
            for i, read in reads.items():  # "contrast up a notch": the guide's size for the words
                if not _DIGIT.search(read) and (said := checked_direction(read)) is not None:
                    out[i] = as_said(out[i], said[0], size_class(read))
        return out

    def _less_of(self, found: dict[int, opposite.Less], reads: dict[int, str], out: list[ToolChain]) -> None:
        """``retrieval.opposite``: a request for less of a quality (``found``: :func:`opposite.read` of
        ``reads``, the requests not stored word for word, by index, as :meth:`read` reads them) whose answer
        in ``out`` does not go the way out of it is answered anew, in place. A photo problem or a quality the
        direction reader reads ("washed out", "loud", "dark and heavy": :func:`opposite.directions`) gets
        the stored corrections of the directions the answer misses (the answer dropped where it moves one
        the wrong way); any other ("moody", "vintage") the nearest stored look turned round
        (:func:`opposite.reverse`), at the size the words say."""
        looks: dict[int, opposite.Less] = {}
        for i, lo in found.items():
            said = opposite.directions(lo.quality)
            if not said:
                looks[i] = lo
                continue
            if (fixed := self._with_directions(reads[i], out[i], said)) is not None:
                out[i] = fixed
        if not looks:
            return
        nearest = self._nearest_looks([opposite.forms(lo.quality) for lo in looks.values()])
        for (i, lo), look in zip(looks.items(), nearest):
            if look is not None and not opposite.opposes(look, out[i]):
                made = opposite.reverse(look, lo.size)
                if made is not None:
                    out[i] = made

    def _with_directions(self, read: str, answer: ToolChain,
                         said: frozenset[tuple[str, int]]) -> ToolChain | None:
        """``answer`` made to move each direction of ``said`` with the stored plain corrections of the ones it
        misses (:func:`opposite.with_moves`; on the photo as it is where it moves one the wrong way), at the
        size ``read`` says; ``None`` where it already moves them all, where a direction is one the
        corrections are not keyed by (a region), or where one has no stored correction."""
        if any(moves(ToolChain(), a, s) is None for a, s in said) or all(moves(answer, *d) for d in said):
            return None
        base = ToolChain() if any(moves(answer, a, -s) for a, s in said) else answer
        fixes = {d: self._correction(read, d) for d in sorted(said) if not moves(base, *d)}
        if any(fix is None for fix in fixes.values()):
            return None
        return opposite.with_moves(base, {d: fix for d, fix in fixes.items() if fix is not None})

    def _more_of(self, intents: Sequence[str], reads: dict[int, str], out: list[ToolChain]) -> None:
        """``retrieval.more_of``: a request for more of a quality (:func:`more_of.read_either`: "moodier", "a
        bit more cinematic", "make it super hazy"; ``reads`` as for :meth:`_less_of`, less the requests for
        less of a quality) is answered anew, in
        place: with the teacher's answer to the first of its forms stored word for word, else to the stored
        look nearest them (:func:`more_of.lookups`; cosine at least ``opposite.NEAR``), as much as its words
        say (:func:`more_of.made`); a photo problem with no such look ("hazy") gets the stored corrections of
        the directions it names (:func:`more_of.directions`); any other keeps its answer."""
        found = {i: m for i, read in reads.items()
                 if (m := more_of.read_either(read, intents[i])) is not None}
        if not found:
            return
        exact = self._exact_index()
        plan = {i: more_of.lookups(m, lambda f: normalize_intent(f) in exact) for i, m in found.items()}
        rest = [i for i, (form, fs) in plan.items() if form is None and fs]
        nearest = dict(zip(rest, self._nearest_looks([plan[i][1] for i in rest])))
        for i, m in found.items():
            form = plan[i][0]
            look = self.memory_chains[exact[normalize_intent(form)]] if form is not None else nearest.get(i)
            if look is not None:
                out[i] = more_of.made(look, m.size)
            elif (said := more_of.directions(m.quality)) and \
                    (fixed := self._with_directions(reads[i], out[i], said)) is not None:
                out[i] = fixed

    def _nearest_looks(self, qualities: Sequence[Sequence[str]]) -> list[ToolChain | None]:
        """The teacher's answer to the stored look request nearest each quality, said in any of its forms
        (a bare request of at most four words with no direction, size or correcting word: "moody", "dark
        academia"), where its cosine is at least ``opposite.NEAR``; ``None`` where none is that near."""
        if self.memory_emb is None or not qualities or not len(rows := self._look_rows()):
            return [None] * len(qualities)
        said = [(k, f) for k, forms in enumerate(qualities) for f in forms]
        sims = self.encoder.encode([self.read(f) for _, f in said]) @ self.memory_emb[rows].T
        best: list[tuple[float, int]] = [(-1.0, -1)] * len(qualities)
        for (k, _), row in zip(said, sims):
            b = int(row.argmax())
            best[k] = max(best[k], (float(row[b]), int(rows[b])))
        return [self.memory_chains[j] if sim >= opposite.NEAR else None for sim, j in best]

    def _look_rows(self) -> np.ndarray:
        """The indices of the stored look requests (:meth:`_nearest_looks`), built on first use."""
        if getattr(self, "_look_rows_for", None) is not self.memory_intents:
            marks = correcting_words() | size_words() | {"fix", "and", "but", "with", "no", "not"}
            self._looks = np.array([j for j, text in enumerate(self.memory_intents)
                                    if len(words := self._memory_read(j).split()) <= 4
                                    and not marks.intersection(words) and not signature(text)], dtype=int)
            self._look_rows_for = self.memory_intents
        return self._looks

    def _correction(self, text: str, said: tuple[str, int]) -> ToolChain | None:
        """The stored plain correction that names ``said`` (attribute, sign) and moves it that way, nearest
        to ``text`` in size ("slightly" / plain / "very"), then in wording (character trigrams: no second
        encoder pass); ``None`` when none is stored."""
        if self.memory_emb is None:
            return None
        same = [j for j in self._corrections().get(said, ()) if moves(self.memory_chains[j], *said)]
        if said[0] in COLOURS and names_range(text, said[0]):
            same = [j for j in same if moves_range(self.memory_chains[j], *said)] or same
        if not same:
            return None
        read = self.read(text)
        size, grams = size_class(read), _char_grams(read)
        best = min(same, key=lambda j: (abs(size - size_class(self._memory_read(j))),
                                        -_jaccard(grams, self._memory_grams(j)), j))
        return self.memory_chains[best]

    def _predict(self, intents: Sequence[str]) -> list[ToolChain]:
        """:meth:`predict` without composing a look and a change."""
        if not intents:
            return []
        read = [self.read(t) for t in intents]
        emb = self.encoder.encode(read)
        preds = self._decode(read, emb)
        exact = self._exact_index() if self.memory_intents else {}
        for i, t in enumerate(intents):
            j = exact.get(normalize_intent(t))
            if j is not None:  # a request the teacher answered, word for word: the teacher's answer
                preds[i] = self.memory_chains[j]
            elif self.retrieval.get("sliders") and sliders.may_hold(t) and \
                    (made := sliders.answer(t)) is not None:
                preds[i] = made  # a change of a composed request: "… but sat -20"
        return preds

    def _exact_index(self) -> dict[str, int]:
        if getattr(self, "_exact_for", None) is not self.memory_intents:
            self._exact = {normalize_intent(t): j for j, t in enumerate(self.memory_intents)}
            self._exact_for = self.memory_intents
        return self._exact

    def _decode(self, intents: Sequence[str], emb: np.ndarray) -> list[ToolChain]:
        if self.decoder == "retrieval" and self.memory_emb is not None:
            sims = emb @ self.memory_emb.T  # one matrix product for the batch
            return [self._retrieve(intents[i], emb[i], sims[i]) for i in range(len(intents))]
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

    def neighbours(self, intent: str, emb: np.ndarray, k: int, sims: np.ndarray | None = None,
                   top: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``k`` most similar stored requests whose direction words do not conflict with ``intent``,
        best first. A stored request whose size words differ ("slightly" vs plain vs "very") scores
        ``size_penalty`` lower per step, so "lift the shadows a lot" prefers "lift shadows way up" to
        "lift the shadows a bit"; a stored answer to "all of it" ("remove all the green") answers a request
        that does not say so only where no other close answer is left. ``sims`` (the request's cosines to
        every stored request) and ``top`` (the indices of its ``4k + 16`` best) may come from the caller: a
        batch computes them at once.

        A plain correction that names one attribute ("lighter", "raise the contrast"; see
        :mod:`vibegrade.students.answer_check`) is answered from the stored corrections that name the same
        attribute the same way, whatever their cosine ("raise the contrast" and "more contrast" are far
        apart for the encoder); where none is stored, from the nearest answers that move that attribute
        that way, and only where none of those is close either, from the nearest answers."""
        assert self.memory_emb is not None
        if sims is None:
            sims = self.memory_emb @ emb
        lex = float(self.retrieval.get("lexical", 0.0))
        q_grams = _char_grams(intent) if lex else frozenset()
        pen = float(self.retrieval.get("size_penalty", 0.0))
        q_size = size_class(intent)

        def score(j: int) -> float:  # cosines to 4 decimals: requests that read alike tie (below)
            bonus = lex * _jaccard(q_grams, self._memory_grams(j)) if lex else 0.0
            return round(float(sims[j]), 4) + bonus - pen * abs(q_size - size_class(self._memory_read(j)))

        said = checked_direction(intent) if self.retrieval.get("answer_check", 1) else None
        if said is not None and said[0] not in COLOURS:
            same = self._same_corrections(intent, said)
            if same:  # the same size first ("raise the contrast" is not "crank the contrast all the way
                # up"), then the same kind of size (a number or words), then the nearest
                digits = bool(_DIGIT.search(intent))

                keys = {j: (abs(q_size - size_class(self._memory_read(j))),
                            bool(_DIGIT.search(self._memory_read(j))) != digits) for j in same}
                first = min(keys.values())  # only these are averaged: "10% warmer" is not "warmer"
                ranked = sorted((j for j in same if keys[j] == first), key=lambda j: -score(j))
                return [(j, float(sims[j])) for j in ranked[:k]]
        scored: list[tuple[float, int, float]] = []
        failed: list[tuple[float, int, float]] = []  # answers that do not do what a plain correction says
        whole: list[tuple[float, int, float]] = []  # answers to "all of it" not asked for

        def not_all(j: int) -> bool:  # a stored "all of it" answer for a request that does not say so
            return q_size != 2 and size_class(self._memory_read(j)) == 2

        # a colour named as a range ("reds look weak", "the greens are super neon") is the range's move, not
        # the white balance's
        as_range = said is not None and said[0] in COLOURS and names_range(intent, said[0])
        m = min(len(sims), 4 * k + 16)
        if top is None or len(top) < m:
            top = _top(sims, m)
        best: list[float] = []  # the k best scores so far, rising: a candidate that cannot reach the
        kth = -np.inf           # k-th ends the search
        # falling cosine; equal cosines (stored requests that read alike embed alike, up to rounding: "hi
        # contrast" and "add contrast" both read "contrast") in stored order, not in the order of the
        # partition or of rounding noise, which changed with the memory's size ("add contrast pls" took
        # "hi contrast"'s `action` preset when rows were added)
        for j in top[np.lexsort((top, -np.round(sims[top], 4)))]:
            s = float(sims[j])
            if s + lex < kth:  # candidates come in falling cosine; the bonus is at most `lex`
                break
            if conflicts(intent, self._memory_read(int(j))):
                continue
            item = (score(int(j)), int(j), s)
            if said is not None and (moves(self.memory_chains[int(j)], *said) is False or (
                    as_range and not moves_range(self.memory_chains[int(j)], *said))):
                failed.append(item)
                continue
            if not_all(int(j)):
                whole.append(item)  # "remove all the blue" answers "tone down the blue" only as a last resort
                continue
            scored.append(item)
            bisect.insort(best, scored[-1][0])
            if len(best) > k:
                best.pop(0)
            if len(best) == k:
                kth = best[0]
        # stored requests read alike ("night", "night aesthetic", "make it a night aesthetic" all read
        # "night") tie exactly: the one typed as it reads (the bare request) answers, not the first stored
        # ("make it night" had "night aesthetic"'s answer)
        scored.sort(key=lambda t: (-t[0], normalize_intent(self.memory_intents[t[1]]) != intent))
        if not scored and said is not None and said[0] in COLOURS:
            # no close answer moves the colour: the stored corrections of that colour that do ("reds look
            # weak" finds "more red" although its neighbours are looks); a colour named as a range ("reds look
            # weak", "the greens are super neon") takes answers that move the range, not the white balance
            same = self._same_corrections(intent, said)
            if as_range:
                same = [j for j in same if moves_range(self.memory_chains[j], *said)] or same
            scored = sorted(((score(j), j, float(sims[j])) for j in same if not not_all(j)),
                            key=lambda t: -t[0])
        if not scored:
            scored = sorted(whole, key=lambda t: -t[0])
        if not scored:  # the check never leaves a request without an answer
            scored = sorted(failed, key=lambda t: -t[0])
        return [(j, s) for _, j, s in scored[:k]]

    def _same_corrections(self, intent: str, said: tuple[str, int]) -> list[int]:
        """The stored plain corrections that name ``said`` and whose answers move it that way, without a
        direction that conflicts with ``intent``."""
        return [j for j in self._corrections().get(said, ())
                if not conflicts(intent, self._memory_read(j)) and moves(self.memory_chains[j], *said)]

    def _corrections(self) -> dict[tuple[str, int], list[int]]:
        """The stored plain corrections by the (attribute, sign) they name, without a preset (a request
        answered with one is a look, whatever its words). Colours are answered from it only where none of
        the nearest answers moves the colour: the teacher answers "too green" and "more magenta" on the
        white balance, "less green" and "more purple" on the ranges, and the words do not tell them apart
        well enough to go there first (keying colours by their plural form lost .0010 on the concept
        split). Built on first use: a cheap word test on every stored request, the reader on the few that
        pass it.
        """
        if getattr(self, "_corrections_for", None) is not self.memory_intents:
            index: dict[tuple[str, int], list[int]] = {}
            for j, text in enumerate(self.memory_intents):
                if plain_request(text) and not self.memory_chains[j].filter.used:
                    said = checked_direction(self._memory_read(j))
                    if said is not None:
                        index.setdefault(said, []).append(j)
            self._corrections_index = index
            self._corrections_for = self.memory_intents
        return self._corrections_index

    def _memory_read(self, j: int) -> str:
        """Stored request ``j`` read like a new one (typos repaired too: the data holds "less yelow", whose
        direction words must be read as "less yellow"). Read on first use: a request looks at a few dozen
        stored requests, so nothing is read up front."""
        reads = self._memory_memo()[0]
        if j not in reads:
            reads[j] = self.read(self.memory_intents[j])
        return reads[j]

    def _memory_grams(self, j: int) -> frozenset[str]:
        grams = self._memory_memo()[1]
        if j not in grams:
            grams[j] = _char_grams(self._memory_read(j))
        return grams[j]

    def _memory_memo(self) -> tuple[dict[int, str], dict[int, frozenset[str]]]:
        """Per stored request: its reading and its character trigrams (emptied when the memory changes)."""
        if getattr(self, "_memo_for", None) is not self.memory_intents:
            self._memo: tuple[dict[int, str], dict[int, frozenset[str]]] = ({}, {})
            self._memo_for = self.memory_intents
        return self._memo

    def _retrieve(self, intent: str, emb: np.ndarray, sims: np.ndarray | None = None,
                  top: np.ndarray | None = None) -> ToolChain:
        """Mode-preserving retrieval: the nearest stored answer sets the mode (which tools, which preset,
        the direction of every value); answers of other close neighbours in the same mode are averaged in
        with softmax weights, so values are refined but never pulled towards another look or another size
        ("much less green" is not averaged with "less green")."""
        r = self.retrieval
        nb = self.neighbours(intent, emb, int(r["k"]), sims, top)
        if not nb:  # every close answer points the other way: fall back to the heads
            return decode(*self._heads(emb[None, :]), self.layout, self.thresholds)[0]
        top_j, top_s = nb[0]
        anchor = self.memory_chains[top_j]
        if top_s >= r["exact"] or len(nb) == 1:
            return anchor
        sims = np.array([s for _, s in nb], dtype=np.float64)
        w = np.exp((sims - sims.max()) / r["tau"])
        same: list[tuple[ToolChain, float]] = []
        size = size_class(self._memory_read(top_j))  # "remove all the green" is not averaged in
        for (j, _), wi in zip(nb, w):
            c = self.memory_chains[j]
            if c.used() == anchor.used() and c.filter.name == anchor.filter.name and _same_mode(
                    c, anchor, r["mode_cos"]) and size_class(self._memory_read(j)) == size:
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


def _top(sims: np.ndarray, m: int) -> np.ndarray:
    """Indices of the ``m`` largest values of ``sims`` (any order). Only values near the maximum can be
    among them, so the partition usually runs on a few dozen values instead of every stored request."""
    if m >= len(sims):
        return np.arange(len(sims))
    near = np.flatnonzero(sims >= sims.max() - 0.25)
    if len(near) >= m:
        return near[np.argpartition(-sims[near], m - 1)[:m]]
    return np.argpartition(-sims, m - 1)[:m]


_DIGIT = re.compile(r"\d")


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
