"""What a request says *not* to do: "just brighter, don't touch the colours", "cooler but keep the skin
tones natural", "more contrast without crushing the shadows", "black and white except the red", and the
states said with a "not" ("shouldn't be this dark", "the grass isn't green enough").

The student answers a request from the nearest stored requests, whose words are mostly positive: a
clause that says what to leave alone was answered as a look of its own ("nothing too crazy" gave contrast
−45), read as the change it names ("don't blow out the highlights" gave highlights +25 and lost
"brighter"), and a colour splash stayed in colour or went fully grey. Here such a request is read into

* the rest: the request without its limits (negated states rewritten as the complaint they are: "the
  shadows shouldn't be this black" → "the shadows too dark"), answered as before;
* holds: an attribute (:func:`~vibegrade.students.direction.signature`'s names) and the way it must not
  go: ``1`` not more ("don't let it go purple"), ``-1`` not less ("without losing the contrast"), ``0``
  not at all ("leave the greens alone"); :func:`apply` sets back every value of the answer that moves
  the attribute the forbidden way, except values of an attribute the rest asks to change; a colour (or
  "the colours") is held by how it looks: its range (or the saturation) is moved until its swatches'
  chroma is back near the photo's, as the teacher keeps skin natural under a warm look;
* a kept colour: everything else grey (:func:`splash`).

A request that says only what not to do ("keep it warm") is left to the student whole.

``docs/experiments.md``, "What not to do" (blind set ``data/vibes/limits/``).
"""

from __future__ import annotations

import colorsys
import re
from dataclasses import dataclass

import numpy as np

from vibegrade.schema import SELECTIVE_COLORS, Filter, SelectiveAdjust, ToolChain
from vibegrade.students.answer_check import named_values, plain_request, value_moves
from vibegrade.students.direction import signature
from vibegrade.tools.adjust import apply_color
from vibegrade.tools.chain import color_stages, color_transform
from vibegrade.tools.selective import apply_selective

__all__ = ["Hold", "Limits", "read", "apply", "splash", "SPLASH_SATURATION", "SWATCH_HUES", "swatches",
           "chroma_kept", "HOLD_BAND", "COMPENSATION"]

#: an attribute and the way it must not go (1 more, -1 less, 0 either way)
Hold = tuple[str, int]

#: the hue (HSV, degrees) of each colour's swatches: what "the red", "the skin" (orange) or "the sky" (blue)
#: looks like in a photo, rendered through a chain to see what it does to that colour
SWATCH_HUES = {"red": 0.0, "orange": 28.0, "yellow": 55.0, "green": 120.0, "blue": 220.0, "magenta": 285.0}
#: how far a held colour's chroma may move before :func:`apply` moves it back (ratio to the photo or the
#: current chain): "keep the skin natural" within (0.9, 1.1); "don't let it go orange" not above 1 and
#: "don't lose the colour" not below 1 (the refinement authors ease the orange of "warmer but don't let it
#: go orange" however little the warmth adds)
HOLD_BAND = {0: (0.9, 1.1), 1: (0.0, 1.0), -1: (1.0, float("inf"))}

#: the most :func:`apply` moves a range or the saturation to hold a colour (the style guide's plain size)
COMPENSATION = 30
#: the saturation a kept colour gets at least (the teacher's "black and white but keep the reds": +40)
SPLASH_SATURATION = 30


@dataclass(frozen=True)
class Limits:
    """A request read into what to answer (``rest``; ``""``: nothing but the limits), what must not move
    (``holds``) and, for a colour splash, the colour kept (``keep``: a name of
    :data:`~vibegrade.students.direction.COLOURS`)."""

    rest: str
    holds: tuple[Hold, ...] = ()
    keep: str | None = None


_COLOUR_WORDS = {"red": "red", "reds": "red", "pink": "red", "pinks": "red", "orange": "orange",
                 "oranges": "orange", "yellow": "yellow", "yellows": "yellow", "green": "green",
                 "greens": "green", "blue": "blue", "blues": "blue", "teal": "blue", "purple": "magenta",
                 "purples": "magenta", "violet": "magenta", "magenta": "magenta", "lavender": "magenta"}
_COLOUR = r"\b(" + "|".join(sorted(_COLOUR_WORDS, key=len, reverse=True)) + r")\b"
# the selective ranges that hold a kept colour (a blue sky lies across cyan and blue; purple, which has no
# range of its own, between red and blue)
_KEPT_RANGES = {"red": ("red",), "orange": ("orange",), "yellow": ("yellow",), "green": ("green",),
                "blue": ("cyan", "blue"), "magenta": ("red", "blue")}

