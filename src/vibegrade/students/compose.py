"""A look plus changes said in one request ("gothic but brighter", "kodak gold w/ deeper blacks",
"greener ghibli").

The student answers a request from the nearest stored requests. For a look and a change it has never
seen together, the nearest stored request is the look alone ("gothic" for "gothic but brighter": the
change's words hardly move the embedding), so the change is lost. Here the request is split into the
look and the change(s), each a request of its own, and where the student's answer does not already move
what the change names the way it says while keeping the look's preset, the answer is the look's answer
plus the change's answer, value by value (``docs/experiments.md``, "A look plus a change").

A change is a correction whose every attribute :mod:`vibegrade.students.answer_check` checks ("brighter",
"a touch less orange", "way more contrast", "deeper blacks"), read as a wish after a look ("… but slightly
muted" asks for less saturation; :func:`~vibegrade.students.answer_check.wished_signature`); the look is
the rest, which must not itself be a correction. Requests stored word for word keep the teacher's answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from vibegrade.schema import ToolChain
from vibegrade.students.answer_check import (
    as_wish,
    checkable,
    checked_signature,
    moves,
    moves_change,
    plain_request,
    plain_words,
    wished_signature,
)
from vibegrade.students.direction import COLOURS, signature, size_class, size_words
from vibegrade.students.refine_features import chain_vector, vector_chain

__all__ = ["Split", "split_change", "split_requests", "parts", "add_change", "keeps_look", "compose"]

#: a look and its changes, each with the (attribute, sign) pairs it asks for
Split = tuple[str, list[tuple[str, frozenset[tuple[str, int]]]]]

# words and marks that join a look and a change: "X but Y", "X, Y", "X with Y", "X w/ Y", "X - Y", "X + Y".
# After "and", "+", "&" and "plus" a change needs a correcting word ("black and white" is a look, "moody and
# darker" a change); after the others a bare descriptor is one ("tropical but desaturated").
_JOIN = re.compile(r"\s*(?:[,;:!?]+|\s[-–—+&]\s|\bw/|(?<!\bb )\bw\b(?= [a-z]{2})"
                   r"|\b(?:but|with|and|though|tho|just|only|yet|plus|except|without)\b)\s*")
_STRICT_JOINS = frozenset({"and", "+", "&", "plus"})
# words that state the picture as it is: a request typed with them and no join is a complaint ("greens are
# super neon"), not a look beside a change
_COMPLAINT = frozenset({"is", "are", "its", "it's", "looks", "looking", "seems", "feels", "feel", "too"})
# words that name a part of the picture or only hold a sentence together: not a look ("the white part",
# "really needs to be a lot lighter")
_NOT_LOOK = frozenset({"part", "parts", "area", "areas", "bits", "spots", "stuff", "thing", "things", "to",
                       "be", "been", "for", "at", "as", "than", "like", "do", "does", "did", "should",
                       "would", "will", "must", "was", "were", "am", "im", "i'm", "has", "have", "had",
                       "af", "idk", "there", "here", "now", "still", "even", "bc", "cause", "because",
                       "half", "third", "thirds", "quarter", "stop", "stops", "ev", "percent", "pct",
                       "points", "notch", "notches", "step", "steps", "one", "two", "three",
                       # the names of what a change moves ("softer contrast" is one change, not a look)
                       "contrast", "saturation", "sat", "exposure", "brightness", "warmth", "temperature",
                       "temp", "clarity", "detail", "details", "sharpness", "vibrance", "tint", "hue",
                       "glow", "bloom", "colour", "color", "light", "lighting", "tone", "wb"})
_WORD = re.compile(r"\S+")
_LOOK_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)?")
# amounts, not names: "+10", "-0.5", "20%", "by 15", "1 stop", "2 ev" ("super 8", "90s", "2049" are names)
_AMOUNT = re.compile(r"[+\-−]\s?\d+(?:\.\d+)?%?|\d+(?:\.\d+)?\s*(?:%|stops?\b|ev\b|points?\b)|\bby\s+\d+")
_MAX_CHANGE_WORDS = 6
# words that start saying why after a change ("… way less saturated my eyes hurt", "… super orange like the
# vegas scene"); not a noun the change is said of ("… but warm skin", "… with warm lights")
_WHY = frozenset({"my", "its", "it's", "i", "im", "i'm", "like", "cause", "cuz", "because", "bc", "since",
                  "so", "lol", "tho", "rn", "as", "it", "this", "ngl", "tbh", "omg", "pls", "please", "plz"})


def _is_look(text: str) -> bool:
    """A look: not a plain correction, and either a word that is not a direction, size, region or filler
    word ("gothic", "the matrix", "90s"; not "shadows", "a bit", "+10") or a bare adjective the teacher
    answers as a look ("dreamy", "warm", "moody")."""
    if plain_request(text):
        return False
    words = _LOOK_WORD.findall(_AMOUNT.sub(" ", text))
    if any(t not in plain_words() and t not in _NOT_LOOK and not t.isdigit() for t in words):
        return True  # a name ("90s", "35mm", "blade runner 2049"; a bare number is not one)
    # a bare adjective ("dreamy", "warm but brighter"), not a colour or a plural noun ("blues a bit darker",
    # "make the colors brighter": a part of the picture)
    sig = signature(text)
    return (bool(sig) and len(words) <= 2 and not set(words) & _NOT_LOOK
            and not any(a.split("@")[0] in COLOURS for a, _ in sig)
            and not any(t.endswith("s") for t in words if t in plain_words() - size_words()))


def _change(text: str, join: str) -> frozenset[tuple[str, int]] | None:
    """The directions of ``text`` as a change after the join word ``join``, else ``None``."""
    if join == "without":  # "… without the orange overload"
        text = f"without {text}"
    if join in _STRICT_JOINS or not join:
        return checked_signature(text) if checkable(text) else None
    return wished_signature(text)


def _leading_change(text: str, join: str) -> tuple[str, frozenset[tuple[str, int]]] | None:
    """The longest first words of ``text`` that are a change after ``join``, with its directions, where
    the words after them start saying why (:data:`_WHY`: "… but way less saturated my eyes hurt", "…
    but super orange like the vegas scene"); ``None`` when none are."""
    if join in _STRICT_JOINS:
        return None
    words = text.split()
    for k in range(min(_MAX_CHANGE_WORDS, len(words) - 1), 0, -1):
        sig = _change(" ".join(words[:k]), join) if words[k] in _WHY else None
        if sig is not None:
            # without trailing words that change nothing ("way less saturated my" → "way less saturated")
            while k > 1 and _change(" ".join(words[:k - 1]), join) == sig and \
                    size_class(" ".join(words[:k - 1])) == size_class(" ".join(words[:k])):
                k -= 1
            return " ".join(words[:k]), sig
    return None


def split_change(text: str, known: Callable[[str], bool] | None = None) -> Split | None:
    """``(look, [(change, its directions), …])`` when ``text`` (as the student reads it: lower case,
    wrappers dropped) is a look followed or preceded by changes, else ``None``.

    * joined: ``"gothic but brighter"`` → ``("gothic", [("brighter", {("light", 1)})])``; the look is
      everything before the first change (``"teal and orange but more orange"``); later clauses that are
      not changes are left out (``"pastel but less bright, i can barely see"``), so are the words after
      a change that say why (``"barbie but way less saturated my eyes hurt"``), and a change naming an
      attribute an earlier one named;
    * typed beside the look, with a correcting word: ``"zelda botw less green"``, ``"greener ghibli"``;
      a bare descriptor before a look only where ``known(look)`` (a request the student has stored):
      ``"muted retro"``, ``"low contrast pastel"`` (not ``"dark academia"``: "academia" is no look; not a
      colour: "purple sunset" is a look of its own).
    """
    low = " ".join(str(text).lower().split())
    cuts = [(m.start(), m.end(), m.group(0).strip().strip(",;:!?").strip() or ",")
            for m in _JOIN.finditer(low)]
    segs = [low[end:cuts[k + 1][0] if k + 1 < len(cuts) else len(low)].strip()
            for k, (_, end, _) in enumerate(cuts)]
    for n, (start, _, join) in enumerate(cuts):
        first = (_change(segs[n], join) or _leading_change(segs[n], join)) if segs[n] else None
        if first is None:
            continue
        look = low[:start].strip(" ,;:!?-–—+&")
        if not _is_look(look):
            return None  # the first change follows no look ("brighter, more contrast", "the sky but bluer")
        changes: list[tuple[str, frozenset[tuple[str, int]]]] = []
        for k in range(n, len(cuts)):
            seg = segs[k]
            sig = _change(seg, cuts[k][2]) if seg else None
            if sig is None and seg:
                found = _leading_change(seg, cuts[k][2])
                seg, sig = found if found is not None else (seg, None)
            if sig is not None and not {a for a, _ in sig} & {a for _, s in changes for a, _ in s}:
                said = f"without {seg}" if cuts[k][2] == "without" else seg
                changes.append((said if cuts[k][2] in _STRICT_JOINS else as_wish(said), sig))
        return look, changes
    words = _WORD.findall(low)
    if cuts or _COMPLAINT & set(words):  # joined but no change after a look ("cooler + contrastier"), or a
        return None                   # complaint ("greens are super neon", "contrast is harsh af")
    for k in range(min(_MAX_CHANGE_WORDS, len(words) - 1), 0, -1):  # the longest change first
        tail, head = " ".join(words[-k:]), " ".join(words[:-k])
        sig = _change(tail, "")
        if sig is not None and _opens_change(words[-k]) and _is_look(head):
            return head, [(tail, sig)]  # a correction as typed: "less green", "a little brighter"
    k = 0
    while k < len(words) - 1 and words[k] in size_words() | {"a"}:
        k += 1
    if k < len(words) - 2 and words[k] in ("more", "less"):
        k += 1  # "more vibrant autumn"
    if k < len(words) - 1 and (_comparative(words[k]) or words[k - 1:k] in (["more"], ["less"])):
        lead, rest = " ".join(words[:k + 1]), " ".join(words[k + 1:])
        sig = _change(lead, "")
        if sig is not None and _is_look(rest):
            return rest, [(lead, sig)]  # "greener ghibli", "a bit warmer golden hour"
    if known is not None:
        for k in (1, 2):
            lead, rest = " ".join(words[:k]), " ".join(words[k:])
            sig = wished_signature(lead) if len(words) > k else None
            if sig is not None and not any(a.split("@")[0] in COLOURS for a, _ in sig) and \
                    _is_look(rest) and known(rest):  # a colour before a look is a look of its own
                return rest, [(as_wish(lead), sig)]  # "muted retro", "low contrast pastel"
    return None


def _comparative(word: str) -> bool:
    """"brighter", "greener", "redder": a comparative the reader knows."""
    return word.endswith("er") and word in plain_words()


def _opens_change(word: str) -> bool:
    """A change typed beside its look starts with a size, "more" / "less", or a comparative."""
    return word in size_words() or word in ("a", "more", "less") or _comparative(word)


def keeps_look(look: ToolChain, answer: ToolChain) -> bool:
    """``answer`` keeps ``look``'s preset (or its ``none``) and its black and white or colour."""
    return (look.filter.name == answer.filter.name
            and (look.adjust.saturation <= -100) == (answer.adjust.saturation <= -100))


def add_change(look: ToolChain, change: ToolChain) -> ToolChain:
    """``look`` with ``change``'s values added (adjust and selective, clamped to their ranges); the preset
    and its intensity are the look's."""
    base = chain_vector(look)
    v = base + chain_vector(change)
    v[-1] = base[-1]
    return vector_chain(v, look.filter.name)


def split_requests(intents: Sequence[str], read: Callable[[str], str],
                   stored: Callable[[str], bool]) -> dict[int, Split]:
    """:func:`split_change` of each request as the student reads it (``read``), by position; requests the
    student answers word for word from the teacher (``stored``) are left out, and a bare descriptor before
    a look splits only where the look is stored."""
    splits = {}
    for i, t in enumerate(intents):
        if not stored(t):
            s = split_change(read(t), known=stored)
            if s is not None:
                splits[i] = s
    return splits


def parts(splits: dict[int, Split]) -> list[str]:
    """The looks and changes the student must answer to compose ``splits``, once each."""
    return sorted({x for look, changes in splits.values() for x in (look, *(c for c, _ in changes))})


def compose(answers: list[ToolChain], splits: dict[int, Split], got: dict[str, ToolChain],
            correction: Callable[[str, tuple[str, int]], ToolChain | None] | None = None) -> list[ToolChain]:
    """``answers`` with every split request (:func:`split_requests`) answered as its look's answer plus each
    change's (``got``: the student's answers to :func:`parts`, without composing), unless its answer
    already moves every change's attribute the way it says (from the look's answer) and keeps the look
    (:func:`keeps_look`).

    ``correction(text, (attribute, sign))``, where given, answers a one-attribute change whose own answer
    does not move it that way (the student reads "slightly muted" alone as a complaint; after a look it
    is a wish). A change with no answer that moves it that way is left out rather than added the wrong
    way."""
    out = list(answers)
    for i, (look, changes) in splits.items():
        base = got[look]
        if keeps_look(base, answers[i]) and all(moves_change(base, answers[i], a, s)
                                                for _, sig in changes for a, s in sig):
            continue
        new = base
        for text, sig in changes:
            change: ToolChain | None = got[text]
            if change is not None and not all(moves(change, a, s) for a, s in sig):
                change = correction(text, next(iter(sig))) if correction and len(sig) == 1 else None
            if change is not None and all(moves(change, a, s) for a, s in sig):
                new = add_change(new, change)
        if not np.array_equal(chain_vector(new), chain_vector(base)):
            out[i] = new
    return out
