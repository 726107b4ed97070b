"""Which way a request points, read from its words: a guard for answers re-used from other requests.

Sentence encoders put "less red" next to "less blue" and "overexposed" next to "underexposed": the
texts differ in one word. A student that re-uses a stored answer (the answer memory, nearest
neighbours) must never hand one of them the other's answer. :func:`signature` reads a request's
directions -- (attribute, sign) pairs such as ``("temperature", +1)`` for "warmer", ``("red", -1)`` for
"less red", ``("temperature@shadows", +1)`` for "warm shadows" -- and :func:`conflicts` says whether two
requests point in incompatible directions.

It is deliberately conservative: it only looks at words it knows, so a request without direction words
("golden hour") never conflicts with anything.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["signature", "conflicts", "size_class"]

# word -> (attribute, sign)
_ATTRS: dict[str, tuple[str, int]] = {}


def _add(attr: str, sign: int, *words: str) -> None:
    for w in words:
        _ATTRS[w] = (attr, sign)


_add("temperature", +1, "warm", "warmer", "warmest", "warmth", "warming", "hotter", "hot")
_add("temperature", -1, "cool", "cooler", "coolest", "cold", "colder", "coldest", "chilly", "icy", "icier")
_add("light", +1, "bright", "brighter", "brighten", "brightest", "lighter", "lighten", "lift", "lifted",
     "lifting", "open", "brightness")
_add("light", -1, "dark", "darker", "darken", "darkest", "dim", "dimmer", "crush", "crushed", "deepen",
     "deeper", "deep")
_add("exposure", +1, "overexposed", "overexposure", "overexpose", "blown")
_add("exposure", -1, "underexposed", "underexposure", "underexpose")
_add("exposure_level", +1, "exposure", "ev", "stop", "stops", "half-stop", "full-stop")
_add("glow", +1, "glow", "glowy", "bloom", "glowing")
_add("contrast", +1, "contrast", "contrasty", "punchy", "punchier", "harsh", "harsher")
_add("contrast", -1, "flat", "flatter", "low-contrast")
_add("saturation", +1, "saturation", "vibrance", "colors", "colours", "saturated", "vibrant", "vivid",
     "colorful", "colourful", "richer", "rich", "intense")
_add("saturation", -1, "desaturated", "desaturate", "muted", "mute", "dull", "duller", "washed", "faded",
     "pale", "paler")
_add("sharpness", +1, "sharp", "sharper", "sharpen", "crisp", "crisper", "clarity", "detail", "detailed")
_add("sharpness", -1, "soft", "softer", "soften", "blurry", "dreamy", "hazy")
_add("magenta", +1, "magenta", "magentas", "pink", "pinks", "pinker", "purple", "purples",
     "violet", "violets")
_add("red", +1, "red", "reds", "redder", "redness", "crimson")
_add("orange", +1, "orange", "oranges")
_add("yellow", +1, "yellow", "yellows", "yellower")
_add("green", +1, "green", "greens", "greener")
_add("cyan", +1, "cyan", "cyans", "teal", "teals", "aqua", "turquoise")
_add("blue", +1, "blue", "blues", "bluer")
COLOURS = frozenset({"magenta", "red", "orange", "yellow", "green", "cyan", "blue"})

# words and the punctuation that ends a clause ("keep the reds, tone down the rest": "down" is not the reds')
_CLAUSE_TOKEN = re.compile(r"[a-z]+(?:-[a-z]+)?|[,;.!?]")
_PUNCT = frozenset(",;.!?")

# words that turn the sign of the attribute that follows them (within two words)
_FLIP = frozenset({"less", "too", "reduce", "reduced", "remove", "fix", "lower", "decrease", "not", "no",
                   "without", "fewer", "minus", "tone", "kill", "cut", "eliminate", "correct", "overly",
                   "excess", "down", "mute", "muted", "desaturate", "dull", "calm", "dim"})
# words right after an attribute that lower it ("contrast down 30%", "saturation off")
_POST_FLIP = frozenset({"down", "off", "lower", "less", "minus"})
# words that make the attribute explicit in its given sign (they only stop a flip from reaching further)
_FIX_AFTER = frozenset({"fix", "correct", "repair", "remove"})
_FIX_FILLER = frozenset({"it", "this", "that", "pls", "please", "plz", "me", "up", "now", "asap", *_PUNCT})


def _ends_with_fix(rest: list[str]) -> bool:
    """The request ends with a fix word and only filler after it ("... pls fix", "... fix it please")."""
    for j in range(len(rest) - 1, -1, -1):
        if rest[j] in _FIX_AFTER:
            return all(w in _FIX_FILLER for w in rest[j + 1:])
        if rest[j] not in _FIX_FILLER:
            return False
    return False


_KEEP = frozenset({"more", "add", "increase", "boost", "extra", "plus", "make", "go", "raise", "higher",
                   "up"})
# words skipped when looking for the flip word before an attribute ("drop a full stop", "less of the red")
_GAP = frozenset({"a", "an", "the", "full", "half", "bit", "little", "tiny", "touch", "tad", "of", "on",
                  "some", "all", "that", "this", "those", "these", "my", "its"})
# phrasal verbs that lower what follows them, read as "less" ("ease up on the cold", "dial back the warmth")
_LOWERING = re.compile(r"\b(?:eas(?:e|y) up(?: on)?|go easy on|dial(?:led)? (?:it )?back(?: on)?"
                       r"|pull(?: it)? back(?: on)?|tone(?: it)? down"
                       r"|scale(?: it)? back(?: on)?|back off(?: on)?|turn(?: it)? down|bring(?: it)? down"
                       r"|knock(?: it)? down|drop|dropped|lose|cut back on)\b")
# after an attribute, a complaint about it turns it ("reds are way too strong", "blues need to come down",
# "teal is overboard"); read up to five words on, stopping at the next attribute's clause
_COMPLAINT_AFTER = frozenset({"down", "lower", "overpowering", "overboard", "overdone", "excessive", "loud",
                              "drop", "dropped", "minus", "reduced", "less"})
_NOT_A_DEGREE = frozenset({"please", "pls", "plz", "thanks", "thx", "ty", "lol", "now", "too", "so"})
_POST_STOP = frozenset({"and", "but", "then", "plus", "with", "while", "keep", "also", *_PUNCT})


def _complained_after(toks: list[str], i: int) -> bool:
    """A complaint about ``toks[i]`` in the words after it, before another attribute's clause starts."""
    if i + 1 < len(toks) and toks[i + 1] in ("it", "things", "everything", "them"):
        return False  # the attribute is the verb: "cool it down", "warm things up"
    for j in range(i + 1, min(len(toks), i + 6)):
        w = toks[j]
        if w in _ATTRS or w in _POST_STOP or w in _REGIONS:
            return False
        nxt = toks[j + 1] if j + 1 < len(toks) else None
        if nxt is not None and nxt in _ATTRS:  # "warmer, less contrast": "less" belongs to contrast
            return False
        if w in ("too", "so") and nxt is not None and nxt not in _NOT_A_DEGREE:
            return True
        if w in _COMPLAINT_AFTER:
            return True
    return False