# ---------------------------------------------------------------- colour splash
_BW = (r"bnw|black\s*(?:and|&|n|'n'?)\s*white|b\s*(?:&|and|n|/)\s*w|bw|mono(?:chrome|chromatic)?"
       r"|gr[ae]y(?:scale)?(?:ed)?|desat(?:urated?|urate)?"
       r"|(?:drain|strip|remove|kill|take out|suck out|lose|pull)(?: all)?"
       r"(?: of)?(?: the)? colou?rs?|no colou?rs?|colou?rless|colou?r ?(?:splash|pop)|selective colou?r"
       r"|(?:every|all the) other colou?rs|noir")
_BW_RE = re.compile(rf"\b(?:{_BW})\b")
# a splash spares a colour: "except", "but keep", "only", "stays", "rest grey"; not "grey sky, make it blue"
_SPARE = re.compile(r"\b(?:except(?:t|ing)?|exept|excpet|but|apart from|besides|other than|keep|keeping|kept"
                    r"|leave|leaving|only|stays?|still|in colou?r|pop|popping|splash|selective|save|rest|else"
                    r"|other colou?rs)\b")
_SOME = re.compile(r"\bdesat\w*\s+(?:it\s+|everything\s+)?(?:a (?:bit|little|touch|tad)|slightly|"
                   r"a little bit|somewhat|kinda|some)\b"
                   r"|\b(?:a (?:bit|little|touch|tad)|slightly|somewhat) desat")
# a splash said as the black-and-white look keeps its tone (the teacher: contrast and structure as for
# "black and white"); "desaturate everything but …", "grey except …" or "colour splash" is colour only
_BW_LOOK = re.compile(r"\b(?:bnw|bw|mono(?:chrome|chromatic)?|noir)\b")
_ONLY_IN_COLOUR = re.compile(r"\bonly\b.*\b(?:stays?|in|still) colou?r(?:ed|ful)?\b|\bcolou?r only\b"
                             r"|\b(?:keep|leave) only\b|\bonly keep\b")
_OTHERS = re.compile(r"\b(?:rest|everything else|all else|the others|everything|all other colou?rs)\b")
# a colour that tints the grey is no splash: "black and white with a red tint", "blue toned mono"
_TINT = re.compile(_COLOUR + r"[- ]?(?:tint|tinted|tones?|toned|cast|hue|wash|duotone|filter|ish)\b"
                   r"|\bduotone\b|\b(?:more|less|add|warm|cool)\b")

# ---------------------------------------------------------------- clauses
# "black and white", "b&w" and "b/w" are one word ("bnw") before a request is cut at "and", "&" or "/"
_BW_AND = re.compile(r"\b(?:black\s*(?:and|&|n|'n'?)\s*white|b\s*(?:&|and|n|/)\s*w)\b")
_CUT = re.compile(r"\s*(?:[,;!?]+|\.(?:\s+|$)|\s[-–—]\s|\b(?:but|tho|though|yet|while|plus|also)\b"
                  r"|\band(?= (?:dont|do not|never|keep|leave|without|no|not|avoid)\b)"
                  r"|(?<=\w)(?= (?:without|w/o|avoid|avoiding)\b))\s*")
_CUT_SPLASH = re.compile(r"\s*(?:[,;!?]+|\.(?:\s+|$)|\s[-–—]\s|\b(?:but|tho|though|yet|while|plus|also|and|"
                         r"then)\b|&)\s*")
_NEG = (r"(?:dont|do not|never|no need to|without|w/o|pls dont|please dont|avoid|avoiding|try not to"
        r"|not)")

