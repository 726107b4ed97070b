"""How much of a look a request asks for: "golden hour but subtle", "cyberpunk, don't overdo it", "a hint of
vintage" (weaker), "noir but go all the way", "y2k maxxed out", "extreme teal and orange" (stronger).

:func:`read` reads the words said beside a look; :func:`can_end` and :func:`can_lead` say which words may
say it at the end of a request with no join or before the look. :func:`scale` makes a look's answer
weaker or stronger by the teacher's own factors (:data:`FACTORS`), and :func:`scaled_by` tells whether
an answer already is the look made so (``docs/experiments.md``, "How much of a look"). Where a request is
split into a look and how much of it is :mod:`vibegrade.students.compose`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from vibegrade.schema import ToolChain
from vibegrade.students.refine_features import PARAM_KEYS, chain_vector, vector_chain

__all__ = ["WEAKER", "STRONGER", "FACTORS", "WEAK_WORDS", "STRONG_WORDS", "LEAD_WORDS", "INTENSIFIERS",
           "read", "can_end", "can_lead", "scale", "ratio", "scaled_by"]

#: how much of the look: "golden hour but subtle", "cyberpunk, don't overdo it" (weaker), "noir but go all
#: the way", "extreme teal and orange" (stronger): the look's answer scaled, values and preset intensity,
#: by the teacher's factors for ", subtle" and ", strong" (:data:`FACTORS`)
WEAKER: frozenset[tuple[str, int]] = frozenset({("look", -1)})
STRONGER: frozenset[tuple[str, int]] = frozenset({("look", 1)})
#: the median ratio of the teacher's answers to "X, subtle" and "X, strong" to its answers to X (64 and 16
#: stored pairs in the vibes data: 0.60 and 1.39 on the values, 0.625 and 1.375 on the preset's intensity)
FACTORS: dict[frozenset[tuple[str, int]], float] = {WEAKER: 0.6, STRONGER: 1.4}
# how much of a look, word by word: "subtle", "toned down", "don't overdo it", "not as strong" (weaker);
# "strong", "cranked way up", "go nuts", "x100", "don't hold back" (stronger)
WEAK_WORDS = frozenset({"subtle", "subtler", "subtly", "gentle", "gentler", "gently", "mild", "mildly",
                        "milder", "understated", "restrained", "delicate", "lite", "hint", "whisper",
                        "touch", "weaker", "less", "chill", "easy", "overboard", "overdo", "overdone",
                        "overkill", "hold", "slightly", "tiny", "bit", "little", "lil", "tad", "smidge",
                        "subtleish", "subtle-ish", "low-key", "lowkey", "barely", "light", "lightly",
                        "holding", "tasteful", "tastefully", "softly", "faint", "faintly"})
STRONG_WORDS = frozenset({"strong", "stronger", "strongg", "intense", "intensify", "intensified", "extreme",
                          "heavy", "heavier", "cranked", "crank", "max", "maxed", "maxxed", "maximum",
                          "full", "insane", "insanely", "nuts", "crazy", "hard", "harder", "obvious",
                          "overload", "overdose", "overdrive", "push", "pushed", "further", "amp", "amped",
                          "bolder", "bold", "dramatic", "intensely", "extra", "super", "very", "really",
                          "rly", "steroids", "eleven", "11", "100", "1000", "wild", "loud", "louder",
                          "stronk", "much", "top", "ott", "ultra", "hardcore", "far", "heavily", "full-on",
                          "all-out", "so", "big", "fully", "extremely", "strongly", "completely",
                          "absolutely", "amplified", "limit", "hella"})
# what a strength may be said with ("… but like way more", "… as hard as possible", "… turned way up")
_FILLER = frozenset({"but", "and", "it", "the", "a", "an", "of", "like", "more", "as", "possible", "make",
                     "go", "with", "w", "just", "only", "is", "too", "not", "dont", "don't", "do", "so",
                     "than", "usual", "version", "way", "up", "down", "back", "out", "all", "please", "pls",
                     "plz", "lol", "to", "for", "on", "in", "bit", "keep", "turn", "turned", "u", "can",
                     "you", "could", "i", "want", "this", "that", "thing", "look", "vibe", "vibes", "be",
                     "get", "notch", "notches", "some", "kinda", "sorta", "ish", "x", "level", "levels",
                     "times", "lot", "much", "let's", "lets", "let", "hand", "handed", "ever", "allowed",
                     "over", "normal", "default", "touch", "gone", "went", "going", "mode", "no", "strength",
                     "intensity", "done", "applied"})
# words that say how much of a look at the end of a request with no join ("y2k maxxed out", "noir as hard as
# possible"): not sizes alone ("whiten my teeth a little") nor words that end names ("mad max", "bored af")
_TAIL_WORDS = frozenset({"subtle", "subtler", "subtly", "gentle", "gentler", "mild", "mildly",
                         "understated", "restrained", "barely", "lite", "toned", "overboard", "overdo",
                         "overdone", "strong", "stronger", "intense", "intensify", "intensified", "extreme",
                         "cranked", "maxed", "maxxed", "insane", "insanely", "nuts", "overload", "overdose",
                         "overdrive", "steroids", "amped", "dialed", "dialled", "turned"})
_TAIL_PHRASE = re.compile(r"\bto the max\b|\ball the way\b|"
                          r"\bgo (?:hard|harder|nuts|crazy|big|all out)\b|"
                          r"\bcrank(?:ed)? it\b|\bturn(?:ed)? it (?:way )?(?:up|down)\b|\btone it down\b|"
                          r"\bdial(?:ed)? it (?:up|back|down)\b|\bx\d+\b|"
                          r"\bnot (?:too|so) (?:much|strong|heavy)\b")
_SIZES = frozenset({"slightly", "tiny", "bit", "little", "lil", "tad", "smidge", "touch", "light", "lightly"})
INTENSIFIERS = frozenset({"very", "really", "rly", "super", "extra", "so", "much", "hella"})
_TURNING = frozenset({"tone", "toned", "dial", "dialed", "dialled", "turn", "turned", "calm", "bring",
                      "ease"})
_NEGATION = frozenset({"not", "dont", "don't", "nothing", "never", "no", "without", "less"})
_TIMES = re.compile(r"^x\d+$|^\d+x$|^\d+%$")
# the words that can say how much of a look before it ("subtle vintage", "a hint of golden hour", "super
# fincher", "tiny bit anime"); not "little" alone ("little women"), "wild" ("wild west") or "crazy" ("crazy
# rich asians"); "full" only before a look stored word for word ("full monet", not "full metal jacket":
# compose._lead_strength)
LEAD_WORDS = frozenset({"subtle", "slight", "slightly", "mild", "mildly", "gentle", "hint", "touch",
                        "whisper", "bit", "toned", "understated", "lowkey", "low-key", "strong", "extreme",
                        "max", "maxed", "maxxed", "super", "very", "extra", "insanely", "insane", "intense",
                        "heavy", "rly", "really", "stronger", "subtler", "strongly", "ultra", "hardcore",
                        "full-on", "barely", "tasteful", "maximum", "extremely", "faint", "full", "hella"})


def read(text: str) -> frozenset[tuple[str, int]] | None:
    """``text`` (said beside a look) as how much of the look: :data:`WEAKER`, :data:`STRONGER`, or ``None``
    when it says anything else (a change: "warmer", "less orange"; a size alone is weaker: "just a bit")."""
    words = [re.sub(r"([a-z])\1{2,}", r"\1", w.strip(".,!?'\""))  # "waaay", "sooo"
             for w in re.sub(r"-ish\b", "", text.lower()).split()]
    words = [w for w in words if w and any(ch.isalnum() for ch in w)]
    if not words or any(w not in WEAK_WORDS and w not in STRONG_WORDS and w not in _FILLER
                        and w not in _TURNING
                        and not _TIMES.match(w) for w in words):
        return None
    weak = strong = False
    for k, w in enumerate(words):
        negated = any(x in _NEGATION for x in words[max(0, k - 3):k])
        if w in STRONG_WORDS or _TIMES.match(w):
            if w in ("very", "really", "rly", "super", "extra", "af", "mode") and \
                    any(x in WEAK_WORDS for x in words):
                continue  # "very subtle", "really gentle": a size of the other word
            weak, strong = (True, strong) if negated else (weak, True)
        elif w in WEAK_WORDS:
            if w in ("overboard", "overdo", "overdone", "overkill"):
                weak = True  # "don't go overboard", "not overdone": weaker, said with a negation or not
            elif w in ("hold", "holding"):
                strong, weak = (True, weak) if negated else (strong, weak)  # "don't hold back"
            elif w in ("down", "back") or not negated:
                weak = True
            else:
                strong = True
    if re.search(r"\ball (?:the way|in|out)\b|\bfull on\b", " ".join(words)) and not weak:
        strong = True  # "noir, go all the way", "full on polaroid"
    if set(words) & {"down", "back"} and not strong and set(words) & _TURNING:
        weak = True  # "toned down", "dial it back", "tone it down a lil"
    if "up" in words and not weak and any(w in ("turn", "turned", "dial", "dialed", "dialled", "crank",
                                               "cranked", "amp", "amped") for w in words):
        strong = True  # "turned way up", "dial it up"
    if "more" in words and not weak and 2 <= len(words) <= 5 \
            and set(words) & {"way", "much", "lot", "like", "of"} and all(w in _FILLER for w in words):
        strong = True  # "… but like way more", "… but more of it"
    if "more" in words and weak and not set(words) & (WEAK_WORDS - _SIZES):
        return None  # "a little more" is a size of more, not less
    if weak == strong:
        return None
    return WEAKER if weak else STRONGER


def can_end(tail: str) -> bool:
    """``tail`` may say how much of a look at the end of a request with no join ("y2k maxxed out",
    "caravaggio to the max"): not a size alone ("whiten my teeth a little") nor a word that ends names
    ("mad max", "bored af", "vacation mode")."""
    return bool(set(re.sub(r"-ish\b", "", tail).split()) & _TAIL_WORDS or _TAIL_PHRASE.search(tail))


def can_lead(words: Sequence[str]) -> bool:
    """``words`` (punctuation stripped) may say how much of a look before it ("subtle", "a hint of", "tiny
    bit", "full on"): a word of :data:`LEAD_WORDS` among them, and the last of them one too ("little bit
    over exposed" is the size of what follows)."""
    return bool((LEAD_WORDS & set(words) or list(words[:2]) == ["full", "on"])
                and words[-1] in LEAD_WORDS | {"of", "bit", "on"})


def scale(look: ToolChain, factor: float) -> ToolChain:
    """``look`` with every value and its preset's intensity times ``factor`` (clamped; hue, an angle, kept;
    black and white stays black and white; a preset stays at intensity 1 or more)."""
    v = chain_vector(look) * factor
    v[PARAM_KEYS.index("hue")] = look.adjust.hue
    if look.adjust.saturation <= -100:
        v[PARAM_KEYS.index("saturation")] = look.adjust.saturation
    if look.filter.used:
        v[-1] = max(1.0, v[-1])
    return vector_chain(v, look.filter.name)


def _along(look: ToolChain, answer: ToolChain) -> tuple[np.ndarray, np.ndarray]:
    """The two chains' values and preset intensity, without black and white's saturation −100 (it stays
    when a look is scaled, so it is no part of how much of the look there is)."""
    lv, av = chain_vector(look), chain_vector(answer)
    if look.adjust.saturation <= -100:
        lv[PARAM_KEYS.index("saturation")] = av[PARAM_KEYS.index("saturation")] = 0.0
    return lv, av


def ratio(look: ToolChain, answer: ToolChain) -> float:
    """``answer`` measured along ``look`` (1 = the look as it is, 0 = none of it); 1 for an empty look."""
    lv, av = _along(look, answer)
    norm = float(lv @ lv)
    return float(av @ lv) / norm if norm else 1.0


def scaled_by(look: ToolChain, answer: ToolChain, factor: float) -> bool:
    """``answer`` is ``look`` made weaker (``factor`` < 1: between 0.3 and 0.85 of it) or stronger (1.15
    or more), measured along the look (:func:`ratio`), and points the same way (cosine .9 or more: nothing
    else added)."""
    lv, av = _along(look, answer)
    norm = float(lv @ lv)
    if norm == 0:
        return True  # nothing to scale
    if float(av @ lv) < 0.9 * float(np.sqrt(norm * float(av @ av))):
        return False
    r = float(av @ lv) / norm
    return 0.3 <= r <= 0.85 if factor < 1 else r >= 1.15