def _flip_before(toks: list[str], i: int) -> bool:
    """The nearest flip word among the two words before ``toks[i]`` (gap words not counted), unless a keep
    word comes first; a "why" up to four words before ("why so pink", "why is it so dark") also turns it,
    and so does "on the ... side" ("a bit on the cold side")."""
    seen = 0
    for back in toks[:i][::-1]:
        if back in _KEEP or back in _PUNCT:
            break
        if back in _FLIP:  # before the attribute check: "mute", "dull" and "dim" are both
            return True
        if back in _ATTRS:  # the previous attribute's own words ("less contrasty, lifted shadows")
            break
        if back in _GAP:
            continue
        seen += 1
        if seen >= 2:
            break
    if "why" in toks[max(0, i - 4):i]:
        return True
    return i >= 2 and toks[i - 2:i] == ["on", "the"] and i + 1 < len(toks) and toks[i + 1] == "side"


_REGIONS = {"shadow": "shadows", "shadows": "shadows", "blacks": "shadows", "black": "shadows",
            "highlight": "highlights", "highlights": "highlights", "whites": "highlights",
            "midtones": "midtones", "mids": "midtones", "skin": "skin", "face": "skin", "faces": "skin",
            "sky": "sky", "skies": "sky", "background": "background"}
_TOKEN = re.compile(r"[a-z]+(?:-[a-z]+)?")