# ---------------------------------------------------------------- holds
# what a "leave X alone" clause names: the attributes it holds
_NOUNS: dict[str, tuple[str, ...]] = {
    "colours": ("saturation", "temperature"), "colour": ("saturation", "temperature"),
    "colors": ("saturation", "temperature"), "color": ("saturation", "temperature"),
    "saturation": ("saturation",), "vibrance": ("saturation",), "sat": ("saturation",),
    "warmth": ("temperature",), "white balance": ("temperature",), "wb": ("temperature",),
    "temperature": ("temperature",), "temp": ("temperature",),
    "skin": ("orange",), "skin tones": ("orange",), "skin tone": ("orange",), "skintones": ("orange",),
    "skin colour": ("orange",), "skin color": ("orange",), "faces": ("orange",), "face": ("orange",),
    "skin tone colour": ("orange",), "complexion": ("orange",), "skin colours": ("orange",),
    "contrast": ("contrast",), "brightness": ("light",), "exposure": ("light",),
    "overall brightness": ("light",), "overall exposure": ("light",),
    "shadows": ("light@shadows",), "blacks": ("light@shadows",), "darks": ("light@shadows",),
    "shadow": ("light@shadows",), "highlights": ("light@highlights",), "whites": ("light@highlights",),
    "brights": ("light@highlights",), "highlight": ("light@highlights",),
    "sky": ("blue", "light@highlights"), "clouds": ("light@highlights",),
    "sharpness": ("sharpness",), "detail": ("sharpness",), "details": ("sharpness",),
    "clarity": ("sharpness",), "texture": ("sharpness",), "sharpening": ("sharpness",),
    "grass": ("green",), "trees": ("green",), "leaves": ("green",), "foliage": ("green",),
    **{w: (c,) for w, c in _COLOUR_WORDS.items() if w != "pink"},
}
# words around the noun of a "leave X alone" clause that say nothing more
_NOUN_FILLER = re.compile(r"\b(?:as it is|as they are|as is|the same|where (?:it|they) (?:is|are)|"
                          r"how (?:it|they) (?:is|are|was|were)|looking natural|looking normal|as well|"
                          r"like it is|the|my|her|"
                          r"his|their|its|it's|our|overall|natural|tones?(?= (?:the same|as))|alone|"
                          r"untouched|unchanged|realistic|normal|intact|please|pls|too|also|ok|okay|just|"
                          r"in place)\b")
_LEAVE = re.compile(rf"^(?:{_NEG} (?:touch|touching|change|changing|alter|altering|mess(?:ing)? with|"
                    r"affect|affecting|mess(?:ing)? up|ruin|ruining|shift|shifting)"
                    r"|(?:but )?(?:leave|leaving|keep|keeping|preserve|maintain|protect)) (?P<noun>.+)$")
_REST = re.compile(r"^(?:leave|keep|dont touch|do not touch|dont change|nothing)\b.*"
                   r"\b(?:else|rest|others?)\b"
                   r"|^(?:nothing (?:else|too crazy|crazy|wild|too wild|fancy|too much|over the top|"
                   r"extreme|too extreme|drastic|too drastic)|only that|that'?s it|nothing more)$")
_KEEP_STATE = re.compile(r"^(?:but )?(?:keep|keeping|leave) (?:it|everything|things|the (?:photo|image|pic"
                         r"|picture|look|mood|vibe)) (?:nice and |nice |kinda |still |looking )?"
                         r"(?P<adj>[a-z]+)(?: though| tho| still| too)?$")
_VERBS = (r"(?:bump|bumping|boost|boosting|raise|raising|increase|increasing|lower|lowering|"
          r"nuke|nuking|fry|frying|blow|blowing|clip|clipping|crush|crushing|lose|losing|let|letting|"
          r"make|making|go|going|turn|turning|get|getting|push|pushing|oversaturate|oversaturating|overexpose|overexposing|darken|"
          r"darkening|brighten|brightening|desaturate|desaturating|sharpen|sharpening|soften|softening|wash|"
          r"washing|kill|killing|flatten|flattening|mute|muting|it)")
_NOT_TO = re.compile(rf"^{_NEG} (?P<core>{_VERBS}\b.*)$")
_NO_FACES = re.compile(r"(?:" + _COLOUR + r")?\s*(?:faces?|skin(?: tones?)?|skintones?)$")
_BLOW = re.compile(r"\b(?:blow|blowing|clip|clipping|overexpose|overexposing|nuke|nuking|fry|frying)\b")
_WASH = re.compile(r"\b(?:wash|washing)\b(?:.*\bout\b)?")
_MUST_NOT = re.compile(r"^(?:the |her |his |my )?[a-z]+(?: [a-z]+)? (?:shouldnt|should not|mustnt|must not|"
                       r"cant|cannot|shouldnt ever) (?:go|get|turn|become|end up|look|be) (?P<adj>[a-z ]+)$")
_LOSE = re.compile(r"^(?:lose|losing)(?: all| any| too much)?(?: of)?(?: the| my)? (?P<noun>.+)$")
_BASE_FORM = {"bumping": "bump", "boosting": "boost", "raising": "raise", "increasing": "increase",
              "lowering": "lower", "crushing": "crush", "making": "make", "darkening": "darken",
              "brightening": "brighten",
              "oversaturating": "oversaturate", "desaturating": "desaturate", "sharpening": "sharpen",
              "softening": "soften", "flattening": "flatten", "muting": "mute", "killing": "kill",
              "pushing": "push", "overexposing": "overexpose"}
_GERUND = re.compile(r"\b(?:" + "|".join(_BASE_FORM) + r")\b")
# words of a "don't let it go X" clause the reader needs not: "let it go purple" is "purple"
_NOT_READ = re.compile(r"\b(?:let|letting|look|looking|it|them|the|go|going|get|getting|turn|turning|be"
                       r"|being)\b")
