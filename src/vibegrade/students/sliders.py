"""Slider settings typed as numbers: "contrast +20", "exposure -0.5 ev, shadows +30", "set saturation to
-40", "bump the clarity by 15", "red sat -50", "vivid filter at 50%".

The style guide's rule is that numbers in a request are honoured ("+1 stop" = exposure 50, "10% warmer" =
temperature 10). Retrieval cannot read a number as a number: "contrast +20" finds a stored "contrast +40"
or an average of several sizes. A request made *only* of slider settings is therefore read here, value by
value, and answered exactly; a request with anything else in it (a look, a word this reader does not know)
is not read (:func:`read` returns ``None``) and the student answers it as before. A look followed by
settings ("golden hour, contrast +20") is split by :func:`split_look`, and the student makes the settings
on the look's answer; a follow-up made of settings is made on the current chain (``students/refine.py``).

Units are the tools' (``vibegrade.schema``): every slider -100..100 except bloom, sharpen and structure
(0..100), hue in degrees (0..360) and a preset's intensity in percent. Exposure is in stops where the
words say so ("ev", "stop") or the number is one a stop count would be (at most 3 in size, "exposure +1",
"exposure -0.5": 50 units a stop, as in Lightroom), else in slider units ("exposure +10"); a white balance
in Kelvin ("3200k", "temp 6500") is Lightroom's Temp on a daylight photo
(:func:`vibegrade.tools.adjust.temperature_for_kelvin`). A number after "to", "at" or "set", a bare one,
or an unsigned one after ":" / "=" is the value the slider ends at; a signed number or one after "by" or
a verb ("bump", "reduce") is a change of what is there. On a photo with no edit both are the same; after
a look they differ ("golden hour, contrast +20" adds 20 to the look's contrast, "golden hour, contrast
40" sets it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from vibegrade.schema import ADJUST_PARAMS, SELECTIVE_COLORS, ToolChain
from vibegrade.students.answer_check import named_values, plain_request
from vibegrade.students.direction import signature
from vibegrade.students.refine_features import PARAM_KEYS, chain_vector, vector_chain
from vibegrade.tools.adjust import temperature_for_kelvin
from vibegrade.tools.filters import preset_names

__all__ = ["Setting", "may_hold", "read", "apply", "answer", "split_look",
           "split_lead", "explained"]

#: units of exposure in one stop (schema: 100 = +2 stops)
STOP = 50
# a bare exposure number at most this big is a count of stops ("exposure +1"); larger ones are slider units
_MAX_BARE_STOPS = 3


@dataclass(frozen=True)
class Setting:
    """One slider set from the words.

    Attributes:
        key: a value of :data:`~vibegrade.students.refine_features.PARAM_KEYS` ("contrast",
            "red.saturation", "intensity" for a preset's strength).
        value: in the tool's units (before clamping to its range).
        absolute: the value the slider ends at ("to 40") rather than a change of what is there ("+20").
        preset: the preset of an ``intensity`` setting.
    """

    key: str
    value: float
    absolute: bool
    preset: str | None = None


_ADJUST_NAMES: dict[str, str] = {
    "exposure": "exposure", "exp": "exposure", "expo": "exposure", "exposer": "exposure", "ev": "exposure",
    "contrast": "contrast", "contrasts": "contrast",
    "brightness": "brightness", "brightnes": "brightness", "bright": "brightness",
    "highlights": "highlights", "highlight": "highlights", "hl": "highlights", "hilights": "highlights",
    "hilites": "highlights", "shadows": "shadows", "shadow": "shadows", "shdows": "shadows", "sh": "shadows",
    "saturation": "saturation", "sat": "saturation", "satur": "saturation", "saturaton": "saturation",
    "vibrance": "vibrance", "vib": "vibrance", "vibrancy": "vibrance",
    "temperature": "temperature", "temp": "temperature", "warmth": "temperature", "wb": "temperature",
    "white balance": "temperature", "tint": "tint",
    "hue": "hue", "hue shift": "hue", "hue rotation": "hue",
    "linearoffset": "linearOffset", "linear offset": "linearOffset", "black point": "linearOffset",
    "blacks": "linearOffset", "fade": "linearOffset",
    "bloom": "bloom", "glow": "bloom",
    "sharpen": "sharpen", "sharpness": "sharpen", "sharpening": "sharpen",
    "structure": "structure", "clarity": "structure", "local contrast": "structure",
}
# names that carry their direction: "warmer +25", "10% warmer", "cooler by 15", "underexpose by 1/3 stop"
_SIGNED_NAMES: dict[str, tuple[str, int]] = {
    "warmer": ("temperature", 1), "cooler": ("temperature", -1), "colder": ("temperature", -1),
    "underexpose": ("exposure", -1), "overexpose": ("exposure", 1),
    "desaturate": ("saturation", -1), "desat": ("saturation", -1), "saturate": ("saturation", 1),
    "warm": ("temperature", 1), "cool": ("temperature", -1),  # "warm it up by 15", "cool it down 20"
}
_COLOUR_NAMES: dict[str, str] = {**{c: c for c in SELECTIVE_COLORS}, **{c + "s": c for c in SELECTIVE_COLORS},
                                 "aqua": "cyan", "aquas": "cyan"}
_CHANNEL_NAMES: dict[str, str] = {"saturation": "saturation", "sat": "saturation", "luminance": "luminance",
                                  "lum": "luminance", "luma": "luminance", "lightness": "luminance",
                                  "brightness": "luminance"}
# verbs that name a colour's channel and its direction: "desaturate the blues by 60", "darken the reds 15"
_CHANNEL_VERBS: dict[str, tuple[str, int]] = {
    "desaturate": ("saturation", -1), "desat": ("saturation", -1), "saturate": ("saturation", 1),
    "darken": ("luminance", -1), "lighten": ("luminance", 1), "brighten": ("luminance", 1),
}
_HEDGES = frozenset({"only", "just", "like", "about", "around", "approx", "roughly", "maybe", "exactly"})
_TINT_SIDE = {"green": -1, "magenta": 1, "pink": 1, "purple": 1}
_LIGHTER = {"darker": -1, "deeper": -1, "lighter": 1, "brighter": 1}
_FILTER_WORDS = frozenset({"filter", "preset", "lut", "intensity", "strength", "opacity", "amount"})
_UP = frozenset({"increase", "raise", "boost", "bump", "add", "up", "push", "lift", "more", "plus", "higher",
                 "open", "brighten", "pump", "crank", "brighter", "warmer", "extra"})
_DOWN = frozenset({"decrease", "reduce", "lower", "drop", "cut", "down", "less", "pull", "minus", "take",
                   "subtract", "knock", "lessen", "remove", "crush", "darker", "cooler", "off"})
_BETWEEN = frozenset({"the", "it", "its", "my", "me"})  # "make it contrast +20", "set my exposure to +1"
_ABSOLUTE_PREPS = frozenset({"to", "at", "->", "→"})
# "warmth: 0" ends at 0, "warmth: +30" adds 30 (a sign makes it a change)
_VALUE_MARKS = frozenset({":", "=", "@"})
# adjectives that are slider names only beside a number of their own: "2 warm" is "too warm"
_ADJECTIVE_NAMES = frozenset({"bright", "warm", "cool"})
_RELATIVE_PREPS = frozenset({"by"})
_SET = frozenset({"set", "put", "change", "make", "adjust", "move", "turn", "apply", "use"})
_NEUTRAL = frozenset({"rotate", "shift", "bring", "give", "do", "try"})  # verbs with no direction
# words that carry nothing here: politeness, the picture, joins between settings
_FILLER = frozenset({
    "please", "pls", "plz", "plss", "thx", "thanks", "thank", "ty", "can", "could", "would", "will", "you",
    "u", "ya", "i", "id", "i'd", "want", "wanna", "like", "need", "just", "also", "then", "and", "&", "+",
    ",", ";", ".", "!", "?", "-", "the", "my", "this", "photo", "pic", "picture", "image", "shot", "it",
    "its", "it's", "a", "an", "slider", "sliders", "value", "level", "me", "give", "with", "w/", "ok",
    "okay", "hey", "yes", "lets", "let's", "try", "maybe", "around", "about", "approx", "roughly", "pretty",
    "on", "of", "for", "is", "should", "be", "go", "all", "so", "now", "only", "nothing", "else", "do",
    "get", "gimme", "have", "n", "quick", "quickly", "hi", "hello", "yo", "sure", "reckon", "wanted",
})
_UNITS_STOP = frozenset({"ev", "stop", "stops", "evs"})
_UNITS_KELVIN = frozenset({"k", "kelvin", "°k"})
_UNITS_PLAIN = frozenset({"%", "pct", "percent", "points", "pts", "pt", "units", "notches", "degrees",
                          "degree", "deg", "°"})
_TOKEN = re.compile(r"[+\-]?(?:\d+(?:\.\d+)?(?:/\d+)?|\.\d+)%?|[a-z][a-z0-9_']*|->|→|w/|°|[:=@,;&+.!?\-]|\S")
_NUMBER = re.compile(r"[+\-]?(?:\d+(?:\.\d+)?(?:/\d+)?|\.\d+)%?")
# stops said in words: "half a stop", "a third of a stop", "one and a half stops", "a full stop"
_STOP_WORDS = [
    (re.compile(r"(\d+/\d+|\d*\.\d+|\d+) of an? (?:stop|ev)\b"), r"\1 stop"),  # "2/3 of a stop"
    (re.compile(r"\b(?:one|1) and a half stops?\b"), "1.5 stops"),
    (re.compile(r"\b(?:a |one )?half (?:a |of a )?stop\b"), "0.5 stop"),
    (re.compile(r"\b(?:a |one )?third of a stop\b"), "0.33 stop"),
    (re.compile(r"\btwo thirds? of a stop\b"), "0.67 stop"),
    (re.compile(r"\b(?:a )?quarter (?:of a )?stop\b"), "0.25 stop"),
    (re.compile(r"\b(?:a full|a|one|full) stop\b"), "1 stop"),
    (re.compile(r"\btwo stops\b"), "2 stops"),
    (re.compile(r"\bthree stops\b"), "3 stops"),
]


_MAY_HOLD = re.compile(r"\d|\bstops?\b")


def may_hold(text: str) -> bool:
    """Whether ``text`` can hold a setting at all (a number, or stops said in words): a cheap test before
    :func:`read`."""
    return _MAY_HOLD.search(text.lower()) is not None


@lru_cache(maxsize=1)
def _first_words() -> frozenset[str]:
    """Words one of which every setting has: the first word of a name, a verb naming its slider, a unit
    that names one ("+1 ev", "3200k")."""
    return frozenset({*(k[0] for k in _names()), *_SIGNED_NAMES, *_CHANNEL_VERBS, *_COLOUR_NAMES,
                      *_UNITS_STOP, *_UNITS_KELVIN})


def _names_a_slider(toks: list[str]) -> bool:
    return not _first_words().isdisjoint(toks)


@lru_cache(maxsize=1)
def _names() -> dict[tuple[str, ...], str]:
    """Every slider name as words (longest first when matched), value: the key ("temperature",
    "red.saturation", "preset:vivid")."""
    names: dict[tuple[str, ...], str] = {tuple(k.split()): v for k, v in _ADJUST_NAMES.items()}
    for cw, c in _COLOUR_NAMES.items():
        for hw, ch in _CHANNEL_NAMES.items():
            names[(cw, hw)] = f"{c}.{ch}"
            names[(hw, cw)] = f"{c}.{ch}"  # "saturation of the reds": "of" and "the" are skipped
    for p in preset_names():
        low = p.lower()
        names[(low,)] = "preset:" + p
        camel = tuple(re.sub(r"(?<=[a-z])(?=[A-Z])|_+", " ", p).lower().split())  # "faded high noon"
        names.setdefault(camel, "preset:" + p)
        names.setdefault(tuple(w for w in camel if w != "and"), "preset:" + p)  # "teal orange 2"
        spaced = tuple(re.sub(r"[_]+", " ", low).split())
        names.setdefault(spaced, "preset:" + p)
        # "teal and orange 2"
        spaced = tuple(w for part in spaced for w in re.split(r"(?<=[a-z])(?=\d)", part))
        names.setdefault(spaced, "preset:" + p)
        if "and" in spaced:  # "teal & orange 2"
            names.setdefault(tuple("&" if w == "and" else w for w in spaced), "preset:" + p)
    return names


def _tokens(text: str) -> list[str]:
    t = text.lower().replace("−", "-").replace("–", "-").replace("—", "-")
    t = re.sub(r"\([^()]*\)", " ", t)  # "tint -10 (more green)": an aside
    for pat, rep in _STOP_WORDS:
        t = pat.sub(rep, t)
    t = re.sub(r"(?<=[a-z])(?=[+\-]\d)|(?<=\d)(?=[a-z]{2,})", " ", t)  # "contrast+20", "20contrast"
    t = re.sub(r"\b(sat|exp|expo|temp|vib|hl|sh)(?=\d)", r"\1 ", t)  # "sat30"
    return _TOKEN.findall(t)


def _number(tok: str) -> tuple[float, bool, bool] | None:
    """(value, signed, percent) of a number token."""
    if not _NUMBER.fullmatch(tok):
        return None
    pct = tok.endswith("%")
    body = tok.rstrip("%")
    signed = body[0] in "+-"
    sign = -1.0 if body[0] == "-" else 1.0
    body = body.lstrip("+-")
    if "/" in body:
        num, den = body.split("/")
        if float(den) == 0:
            return None
        value = float(num) / float(den)
    else:
        value = float(body)
    return sign * value, signed, pct


def _name_at(toks: list[str], i: int) -> tuple[str, int] | None:
    """(key, next index) of the longest slider name starting at ``toks[i]``; "the" / "of" inside a name
    are skipped ("saturation of the reds")."""
    names = _names()
    best: tuple[str, int] | None = None
    words: list[str] = []
    j = i
    while j < len(toks) and len(words) < 5:
        if toks[j] in ("the", "of") and words:
            j += 1
            continue
        words.append(toks[j])
        j += 1
        key = names.get(tuple(words))
        if key is not None:
            best = (key, j)
    return best


def _kelvin(key: str, number: float, unit: str | None) -> bool:
    """The number is a colour temperature in Kelvin ("3200k", "wb 5600 kelvin", "temp 6500")."""
    return unit in _UNITS_KELVIN or (key == "temperature" and abs(number) >= 1000)


def _value(key: str, number: float, unit: str | None, percent: bool) -> float | None:
    """The number in the tool's units, ``None`` where it cannot be one (a stop count for anything but
    exposure, Kelvin for anything but white balance or outside 1,500–15,000 K)."""
    if _kelvin(key, number, unit):
        return temperature_for_kelvin(number) if key == "temperature" and 1500 <= number <= 15000 else None
    if key == "exposure":
        if unit in _UNITS_STOP or (unit is None and not percent and abs(number) <= _MAX_BARE_STOPS):
            return number * STOP
        return number
    if unit in _UNITS_STOP:
        return None
    return number


def _unit_at(toks: list[str], i: int) -> tuple[str | None, int]:
    if i < len(toks) and (toks[i] in _UNITS_STOP or toks[i] in _UNITS_PLAIN or toks[i] in _UNITS_KELVIN):
        return toks[i], i + 1
    return None, i


@dataclass
class _Words:
    """What the words around one setting say besides its name and number."""

    absolute: bool = False  # "set", "to", "at" or a bare number
    marked: bool = False  # ":", "=", "@": the value the slider ends at, unless the number has a sign
    relative: bool = False  # "by", a sign, a verb with a direction
    sign: int = 0  # the direction of the verbs ("reduce", "bump", "darker")
    channel: str | None = None  # "desaturate", "darken": the channel of a colour named next
    said_filter: bool = False  # "filter", "preset", "lut"

    def take(self, tok: str) -> bool:
        """Read ``tok`` if it is one of these words."""
        if tok in _CHANNEL_VERBS:
            self.channel, self.sign = _CHANNEL_VERBS[tok]
            self.relative = True
        elif tok in _SET:
            self.absolute = True
        elif tok in _UP or tok in _DOWN:
            self.sign = 1 if tok in _UP else -1
            self.relative = True
        elif tok in _FILTER_WORDS:
            self.said_filter = True
        elif tok in _ABSOLUTE_PREPS:
            self.absolute, self.relative = True, False
        elif tok in _VALUE_MARKS:
            self.marked = True
        elif tok in _RELATIVE_PREPS:
            self.relative = True
        elif tok not in _BETWEEN and tok not in _NEUTRAL:
            return False
        return True


def _item(toks: list[str], i: int) -> tuple[Setting, int] | None:
    """One setting starting at ``toks[i]``: its name (a slider, a colour with its channel, a preset) and
    one number, in any of the orders people type ("contrast +20", "+20 contrast", "bump the clarity by
    15", "reds -30 sat", "20% warmer", "darken the blues 20", "vivid filter at 50%"), with the words
    around them (:class:`_Words`); ``None`` when the words there are not one setting."""
    w = _Words()
    key: str | None = None
    colour: str | None = None
    number: tuple[float, bool, bool] | None = None
    unit: str | None = None
    j = i
    while j < len(toks):
        tok = toks[j]
        if key is None and colour is None and tok in _ADJECTIVE_NAMES and number is not None and \
                not number[1] and unit is None and not number[2]:
            return None  # "2 warm", "2 bright": "too warm"
        if key is None and colour is None and tok in _SIGNED_NAMES and (j + 1 < len(toks) and (
                _number(toks[j + 1]) or toks[j + 1] in _RELATIVE_PREPS or toks[j + 1] in _BETWEEN
                or toks[j + 1] in _COLOUR_NAMES) or number is not None):
            if tok in _CHANNEL_VERBS and j + 1 < len(toks) and (toks[j + 1] in _COLOUR_NAMES or (
                    toks[j + 1] == "the" and j + 2 < len(toks) and toks[j + 2] in _COLOUR_NAMES)):
                w.take(tok)  # "desaturate the blues": the colour's channel
            else:
                key, w.sign = _SIGNED_NAMES[tok]
                w.relative = True
            j += 1
            continue
        if key is None and colour is None:
            named = _name_at(toks, j)
            if named is not None and number is not None and not number[1] and unit is None and \
                    not number[2] and toks[j] in _ADJECTIVE_NAMES:
                return None
            if named is not None:
                key, j = named
                continue
            if tok in _COLOUR_NAMES:
                colour = _COLOUR_NAMES[tok]
                j += 1
                continue
        elif colour is not None and key is None and tok in _CHANNEL_NAMES:  # "reds -30 sat"
            key, colour = f"{colour}.{_CHANNEL_NAMES[tok]}", None
            j += 1
            continue
        elif colour is not None and key is None and tok in _LIGHTER:  # "make reds darker by 15"
            key, colour = f"{colour}.luminance", None
            w.sign, w.relative = _LIGHTER[tok], True
            j += 1
            continue
        if number is None and (num := _number(tok)) is not None:
            number = num
            unit, j = _unit_at(toks, j + 1)
            continue
        if tok in _HEDGES or (tok in ("to", "on", "onto") and number is not None and key is None):
            j += 1  # "glow only 10", "contrast like +8"; "add 10 to the temperature": where, not the value
            continue
        if tok in ("towards", "toward") and key == "tint" and j + 1 < len(toks) and toks[j + 1] in _TINT_SIDE:
            w.sign, w.relative = _TINT_SIDE[toks[j + 1]], True  # "tint 15 towards green"
            j += 2
            continue
        if w.take(tok):
            j += 1
            continue
        break
    if colour is not None and key is None and w.channel is not None:
        key = f"{colour}.{w.channel}"  # "darken the blues 20"
    if number is None:
        return None
    if key is None:
        if unit in _UNITS_STOP and colour is None:  # "+1 ev", "-0.5 stops", "1/3 stop darker"
            key = "exposure"
        elif unit in _UNITS_KELVIN and colour is None:  # "3200k": the white balance
            key = "temperature"
        else:
            return None
    while j > i and toks[j - 1] in _FILLER and toks[j - 1] not in _UP | _DOWN | _ABSOLUTE_PREPS:
        j -= 1  # leave the joins between settings to the caller
    setting = _setting(key, number, unit, w)
    return (setting, j) if setting is not None else None


def _setting(key: str, number: tuple[float, bool, bool], unit: str | None, w: _Words) -> Setting | None:
    value, signed, percent = number
    if not signed and w.sign < 0 and not (w.absolute and not w.relative):
        value = -value  # "reduce saturation by 30"; "drop the sat to 20" ends at 20
    # "temp: 30" ends at 30; "temp: 30 cooler" is 30 cooler than it is (a direction word makes it a change)
    absolute = (w.absolute and not w.relative) or (w.marked and not signed and not w.relative) or \
        (not signed and not w.relative and not w.sign)
    if key.startswith("preset:"):
        # a preset's intensity: a plain percent; "cyberpunk 2077" is a title, not one
        if value < 0 or value > 100 or unit not in (None, "%", "pct", "percent") or \
                (value < 10 and not percent and unit is None):
            return None  # "winter 2": a sequel, not 2 % of a preset
        return Setting("intensity", value, True, key[len("preset:"):])
    if _kelvin(key, value, unit):
        if signed:
            return None  # "+500k": a shift in Kelvin depends on where the balance is
        absolute = True  # a colour temperature is where the balance ends
    x = _value(key, value, unit, percent)
    return Setting(key, x, absolute) if x is not None else None


def _parse(toks: list[str], i: int, last: Setting | None = None) -> list[Setting] | None:
    while i < len(toks) and (toks[i] in _FILLER or not any(ch.isalnum() for ch in toks[i])):
        if _number(toks[i]) is not None:
            break
        i += 1
    if i >= len(toks):
        return []
    got = _item(toks, i)
    if got is None and last is not None and "." in last.key and toks[i] in _CHANNEL_NAMES:
        # "greens sat -60 and lum -20", "oranges luminance +15 and saturation -10": the same colour
        colour = last.key.split(".")[0]
        got = _item([*toks[:i], colour, *toks[i:]], i)
        if got is not None:
            got = (got[0], got[1] - 1)
    elif got is not None and last is not None and last.key.endswith(".luminance") \
            and got[0].key == "saturation" and toks[i] in _CHANNEL_NAMES:
        # "oranges luminance +15 and saturation -10"; after a colour's saturation, "sat -100" is all of it
        colour = last.key.split(".")[0]
        s = got[0]
        got = (Setting(f"{colour}.saturation", s.value, s.absolute), got[1])
    if got is None:
        return None
    rest = _parse(toks, got[1], got[0])
    return None if rest is None else [got[0], *rest]


def read(text: str) -> tuple[Setting, ...] | None:
    """The slider settings of a request made only of them, in order; ``None`` when anything else is in it
    (a look, a word this reader does not know), when it names no slider, or when a value cannot be read
    in the slider's units ("temp 3200k", "sharpen -20": sharpening has no negative side)."""
    toks = _tokens(text)
    if not toks or len(toks) > 60 or not _names_a_slider(toks):
        return None
    got = _parse(toks, 0)
    if not got:
        return None
    for s in got:
        lo, hi = _RANGE[s.key]
        if s.key != "hue" and lo == 0 and s.value < 0 and s.absolute:
            return None
        if s.key != "hue" and lo == 0 and s.value < 0 and len(got) == 1:
            return None  # "sharpen -20" alone: nothing to take it from
    return tuple(got)


_RANGE: dict[str, tuple[int, int]] = {
    **{p.name: (p.lo, p.hi) for p in ADJUST_PARAMS},
    **{k: (-100, 100) for k in PARAM_KEYS if "." in k},
    "intensity": (0, 100),
}


def apply(chain: ToolChain, settings: Sequence[Setting]) -> ToolChain:
    """``chain`` with ``settings`` made, in order: an absolute one sets its value, a relative one adds to
    it; hue turns around the circle; values are clamped to their ranges. A preset setting replaces the
    chain's preset."""
    v = chain_vector(chain)
    name = chain.filter.name if chain.filter.used else "none"
    index = {k: i for i, k in enumerate(PARAM_KEYS)}
    for s in settings:
        i = index[s.key]
        if s.key == "intensity" and s.preset is not None and s.preset != name:
            name, v[i] = s.preset, 0.0
        new = s.value if s.absolute else v[i] + s.value
        v[i] = new % 360 if s.key == "hue" else new
    return vector_chain(np.asarray(v, dtype=np.float64), name)


def answer(text: str) -> ToolChain | None:
    """The answer to a request made only of slider settings (from the photo as it is), else ``None``."""
    got = read(text)
    return apply(ToolChain(), got) if got is not None else None


# where a look ends and its settings begin: "golden hour, contrast +20", "noir but exposure -0.3", "vintage
# with sat -20 and warmth +10", "kodak gold + 1/3 stop"; or a space, where the settings are the rest
_LOOK_END = re.compile(r"\s*(?:[,;:]+|\.\s|\s[-–—+&]\s|\bw/|\b(?:but|with|and|plus|then|also|at)\b)\s*|\s+")


def split_look(text: str) -> tuple[str, tuple[Setting, ...]] | None:
    """``(look, settings)`` of a request that ends with slider settings after something that is not one
    ("golden hour, contrast +20", "ilford hp5 +1 stop"): the longest such ending; ``None`` when there is
    none or the whole request is settings (:func:`read`)."""
    if not may_hold(text) or not _names_a_slider(_tokens(text)) or read(text) is not None:
        return None
    for m in _LOOK_END.finditer(text):
        look, rest = text[:m.start()].strip(), text[m.end():]
        if not rest.strip() or all(t in _FILLER or not any(ch.isalpha() for ch in t) for t in _tokens(look)):
            continue  # no look before the settings: "can i get shadows +20" is read whole or not at all
        got = read(rest)
        if got is not None:
            return look, got
    return None


def split_lead(text: str) -> tuple[tuple[Setting, ...], str] | None:
    """``(settings, rest)`` of a request that starts with slider settings and goes on with words that only
    say what they are for or what they do (:func:`explained`: "wb -15 pls its too yellow", "orange lum +15
    for the skin"); ``None`` when there is none."""
    if not may_hold(text) or not _names_a_slider(_tokens(text)):
        return None
    for m in _LOOK_END.finditer(text):
        head, rest = text[:m.start()], text[m.start():].strip(" ,;:.!?")
        if rest and any(ch.isalpha() for ch in rest) and (got := read(head)) is not None \
                and explained(rest, got):
            return got, rest
    return None


_PURPOSE = re.compile(r"^(?:for|to get|so)\b")


def explained(words: str, settings: Sequence[Setting]) -> bool:
    """``words`` only say what the settings are for or what they make: a purpose ("… for the skin", "…
    for that faded look") or a plain correction every change of which is a value the settings move that
    way ("warmer pls, temp +30", "wb -15, its too yellow"); a look is never one ("moody and dark, exposure
    -0.5")."""
    if _PURPOSE.match(words.strip().lower()):
        return True
    return _restates(words, settings)


def _restates(words: str, settings: Sequence[Setting]) -> bool:
    if not plain_request(words):
        return False
    sig = signature(words)
    return bool(sig) and all(any(s.key in named_values(a) and s.value * sign > 0 for s in settings)
                             for a, sign in sig)  # "darken it, +1 stop" is not explained
