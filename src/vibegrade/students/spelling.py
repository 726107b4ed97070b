"""Typo repair for requests, against the words the student was taught.

People type "vilage photo", "make it brigther", "negatve". The encoder's word-piece tokenizer splits such
words into pieces that mean something else ("vila" + "##ge"), so the request lands far from "village".
:class:`SpellingRepair` replaces a word only when all of these hold:

* it is alphabetic and at least :data:`MIN_LENGTH` letters long (four-letter words only get two
  swapped letters put back: "nior" is "noir", but "bali" is never "ball");
* it is not an English word (the 82,765-word frequency list that ships with ``symspellpy``) and not a
  whole word of the encoder's vocabulary, so real words and names the student has not seen ("kyoto",
  "homesick", "crouching") are left alone;
* a stored word (a word of the requests the student was taught) is within Damerau-Levenshtein
  distance 1 and starts with the same letter (typos rarely hit the first letter; "vaction" is not
  "action"); the most frequent such word wins (with ``keep_last``, the word without its last letter
  only where no other is near: a slip rarely adds a different last letter, so "warmr" is "warmer", not
  the more frequent "warm"; "sunsett", a doubled letter, is still "sunset");
* if the word itself is stored (the data has typos too: "burnt ornage aesthetic"), the neighbour must be
  stored :data:`TYPO_RATIO` times as often.

Lookup is SymSpell's symmetric-delete index (the ``symspellpy`` package, pure Python), built when
the first unknown word arrives, from the stored requests: microseconds per word.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from symspellpy import SymSpell

__all__ = ["MIN_LENGTH", "TYPO_RATIO", "SpellingRepair", "add_typo", "english_words"]

MIN_LENGTH = 5
TYPO_RATIO = 5  # a stored word yields to a neighbour stored at least this many times more often
_WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The 82,765 words of the English frequency dictionary that ships with symspellpy (SymSpell's
    ``frequency_dictionary_en_82_765.txt``, from Google Books n-grams): real words are never repaired."""
    from importlib.resources import files

    text = (files("symspellpy") / "frequency_dictionary_en_82_765.txt").read_text(encoding="utf-8")
    return frozenset(line.split(" ", 1)[0] for line in text.splitlines() if line)


class SpellingRepair:
    """Maps unknown words of a request to the nearest known word (see the module docstring).

    Args:
        texts: the stored requests (already read by :func:`vibegrade.students.request_text.canonical`);
            their words, with counts, are the dictionary.
        known: further words that are never changed (e.g. the encoder's whole-word vocabulary).
        keep_last: take the typed word without its last letter (unless that letter is doubled) only where
            no other neighbour is near.
    """

    def __init__(self, texts: Iterable[str], known: Iterable[str] = (), keep_last: bool = False) -> None:
        self._keep_last = keep_last
        self._counts = Counter(w for t in texts for w in _WORD.findall(t.lower()))
        self._known = {w.lower() for w in known} | english_words()
        self._sym: SymSpell | None = None  # built on the first unknown word: most requests have none
        self._cache: dict[str, str] = {}

    def _index(self) -> SymSpell:
        from symspellpy import SymSpell

        if self._sym is None:
            self._sym = SymSpell(max_dictionary_edit_distance=1, prefix_length=7)
            for w, c in self._counts.items():
                if len(w) >= MIN_LENGTH - 1:
                    self._sym.create_dictionary_entry(w, c)
        return self._sym

    def word(self, w: str) -> str:
        """The repaired word (``w`` itself when it is known, short, or has no close stored word)."""
        lw = w.lower()
        if len(lw) < MIN_LENGTH - 1 or lw in self._known or not lw.isalpha():
            return w
        hit = self._cache.get(lw)
        if hit is None:
            from symspellpy import Verbosity

            found = [s for s in self._index().lookup(lw, Verbosity.ALL, max_edit_distance=1)
                     if s.distance == 1 and s.term[0] == lw[0]
                     and (len(lw) >= MIN_LENGTH or sorted(s.term) == sorted(lw))]  # 4 letters: swaps only
            dropped = lw[:-1] if self._keep_last and lw[-1] != lw[-2] else None  # "warmr" is not "warm"
            best = max(found, key=lambda s: (s.term != dropped, s.count)) if found else None
            # a stored word is itself a typo when a neighbour is far more common ("ornage" vs "orange")
            seen = self._counts.get(lw, 0)
            hit = best.term if best is not None and best.count >= TYPO_RATIO * seen else lw
            self._cache[lw] = hit
        return hit

    def __call__(self, text: str) -> str:
        """``text`` with every unknown word repaired; everything else (spacing, digits, signs) as it was."""
        return _WORD.sub(lambda m: self.word(m.group(0)), text)


def add_typo(text: str, rng: random.Random) -> str:
    """``text`` with one typing slip in one word of at least :data:`MIN_LENGTH` letters (a dropped,
    doubled, swapped or neighbouring-key letter, never the first one); ``text`` itself when no word is
    long enough. Training noise: teaches the encoder that "vintgae" is "vintage"."""
    spans = [m.span() for m in _WORD.finditer(text) if m.end() - m.start() >= MIN_LENGTH]
    if not spans:
        return text
    a, b = rng.choice(spans)
    w = text[a:b]
    i = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        w = w[:i] + w[i + 1:]
    elif kind == 1:
        w = w[:i] + w[i] + w[i:]
    elif kind == 2:
        w = w[:i] + w[i + 1] + w[i] + w[i + 2:]
    else:
        near = _NEIGHBOURS.get(w[i].lower(), w[i])
        w = w[:i] + rng.choice(near) + w[i + 1:]
    return text[:a] + w + text[b:]


_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS = {
    ch: "".join(r2[j2] for r2i, r2 in enumerate(_ROWS) for j2 in range(len(r2))
                if abs(r2i - ri) <= 1 and abs(j2 - j) <= 1 and (r2i, j2) != (ri, j))
    for ri, r in enumerate(_ROWS) for j, ch in enumerate(r)
}
