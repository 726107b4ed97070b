"""Which way a follow-up that scales the whole look goes: "take it further", "this is way too mild, i want
loads more of it" (stronger); "the effect is twice as strong as it should be", "pull the look back some"
(weaker).

The refinement model's factor head reads a scale follow-up's size from its embedding, and on wordings it
was not taught it can get the way wrong ("take it further" at × 0.78). :func:`way` reads the way from the
words; :func:`checked_factor` keeps the head's factor where it goes that way and otherwise takes the
taught factor for the way and the size the words say (:data:`FACTORS`: the factors of the ``scale``
meanings of ``data/refine/``).
"""

from __future__ import annotations

import re

from vibegrade.students.direction import size_class

__all__ = ["FACTORS", "way", "checked_factor"]

#: the taught factors of the scale meanings (``refine/scale/up-1.2`` …), by way and by size
#: (:func:`~vibegrade.students.direction.size_class`: −1 slight, 0 plain, 1 strong)
FACTORS: dict[int, dict[int, float]] = {1: {-1: 1.2, 0: 1.4, 1: 1.8, 2: 1.8},
                                        -1: {-1: 0.8, 0: 0.6, 1: 0.35, 2: 0.35}}
#: how far from 1 a factor must be to count as going one way
MARGIN = 0.05

_WHOLE = r"(?:it|this|that|things|the\s+(?:look|effect|grade|edit|filter|style|whole\s+(?:thing|look|grade)))"
# phrases that say the look is too much or ask for less of it
_DOWN = re.compile(
    r"\b(?:too\s+(?:much|strong|heavy|intense|loud|far|obvious|overpowering|extreme|full[- ]on"
    r"|over\s+the\s+top)"
    r"|overdone|overcooked|over\s+the\s+top|overkill|overpowering|a\s+bit\s+much"
    rf"|less\s+(?:strong|intense|heavy|extreme|obvious|of\s+{_WHOLE})"
    rf"|(?:tone|dial|pull|scale|rein|calm|knock|turn|bring|back|ease|wind)\s+(?:{_WHOLE}\s+)?"
    r"(?:down|back|in|off|up\s+on)"
    r"|ease\s+(?:up|off)|weaker|subtler|milder|lighter\s+touch|half|halve|barely\s+there"
    r"|(?:twice|double|\d+x)\s+as\s+(?:strong|much|heavy|intense)\s+as\s+(?:it\s+)?(?:should|needs?|i\s+want))\b"
    r"|↓")
# phrases that say the look is too little or ask for more of it
_UP = re.compile(
    r"\b(?:too\s+(?:mild|weak|subtle|faint|light|timid|tame|soft|gentle|quiet)"
    r"|not\s+(?:strong|intense|heavy|obvious|bold|enough)|underdone|under-done"
    rf"|more\s+of\s+{_WHOLE}|stronger|further|harder|bolder|intensif(?:y|ied)|double|twice|crank|amp"
    r"|turn\s+it\s+up|push|lean\s+in|max|more\s+intense|heavier"
    r"|(?:way|loads|lots|heaps|much|a\s+lot|a\s+bit|a\s+little|a\s+touch|bit)\s+more)\b"
    r"|↑")
# "half as strong as i want" (more), "about double what i'd like" (less): said against what is wanted
_OF_WANTED = re.compile(r"\b(half|double|twice|2x)\s+(?:as\s+[a-z]+\s+as|of\s+what|what)\s+(?:i|we)\b")
# single words, read only where no phrase above decides
_DOWN_WORD = re.compile(r"\b(?:less|subtle|subtler|hint|trace|whisper|faint|faintest|ghost|fraction|heavy"
                        r"|heavy-handed|shouting|screaming|down|back|in|overboard|third|quarter|toned)\b|½")
_UP_WORD = re.compile(r"\b(?:more|moar+|up|x2|2x|dbl|big|bigger|timid|ramp|stronger+|double)\b|×\s*2")


def way(text: str) -> int | None:
    """+1 where a follow-up about the whole look's strength asks for more of it, −1 for less, ``None`` where
    its words do not say (or say both). Meant for follow-ups already known to scale the look: a plain
    "more" or "down" counts."""
    t = " ".join(str(text).lower().replace("’", "'").split())
    said = _OF_WANTED.search(t)
    if said:
        return 1 if said.group(1) == "half" else -1
    down = bool(_DOWN.search(t))
    up = bool(_UP.search(_DOWN.sub(" ", t) if down else t))
    if down != up:
        return 1 if up else -1
    percents = [int(x) for x in re.findall(r"(\d+)\s*%", t)]
    if len(percents) == 1 and percents[0] != 100:  # "80% pls", "120%"
        return 1 if percents[0] > 100 else -1
    down, up = bool(_DOWN_WORD.search(t)), bool(_UP_WORD.search(t))
    if down == up:
        return None
    return 1 if up else -1


def checked_factor(text: str, factor: float) -> float:
    """``factor`` where it goes the way the words say (by more than :data:`MARGIN`) or they do not say;
    else the taught factor for that way at the size the words say ("take it further" × 0.78 → × 1.4)."""
    w = way(text)
    if w is None or (factor - 1.0) * w > MARGIN:
        return factor
    return FACTORS[w][size_class(text)]