_KEEP_FROM = re.compile(r"^(?:keep|stop) (?:it|them|everything|things) from (?:turning|going|getting|becoming"
                        r"|looking) (?:too )?(?P<adj>[a-z]+)$")
_STAYS = re.compile(r"^(?P<noun>(?:the |my |her |his )?[a-z]+(?: [a-z]+)?) (?:stays?|remains?|stay put)"
                    r"(?: as (?:they are|it is|is)| the same| untouched| where (?:they|it) (?:are|is))?$")
_AVOID_COLOUR = re.compile(r"^(?:avoid|avoiding)(?: the| any)? " + _COLOUR + r"$")
_NO_STATE = re.compile(r"^(?:crushed|blown(?: out)?|clipped|muddy) [a-z]+$")
_DEGREE = re.compile(r"\b(?:too|so|this|that|overly|as)\b")
_TOO = re.compile(r"\b(?:too|overly)\b")

# ---------------------------------------------------------------- states said with a "not"
_SUBJ = r"(?P<subj>(?:the |my |her |his )?(?!is\b|are\b)[a-z]+(?: (?!is\b|are\b)[a-z]+)?)(?: is| are)?"
# (the text is read with "n't" as "nt": "shouldnt", "isnt")
_NEED_NOT = (r"(?:shouldnt|should not|doesnt need to|does not need to|dont need to|do not need to|neednt"
             r"|(?:isnt|is not|arent|are not|not) (?:meant|supposed) to)")
_IS_NOT = (r"(?:isnt|is not|arent|are not|not|doesnt look|does not look|dont look|do not look|doesnt seem"
           r"|does not seem|not looking)")
_STATES = [
    (re.compile(rf"^(?:{_SUBJ} )?{_NEED_NOT} (?:be|look) (?:this|that|so|as) (?P<adj>[a-z]+)$"),
     "{subj} too {adj}"),
    (re.compile(rf"^(?:i )?(?:dont|do not) (?:want|like|need) {_SUBJ} (?:this|that|so|as) (?P<adj>[a-z]+)$"),
     "{subj} too {adj}"),
    (re.compile(r"^(?:i )?(?:dont|do not) like how (?P<adj>[a-z]+) (?:it|this|everything|the [a-z]+) "
                r"(?:is|looks|are|look)$"), "too {adj}"),
    (re.compile(rf"^(?:{_SUBJ} )?{_IS_NOT}(?: quite| nearly| really| at all)? (?P<adj>[a-z]+) enough"
                r"(?: either)?$"), "{more} {subj}"),
    (re.compile(r"^(?:theres |there is )?not (?:nearly )?enough (?P<adj>[a-z].*)$"), "more {adj}"),
    (re.compile(rf"^(?:{_SUBJ} )?(?:isnt|is not|arent|are not|not) (?:popping|vivid|bright|colou?rful|punchy"
                r"|saturated)(?: at all)?$"), "{subj} more vivid"),
    (re.compile(r"^less,? not more,? (?P<adj>.+)$"), "less {adj}"),
    (re.compile(r"^more,? not less,? (?P<adj>.+)$"), "more {adj}"),
    (re.compile(r"^not so much (?P<adj>.+)$"), "less {adj}"),
    # after a look: "70s look without so much yellow", "kodak portra but not as warm", "autumn but don't
    # overdo the orange" ask for less of it than the look gives
    (re.compile(r"^(?:without|w/o) (?:so much|as much|too much|that much)(?: of)?(?: the)? "
                r"(?P<adj>[a-z].*)$"), "less {adj}"),
    (re.compile(r"^not as (?P<adj>[a-z]+)$"), "less {adj}"),
    (re.compile(r"^(?:dont|do not|never) overdo (?:it on )?(?:the )?(?P<adj>(?!it\b)[a-z].*)$"),
     "less {adj}"),
    (re.compile(rf"^(?:no more|lose|ditch|kill|nuke|drop|zap)(?: the| all the| that| those| all)? {_COLOUR}"
                r"(?P<adj> (?:tint|cast|tones?|colou?rs?))?$"), "remove the {colour}{adj}"),
]
# the reader reads "black" as deeper whatever comes before it: "the shadows too black" is too dark
_SAID_AS = {"black": "dark"}
# comparatives as people type them: "darker blacks", not "blacks more dark" (which the refinement model
# reads less well)
_COMPARATIVE = {"dark": "darker", "bright": "brighter", "warm": "warmer", "cool": "cooler", "cold": "colder",
                "green": "greener", "red": "redder", "blue": "bluer", "yellow": "yellower", "pink": "pinker",
                "rich": "richer", "deep": "deeper", "light": "lighter", "sharp": "sharper", "soft": "softer",
                "crisp": "crisper", "punchy": "punchier", "bold": "bolder", "strong": "stronger"}
