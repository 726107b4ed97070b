"""Does a stored answer do what a plain correction's words say?

The direction guard (:mod:`vibegrade.students.direction`) compares two *requests*; it cannot help when
the nearest stored request says nothing it can read ("tone it down" for "tone down the brightness") or
names another edit the same way ("lighter water" for "lighter"). This module compares a request with an
*answer*: for a **plain correction** -- every word is a direction, size, region, filler or slider-verb
word, one of them corrects (a size, "more", "less", "too", a verb, a comparative or a sign: bare "warm"
is a look), and the words name one attribute ("lighter", "a little less saturated", "tone down the
blues", "raise the contrast") -- the answer must move that attribute the way the words say:

==================  =========================================================================
attribute (sign s)  the answer moves, in direction s (or as stated)
==================  =========================================================================
temperature         temperature
contrast            contrast
saturation          saturation or vibrance
light               exposure or brightness
exposure_level      exposure
light@shadows       shadows or linearOffset (the black level)
light@highlights    highlights
glow (s = +1)       bloom (bloom cannot go below 0: "less glow" is not checked)
sharpness           sharpen or structure; s = -1 also bloom up or contrast down ("softer")
a colour            that range's saturation or luminance; or white balance toward it (s = +1) or
                    away from it (s = -1): temperature down for blue and cyan, up for red,
                    orange and yellow; tint down for green, up for magenta; magenta is the red
                    and blue ranges
a colour's cast     the white balance toward it or away from it, as above ("its got a really
                    green tint", "everythings super blue"); "tone" and "max" casts are looks
==================  =========================================================================

States are read first (:func:`vibegrade.students.direction.restate`): "reds look weak" is "more reds",
"its really orange" an orange cast, "highlights way too hot" too bright highlights. Words the teacher
reads either way make a request not plain ("flat photo" asks for more contrast, bare "hazy" is a look
with less; "fix the shadows", "low contrast", "blues a little weaker"), unless "too" or "so" comes
before them ("its so flat"). An exposure word is checked only as a state said of the picture ("kinda
overexposed tbh", "bit underexposed": the light the other way); bare "overexposed" and anything that
asks for it are looks (exposure up in the data). Everything else (looks, several attributes, other
regions) is not checked: :func:`follows` returns ``None``.

Measured on the v2.2 vibes data (13,679 requests, read as the student reads them): the check judges 898 and
the teacher's answer passes in 890. The eight others are wordings the reader takes another way ("SUPER
HOT" is a look, "shadows a bit too dark" a region, "a light warm tone" reads "light" as a size), which
is why the student uses the check to choose among stored answers and keeps the nearest answer where no
stored one passes (:meth:`vibegrade.students.encoder_student.EncoderStudent.neighbours`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from types import SimpleNamespace

from vibegrade.schema import ADJUST_KEYS, SELECTIVE_COLORS, ToolChain
from vibegrade.students import direction
from vibegrade.students.refine_features import PARAM_KEYS, chain_vector, vector_chain

__all__ = ["plain_request", "checked_direction", "checked_signature", "checkable", "moves", "moves_change",
           "moves_clearly", "moves_range", "names_range", "named_values", "follows", "follows_change",
           "correcting_words", "warm_it", "value_moves", "GUIDE_SIZES", "size_band", "as_said"]

# words that carry no look: articles, pronouns, "photo", asking, politeness, verbs of moving a slider and
# the states of the whites and blacks the reader reads ("the bright parts are totally blown")
_FILLER = frozenset("""
    a an the it its it's this that my me photo pic picture image please pls plz make is are be too so more
    much very way lot bit little of up some can you u could just i want need needs overall everything whole
    all abit alot kinda bring pull push take turn put get give dial knock nudge set go hair tiny teeny wee
    notch tad look looks looking feel feels seem seems r parts bits areas totally completely
    blown clipped clipping overblown burnt burned grey gray greyish grayish dingy dirty milky lifted
    loads heaps ton tons back ease tame side on white balance toned there's theres there got tint cast tinge
    everythings everything's channel tbh ugh maybe really cooling warming hot blowing in
    them they those these we us imo omg hmm lol rn ngl smh nuked fried tones
    thing away drop come noticeably image af enhance
    """.split())
_TOKEN = re.compile(r"[a-z]+(?:['-][a-z]+)?")
_NOTHING = ToolChain()
# the adjust values each attribute of the table moves in its own direction (glow and sharpness below)
_ADJUST_VALUES: dict[str, tuple[str, ...]] = {
    "temperature": ("temperature",), "contrast": ("contrast",), "saturation": ("saturation", "vibrance"),
    "light": ("exposure", "brightness"), "exposure_level": ("exposure",),
    "light@shadows": ("shadows", "linearOffset"), "light@highlights": ("highlights",)}
_SHARPNESS = ("sharpen", "structure")  # and, for "softer", bloom up or contrast down
# white balance that takes a colour out: (parameter, the sign that removes it)
_AWAY = {"blue": ("temperature", +1), "cyan": ("temperature", +1), "red": ("temperature", -1),
         "orange": ("temperature", -1), "yellow": ("temperature", -1), "green": ("tint", +1),
         "magenta": ("tint", -1)}
_RANGES = {"red": ("red",), "orange": ("orange",), "yellow": ("yellow",), "green": ("green",),
           "cyan": ("cyan",), "blue": ("blue",), "magenta": ("red", "blue")}


@lru_cache(maxsize=1)
def _plain_words() -> frozenset[str]:
    return direction.known_words() | direction.size_words() | _FILLER


def plain_words() -> frozenset[str]:
    """The words a plain correction is made of: direction, size, region and filler words."""
    return _plain_words()


# words that leave the direction to the photo or are read either way: "flat photo", "very blurry" and
# "hazy photo" are complaints (more contrast, sharpen, dehaze) but bare "hazy" is a look (less contrast,
# bloom); "low contrast" is low contrast; "fix the shadows" lifts them. The reader takes the first kind as
# asking for the state and reads "fix" as "less" ("blues a little weaker" as more blue), so these requests
# are not checked.
_EITHER_WAY = frozenset({"flat", "dull", "dim", "hazy", "washed", "blurry", "harsh", "low", "fix", "correct",
                         "repair", "weaker"})


# what makes a request a correction rather than a one-word look ("warmer", "a bit warm", "too warm",
# "warm it up", "temp +"; not "warm", "make it warm", which the teacher answers as a look with a preset)
_MARKERS = frozenset({"more", "less", "too", "so", "add", "increase", "decrease", "reduce", "raise", "lower",
                      "drop", "enhance", "boost", "bump", "crank", "pump", "up", "down", "off", "minus",
                      "plus", "higher",
                      "extra", "fewer", "remove", "kill", "cut", "tone", "dial", "take", "bring", "pull",
                      "push", "knock", "nudge", "turn", "lift", "crush", "deepen", "mute", "desaturate",
                      "desat", "brighten", "darken", "lighten", "soften", "sharpen", "without", "no", "not",
                      "weaker", "stronger", "weak", "strong", "intense", "looks", "looking", "feels", "seems",
                      "is", "are", "r", "its", "it's", "blown", "clipped", "clipping", "overblown", "dingy",
                      "milky", "kinda", "tbh", "imo", "ngl", "ugh", "omg"})
_SIGNS = re.compile(r"[+\-−↑↓\d]")


# "warm" and "cool" said as verbs correct ("warm it", "cool the image"); bare "warm" is a look
_WARM_IT = re.compile(r"\b(?:warm|cool|chill)\s+(?:it|this|things|everything|the)\b")


def correcting_words() -> frozenset[str]:
    """The words that make a request a correction rather than a look: "more", "less", "too", the verbs of
    moving a slider, states ("is", "looks") ... (sizes and comparatives correct too)."""
    return _MARKERS


def warm_it(text: str) -> bool:
    """"warm" or "cool" said as a verb ("warm it a touch", "cool the image"), not as a look."""
    return bool(_WARM_IT.search(text))


def _corrects(toks: list[str], text: str) -> bool:
    sizes, known = direction.size_words(), direction.known_words()
    if _SIGNS.search(text) or _WARM_IT.search(text) or any(t in _MARKERS or t in sizes for t in toks):
        return True
    return any(t.endswith(("er", "ier")) and t in known for t in toks)  # "warmer"


# a number of four digits or more names something ("2049 look, not so orange"); "looks off" is wrong, not down
_NAMING_NUMBER = re.compile(r"\d{4,}")
_LOOKS_OFF = re.compile(r"\b(?:looks?|seems?|feels?|is|are)\s+(?:[a-z]+\s+)?off\b")


_HELD = re.compile(r"[a-z]*([a-z])\1{2,}[a-z]*")


def _unhold(match: re.Match[str]) -> str:
    """A word typed with a letter held down ("waaay", "sooo"): the plain word where there is one."""
    word = match.group(0)
    for n in (1, 2):
        fixed = re.sub(r"([a-z])\1{2,}", r"\1" * n, word)
        if fixed in _plain_words():
            return fixed
    return word


@lru_cache(maxsize=65536)
def plain_request(text: str) -> bool:
    """True when every word of ``text`` is a direction, size, region or filler word, none of them is read
    either way, and something in it corrects (a size, "more" / "less" / "too", a verb, a comparative, a
    sign): a correction with no look in it ("lighter", "tone down the brightness", "temp +"; not "golden
    hour but cooler", not "flat photo", not "warm", which is a look)."""
    low = str(text).lower()
    if _NAMING_NUMBER.search(low) or _LOOKS_OFF.search(low):
        return False
    low = direction.restate(_HELD.sub(_unhold, low))  # "reds look dull" is "more reds": no "dull" left
    toks = _TOKEN.findall(low)
    return bool(toks) and all(t in _plain_words() for t in toks) and not _either_way(toks) and \
        _corrects(toks, low)


def _either_way(toks: list[str]) -> bool:
    """A word read either way (:data:`_EITHER_WAY`), unless "too" or "so" comes before it ("too flat", "so
    blurry": one way only) or it is the verb "dim" ("dim the highlights")."""
    return any(t in _EITHER_WAY and (k == 0 or toks[k - 1] not in ("too", "so"))
               and not (t == "dim" and toks[k + 1:k + 2] in (["the"], ["it"], ["them"], ["down"]))
               for k, t in enumerate(toks))


def moves(chain: ToolChain | _Change, attr: str, sign: int) -> bool | None:
    """Whether ``chain`` moves ``attr`` (a :func:`~vibegrade.students.direction.signature` attribute) in
    direction ``sign``; ``None`` for attributes this module does not check (see the table above)."""
    a = chain.adjust

    def any_adj(*keys: str) -> bool:
        return any(sign * getattr(a, k) > 0 for k in keys)

    if attr in _ADJUST_VALUES:
        return any_adj(*_ADJUST_VALUES[attr])
    base, _, region = attr.partition("@")
    if region == "cast" and base in _AWAY:  # a cast is the white balance's: toward the colour or away
        key, away = _AWAY[base]
        return -sign * away * getattr(a, key) > 0
    if region:
        return None
    if base == "glow":
        return any_adj("bloom") if sign > 0 else None
    if base == "sharpness":
        return any_adj(*_SHARPNESS) or (sign < 0 and (a.bloom > 0 or a.contrast < 0))
    if base in _RANGES:
        if moves_range(chain, base, sign):
            return True
        key, away = _AWAY[base]  # white balance toward the colour (more) or away from it (less)
        return -sign * away * getattr(a, key) > 0
    return None


class _Change:
    """The change from one chain to another, value by value (``after − before``, unclamped: a fall of the
    sharpening is negative), with a chain's ``adjust`` and ``selective_adjust`` attributes, so that
    :func:`moves` reads it as it reads a chain."""

    def __init__(self, before: ToolChain, after: ToolChain) -> None:
        self.adjust = SimpleNamespace(**{k: getattr(after.adjust, k) - getattr(before.adjust, k)
                                         for k in ADJUST_KEYS})
        b, a = before.selective_adjust, after.selective_adjust
        self.selective_adjust = SimpleNamespace(**{
            c: SimpleNamespace(**{ch: getattr(getattr(a, c), ch) - getattr(getattr(b, c), ch)
                                  for ch in ("saturation", "luminance")})
            for c in SELECTIVE_COLORS})


def moves_change(before: ToolChain, after: ToolChain, attr: str, sign: int) -> bool | None:
    """:func:`moves` read on the change from ``before`` to ``after`` (value by value, ``after − before``,
    unclamped: a fall of the sharpening reads as one)."""
    return moves(_Change(before, after), attr, sign)


def _one_value(key: str, value: int) -> SimpleNamespace:
    """A change that moves one value of :func:`named_values` (``"exposure"``, ``"red.saturation"``)."""
    adjust = SimpleNamespace(**{k: 0 for k in ADJUST_KEYS})
    sel = SimpleNamespace(**{c: SimpleNamespace(saturation=0, luminance=0) for c in SELECTIVE_COLORS})
    colour, _, channel = key.partition(".")
    if channel:
        setattr(getattr(sel, colour), channel, value)
    else:
        setattr(adjust, key, value)
    return SimpleNamespace(adjust=adjust, selective_adjust=sel)


def value_moves(key: str, value: int, attr: str, sign: int) -> bool:
    """One value of :func:`named_values` (``"exposure"``, ``"red.saturation"``) at ``value`` moves ``attr``
    in direction ``sign`` (``"contrast"`` at −10 makes the picture softer: sharpness, −1)."""
    return bool(moves(_one_value(key, value), attr, sign))  # type: ignore[arg-type]


def moves_clearly(before: ToolChain, after: ToolChain, attr: str, sign: int) -> bool:
    """:func:`moves_change`, and no value the attribute owns moves the other way by more than the largest
    that moves its way: red saturation −11 with red luminance +1 does not add red, it takes it out."""
    change = _Change(before, after)
    if not moves(change, attr, sign):
        return False
    right = wrong = 0
    for key in named_values(attr):
        colour, _, channel = key.partition(".")
        value = getattr(getattr(change.selective_adjust, colour), channel) if channel else \
            getattr(change.adjust, key)
        if value:
            one = _one_value(key, value)
            if moves(one, attr, sign):  # type: ignore[arg-type]
                right = max(right, abs(value))
            elif moves(one, attr, -sign):  # type: ignore[arg-type]
                wrong = max(wrong, abs(value))
    return right >= wrong


# an exposure word said of the picture as it is ("its sooo overexposed", "bit underexposed", "kinda
# overexposed tbh") is a complaint: the light the other way. Bare "overexposed" is a look (exposure up in
# the data), and so is anything that asks for it ("more overexposed", "make it overexposed").
_STATE_MARKS = frozenset({"its", "it's", "is", "looks", "look", "bit", "kinda", "slightly", "little", "tad",
                          "so", "too", "way", "super", "really", "very", "r", "tbh", "abit", "quite",
                          "pretty",
                          "totally", "seems", "feels", "lil", "ugh", "hella", "mega", "sooo", "less"})
_ASKS_FOR = frozenset({"more", "make", "want", "go", "add", "give", "need", "needs", "like"})


# a colour named with these is a look the teacher adds ("blue tone", "maximum green tint") as often as a cast
# it removes ("a little pink cast", "extreme blue cast")
_CAST_EITHER_WAY = frozenset({"tone", "max", "maximum"})


def _exposure_state(text: str) -> frozenset[tuple[str, int]]:
    low = str(text).lower()
    toks = set(_TOKEN.findall(low))
    over, under = bool(direction.OVER.search(low)), bool(direction.UNDER.search(low))
    if over == under or not toks & _STATE_MARKS or toks & _ASKS_FOR:
        return frozenset({("exposure", 1)})  # not a checked attribute: left to the nearest answers
    return frozenset({("light", -1 if over else 1)})


_PLURALS = {"red": ("reds",), "orange": ("oranges",), "yellow": ("yellows",), "green": ("greens",),
            "cyan": ("cyans", "teals"), "blue": ("blues",), "magenta": ("magentas", "pinks", "purples")}


def names_range(text: str, colour: str) -> bool:
    """The colour is named as a range of the picture ("the greens", "reds"), not as a cast or a tint."""
    return bool(set(_TOKEN.findall(str(text).lower())) & set(_PLURALS.get(colour, ())))


def moves_range(chain: ToolChain | _Change, colour: str, sign: int) -> bool:
    """``chain`` moves the colour's own range (saturation or luminance) in direction ``sign``."""
    sel = chain.selective_adjust
    return any(sign * getattr(getattr(sel, r), ch) > 0 for r in _RANGES.get(colour, ())
               for ch in ("saturation", "luminance"))


def _checked_signature(text: str) -> frozenset[tuple[str, int]] | None:
    """The directions of a plain correction whose every attribute this module checks, else ``None``."""
    if not plain_request(text):
        return None
    sig = direction.signature(text)
    if any(a.endswith("@cast") for a, _ in sig) and \
            _CAST_EITHER_WAY.intersection(_TOKEN.findall(text.lower())):
        return None
    if len(sig) == 1 and next(iter(sig))[0] == "exposure":
        sig = _exposure_state(text)
    elif len(sig) == 2 and len({s for _, s in sig}) == 1:
        attrs = {a for a, _ in sig}
        sign = next(iter(sig))[1]
        if attrs == {"light", "exposure_level"}:
            sig = frozenset({("exposure_level", sign)})  # "lift the exposure a lot"
        elif "light" in attrs and any(a.startswith("light@") for a in attrs) and \
                {"them", "it"} & set(_TOKEN.findall(text.lower())):
            sig = frozenset((a, s) for a, s in sig if a != "light")  # "the blacks are so milky, deepen them"
    return sig if sig and all(moves(_NOTHING, a, s) is not None for a, s in sig) else None


@lru_cache(maxsize=65536)
def checked_direction(text: str) -> tuple[str, int] | None:
    """The one (attribute, sign) a plain correction names, or ``None`` (not plain, several attributes, or
    one this module does not check)."""
    sig = _checked_signature(text)
    return next(iter(sig)) if sig is not None and len(sig) == 1 else None


def named_values(attr: str) -> frozenset[str]:
    """The values :func:`moves` reads for ``attr``: adjust parameters by name, selective ones as
    ``"colour.channel"`` (``"yellow.saturation"``); empty for attributes it does not check."""
    if attr in _ADJUST_VALUES:
        return frozenset(_ADJUST_VALUES[attr])
    if attr == "glow":
        return frozenset({"bloom"})
    if attr == "sharpness":
        return frozenset({*_SHARPNESS, "bloom", "contrast"})
    base, _, region = attr.partition("@")
    if region == "cast" and base in _AWAY:
        return frozenset({_AWAY[base][0]})
    if attr in _RANGES:
        return frozenset({f"{r}.{ch}" for r in _RANGES[attr] for ch in ("saturation", "luminance")}
                         | {_AWAY[attr][0]})
    return frozenset()


@lru_cache(maxsize=65536)
def checkable(text: str) -> bool:
    """A plain correction whose every attribute this module checks ("warmer, brighter", "a hair
    brighter", "it's underexposed"; not bare "overexposed", a look, nor "skin needs more light", a region)."""
    sig = _checked_signature(text)
    if sig is None:
        return False
    # a region the reader did not tie to the attribute ("skin just a hint warmer" reads as warmer)
    return not (set(_TOKEN.findall(text.lower())) & direction.region_words()) or all("@" in a for a, _ in sig)


def follows(text: str, chain: ToolChain) -> bool | None:
    """For a plain correction that names one attribute: does ``chain`` move it the way the words say?
    ``None`` when ``text`` is not such a request or names nothing this module checks."""
    said = checked_direction(text)
    return None if said is None else moves(chain, *said)


@lru_cache(maxsize=65536)
def checked_signature(text: str) -> frozenset[tuple[str, int]] | None:
    """The (attribute, sign) pairs of a :func:`checkable` request, else ``None``."""
    return _checked_signature(text) if checkable(text) else None


# said of the picture as it is: a change typed with these is a complaint ("its kinda washed out"), without
# them a wish ("… but slightly muted", "… but super bright")
_STATED = frozenset({"is", "are", "its", "it's", "looks", "look", "looking", "seems", "feels", "too", "so",
                     "rn", "r"})
# "low" / "high" before what they qualify are a wish after a look ("… but really low contrast")
_LOW_HIGH = re.compile(r"\b(low|high)(?:er)?(?=\s+(?:contrast|saturation|exposure|sat)\b)")
# "less blown out" after a look is the highlights brought back, not the whole picture darker
_BLOWN = re.compile(r"\b(?:blown|blowing|clipped|clipping|overblown|nuked|fried)\b")


# what a wish after a look says in other words (only where the change does not state the picture as it is):
# soft focus and blur are softer; detail in the shadows, faded blacks and less black in them are lifted ones;
# blown-out, hot or glowing highlights are brighter ones unless they are to be less so; soft highlights are
# tamed ones; heavier or more shadow is deeper ("… but really blown out highlights", "… w/ slightly faded
# blacks", "… but much more detail in the shadows", "… but way blurrier")
_UNDO = re.compile(r"\b(?:less|not|no|without|fewer|recover|rescue|fix|tame|reduce|lower|down)\b")
_SAID_OTHERWISE = (  # whatever else the change says
    (re.compile(r"\b(?:softer|soft)\s+focus\b|\bblurr(?:ier|y)\b|\b(?:a\s+bit\s+of|some|more)\s+blur\b"),
     "softer"),
    (re.compile(r"\bmore\s+detail\s+in\s+the\s+(shadows|blacks|darks)\b"), r"lift the \1"),
    (re.compile(r"\b(?:faded|milky|lifted)\s+(blacks|shadows)\b"), r"lifted \1"),
    (re.compile(r"\bless\s+black\s+in\s+the\s+(shadows|darks)\b"), r"lighter \1"),
    (re.compile(r"\bwhiter\s+whites\b"), "brighter whites"),
    (re.compile(r"\bmuted\s+down\b"), "muted"),
)
_WISHES = (  # where nothing asks for less
    (re.compile(r"\b(?:more\s+)?(?:blown(?:[- ]out)?|blowing|clipped|hot|hotter|glowing|glowy)\s+"
                r"(highlights|whites)\b"), r"brighter \1"),
    (re.compile(r"\b(?:more\s+)?blown(?:[- ]out)?$"), "brighter highlights"),
    (re.compile(r"\b(?:more\s+)?glow\s+(?:in|on)\s+the\s+(highlights|whites)\b"), r"brighter \1"),
    (re.compile(r"\b(?:softer|gentler|smoother)\s+(highlights|whites)\b"), r"tamer \1"),
    (re.compile(r"\b(?:heavier|heavy|more|deeper|darker)\s+(shadows?)\b"), "deeper shadows"),
)
_NEGATED_WISHES = (  # the same words asked for less: "… but a bit less hot in the highlights"
    (re.compile(r"\b(?:blown(?:[- ]out)?|blowing|clipped|hot|hotter|glowing|glare)\b"
                r"(?=.*\b(?:highlights|whites)\b)"), "bright"),
    (re.compile(r"\bglare\b"), "bright highlights"),
)


def as_wish(text: str) -> str:
    """``text`` as a wish about a look it follows: "low contrast" as "less contrast", the other ways of
    saying a change above (``_WISHES``), and "make it …" before it unless a word states the picture as it
    is ("its kinda washed out" stays a complaint)."""
    low = _HELD.sub(_unhold, " ".join(str(text).lower().split()))
    low = _LOW_HIGH.sub(lambda m: "less" if m.group(1) == "low" else "more", low)
    if _STATED & set(_TOKEN.findall(low)):
        return low
    for pattern, repl in _SAID_OTHERWISE:
        low = pattern.sub(repl, low)
    for pattern, repl in _NEGATED_WISHES if _UNDO.search(low) else _WISHES:
        low = pattern.sub(repl, low)
    return f"make it {low}"


@lru_cache(maxsize=65536)
def wished_signature(text: str) -> frozenset[tuple[str, int]] | None:
    """The (attribute, sign) pairs of ``text`` said as a change to a look it follows ("gothic *but
    brighter*", "tropical *but desaturated*", "moody, *shadows a bit lifted*"), read as :func:`as_wish`,
    when every word is a direction, size, region or filler word and every attribute is one this module
    checks; else ``None``. After a look a bare descriptor is a change, not a look of its own
    ("desaturated", "lifted shadows"), so no correcting word is needed."""
    wish = as_wish(text)
    toks = _TOKEN.findall(direction.restate(wish))
    if not all(t in _plain_words() or t in ("tones", "tone", "even") for t in toks) or \
            _NAMING_NUMBER.search(wish) or _either_way(toks) or \
            len(toks) <= 2 * wish.startswith("make it "):
        return None
    sig = direction.signature(wish)
    if sig == frozenset({("exposure", -1)}) and _BLOWN.search(wish):
        sig = frozenset({("light@highlights", -1)})  # "less blown out": the highlights brought back
    elif len(sig) == 1 and next(iter(sig))[0] == "exposure":
        sig = _exposure_state(wish.removeprefix("make it "))
    return sig if sig and all(moves(_NOTHING, a, s) is not None for a, s in sig) else None


def follows_change(text: str, before: ToolChain, after: ToolChain) -> bool | None:
    """For a plain correction whose every attribute this module checks (:func:`checkable`: "too sharp",
    "warmer, brighter"; "and" makes a request not plain), said as a follow-up: does going from
    ``before`` to ``after`` move each of them the way the words say? ``None`` when ``text`` is not such
    a request."""
    sig = checked_signature(text)
    return None if sig is None else all(moves_change(before, after, a, s) for a, s in sig)


#: the style guide's sizes (data/vibes/STYLE_GUIDE.md, section 2): the main value for "slightly", plain and
#: "very" by the parameter that carries it; a colour's range, sharpen, structure and bloom: 15 / 30 / 50
GUIDE_SIZES: dict[str, tuple[int, int, int]] = {
    "temperature": (12, 25, 45), "tint": (12, 25, 45), "exposure": (10, 20, 40), "contrast": (12, 25, 45),
    "brightness": (12, 25, 45), "shadows": (12, 25, 45), "highlights": (12, 25, 45),
    "saturation": (12, 25, 45), "vibrance": (12, 25, 45), "linearOffset": (6, 12, 22)}
_OTHER_SIZES = (15, 30, 50)


def _largest(chain: ToolChain, attr: str) -> tuple[float, str]:
    """The largest move among the values ``attr`` owns (:func:`named_values`) and the value that makes it."""
    keys = named_values(attr)
    v = dict(zip(PARAM_KEYS, chain_vector(chain).tolist()))
    return max(((abs(v[k]), k) for k in keys), default=(0.0, ""))


def size_band(chain: ToolChain, attr: str) -> int | None:
    """The size of :data:`GUIDE_SIZES` (-1 slightly, 0 plain, 1 very) nearest ``chain``'s largest move of
    ``attr``, in the column of the value that makes it; ``None`` when it moves none of them."""
    z, key = _largest(chain, attr)
    if not z:
        return None
    cols = GUIDE_SIZES.get(key, _OTHER_SIZES)
    return min((-1, 0, 1), key=lambda b: abs(z - cols[b + 1]))


def as_said(chain: ToolChain, attr: str, size: int) -> ToolChain:
    """``chain``, the answer to a plain correction of ``attr`` said at ``size`` (-1, 0, 1: "a bit warmer",
    "warmer", "much warmer"), at the guide's size for those words: where its largest move of ``attr`` is
    nearest another size of :data:`GUIDE_SIZES`, the values ``attr`` owns are scaled so that the move
    is the guide's (supporting moves, the preset and hue as they were: "brighter"'s highlights −8 stays).
    "contrast up a notch" answered +25 becomes +12, "desaturate a touch" answered −30 becomes −12; an answer
    at the size the words say is returned as it is."""
    band = size_band(chain, attr)
    if band is None or band == size or size not in (-1, 0, 1):
        return chain
    z, key = _largest(chain, attr)
    v = chain_vector(chain)
    own = [PARAM_KEYS.index(k) for k in named_values(attr)]
    v[own] *= GUIDE_SIZES.get(key, _OTHER_SIZES)[size + 1] / z
    return vector_chain(v, chain.filter.name)