@lru_cache(maxsize=65536)
def signature(text: str) -> frozenset[tuple[str, int]]:
    """The (attribute, sign) pairs a request's words point to; attributes tied to a region ("warm
    shadows") are written ``attribute@region``."""
    t = str(text).lower().replace("’", "'")
    t = re.sub(r"(?<![a-z0-9])[-−–]\s?(?=\.?\d)", " minus ", t)  # "-1 stop", "- 0.5 ev"
    t = re.sub(r"(?<![a-z0-9])\+\s?(?=\.?\d)", " plus ", t)
    t = re.sub(r"\s*[-−–]+\s*$", " minus", t)  # "exposure -"
    t = _LOWERING.sub(" less ", t)
    toks = _CLAUSE_TOKEN.findall(t)
    out: set[tuple[str, int]] = set()
    for i, t in enumerate(toks):
        hit = _ATTRS.get(t)
        if hit is None:
            continue
        attr, sign = hit
        flipped = False
        # "lower"/"lift" etc. act on a following region ("lift the shadows") as well
        if _flip_before(toks, i):
            sign, flipped = -sign, True
        elif (i + 1 < len(toks) and toks[i + 1] in _POST_FLIP
              and not (i + 2 < len(toks) and toks[i + 2] in _ATTRS)) or _complained_after(toks, i):
            sign, flipped = -sign, True
        # a problem named first and the fix after it: "overexposed photo fix", "green cast pls fix"
        if not flipped and _ends_with_fix(toks[i + 1:]):
            sign = -sign
        region = None
        for w in toks[i + 1:i + 3]:
            if w in _REGIONS:
                region = _REGIONS[w]
                break
        if region is None:
            for k in range(i - 1, max(-1, i - 4), -1):
                if toks[k] in _REGIONS:
                    # a region right after another attribute is that one's ("lift the shadows, less glow")
                    if not any(w in _ATTRS for w in toks[max(0, k - 2):k]):
                        region = _REGIONS[toks[k]]
                    break
        if region is not None and attr not in COLOURS | {"exposure"}:
            out.add((f"{attr}@{region}", sign))
        else:
            out.add((attr, sign))
    return frozenset(out)


_SLIGHT = frozenset({"slightly", "slight", "bit", "little", "touch", "tad", "lil", "subtle", "subtly",
                     "somewhat", "mildly", "mild", "gently", "gentle", "hint", "smidge", "faint", "faintly",
                     "softly", "light", "lightly"})
_STRONG = frozenset({"very", "much", "way", "lot", "heavily", "heavy", "really", "super", "extremely",
                     "extreme", "so", "hugely", "massively", "strong", "strongly", "intense", "drastically",
                     "dramatically", "seriously", "max", "maximum", "crazy", "insanely", "totally", "hard",
                     "significantly", "lots", "tons"})


@lru_cache(maxsize=65536)
def size_class(text: str) -> int:
    """-1 for "slightly"-type wording, +1 for "very"-type, 0 for neither (or both)."""
    toks = set(_TOKEN.findall(str(text).lower()))
    slight, strong = bool(toks & _SLIGHT), bool(toks & _STRONG)
    return (slight is False and strong) - (strong is False and slight)


_OVER = re.compile(r"\bover[- ]?expos")
_UNDER = re.compile(r"\bunder[- ]?expos")


def conflicts(a: str, b: str) -> bool:
    """True when requests ``a`` and ``b`` point in incompatible directions: an attribute with opposite
    signs, both name colours but different ones ("less red" vs "less blue"), both name directions but
    of different attributes only ("increase contrast" vs "increase saturation"), or one says
    over-exposed and the other under-exposed, whatever surrounds the words."""
    la, lb = str(a).lower(), str(b).lower()
    if (_OVER.search(la) and _UNDER.search(lb) and not _OVER.search(lb)) or \
            (_UNDER.search(la) and _OVER.search(lb) and not _UNDER.search(lb)):
        return True
    sa, sb = signature(a), signature(b)
    if not sa or not sb:
        return False
    base_a = {k.split("@")[0] for k, _ in sa} - COLOURS
    base_b = {k.split("@")[0] for k, _ in sb} - COLOURS
    if base_a and base_b and not base_a & base_b:
        return True
    da, db = dict(sa), dict(sb)
    for attr, sign in sa:
        if (attr, -sign) in sb and (attr, sign) not in sb:
            return True
    ca = {k for k in da if k in COLOURS}
    cb = {k for k in db if k in COLOURS}
    return bool(ca and cb and ca != cb)