_ARTICLE = re.compile(r"^(?:the|my|her|his) ")
_SUBJ_DROP = frozenset({"it", "its", "it's", "this", "that", "everything", "photo", "the photo", "image",
                        "the image", "pic", "the pic", "i", "colours", "colors"})


def _norm(text: str) -> str:
    """Lower case, one space, apostrophes of "don't" and "isn't" dropped (people type both)."""
    t = " ".join(str(text).lower().replace("’", "'").split())
    return re.sub(r"n't\b", "nt", t)


def _nouns(text: str) -> tuple[str, ...] | None:
    """The attributes a "leave X alone" clause names ("the colours" → saturation and temperature; "contrast
    and brightness" → both), or ``None`` when a part is no attribute."""
    left = _NOUN_FILLER.sub(" ", text)
    out: list[str] = []
    for part in re.split(r"\s*(?:\band\b|&|\bor\b|,|/)\s*", left):
        words = " ".join(part.split())
        if not words:
            continue
        attrs = _NOUNS.get(words) or _NOUNS.get(words.removesuffix(" tones")) or \
            _NOUNS.get(words.split()[-1])
        if attrs is None:
            return None
        out.extend(attrs)
    return tuple(dict.fromkeys(out)) or None


def _bare(clause: str) -> str:
    """A clause without its join, its politeness and its end punctuation."""
    c = re.sub(r"[^\w)]+$", "", clause.strip())
    c = re.sub(r"^(?:and|but|pls|please|just|also|tho|though)\s+", "", c)
    return re.sub(r"\s+(?:pls|please|tho|though|too|either|thx|thanks|lol|overall|at all)$", "", c)


def _hold(clause: str) -> tuple[Hold, ...] | None:
    """The holds a clause says, or ``None`` when it is not one."""
    c = _bare(clause)
    if _REST.match(c):
        return ()
    m = _KEEP_STATE.match(c)
    if m:
        sig = signature(m.group("adj"))
        return tuple((a, -s) for a, s in sig) if len(sig) == 1 and _checked(sig) else None
    m = _KEEP_FROM.match(c)
    if m:  # "keep it from turning orange": not more of it
        return _one_way(m.group("adj"))
    m = _LEAVE.match(c)
    if m:
        attrs = _nouns(m.group("noun"))
        return tuple((a, 0) for a in attrs) if attrs else None
    m = _NOT_TO.match(c)
    if m and re.search(r"\s(?:or|nor|and)\s", m.group("core")):
        # "avoid blowing out the highlights or crushing the shadows": each part
        parts = [_hold(f"dont {p}") for p in re.split(r"\s+(?:or|nor|and)\s+", m.group("core"))]
        if all(p is not None for p in parts):
            return tuple(h for p in parts if p for h in p)
    if m:
        core = m.group("core")
        if _BLOW.search(core):
            return (("light@highlights", 1),)  # "don't blow out the sky"
        if _WASH.search(core):
            return (("contrast", -1), ("saturation", -1))  # "without washing it out"
        lost = _LOSE.match(core)
        if lost:  # "without losing the contrast", "don't lose the colour"
            attrs = _nouns(lost.group("noun"))
            return tuple((a, -1) for a in attrs if a != "temperature") if attrs else None
        core = _GERUND.sub(lambda g: _BASE_FORM[g.group(0)], core)  # the reader reads "crush", not "crushing"
        if _DEGREE.search(core):
            return None  # "don't make it too dark": a change, read as one
        return _one_way(_NOT_READ.sub(" ", core))
    m = _MUST_NOT.match(c)
    if m and not _DEGREE.search(m.group("adj")):
        return _one_way(m.group("adj"))
    m = _STAYS.match(c)
    if m:  # "shadows stay as they are", "the greens stay the same"
        attrs = _nouns(m.group("noun"))
        return tuple((a, 0) for a in attrs) if attrs else None
    m = _AVOID_COLOUR.match(c)
    if m:  # "avoid yellow", "no purple tint" is a cast (a change) and not read here
        return ((_COLOUR_WORDS[m.group(1)], 1),)
    if c.startswith("no "):
        m = _NO_FACES.match(c[3:])
        if m and m.group(1):
            return ((_COLOUR_WORDS[m.group(1)], 1),)
        m = _NO_STATE.match(c[3:])
        if m:  # "no crushed blacks", "no blown highlights": that must not happen
            sig = signature(m.group(0))
            return tuple(sig) if len(sig) == 1 and _checked(sig) else None
    return None


