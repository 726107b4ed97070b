"""A look plus changes said in one request ("gothic but brighter", "kodak gold w/ deeper blacks",
"greener ghibli"), or several changes and no look ("brighter, warmer, more contrast").

The student answers a request from the nearest stored requests. For a look and a change it has never
seen together, the nearest stored request is the look alone ("gothic" for "gothic but brighter": the
change's words hardly move the embedding), so the change is lost; for several changes, it is a request
that makes one or two of them. Here the request is split into the look and the change(s), each a request
of its own, and where the student's answer does not already clearly move what each change names the way
it says while keeping the look's preset, the answer is the look's answer plus the changes' answers, value
by value; with no look, the look's answer is the photo as it is (``docs/experiments.md``, "A look plus a
change" and "Several changes and no look").

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
from vibegrade.students import strength
from vibegrade.students.answer_check import (
    as_wish,
    checkable,
    checked_signature,
    correcting_words,
    moves,
    moves_change,
    moves_clearly,
    named_values,
    plain_request,
    plain_words,
    value_moves,
    warm_it,
    wished_signature,
)
from vibegrade.students.direction import COLOURS, region_words, signature, size_class, size_words
from vibegrade.students.refine_features import PARAM_KEYS, chain_vector, vector_chain
from vibegrade.students.strength import FACTORS, STRONGER, WEAKER, scale, scaled_by

__all__ = ["Split", "split_change", "split_requests", "parts", "add_change", "keeps_look", "compose",
           "as_it_is", "scaled_by", "NO_PRESET", "WEAKER", "STRONGER"]

#: a look and its changes, each with the (attribute, sign) pairs it asks for
Split = tuple[str, list[tuple[str, frozenset[tuple[str, int]]]]]

# words and marks that join a look and a change: "X but Y", "X, Y", "X with Y", "X w/ Y", "X - Y", "X + Y".
# After "and", "+", "&" and "plus" a change needs a correcting word ("black and white" is a look, "moody and
# darker" a change); after the others a bare descriptor is one ("tropical but desaturated").
_JOIN = re.compile(r"\s*(?:[,;:!?]+|\.+(?=\s|$)|\s[-–—+&]\s|\bw/|(?<!\bb )\bw\b(?= [a-z]{2})"
                   r"|\b(?:but|with|and|though|tho|just|only|yet|plus|except|without|then|also|while)\b)\s*")
_TRAILING_JOIN = re.compile(r"(?:[\s,;:!?.]*\b(?:but|and|with|though|tho|yet|plus|also|then)\b)+[\s,;:!?.]*$")
_STRICT_JOINS = frozenset({"and", "+", "&", "plus", "then", "also", "while"})
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
#: the change "no filter" after a look ("summer vibes, no filter", "vintage but without the preset"): the
#: look's answer without its preset
NO_PRESET: frozenset[tuple[str, int]] = frozenset({("filter", -1)})
_NO_ANSWER = (NO_PRESET, WEAKER, STRONGER)  # changes made to the look itself, with no answer of their own
_OBJECTS = frozenset({"it", "them", "out", "up", "down", "off", "back", "a", "an"})  # "smooth it out a bit"


def _lead_strength(low: str, known: Callable[[str], bool] | None
                   ) -> tuple[tuple[str, frozenset[tuple[str, int]]], str] | None:
    """``((words, WEAKER or STRONGER), look)`` when ``low`` starts with how much of a look and the rest is
    one ("super fincher", "a bit of ilford hp5", "make it super nostalgic"), else ``None``; a request
    stored word for word is left whole ("super 8")."""
    if (known is not None and known(low)) or plain_request(low) or checkable(low):
        return None  # "super blurry", "bit too warm": a correction
    words = low.split()
    bare = [w.strip(".,;:!?") for w in words]
    for k in range(min(4, len(words) - 1), 0, -1):
        lead, rest = " ".join(words[:k]), " ".join(words[k:])
        said = strength.read(lead)
        if said is None or not strength.can_lead(bare[:k]):
            continue  # "little bit over exposed": the size of what follows
        first = bare[k]
        stored = known is not None and known(rest)
        if bare[:k] == ["full"] and not stored:
            continue  # "full metal jacket", "full moon": names, unless the rest is a stored look
        if _COMPLAINT & set(bare[k:]) or (first in plain_words() and not stored) \
                or first in strength.STRONG_WORDS or first in strength.WEAK_WORDS or first.endswith("er"):
            continue  # "slightly stronger purples", "i can barely see, its so dark", "a touch of orange"
        if set(words[:k]) & strength.LEAD_WORDS <= strength.INTENSIFIERS and (signature(rest) or any(
                t in plain_words() and t not in ("the", "a", "an", "of", "and")
                for t in _LOOK_WORD.findall(rest))):
            continue  # "really dark", "super saturated", "really cant see the shadows": not more of a look
        if _opens_change(first) or plain_request(rest) or checkable(rest):
            continue  # "a bit darker golden hour", "a bit brighter and warmer": the size of a change
        if _named_look(rest) or stored:
            return (lead, said), rest
    return None


def _named_look(text: str) -> bool:
    """A look with a name in it ("cyberpunk", "90s film"), not a bare adjective ("warm", "blurry")."""
    toks = set(_LOOK_WORD.findall(text))
    return _is_look(text) and not (_COMPLAINT | region_words()) & toks and any(
        t not in plain_words() and t not in _NOT_LOOK and t not in _FUNCTION and not t.isdigit()
        for t in _LOOK_WORD.findall(text))


# words that join or hold a sentence together, never a look's name
_FUNCTION = frozenset({"and", "or", "but", "with", "w", "by", "then", "also", "n", "plus", "i", "can", "you",
                       "u", "we", "might", "could", "would", "should", "will", "think", "maybe", "pls",
                       "please", "plz", "need", "want", "bring", "get"})


_NO_FILTER = re.compile(r"^(?:no|without|minus|drop|remove|skip|lose|ditch|but no)(?:\s+(?:the|a|any))?\s+"
                        r"(?:filters?|presets?|luts?)(?:\s+(?:please|pls|plz))?[\s.!]*$")
# a request for the photo as it is and nothing else ("reset", "original", "no filter", "#nofilter", "undo")
_AS_IT_IS = re.compile(
    r"^(?:(?:please|pls|plz|just|can you|could you|go|make it|take it)\s+)*"
    r"(?:#?no\s?filters?|no\s+(?:edits?|editing|changes|effects?|grade|grading|presets?)|unedited|as\s+shot|"
    r"reset(?:\s+(?:it|everything|all|the edits?))?|undo(?:\s+(?:it|that|everything|all))?|"
    r"start\s+(?:over|again)|(?:back\s+to\s+)?(?:the\s+)?original(?:\s+(?:photo|pic|picture|image|one))?|"
    r"remove\s+(?:the\s+|all\s+(?:the\s+)?|every\s+)?(?:filters?|edits?|effects?|presets?|grading)|none)"
    r"(?:\s+(?:please|pls|plz|thanks|thx))?[\s.!]*$")
# words that state the picture as it is in a first change ("its too dark and …", "super cold and …")
_STATED_FIRST = frozenset({"is", "are", "its", "it's", "looks", "look", "looking", "seems", "feels", "too"})
_NOTHING = ToolChain()  # the answer to no look: the photo as it is
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


def as_it_is(text: str) -> bool:
    """A request for the photo as it is and nothing else: "reset", "original", "no filter", "#nofilter",
    "undo", "remove the filter" (as a first request there is nothing to undo: the answer is no edit)."""
    return bool(_AS_IT_IS.match(" ".join(str(text).lower().split())))


def _change(text: str, join: str) -> frozenset[tuple[str, int]] | None:
    """The directions of ``text`` as a change after the join word ``join``, else ``None``."""
    if _NO_FILTER.match(f"{join} {text}" if join in ("without", "but") else text):
        return NO_PRESET  # "… no filter", "… without the preset"
    how_much = strength.read(text) if join and join not in _STRICT_JOINS else None
    if how_much is not None:
        return how_much  # "… but subtle", "…, don't overdo it", "… but go all the way"
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
    # "subtle vintage", "a hint of golden hour", "extreme teal and orange"
    before = _lead_strength(low, known)
    if before is not None:
        how_much, rest = before
        inner = split_change(rest, known)
        if inner is not None and inner[0]:
            return inner[0], [how_much, *inner[1]]
        return rest, [how_much]
    cuts = [(m.start(), m.end(), m.group(0).strip().strip(",;:!?").strip() or ",")
            for m in _JOIN.finditer(low)]
    segs = [low[end:cuts[k + 1][0] if k + 1 < len(cuts) else len(low)].strip()
            for k, (_, end, _) in enumerate(cuts)]
    if cuts:
        # changes typed with no look before them ("brighter and warmer", "its too dark, kinda yellow"): the
        # first clause is a change, and so is every later clause that reads as one
        # "exposure +, saturation -": a sign after a space is the change, a hyphen is not ("teal-and-orange")
        head = re.sub(r"(?<=[a-z])[-–—]+$", "", low[:cuts[0][0]].strip(" ,;:!?."))
        said = _change(head, "") if head and not _is_look(head) else None
        if said is not None:
            stated = bool(_STATED_FIRST & set(_WORD.findall(head)))
            changes = [c for c in _later_changes(cuts, segs, 0, [(head, said)], stated)
                       if c[1] not in (WEAKER, STRONGER)]  # no look to make weaker or stronger
            return ("", changes) if len(changes) > 1 else None
    for n, (start, _, join) in enumerate(cuts):
        first = (_change(segs[n], join) or _leading_change(segs[n], join)) if segs[n] else None
        if first is None:
            continue
        look = _TRAILING_JOIN.sub("", low[:start]).strip(" ,;:!?.-–—+&")  # "summery but without a filter"
        if not _is_look(look):
            return None  # the first change follows no look ("the sky but bluer")
        changes = _later_changes(cuts, segs, n, [], False)
        if not _named_look(look) or _opens_change(look.split()[0]):
            # "its really orange, tone it down", "exposure down just a smidge", "warmer cinestill, just a
            # little": the size of a change
            changes = [c for c in changes if c[1] not in (WEAKER, STRONGER)]
        elif any(c[1] not in (WEAKER, STRONGER) for c in changes[:1]):
            # "noir but more contrast, like WAY more": after a change, a size is the change's
            changes = [c for c in changes if c[1] not in (WEAKER, STRONGER)]
        return (look, changes) if changes else None
    words = _WORD.findall(low)
    unjoined = _unjoined(words) if not cuts else None
    if unjoined is not None:  # changes typed with no join: "bit warmer bit sharper", "warmer brighter",
        return "", unjoined   # "bit darker lift the shadows a lot", "way too dark bit too cold"
    if cuts or _COMPLAINT & set(words):  # joined but no change after a look ("cooler + contrastier"), or a
        return None                   # complaint ("greens are super neon", "contrast is harsh af")
    for k in range(min(_MAX_CHANGE_WORDS, len(words) - 1), 0, -1):  # the longest change first
        tail, head = " ".join(words[-k:]), " ".join(words[:-k])
        sig = _change(tail, "")
        if sig is not None and (_opens_change(words[-k]) or sig == NO_PRESET) and _is_look(head):
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
    correction = plain_request(low) or checkable(low)
    for k in range(min(_MAX_CHANGE_WORDS, len(words) - 1), 0, -1) if not correction else ():
        tail, head = " ".join(words[-k:]), " ".join(words[:-k])  # "cyberpunk turned up to 11"
        # "y2k maxxed out", "caravaggio to the max"; not "whiten my teeth a little", "mad max", "bored af"
        tail_says = strength.read(tail) if strength.can_end(tail) else None
        if tail_says is not None and _named_look(head) \
                and words[-k] not in ("it", "them", "this", "that", "out", "down", "up", "back", "off") \
                and tail != "light" and words[-k - 1] not in _OBJECTS:
            # not "smooth it out a bit", "bring the highlights down a little"
            return head, [(tail, tail_says)]
    if known is not None:
        for k in (1, 2):
            lead, rest = " ".join(words[:k]), " ".join(words[k:])
            sig = wished_signature(lead) if len(words) > k else None
            if sig is not None and not any(a.split("@")[0] in COLOURS for a, _ in sig) and \
                    _is_look(rest) and known(rest):  # a colour before a look is a look of its own
                return rest, [(as_wish(lead), sig)]  # "muted retro", "low contrast pastel"
    return None


def _part(text: str) -> frozenset[tuple[str, int]] | None:
    """The directions of one change typed with no join: a change the reader checks, or one said as the
    state wished for ("lifted shadows", "crushed blacks")."""
    sig = _change(text, "")
    if sig is None and text.split()[0] in _PARTICIPLES:
        sig = wished_signature(text)
    return sig


def _starts_unjoined(words: list[str], k: int) -> bool:
    """``words[k]`` can start a change typed with no join: a size, "more" / "less", a comparative, a verb
    ("lift the shadows", "warm it up") or a complaint ("too dark", "bit too cold")."""
    w = words[k]
    if w in size_words() or w == "a":
        j = k
        while j < len(words) and (words[j] in size_words() or words[j] == "a"):
            j += 1
        if k > 0 and j < len(words) and (words[j] in _VERBS or words[j] in _UNJOINED_VERBS):
            return False  # "boost the greens a bit boost the yellows": the size ends the change before
    return _opens_change(w) or w in _VERBS or w in _UNJOINED_VERBS or w in _PARTICIPLES or w == "too" or (
        w in size_words() and k + 1 < len(words) and words[k + 1] == "too")


def _unjoined(words: list[str]) -> list[tuple[str, frozenset[tuple[str, int]]]] | None:
    """Two or more changes typed one after the other with no join, each starting with a size, "more" /
    "less" or a comparative ("bit warmer bit sharper", "warmer brighter", "more contrast less saturation"),
    naming different attributes; ``None`` when the words are not all such changes. The most changes
    first: "brighter warmer more contrast" is three."""
    if not words or not _starts_unjoined(words, 0):
        return None  # "greens a bit darker" is one change
    for k in range(1, len(words)):
        if not _starts_unjoined(words, k):
            continue
        if k == 1 and _comparative(words[0]) and len(words) > 2 and _comparative(words[1]) and \
                not any(_opens_change(w) for w in words[2:]):
            continue  # "deeper richer colours": two words for the same colours
        head = " ".join(words[:k])
        sig = _part(head)
        if sig is None or sig in _NO_ANSWER:
            continue
        named = {a for a, _ in sig}
        deeper = _unjoined(words[k:])
        if deeper is not None and not named & {a for _, s in deeper for a, _ in s}:
            return [(head, sig), *deeper]
        tail = " ".join(words[k:])
        tail_sig = _part(tail)
        if tail_sig is not None and tail_sig not in _NO_ANSWER and not named & {a for a, _ in tail_sig}:
            return [(head, sig), (tail, tail_sig)]
    return None


# the words that start a change and carry its direction, which the next change can leave unsaid ("add a lot
# of blue and a bit of green", "ease off the saturation and the contrast a bit")
_VERBS = frozenset({"add", "increase", "decrease", "reduce", "raise", "lower", "boost", "bump", "drop", "cut",
                    "remove", "lift", "dim", "ease", "tone", "crank", "pump", "kill", "take", "pull", "push",
                    "knock", "bring", "more", "less", "deepen", "crush", "mute", "brighten", "darken",
                    "lighten", "soften", "sharpen", "dial", "enhance", "saturate", "desaturate"})
_PARTICLES = frozenset({"off", "down", "up", "out", "away", "back", "on"})
# the state wished for, opening a change typed with no join ("flatter lifted shadows softer highlights")
_PARTICIPLES = frozenset({"lifted", "crushed", "toned", "muted", "boosted", "lowered", "raised", "recovered",
                          "deepened", "brightened", "darkened", "softened", "sharpened", "opened", "richer"})
# more verbs that open a change typed with no join ("bit darker open up the shadows", "warm it up a bit")
_UNJOINED_VERBS = frozenset({"open", "recover", "warm", "cool", "blow", "fix", "clean", "flatten",
                             "punch", "intensify", "strengthen", "weaken", "restore"})
_STATE_WORDS = frozenset({"is", "are", "its", "it's", "looks", "look", "seems", "feels", "too", "so"})


def _later_changes(cuts: list[tuple[int, int, str]], segs: list[str], n: int,
                   changes: list[tuple[str, frozenset[tuple[str, int]]]],
                   stated: bool) -> list[tuple[str, frozenset[tuple[str, int]]]]:
    """``changes`` with the changes of clauses ``n`` on (``segs[k]``, each after the join word
    ``cuts[k][2]``): a clause that is not a change is left out, so are the words after a change that say
    why; a clause with no direction of its own goes on from the change before it (:func:`_continued`:
    after a complaint, ``stated``); a change naming an attribute an earlier one named is left out, unless
    it goes the other way: then the later words decide ("reallly dark, brighten it a lot")."""
    changes = list(changes)
    for k in range(n, len(cuts)):
        seg, join = segs[k], cuts[k][2]
        sig = _change(seg, join) if seg else None
        if seg and changes and (sig is None or _noun_phrase(seg) or (stated and _bare(seg))):
            said, again = _continued(seg, changes[-1][0], stated)
            if again is not None:
                seg, sig = said, again
        if sig is None and seg:
            found = _leading_change(seg, join)
            seg, sig = found if found is not None else (seg, None)
        if sig is None:
            continue
        said = f"without {seg}" if join == "without" else seg
        change = (said if join in _STRICT_JOINS or seg != segs[k] else as_wish(said), sig)
        named = {a: s for _, earlier in changes for a, s in earlier}
        if not {a for a, _ in sig} & set(named):
            changes.append(change)
        elif all(named.get(a, s) != s for a, s in sig):
            changes = [c for c in changes if not {a for a, _ in c[1]} & {a for a, _ in sig}] + [change]
    return changes


# what a change can be said of: "a bit of green", "the contrast a bit", "some warmth"
_NOUNS = frozenset({"contrast", "saturation", "sat", "sharpness", "clarity", "detail", "warmth", "exposure",
                    "brightness", "vibrance", "highlights", "shadows", "blacks", "whites", "colour",
                    "colours",
                    "color", "colors", "red", "reds", "orange", "oranges", "yellow", "yellows", "green",
                    "greens", "blue", "blues", "purple", "purples", "pink", "magenta", "teal", "cyan",
                    "glow", "bloom", "grain", "light", "tint",
                    # the whole picture ("brighten the shadows a little and the whole image a lot")
                    "image", "picture", "photo", "pic", "thing", "everything"})
_SIGN = re.compile(r"[+\-−↑↓\d]")
_DETERMINERS = frozenset({"a", "an", "the", "of", "some", "bit", "little", "touch", "tad", "too", "also",
                          "pls",
                          "please", "plz", "as", "well", "whole", "overall", "great", "deal"})


def _noun_phrase(text: str) -> bool:
    """Only what a change is said of, with a size: "a bit of green", "the contrast a bit" (the verb of the
    change before it is left unsaid)."""
    if _SIGN.search(text):  # "contrast ↑" says which way
        return False
    words = _LOOK_WORD.findall(text)  # emoji and marks are left out
    return bool(set(words) & _NOUNS) and all(w in _NOUNS or w in _DETERMINERS or w in size_words()
                                             for w in words)


def _bare(text: str) -> bool:
    """A change with nothing of its own that says which way: no verb, "more" / "less", comparative or
    state ("a bit of green", "the contrast a bit", "flat")."""
    words = _WORD.findall(text)
    marks = correcting_words()
    return not (any(w in marks or w in _VERBS or _comparative(w) or w in _STATE_WORDS for w in words)
                or warm_it(text))  # "warm it slightly" is a verb


def _continued(seg: str, before: str, stated: bool) -> tuple[str, frozenset[tuple[str, int]] | None]:
    """``seg`` read as going on from the change ``before`` it: with its leading verb ("add a lot of blue
    and *a bit of green*" is "add a bit of green") or, after a complaint, as one ("its super cold and
    *flat*" is "its flat"); ``(seg, None)`` when neither reads."""
    if not before:
        return seg, None
    words = before.split()
    first = next((i for i, w in enumerate(words) if w in _VERBS), None)  # "could you *add* a little yellow"
    if first is not None and _noun_phrase(seg):
        k = first + 1
        while k < len(words) and words[k] in _PARTICLES:
            k += 1
        said = f"{' '.join(words[first:k])} {seg}"
        sig = _change(said, "")
        if sig is not None:
            return said, sig
    if stated and _bare(seg):
        sig = _change(f"its {seg}", "")
        if sig is not None:
            return f"its {seg}", sig
    return seg, None


def _comparative(word: str) -> bool:
    """"brighter", "greener", "redder": a comparative the reader knows."""
    return word.endswith("er") and word in plain_words() and word not in size_words()  # not "super"


def _opens_change(word: str) -> bool:
    """A change typed beside its look starts with a size, "more" / "less", or a comparative."""
    return word in size_words() or word in ("a", "more", "less") or _comparative(word)


def _largest(vector: np.ndarray, attr: str, sign: int) -> float:
    """The largest value of ``vector`` (a change, :func:`chain_vector` order) that moves ``attr`` in
    direction ``sign``; 0 when none does."""
    keys = named_values(attr)
    return max((abs(float(v)) for k, v in zip(PARAM_KEYS, vector)
                if k in keys and v and value_moves(k, int(v), attr, sign)), default=0.0)


#: how far from a change's own size the student's answer may be and be kept as it is (a factor either way;
#: the encoder student's ``retrieval.compose_size``)
AS_MUCH = 2.0


def _as_much(base: ToolChain, answer: ToolChain, change: ToolChain | None, attr: str, sign: int,
             factor: float) -> bool:
    """``answer`` moves ``attr`` from ``base`` by what ``change`` (the change's own answer, from the photo)
    moves it, within ``factor`` either way (0: any size): "more contrast, crushed blacks" answered as the
    stored "crushed blacks" (contrast +8) does not make the contrast "more contrast" asks for (+25), and
    "way brighter and a touch warmer" answered with temperature +25 is more than "a touch" (+12)."""
    if change is None or factor <= 0:
        return True
    own = _largest(chain_vector(change), attr, sign)
    made = _largest(chain_vector(answer) - chain_vector(base), attr, sign)
    return own == 0 or own / factor <= made <= own * factor


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


# colours the reader moves through two ranges (magenta: red and blue, with the tint)
_MIXED = frozenset({"magenta"})


def _keep_each(base: ToolChain, summed: ToolChain,
               added: list[tuple[ToolChain, frozenset[tuple[str, int]]]]) -> ToolChain:
    """``summed`` with each change's own values back on the attributes it names where the other changes
    undid them ("darken the blacks a little and brighten the overall image a lot": the brightening's
    shadows +5 must not cancel the blacks' −5)."""
    for n, (change, sig) in enumerate(added):
        others = {(a2, k) for m, (_, sig2) in enumerate(added) if m != n for a2, _ in sig2
                  for k in named_values(a2)}
        for a, s in sig:
            if moves_change(base, summed, a, s):
                continue
            # not what another change names ("more contrast but softer"), except a colour's own range that
            # a mixed colour also moves ("less purple and more blue": the blue range is the blue's)
            taken = {k for a2, k in others if not (a2 in _MIXED and k.startswith(f"{a}."))}
            keys = named_values(a) - taken
            v, own = chain_vector(summed), chain_vector(base) + chain_vector(change)
            for i, k in enumerate(PARAM_KEYS):
                if k in keys:
                    v[i] = own[i]
            summed = vector_chain(v, summed.filter.name)
    return summed


def split_requests(intents: Sequence[str], read: Callable[[str], str],
                   stored: Callable[[str], bool],
                   typed: Callable[[str], str] | None = None) -> dict[int, Split]:
    """:func:`split_change` of each request as the student reads it (``read``), by position; changes with no
    look and "no filter" as typed (``typed``, where given: the reader drops "add" and "make it" before a
    look, which before a colour are the change, "add some red, take out some green", and "filter" after
    one); requests the student answers word for
    word from the teacher (``stored``) are left out, and a bare descriptor before a look splits only where
    the look is stored."""
    splits = {}
    for i, t in enumerate(intents):
        if not stored(t):
            s = split_change(read(t), known=stored)
            if typed is not None and (s is None or not s[0]):
                # changes alone are read as typed: "add a lot of blue and a bit of green" (the reader's
                # "a lot of blue and a bit of green" reads the second as a complaint), and so is "no
                # filter" (the reader drops "filter": "vintage but no")
                as_typed = split_change(typed(t), known=stored)
                if as_typed is not None and (not as_typed[0]
                                             or any(sig == NO_PRESET for _, sig in as_typed[1])):
                    s = as_typed
            if s is not None:
                splits[i] = s
    return splits


def parts(splits: dict[int, Split]) -> list[str]:
    """The looks and changes the student must answer to compose ``splits``, once each (no look: ``""``,
    the photo as it is, needs no answer)."""
    return sorted({x for look, changes in splits.values()
                   for x in (look, *(c for c, sig in changes if sig not in _NO_ANSWER)) if x})


def compose(answers: list[ToolChain], splits: dict[int, Split], got: dict[str, ToolChain],
            correction: Callable[[str, tuple[str, int]], ToolChain | None] | None = None,
            as_much: float = AS_MUCH) -> list[ToolChain]:
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
        base = got[look] if look else _NOTHING
        bare = any(sig == NO_PRESET for _, sig in changes)  # the look without its preset
        factor = next((FACTORS[sig] for _, sig in changes if sig in FACTORS), None)  # how much of it
        kept = (not answers[i].filter.used and (base.adjust.saturation <= -100) ==
                (answers[i].adjust.saturation <= -100)) if bare else keeps_look(base, answers[i])
        if kept and (factor is None or scaled_by(base, answers[i], factor)) and \
                all(moves_clearly(base, answers[i], a, s)
                    and _as_much(base, answers[i], got[text], a, s, as_much)
                    for text, sig in changes if sig not in _NO_ANSWER for a, s in sig):
            continue
        new = base if factor is None else scale(base, factor)
        new = vector_chain(chain_vector(new), "none") if bare else new
        added: list[tuple[ToolChain, frozenset[tuple[str, int]]]] = []
        for text, sig in changes:
            if sig in _NO_ANSWER:
                continue
            change: ToolChain | None = got[text]
            if change is not None and not all(moves(change, a, s) for a, s in sig):
                change = correction(text, next(iter(sig))) if correction and len(sig) == 1 else None
            if change is not None and all(moves(change, a, s) for a, s in sig):
                new = add_change(new, change)
                added.append((change, sig))
        new = _keep_each(base, new, added)
        if bare or factor is not None or not np.array_equal(chain_vector(new), chain_vector(base)):
            out[i] = new
    return out
