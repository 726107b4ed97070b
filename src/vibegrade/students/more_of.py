"""More of a quality, asked of the photo as it is: "moodier", "a bit moodier", "way more cinematic", "make it
dreamier", "its too plain, make it moodier", "more drama pls".

A first request for more of a mood or a look asks for that look, as much as the words say: "a bit moodier"
is a little of *moody*, "way more cinematic" a lot of *cinematic*. Retrieval reads such requests badly,
because the nearest stored requests are corrections of other things at the same size ("a bit moodier"
found "a bit more vibrant", vibrance +12; "way moodier" found "way warmer", temperature +45; "make it
super hazy" found a dehaze, contrast +65), and a size said before "more" was often not read at all
("a little more cinematic" and "much more cinematic" got the same answer).

:func:`read` finds the quality and the size. The student then answers (``EncoderStudent._more_of``,
``retrieval.more_of``) with, for the first of the quality's forms (:func:`forms`: "moodier" is "moody",
"drama" is "dramatic") that has one:

* the teacher's answer to the quality stored word for word as a look ("faded"), or to the nearest stored
  look request (cosine at least :data:`~vibegrade.students.opposite.NEAR`), made weaker or stronger by the
  teacher's own factors for a look said subtle or strong (:func:`made`, ``strength.FACTORS``);
* for a photo problem the app can make more of ("hazy", "intense": :func:`directions`), the stored plain
  corrections of the directions it names, at the size said;

and the student's own answer where none is found. docs/experiments.md, "More of it", has the measurements.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from vibegrade.schema import ToolChain
from vibegrade.students import opposite, strength
from vibegrade.students.direction import known_words, signature, size_class

__all__ = ["More", "read", "read_either", "lookups", "forms", "bases", "directions", "made", "FACTOR",
           "LOOKS"]


@dataclass(frozen=True)
class More:
    """A request for more of a quality.

    Attributes:
        quality: the quality's words as said ("moodier", "cinematic", "drama", "lo-fi").
        size: -1 slight ("a bit moodier"), 0 plain, 1 strong ("way more cinematic").
        comparative: the quality was said as one comparative word ("moodier"), not after "more".
    """

    quality: str
    size: int
    comparative: bool = False


#: how much of the look by size: the teacher's factors for a look said subtle and strong
#: (``strength.FACTORS``: the median ratio of its answers to "X, subtle" / "X, strong" to its answers to X)
FACTOR: dict[int, float] = {-1: strength.FACTORS[strength.WEAKER], 0: 1.0,
                            1: strength.FACTORS[strength.STRONGER]}

# nouns and adjectives of one quality that are not a comparative's endings ("more drama" is more dramatic)
_NOUNS = {"drama": "dramatic", "mood": "moody", "moodiness": "moody", "glow": "glowy", "haze": "hazy",
          "grit": "gritty", "grunge": "grungy", "nostalgia": "nostalgic", "romance": "romantic",
          "edge": "edgy", "film": "filmic", "cinema": "cinematic", "intensity": "intense"}
_SIZE = r"(?:(?:a |just a |just |a wee |a tiny |a lil |a little )?(?:bit|little|lil|tad|touch|smidge|" \
        r"tiny bit|wee bit)|(?:just )?a hair|slightly|way|much|so much|a lot|lots|loads|heaps|far|even|" \
        r"somewhat|kinda|kind of|sorta|a good bit|a fair bit|super|really|very|way way|much much|" \
        r"quite a bit|a ton)"
_LEAD = r"(?:(?:make|mak|mke|get) (?:it|this|the photo|the pic|the picture|the image|everything) " \
        r"(?:look |feel |seem |a |abit )?|can (?:it|you|u|we) (?:be |look |feel |make it |make it look |" \
        r"make it feel |go |get it )?|could (?:it|you|u|we) (?:be |look |feel |make it |make it look |" \
        r"make it feel )?|(?:it )?needs? (?:to (?:be|look|feel) )?|i want (?:it )?|i'd like (?:it )?|" \
        r"go |give (?:it|me) |add |let's go |lets go |should be |(?:look|feel|be) |" \
        r"pls |please |plz |just |hmm |ok |okay |yo |hey |umm |um )"
_TAIL = r"(?:looking|look|feel|feeling|vibe|vibes|vibe to it|to it|overall|please|pls|plz|lol|lmao|rn|" \
        r"tbh|thx|thanks|ty|mate|maybe|here|edit|style|aesthetic|mood|tone|tones|pls thx|if possible|" \
        r"if you can|if u can|for me|too|as well|haha)"
_MORE = re.compile(rf"^(?:{_LEAD})*(?P<size>(?:{_SIZE} )*)(?:more|moar|mor) (?:of (?:a |an |that |the )?)?"
                   rf"(?P<q>[a-z][a-z' -]*?)(?: {_TAIL})*$")
_COMPARATIVE = re.compile(rf"^(?:{_LEAD})*(?P<size>(?:{_SIZE} )*)(?P<q>[a-z][a-z'-]*?(?:ier|er))"
                          rf"(?: {_TAIL})*$")
# a size and a quality with no "more": "make it super hazy", "a little dreamy", "kinda wintery?" (a photo
# problem only after a verb: "a bit harsh" and "very muddy" say what the photo is)
_SIZED = re.compile(rf"^(?P<lead>(?:{_LEAD})*)(?P<size>(?:{_SIZE} )+)(?P<q>[a-z][a-z'-]*)(?: {_TAIL})*$")
_CLEAN = re.compile(r"[^a-z0-9' ,.!?;-]+")
# what may be said beside the request: a state ("its too plain", "it feels flat", "kinda boring") or filler
_STATED = frozenset({"its", "it's", "is", "are", "looks", "look", "looking", "feels", "feel", "feeling",
                     "seems", "so", "too", "kinda", "rn", "af", "super", "really", "very", "way", "sooo",
                     "boring", "plain", "flat", "dull", "bland", "basic", "lifeless", "meh", "blah", "modern",
                     "currently", "right", "now", "atm"})
_FILLER = frozenset({"pls", "please", "plz", "thx", "thanks", "ty", "tbh", "lol", "lmao", "haha", "hmm", "ok",
                     "okay", "maybe", "mate", "yo", "hey", "umm", "um", "ngl", "idk", "honestly"})
# words that are never a quality of their own
_NOT = frozenset({"it", "that", "this", "so", "please", "pls", "of", "the", "a", "an", "more", "less",
                  "like", "same", "again", "stuff"})
_HELD = re.compile(r"([a-z])\1{2,}")


def read(text: str) -> More | None:
    """The quality a request asks more of and how much (:class:`More`), or ``None`` when it asks anything
    else: a direction the reader reads ("more contrast", "warmer", "more red" and "punchier" are
    corrections, whose sizes are read elsewhere), less of something, a look with a change ("golden hour,
    moodier"), two qualities, numbers."""
    t = _CLEAN.sub(" ", str(text).lower())
    t = re.sub(r"\s+", " ", t).strip(" ,.!?;-")
    if not t or re.search(r"\d|\bless\b|\bnot\b|\bno\b|\bbut\b|\band\b|\bwith\b|&|\+", t):
        return None
    clauses = [c.strip(" -") for c in re.split(r"[,.!?;]+", t) if c.strip(" -")]
    found = [(k, m) for k, c in enumerate(clauses) if (m := _ask(c)) is not None]
    if len(found) != 1:
        return None
    k, more = found[0]
    for j, c in enumerate(clauses):
        words = set(c.split())
        if j != k and not (words <= _FILLER or words & _STATED):
            return None  # "golden hour, moodier": a look and a change, read elsewhere
    return more


def read_either(read_words: str, typed: str) -> More | None:
    """:func:`read` of the words as the student reads them (wrappers off, slips repaired), else of the words
    as typed, where a wrapper or a hedge the reading drops says how much or that a photo problem is asked
    for ("make it kinda vintage", "make it super hazy") and the quality's words are the same in both (not a
    slip the reading repairs: "more saturatd kodachrome")."""
    if (m := read(read_words)) is not None:
        return m
    said = read(typed)
    if said is None or not set(said.quality.split()) <= set(re.findall(r"[a-z0-9'-]+", read_words.lower())):
        return None
    return said


def lookups(more: More, stored: Callable[[str], bool]) -> tuple[str | None, list[str]]:
    """``(form, forms)``: the first of the quality's forms (:func:`forms`) that is ``stored`` word for word,
    to answer with, or ``None``; and the forms to find the nearest stored look by where none is. A
    comparative is looked up by its base ("moodier" is "moody"); a word not said "-ier" is one only where
    its base is stored ("bolder": "bold"), else it is a look as said where a size is said ("very
    sinister") and nothing where none is ("underwater vibe": the student's answer stands)."""
    fs = forms(more.quality)
    if more.comparative:
        fs = fs[1:]
        if not more.quality.endswith("ier") and not any(stored(f) for f in fs):
            fs = forms(more.quality)[:1] if more.size else []
    return next((f for f in fs if stored(f)), None), fs


def _ask(clause: str) -> More | None:
    """The request for more of a quality in one clause, or ``None``."""
    c = _HELD.sub(r"\1", clause)  # a letter held down, let go: "waaay" → "way", "sooo" → "so"
    for pat, comparative in ((_MORE, False), (_COMPARATIVE, True), (_SIZED, False)):
        m = pat.match(c)
        if m is None:
            continue
        q = m.group("q").strip(" -'")
        size = size_class(c.replace(m.group("q"), " ")) if m.group("size") or pat is _MORE else 0
        if pat is _SIZED and (not m.group("size").strip() or (
                not re.search(r"\b(?:make|get|go|be|look|feel|needs?|want|like)\b", m.group("lead"))
                and any(opposite.problem(f) is not None for f in forms(q)))):
            continue
        if not _quality(q, comparative):
            continue
        return More(q, max(-1, min(size, 1)), comparative)
    return None


#: qualities the direction reader reads as a slider or two that are looks of their own when asked more of
#: ("more faded" is the faded look, lifted blacks and all, not only less colour)
LOOKS = frozenset({"faded", "washed out", "dreamy", "hazy", "haze", "misty", "foggy", "smoky", "intense",
                   "harsh", "muted", "grungy", "dingy"})


def _quality(q: str, comparative: bool) -> bool:
    """``q`` may be a quality: one to three words, none a filler word, no direction the direction reader
    reads ("more contrast", "greener", "brighter", "a bit softer": corrections, sized elsewhere) unless it
    is one of :data:`LOOKS` ("more faded", "hazier"), and a comparative one word."""
    words = q.split()
    if not words or len(words) > 3 or q in _NOT or set(words) & _NOT - {"the", "a", "an", "of"}:
        return False
    if comparative and (len(words) != 1 or len(q) < 6):
        return False
    look = q in LOOKS or (comparative and any(f in LOOKS for f in forms(q)[1:]))
    return look or not (set(words) & known_words() or set(forms(q)) & known_words() or signature(f"more {q}"))


def forms(quality: str) -> list[str]:
    """The quality's forms to look it up by, first as said: a comparative's base ("moodier" → "moody",
    "edgier" → "edgy", "bolder" → "bold", "hotter" → "hot"), a noun's adjective ("drama" → "dramatic"),
    and :func:`opposite.forms`' endings ("cyberpunk-y" → "cyberpunk")."""
    q = quality.strip()
    out: list[str] = []

    def add(x: str) -> None:
        for f in opposite.forms(x):
            if f and f not in out:
                out.append(f)

    add(q)
    if " " not in q:
        for base in bases(q):
            add(base)
    for f in list(out):
        if f in _NOUNS:
            add(_NOUNS[f])
    return out


def bases(word: str) -> list[str]:
    """What one word may be the comparative of: "moodier" → "moody"; "bolder" → "bold", "bolde";
    "hotter" → "hot", "hott", "hotte". Whether it is one is for the caller to find (a base stored as a
    request: "underwater" is no comparative of "underwat")."""
    if word.endswith("ier") and len(word) > 5:
        return [word[:-3] + "y"]
    if not word.endswith("er") or len(word) < 5:
        return []
    doubled = [word[:-3]] if len(word) > 5 and word[-3] == word[-4] else []
    return [*doubled, word[:-2], word[:-1]]


def directions(quality: str) -> frozenset[tuple[str, int]]:
    """What "more ``quality``" asks for where the quality is a photo problem the app can make more of
    (``opposite.PROBLEMS``: "hazy" lowers contrast and lifts the shadows, "intense" adds contrast and
    colour): the way out of it turned round; empty for any other quality."""
    for f in forms(quality):
        if (known := opposite.problem(f)) is not None:
            return frozenset((a, -s) for a, s in known)
    return frozenset()


def made(look: ToolChain, size: int) -> ToolChain:
    """``look`` as much as ``size`` says (-1 slight, 0 plain, 1 strong: :data:`FACTOR`)."""
    factor = FACTOR[max(-1, min(1, size))]
    return look if factor == 1.0 else strength.scale(look, factor)