def _checked(sig: frozenset[tuple[str, int]]) -> bool:
    return all(named_values(a) for a, _ in sig)


def _one_way(words: str) -> tuple[Hold, ...] | None:
    """What ``words`` must not do more of: the directions the reader reads in them, as holds one way, where
    there are one or two and every one is checked; else ``None``."""
    sig = signature(" ".join(words.split()))
    return tuple(sig) if sig and len(sig) <= 2 and _checked(sig) else None


def _state(clause: str) -> str | None:
    """A state said with a "not", as the complaint or wish it is, where the reader reads that."""
    c = re.sub(r"[^\w)]+$", "", clause.strip())
    c = re.sub(r"\s+(?:pls|please|at all|tbh|lol|either|honestly|though|tho)$", "", c)
    for rx, out in _STATES:
        m = rx.match(c)
        if not m:
            continue
        groups = m.groupdict()
        subj = (groups.get("subj") or "").strip()
        subj = "" if subj in _SUBJ_DROP else subj
        adj = _SAID_AS.get(groups.get("adj") or "", groups.get("adj") or "")
        more = _COMPARATIVE.get(adj, f"more {adj}")  # "the grass isn't green enough": "greener grass"
        # "lose the green": "remove the green"
        colour = next((g for g in m.groups() if g in _COLOUR_WORDS), "")
        said = out.format(subj=_ARTICLE.sub("", subj) if "{more}" in out else subj, adj=adj, more=more,
                          colour=colour).strip()
        said = " ".join(said.split())
        if signature(said):
            return said
    return None


def _pieces(text: str, cut: re.Pattern[str]) -> list[tuple[str, str]]:
    """``text`` cut into (clause, the separator after it)."""
    out: list[tuple[str, str]] = []
    pos = 0
    for m in cut.finditer(text):
        if m.start() == 0 and not out:
            pos = m.end()
            continue
        out.append((text[pos:m.start()], m.group(0)))
        pos = m.end()
    out.append((text[pos:], ""))
    return [(c, s) for c, s in out if c.strip() or s.strip()]


def _splash(text: str) -> tuple[str, str] | None:
    """``(kept colour, the rest)`` of a colour splash ("black and white except the red", "keep the orange
    sunset, everything else grey", "colour splash on the red umbrella"), else ``None``. The rest is the
    other clauses, after the black-and-white look where the request names it."""
    t = _BW_AND.sub("bnw", text)
    if not (_BW_RE.search(t) and _SPARE.search(t)) and not _ONLY_IN_COLOUR.search(t):
        return None
    if _SOME.search(t):
        return None  # "desaturate a bit but leave the reds": less colour, the reds held
    kept: set[str] = set()
    rest: list[str] = []
    look = ""
    for clause, _ in _pieces(t, _CUT_SPLASH):
        c = clause.strip()
        named = _BW_LOOK.search(c)
        if named and not look:  # "black and white except the red": the black-and-white look's tone too
            look = "noir" if named.group(0) == "noir" else "black and white"
        colours = {_COLOUR_WORDS[w] for w in re.findall(_COLOUR, c)}
        if colours and not _TINT.search(c):
            kept |= colours  # "the red car", "only the blue in colour", "her red dress"
        elif not (_BW_RE.search(c) or _OTHERS.search(c)) and c:
            rest.append(c)  # not "rest greyscale pls", "everything else b&w"
    if len(kept) != 1:
        return None  # no colour, or two kept: not one splash
    rest = [look, *rest] if look else rest
    return kept.pop(), ", ".join(rest)


def _degree_hold(clause: str) -> tuple[Hold, ...] | None:
    """A "not" of degree ("don't make it too orange", "dont make the sky too blue") as a hold one way:
    what it names must not go further ("orange" not more, "too dark" not darker). Said after a change it
    limits the change; after a look, or alone, it is a change of its own (:func:`_hold` leaves it to the
    student: "golden hour but don't make it too yellow" eases the yellow, as the teacher does)."""
    m = _NOT_TO.match(_bare(clause))
    if m is None or not _TOO.search(m.group("core")):
        return None  # "not lose that dark moody atmosphere" is no degree
    core = _NOT_READ.sub(" ", _TOO.sub(" ", m.group("core")))
    return _one_way(" ".join(w for w in core.split() if w not in ("make", "making", "made")))


def read(text: str) -> Limits | None:
    """The limits of a request (as typed, lower case or not), or ``None`` when it says none."""
    t = _norm(text)
    if not t or not (_BW_RE.search(t) or re.search(
            r"\b(?:not?|dont|never|without|w/o|avoid|avoiding|keep|keeping|leave|leaving|except|exept|but|only|"
            r"rest|else|shouldnt|doesnt|isnt|arent|neednt|less|more|lose|ditch|kill|nuke|drop|zap|preserve|"
            r"maintain|protect|enough|nothing)\b", t)):
        return None
    keep: str | None = None
    found = _splash(t)
    if found is not None:
        keep, t = found
    holds: list[Hold] = []
    rest: list[str] = []
    changed = keep is not None
    for clause, sep in _pieces(_BW_AND.sub("bnw", t), _CUT):
        said = _hold(clause)
        if said is None and rest and plain_request(_joined(rest)):
            said = _degree_hold(clause)  # "warmer but don't make it too orange": after a change, a limit
        if said is not None:
            holds.extend(said)
            changed = True
            continue
        state = _state(clause)
        if state is not None:
            changed = True
            clause = state
        if clause.strip():
            # "but" stays where it joins a look and a change ("moody but lighter"); other joins are commas;
            # a removed clause takes its join with it
            rest.append(clause.strip() + (" but" if sep.strip() == "but" else ","))
    if not changed or not rest and keep is None:
        return None  # nothing said, or only what not to do ("keep it warm"): the student reads it whole
    return Limits(_joined(rest), tuple(dict.fromkeys(holds)), keep)


def _joined(rest: list[str]) -> str:
    """The clauses that are no limit, as one request (their last join dropped)."""
    out = re.sub(r"[^\w)]+$", "", " ".join(rest))
    out = re.sub(r"\s*\b(?:but|and|tho|though|just|only)$", "", out).strip(" ,;")
    return " ".join(out.replace("bnw", "black and white").split())


def apply(chain: ToolChain, limits: Limits, before: ToolChain | None = None) -> ToolChain:
    """``chain`` with the holds of ``limits`` kept, then the splash, where there is one.

    ``before`` is what the holds keep (default: the photo as it is; a follow-up's: the current chain).
    A colour (but purple, which has no range of its own) or the colours as a whole ("keep the colours")
    is held by how it looks: its swatches' chroma is brought back near ``before``'s with its range
    saturation (:func:`_compensate`), the teacher's way ("warmer but keep skin natural": orange eased).
    Every other hold sets back to ``before``'s value each value that moves the attribute the forbidden
    way from it. Nothing the rest asks to change is touched ("more saturated but keep the skin natural"
    keeps its saturation)."""
    ref = before if before is not None else ToolChain()
    asked = {k for a, _ in signature(limits.rest) for k in _own_values(a)}
    values, was = chain.adjust.model_dump(), ref.adjust.model_dump()
    sel, sel_was = chain.selective_adjust.model_dump(), ref.selective_adjust.model_dump()
    later: list[Hold] = []
    for attr, way in limits.holds:
        if _knob_free(attr, asked):
            later.append((attr, way))
            continue
        signs = (1, -1) if way == 0 else (way,)
        for key in named_values(attr) - asked:
            colour, _, channel = key.partition(".")
            if not channel and attr.split("@")[0] in _KEPT_RANGES:
                continue  # a colour's white balance: the rest's to move
            now, then = ((sel[colour][channel], sel_was[colour][channel]) if channel
                         else (values[key], was[key]))
            if now != then and any(value_moves(key, now - then, attr, s) for s in signs):
                if channel:
                    sel[colour][channel] = then
                else:
                    values[key] = then
    out = ToolChain.model_validate({**chain.model_dump(), "adjust": values, "selective_adjust": sel})
    if not limits.keep:
        for attr, way in later:
            out = _compensate(out, attr, way, ref)
    return splash(out, limits.keep) if limits.keep else out


def _knob_free(attr: str, asked: set[str]) -> bool:
    """A hold :func:`_compensate` keeps: a colour with a range of its own, or saturation, whose knob the
    rest does not ask to move."""
    if attr == "saturation":
        return "saturation" not in asked
    return attr in _KEPT_RANGES and attr != "magenta" and \
        not any(f"{r}.saturation" in asked for r in _KEPT_RANGES[attr])


def swatches() -> np.ndarray:
    """``(6, 4, 3)`` encoded RGB in [0, 1]: per colour of :data:`SWATCH_HUES`, its hue at saturation 0.5 and
    0.8 and value 0.5 and 0.8."""
    return np.array([[colorsys.hsv_to_rgb(h / 360.0, s, v) for s in (0.5, 0.8) for v in (0.5, 0.8)]
                     for h in SWATCH_HUES.values()], dtype=np.float32)


def _chroma(rgb: np.ndarray) -> np.ndarray:
    return (rgb.max(-1) - rgb.min(-1)).mean(-1)


def chroma_kept(chain: ToolChain) -> dict[str, float]:
    """Per colour of :data:`SWATCH_HUES`, the share of its swatches' chroma (max − min of RGB) left after
    ``chain``'s colour work (1: as in the photo; 0: grey)."""
    x = swatches()
    adjust, selective, filter_ = color_stages(chain)
    ratio = _chroma(filter_(selective(adjust(x)))) / _chroma(x)
    return {c: float(r) for c, r in zip(SWATCH_HUES, ratio)}


def _compensate(chain: ToolChain, attr: str, way: int, ref: ToolChain) -> ToolChain:
    """A held colour ("keep the skin natural", "no orange skin") or the colours as a whole ("keep the
    colours", "don't lose the colour") brought back into :data:`HOLD_BAND` of ``ref``'s chroma, by the
    colour's own range saturation or the global saturation: the way the teacher keeps skin natural under a
    warm look (orange eased) or under a muted one (orange raised)."""
    x = swatches()
    idx = list(range(len(SWATCH_HUES))) if attr == "saturation" else [list(SWATCH_HUES).index(attr)]
    adjust, selective, filter_ = color_stages(chain)  # built once: a preset's LUT loads here
    before = _chroma(x[idx]) if ref.is_identity else _chroma(color_transform(ref)(x)[idx])
    adjusted = adjust(x)

    def held(knob: int) -> float:
        """The held swatches' chroma ratio with the knob at ``knob``."""
        if attr == "saturation":
            y = filter_(selective(apply_color(x, chain.adjust.model_copy(update={"saturation": knob}))))
        else:
            sel = chain.selective_adjust.model_dump()
            for r in _KEPT_RANGES[attr]:
                sel[r]["saturation"] = knob
            y = filter_(apply_selective(adjusted, SelectiveAdjust.model_validate(sel)))
        return float(np.mean(_chroma(y[idx]) / before))

    knob0 = chain.adjust.saturation if attr == "saturation" else \
        getattr(chain.selective_adjust, _KEPT_RANGES[attr][-1]).saturation
    lo, hi = HOLD_BAND[way]
    now = held(knob0)
    if lo <= now <= hi:
        return chain
    target = 1.0 if way == 0 else (hi if now > hi else lo)
    # the ratio rises with the knob: bisect for the target, within COMPENSATION of where the answer has it
    # (a preset that takes most colour out cannot be undone by a range: "keep skin natural" after a
    # near-monochrome look raises the orange by COMPENSATION, not to +100)
    a, b = max(-100, knob0 - COMPENSATION), min(100, knob0 + COMPENSATION)
    while b - a > 1:
        mid = (a + b) // 2
        if held(mid) < target:
            a = mid
        else:
            b = mid
    knob = min((a, b), key=lambda k: abs(held(k) - target))
    if attr == "saturation":
        return chain.model_copy(update={"adjust": chain.adjust.model_copy(update={"saturation": knob})})
    sel = chain.selective_adjust.model_dump()
    for r in _KEPT_RANGES[attr]:
        sel[r]["saturation"] = knob
    return chain.model_copy(update={"selective_adjust": SelectiveAdjust.model_validate(sel)})


def _own_values(attr: str) -> frozenset[str]:
    """The values an attribute the rest asks to change keeps from a hold: its own, not those it only reads
    (a colour's white balance, the contrast and glow of "softer"): "tone down the orange but leave the
    warmth" holds the temperature, "soften it but don't lose the contrast" the contrast."""
    keys = named_values(attr)
    if attr.split("@")[0] in _KEPT_RANGES:
        return frozenset(k for k in keys if "." in k)
    return keys - {"bloom", "contrast"} if attr == "sharpness" else keys


def splash(chain: ToolChain, colour: str) -> ToolChain:
    """A colour splash: every range but the kept colour's fully desaturated, the kept colour at least
    :data:`SPLASH_SATURATION`, no global desaturation and no preset (a preset would tint the greys or
    take the colour out); tone, white balance and the rest as ``chain`` has them."""
    if colour not in _KEPT_RANGES:
        raise ValueError(f"unknown colour {colour!r} (one of {', '.join(_KEPT_RANGES)})")
    keep = _KEPT_RANGES[colour]
    values = chain.adjust.model_dump()
    values["saturation"] = max(values["saturation"], 0)
    values["vibrance"] = max(values["vibrance"], 0)
    sel = chain.selective_adjust.model_dump()
    for r in SELECTIVE_COLORS:
        sel[r]["saturation"] = max(sel[r]["saturation"], SPLASH_SATURATION) if r in keep else -100
    return ToolChain.model_validate({**chain.model_dump(), "adjust": values, "selective_adjust": sel,
                                     "filter": Filter().model_dump()})
