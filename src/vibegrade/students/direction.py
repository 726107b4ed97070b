"""Which way a request points, read from its words: a guard for answers re-used from other requests.

Sentence encoders put "less red" next to "less blue" and "overexposed" next to "underexposed": the
texts differ in one word. A student that re-uses a stored answer (the answer memory, nearest
neighbours) must never hand one of them the other's answer. :func:`signature` reads a request's
directions -- (attribute, sign) pairs such as ``("temperature", +1)`` for "warmer", ``("red", -1)`` for
"less red", ``("temperature@shadows", +1)`` for "warm shadows" -- and :func:`conflicts` says whether two
requests point in incompatible directions. The refinement model reads the same pairs as features.

Requests are read as people type them in a chat line: commands ("warmer", "pull the blues back"),
complaints and states, which turn the attribute ("reds are way too strong", "it looks flat", "there's a
blue cast" → ``("blue@cast", -1)``, "a little greenish"), wanting more ("the orange is way too weak",
"not dreamy enough"), and slider talk, where an arrow, sign or number belongs to the attribute before it
("temp ↓30", "exposure ↓ contrast ↑", "clarity 0", "shadows ↑").

It is deliberately conservative: it only looks at words it knows, so a request without direction words
("golden hour") never conflicts with anything.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["signature", "restate", "conflicts", "size_class", "known_words", "size_words", "region_words"]

# word -> (attribute, sign)
_ATTRS: dict[str, tuple[str, int]] = {}


def _add(attr: str, sign: int, *words: str) -> None:
    for w in words:
        _ATTRS[w] = (attr, sign)


_add("temperature", +1, "warm", "warmer", "warmest", "warmth", "warming", "hotter", "hot", "toastier")
_add("temperature", -1, "cool", "cooler", "coolest", "cold", "colder", "coldest", "chilly", "icy", "icier")
_add("light", +1, "bright", "brighter", "brighten", "brightest", "lighter", "lighten", "lift", "lifted",
     "lifting", "open", "opening", "brightness")
_add("light", -1, "dark", "darker", "darken", "darkest", "dim", "dimmer", "crush", "crushed", "deepen",
     "deeper", "deep")
_add("exposure", +1, "overexposed", "overexposure", "blown")
_add("exposure", -1, "underexposed", "underexposure")
# the verbs are commands on the level, not the state: "underexpose it by a stop" darkens
_add("exposure_level", +1, "overexpose")
_add("exposure_level", -1, "underexpose")
_add("exposure_level", +1, "exposure", "ev", "stop", "stops", "half-stop", "full-stop", "exp")
_add("glow", +1, "glow", "glowy", "bloom", "glowing")
_add("contrast", +1, "contrast", "contrasty", "punchy", "punchier", "harsh", "harsher")
_add("contrast", -1, "flat", "flatter", "low-contrast", "flatten")
_add("contrast", +1, "bite", "punch")  # "give it some bite", "less punch"
_add("saturation", +1, "saturation", "vibrance", "colors", "colours", "saturated", "saturate", "vivid",
     "vibrant", "colorful", "colourful", "richer", "rich", "intense")
_add("saturation", -1, "desaturated", "desaturate", "muted", "mute", "dull", "duller", "washed", "faded",
     "pale", "paler")
_add("sharpness", +1, "sharp", "sharper", "sharpen", "crisp", "crisper", "clarity", "detail", "detailed",
     "structure", "sharpness", "sharpening", "clearer", "details")
_add("sharpness", -1, "soft", "softer", "soften", "blurry", "dreamy", "hazy", "blur", "blurrier")
# grain is texture the teacher makes with sharpening and structure ("grainy": sharpen +25): "portra with
# less grain" had found "portra with more grain" (sharpen +30). Noise is not read: its stored fixes ("a bit
# noisy": bloom 8, shadows -6) are the sizes the teacher gave them.
_add("sharpness", +1, "grain", "grainy", "grainier")
_add("magenta", +1, "magenta", "magentas", "pink", "pinks", "pinker", "purple", "purples",
     "violet", "violets")
_add("red", +1, "red", "reds", "redder", "redness", "crimson")
_add("orange", +1, "orange", "oranges")
_add("yellow", +1, "yellow", "yellows", "yellower")
_add("green", +1, "green", "greens", "greener")
_add("cyan", +1, "cyan", "cyans", "teal", "teals", "aqua", "turquoise")
_add("blue", +1, "blue", "blues", "bluer")
# colour words that describe a state rather than ask for one ("a little greenish", "too yellowish"): read as
# the colour, and as a complaint about it unless a keep word asks for it ("make it pinkish")
_ISH = {"reddish": "red", "orangey": "orange", "orangish": "orange", "orangy": "orange",
        "yellowish": "yellow", "yellowy": "yellow", "greenish": "green", "greeny": "green", "bluish": "blue",
        "blueish": "blue",
        "pinkish": "magenta", "purplish": "magenta", "magentaish": "magenta", "cyanish": "cyan",
        "teal-ish": "cyan", "magenta-ish": "magenta",
        # "over-" words name a state too: "it looks over-sharpened" asks for less
        "oversaturated": "saturation", "over-saturated": "saturation", "oversharpened": "sharpness",
        "over-sharpened": "sharpness", "oversharp": "sharpness", "crunchy": "sharpness", "ruddy": "red",
        "flushed": "red", "sunburnt": "red", "sunburned": "red", "spray-tanned": "orange", "tanned": "orange",
        "toasty": "temperature"}
_ISH.update({f"{c}-ish": c2 for c, c2 in (("red", "red"), ("orange", "orange"), ("yellow", "yellow"),
                                          ("green", "green"), ("blue", "blue"), ("pink", "magenta"),
                                          ("purple", "magenta"), ("cyan", "cyan"), ("teal", "cyan"))})
for _w, _c in _ISH.items():
    _ATTRS[_w] = (_c, +1)
_add("magenta", +1, "magenta-er", "magentier")
_add("temperature", +1, "temp", "temperature", "wb")
_add("temperature", -1, "chill", "coldness", "frosty", "freezing", "frozen", "nippy", "frigid")
# a tone named as a compound ("too cool-toned", "it's warm-toned now"): read like the plain word
_add("temperature", +1, "warm-toned", "warm-tinted")
_add("temperature", -1, "cool-toned", "cold-toned", "cool-tinted", "cold-tinted")
# the preset's strength: "filter is too strong", "filter intensity -", "drop the filter"
_add("filter", +1, "filter", "filters", "preset", "lut")
_add("light", +1, "brite", "brighter-looking")
_add("saturation", +1, "sat", "colour", "color", "poppy", "poppier")
_add("saturation", -1, "subdued", "toned-down", "desat", "drab")
COLOURS = frozenset({"magenta", "red", "orange", "yellow", "green", "cyan", "blue"})

# words and the punctuation that ends a clause ("keep the reds, tone down the rest": "down" is not the reds')
_CLAUSE_TOKEN = re.compile(r"[a-z]+(?:-[a-z]+)?|[,;.!?]")
_PUNCT = frozenset(",;.!?")

# words that turn the sign of the attribute that follows them (within two words)
_FLIP = frozenset({"soften", "zero", "weaker",
                   "less", "too", "reduce", "reduced", "remove", "fix", "lower", "decrease", "not", "no",
                   "without", "fewer", "minus", "tone", "kill", "cut", "eliminate", "correct", "overly",
                   "excess", "down", "mute", "muted", "desaturate", "desat", "dull", "calm", "dim",
                   "nix", "ditch", "axe", "zap", "calmer", "quieter", "tamer", "tamed", "drain"})
# words right after an attribute that lower it ("contrast down 30%", "saturation off")
_POST_FLIP = frozenset({"down", "off", "lower", "less", "minus", "out", "arrowdown", "weaker"})
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
                   "up", "bump", "crank", "pump", "amp"})
# words skipped when looking for the flip word before an attribute ("drop a full stop", "less of the red")
_GAP = frozenset({"a", "an", "the", "full", "half", "bit", "little", "tiny", "touch", "tad", "of", "on", "by",
                  "some", "all", "that", "this", "those", "these", "my", "its"})
# phrasal verbs that lower what follows them, read as "less" ("ease up on the cold", "dial back the warmth")
_LOWERING = re.compile(r"\b(?:eas(?:e|y) (?:up|off)(?: on)?|go easy on|dial(?:led)? (?:it )?back(?: on)?"
                       r"|pull(?: it)? back(?: on)?|tone(?: it)? down|bring(?: it| them)? (?:way |right )down"
                       r"|scale(?: it)? back(?: on)?|back off(?: on)?|turn(?: it)? down|bring(?: it)? down"
                       r"|knock(?: it)? down|drop|dropped|lose|cut back on"
                       r"|dial(?: it| them)? (?:way |right )?down|knock(?: it| them)? back(?: on)?"
                       r"|rein(?: it| them)? in|tame"
                       r"|(?:turn|switch|shut)(?: it)? off"
                       r"|(?:knock|take|shave|pull|trim)(?: it| some| a (?:little|bit|touch|tad|smidge|hair"
                       r"|fraction|notch|lot)(?: bit)?)? off|(?:take|strip|suck|pull) out|ease)\b")
_CHANNEL = re.compile(r"\b(reds?|oranges?|yellows?|greens?|cyans?|teals?|blues?|magentas?|pinks?|purples?)"
                      r"\s+(?:sat|saturation|lum|luminance|brightness)\b")
_TO_ZERO = re.compile(r"(?<=[a-z])\s*(?:→|->|=|:|\bto\b)?\s*(?<![\d.])\b(?:0|zero|min|minimum)\b(?![.\d])")
_TO_MAX = re.compile(r"\s*(?:→|->|=|:|\bto\b)\s*\b(?:max|maximum|100)\b")
_OBJECT_BACK = re.compile(r"\b(?:pull|dial|scale|knock|tone|turn|bring|cut|take|ease)\s+(?!it\b|them\b)"
                          r"((?:(?:some|a bit|a little|a touch|most|part|a lot) of\s+)?"
                          r"(?:the\s+|that\s+|those\s+|all\s+the\s+)?[a-z]+(?:\s+[a-z]+)?)\s+(?:back|down)\b")
# "knock a little red out of the skin", "take the warmth out": less of what is named
_OBJECT_OUT = re.compile(r"\b(?:knock|take|strip|suck|pull|yank|drain)\s+(?!it\b|them\b)"
                         r"((?:(?:some|a bit|a little|a touch|most|part|a lot|all|a ton|tons|loads|lots|heaps"
                         r"|plenty|a fraction|a smidge|a hair)(?: of)?\s+)?"
                         r"(?:the\s+|that\s+)?[a-z]+)\s+(?:right\s+|all\s+the\s+way\s+)?(?:out|away)\b")
# an intensifier typed twice or more ("way, way down", "so so cold"): once
_REPEATED = re.compile(r"\b(way|so|super|really|very)(?:,?\s+\1\b)+")
_REMOVING = re.compile(r"\b(?:get rid of|take away|do away with|clean up)\b")
# the states of the ends of the tonal range, said of the whites or the blacks: blown or clipped whites are
# too bright ("the whites are blown", "clipped highlights"), grey or dingy whites too dark ("whites look a
# little dingy"), grey or milky blacks too light ("blacks look grey", "shadows a bit too grey"); a state
# needs a verb or "too" after the region ("faded blacks" is a look that asks for them). Each is rewritten
# as "too bright highlights" and the like, which the reader reads as it should.
_WHITES = r"(?:whites|highlights|brights|bright (?:parts|bits|areas))"
_BLACKS = r"(?:blacks|shadows|darks|dark (?:parts|bits|areas))"
_VERB = r"\s+(?:look|looks|are|is|seem|seems|r|feel|feels)"
_STATE_DEGREE = (r"(?:\s+[a-z]+ly|\s+a\s+(?:(?:tiny|little|wee)\s+)?(?:bit|little|tad|touch|fraction|smidge"
                 r"|hair|notch|shade|whisker)"
                 r"|\s+(?:bit|kinda|super|really|so|way|too|quite|pretty|very))*")
_TOO = r"(?:\s+[a-z]+){0,2}\s+too"
_BLOWN = (r"(?:blown(?:\s+out)?|blowing(?:\s+out)?|clipped|clipping|overblown|burnt\s+out|burned\s+out"
          r"|nuked|fried)")
_GREY_WHITES = r"(?:grey|gray|greyish|grayish|dingy|dirty|dull|dim)"
_GREY_BLACKS = r"(?:grey|gray|greyish|grayish|milky|washed(?:[- ]out)?|faded|lifted|hazy|weak|thin|faint)"
# a state needs its verb or a degree word between the region and the word ("highlights way too hot",
# "whites are a tad hot"; not "hot highlights", a look)
_SAID_OF = rf"(?:{_VERB}{_STATE_DEGREE}|{_STATE_DEGREE.removesuffix('*')}+)"
_HOT = r"(?:hot|harsh|glaring|blinding|searing)"
_WHITES_BLOWN = re.compile(rf"\b{_WHITES}(?:{_VERB})?{_STATE_DEGREE}\s+{_BLOWN}\b"
                           rf"|\b(?:blown(?:[- ]out)?|clipped|clipping|overblown)\s+(?:{_WHITES}|white)\b"
                           rf"|\b{_WHITES}{_SAID_OF}\s+{_HOT}\b")
_GREY_WHITES_MORE = rf"(?:{_GREY_WHITES}|muddy|murky|muted|weak|flat|dead)"
_WHITES_GREY = re.compile(rf"\b{_WHITES}{_SAID_OF}\s+{_GREY_WHITES_MORE}\b"
                          rf"|\b{_WHITES}{_TOO}\s+{_GREY_WHITES}\b"
                          rf"|\b{_WHITES}\s+(?:are|r|is)?\s*(?:not|n'?t|nt)\s+(?:white|bright|clean)\s+enough\b")
_BLACKS_GREY = re.compile(rf"\b{_BLACKS}{_VERB}{_STATE_DEGREE}\s+{_GREY_BLACKS}\b"
                          rf"|\b{_BLACKS}{_TOO}\s+{_GREY_BLACKS}\b")
# blacks said to be crushed or blocked are too dark ("darks are a little crushed"): lift them
_BLACKS_CRUSHED = re.compile(rf"\b{_BLACKS}(?:{_VERB})?{_STATE_DEGREE}"
                             r"\s+(?:crushed|blocked|clogged|inky|closed|plugged)\b")
# "the dark parts", "bright areas": the region words ("darken the dark parts slightly" darkens the shadows)
_REGION_PHRASE = re.compile(r"\b(dark|bright|light)(?:er)?\s+(?:parts?|areas?|bits?|spots?|tones?)\b")
# what is said of a colour's range as it is: too little of it ("reds look weak", "the yellows are really
# pale", "greens a bit dead") asks for more of it, too much ("the greens are super neon", "blues are super
# intense") for less; read as "more reds" / "less reds" unless something before asks for the state ("i want
# the reds to look bright")
_HUES = "red|orange|yellow|green|blue|purple|pink|magenta|cyan|teal"
_RANGE = "(?:" + "|".join(f"{h}s?" for h in _HUES.split("|")) + ")"
_RANGE_WEAK = (r"weak|dull|dead|muted|pale|faint|flat|lifeless|drab|faded|washed(?:[- ]out)?|weak-looking"
               r"|an(?:a)?emic|underwhelming|subdued|desaturated|bland|sad|lacking|boring")
_RANGE_LOUD = (r"intense|neon|strong|loud|garish|overdone|overpowering|oversaturated|over-saturated|saturated"
               r"|radioactive|nuclear|overcooked|punchy|vivid|bright|heavy|hot|aggressive|overwhelming"
               r"|screaming|overbearing|insane|crazy|wild|blowing\s+out|blown(?:\s+out)?|clipping|clipped")
# without its verb the state needs a hedge or "too" ("reds a bit strong", "greens way too pale"): the student
# reads requests without their asking words, and "make the blues really intense" reaches this reader as
# "blues really intense"
_HEDGED = (r"(?:\s+[a-z]+ly|\s+(?:a\s+)?(?:(?:tiny|little|wee)\s+)?(?:bit|little|tad|touch|smidge|hair)"
           r"|\s+(?:kinda|quite|pretty|way|super|really|so|very))*"
           r"(?:\s+too|\s+(?:a\s+)?(?:(?:tiny|little|wee)\s+)?(?:bit|little|tad|touch|smidge)|\s+kinda|\s+slightly"
           r"|\s+somewhat)"
           r"(?:\s+[a-z]+ly|\s+(?:kinda|quite|pretty|way|super|really|so|very|too))*")
_RANGE_STATE = re.compile(rf"\b({_RANGE})(?:{_VERB}{_STATE_DEGREE}|{_HEDGED})"
                          rf"\s+(?:({_RANGE_WEAK})|({_RANGE_LOUD}))\b")
# what is said of the whole picture: a hue or a temperature (group 1), or another state (group 2)
_PICTURE_WORDS = (rf"(?:({_HUES}|warm|cool|cold|hot)|(dark|bright|dim|flat|soft|blurry|fuzzy|saturated"
                  r"|oversaturated|vivid|colou?rful|desaturated|muted|dull|faded|washed out|contrasty|harsh"
                  r"|punchy|sharp|crunchy|grey|gray|muddy|murky|hazy))")
# a colour or a temperature said of the whole picture as it is ("its really orange", "everythings super
# blue", "looks super warm, needs cooling"): a cast, too much of it; read as "everything too orange". Any
# other state said so ("its really dark", "it's super bright", "its kinda blurry") is too much of it too.
_PICTURE_STATE = re.compile(
    r"(?:(?:^|(?<=[,;.!?]))\s*(?:looks|feels|seems)"  # "look warm" is what "make it look warm" reads as
    r"|\b(?:it'?s|it is|it looks|it feels|it seems|everything'?s|everythings|everything (?:is|looks|feels)"
    r"|the whole (?:thing|photo|pic|picture|image|shot) (?:is|looks)))"
    r"(?:\s+(?:way|so|super|really|very|kinda|a bit|a little|bit|little|too|quite|pretty|totally|rather"
    rf"|slightly|a tad|tad|mega|hella|all))*\s+{_PICTURE_WORDS}\b"
    r"(?!\s*(?:-|,)?\s*(?:tint|cast|tone|toned|hue|tinge|and|but|with|[a-z]+\s+look)\b)"
    rf"(?!\s+(?:{_HUES}|warm|cool|cold)\b)")
# after an attribute, a complaint about it turns it ("reds are way too strong", "blues need to come down",
# "teal is overboard"); read up to five words on, stopping at the next attribute's clause
_COMPLAINT_AFTER = frozenset({"down", "lower", "overpowering", "overboard", "overdone", "excessive", "loud",
                              "drop", "dropped", "minus", "reduced", "less", "strong", "screaming",
                              "overkill", "overwhelming", "heavy", "off", "arrowdown", "high", "top",
                              "shouting", "overcooked", "insane", "brutal", "crazy", "wild", "garish",
                              "aggressive", "control", "heavy-handed", "gone", "goes", "overload",
                              "overloaded", "ruining", "ruins", "spoiling", "spoils", "wrecking",
                              "distracting", "shrieking", "screeching", "blaring", "yelling", "fake",
                              "quieter", "calmer", "tamer", "subtler", "gentler", "cut"})
# what is said of a colour that takes over the picture: too much of it, unless it was asked for ("i want
# the colours absolutely nuclear")
_DOMINATING = frozenset({"hogging", "drowning", "blinding", "nuclear", "dominating", "stealing", "burning",
                         "swamping", "swamped", "smothering", "suffocating"})
_NOT_A_DEGREE = frozenset({"please", "pls", "plz", "thanks", "thx", "ty", "lol", "now", "too", "so", "tbh",
                           "ngl", "imo", "honestly", "rn", "atm", "tho", "though"})
_POST_STOP = frozenset({"and", "but", "then", "plus", "with", "while", "keep", "also", "it", "its",
                        *_PUNCT})
# "so much", "way more" before a comparative ask for more, not complain ("reds need to be so much stronger")
_MORE_AFTER = frozenset({"much", "many", "way", "lot"})
_INTENSITY = frozenset({"punchy", "intense", "vivid", "saturated", "bright", "loud", "strong", "heavy",
                        "rich", "vibrant", "bold"})
# what is said of an attribute that wants more of it ("the orange is way too weak", "reds look so faint")
_LACKING = frozenset({"weak", "faint", "subtle", "little", "low", "timid", "weak-looking", "lacking"})


# a clause that lowers what the previous one named: its verb, then only these ("pull it back a bit pls";
# not "tone down the rest")
_LOWER_VERBS = frozenset({"less", "lower", "cut", "reduce", "sink", "kill", "drop", "remove"})
# size words before a lowering clause's verb ("way less", "a lot less", "far too much")
_LEAD_DEGREE = frozenset({"way", "far", "much", "a", "lot", "bit", "little", "tad", "touch", "lil", "just",
                          "honestly", "really", "so", "waaay", "fraction", "smidge", "hair", "notch", "loads",
                          "heaps", "ton", "tons", "teeny", "tiny", "wee", "slightly", "smidgen", "somewhat"})
_BACK_FILLER = frozenset({"it", "them", "that", "this", "back", "down", "a", "bit", "little", "pls", "please",
                          "plz", "now", "some", "touch", "tad", "lot", "way", "much", "off", "lol", "of",
                          "loads", "ton", "tons", "hugely", "massively", "heaps", "most", "all", "entirely",
                          "completely", "lots", "more", "hard", "fraction", "smidge", "hair", "notch",
                          "whisker", "shade", "right", "again", "ok", "okay"})


def _clause_span(toks: list[str], i: int, stops: frozenset[str]) -> tuple[int, int]:
    """``(lo, hi)``: the tokens around ``toks[i]`` up to (not including) punctuation or a word of
    ``stops`` on either side; ``toks[lo:hi]`` is the clause."""
    lo = i
    while lo > 0 and toks[lo - 1] not in _PUNCT and toks[lo - 1] not in stops:
        lo -= 1
    hi = i + 1
    while hi < len(toks) and toks[hi] not in _PUNCT and toks[hi] not in stops:
        hi += 1
    return lo, hi


def _lowering_clause(toks: list[str], j: int) -> bool:
    """The clause starting at ``toks[j]`` names no attribute and lowers ("the blue is a lot, pull it
    back": after the substitutions "..., less"; "the glow is everywhere, way less") or says it is too
    much ("a clown explosion of colour, way too much")."""
    rest = toks[j:_clause_span(toks, j, frozenset())[1]]
    while rest and rest[0] in _LEAD_DEGREE:
        rest = rest[1:]
    if rest[:2] in (["too", "much"], ["too", "strong"], ["too", "intense"], ["too", "far"]) or \
            rest[:1] in (["overkill"], ["overdone"], ["excessive"]):
        return all(w in _NOT_A_DEGREE for w in rest[2 if rest[0] == "too" else 1:])
    return bool(rest) and rest[0] in _LOWER_VERBS and all(w in _BACK_FILLER for w in rest[1:])


# states of too much colour said after a colour ("the blues are way oversaturated")
_OVERDONE = frozenset({"oversaturated", "over-saturated", "garish"})
# "the greens are crazy saturated": these before "saturated" say too much of the colour
_OVER_INTENSIFIERS = frozenset({"crazy", "super", "way", "insanely", "massively", "hugely", "ridiculously",
                                "absurdly", "wildly", "mega", "stupidly"})


# "the yellow has gone crazy": too much of it
_GONE_WILD = frozenset({"crazy", "wild", "nuts", "mad", "overboard", "too", "way", "insane", "nuclear",
                        "haywire", "bananas", "berserk", "off"})
_ASKED_STRENGTH = frozenset({"strong", "heavy", "loud", "wild", "crazy", "insane", "aggressive", "high"})
_BARE_INTENSIFIERS = frozenset({"really", "super", "very", "extra", "mega"})


def _complained_after(toks: list[str], i: int) -> bool:
    """A complaint about ``toks[i]`` in the words after it, before another attribute's clause starts."""
    if i + 1 < len(toks) and toks[i + 1] in ("it", "things", "everything", "them"):
        return False  # the attribute is the verb: "cool it down", "warm things up"
    for j in range(i + 1, min(len(toks), i + 6)):
        w = toks[j]
        if w in _PUNCT:  # "the blue is a lot, pull it back" (not "more detail, bring them down")
            return j + 1 < len(toks) and _lowering_clause(toks, j + 1) and not any(
                x in _KEEP for x in toks[max(0, i - 2):i])
        nxt = toks[j + 1] if j + 1 < len(toks) else None
        overdone = w in _OVERDONE or nxt in _OVERDONE or (w in _OVER_INTENSIFIERS and nxt == "saturated")
        if overdone and _ATTRS[toks[i]][0] in COLOURS and not any(x in _ASK for x in toks[max(0, i - 3):i]):
            return True  # "the blues are way oversaturated": the colour is too strong
        if w in _ATTRS or w in _POST_STOP or w in _REGIONS:
            return False
        if w in ("too", "so") and nxt in _INTENSITY and _ATTRS[toks[i]][0] in COLOURS:
            return True  # "reds a little too punchy": the colour is too strong
        if nxt is not None and nxt in _ATTRS:  # "warmer, less contrast": "less" belongs to contrast
            return False
        if w == "much" and toks[j - 1] in ("bit", "little", "tad") and (nxt is None or nxt in _PUNCT
                                                                        or nxt in _NOT_A_DEGREE):
            return True  # "the orange is a tiny bit much": too much of it
        if w in ("too", "so") and nxt is not None and nxt not in _NOT_A_DEGREE:
            after = toks[j + 2] if j + 2 < len(toks) else ""
            if nxt in _MORE_AFTER and (after == "more" or after.endswith("er")) or nxt in _LACKING:
                return False  # "so much stronger", "way too weak": more of it
            return True
        if w == "top" and toks[j - 1] == "up":
            return False  # "more blue up top": the sky, not "over the top"
        if w in _DOMINATING:
            return not any(x in _ASK for x in toks[max(0, i - 3):i])
        asked = w in _ASKED_STRENGTH and (
            any(x in _ASK for x in toks[max(0, i - 3):i])
            or (toks[j - 1] in _BARE_INTENSIFIERS and not any(x in _STATE_VERBS for x in toks[i + 1:j])))
        if w == "gone" and nxt not in _GONE_WILD and any(x in _STATE_VERBS or x in ("has", "have")
                                                          for x in toks[i + 1:j]):
            return False  # "the cyan is basically gone": there is none left (not "yellow gone pls")
        if w in _COMPLAINT_AFTER and (toks[j - 1] == "more" or asked):
            # "yellow need much more strong", "make the oranges really strong"; without a verb, "oranges
            # really strong" is what the student reads of the second (its asking words are dropped)
            return False
        if w in _COMPLAINT_AFTER:
            # after a word that already lowers, "heavy" / "strong" is its size: "desat heavy"
            return not (_ATTRS[toks[i]][1] < 0 and w in ("heavy", "strong", "hard", "crazy", "insane"))
    return False


def _flip_before(toks: list[str], i: int) -> bool:
    """The nearest flip word among the two words before ``toks[i]`` (gap words not counted), unless a keep
    word comes first; a "why" up to four words before ("why so pink", "why is it so dark") also turns it,
    and so does "on the ... side" ("a bit on the cold side")."""
    seen = 0
    for k in range(i - 1, -1, -1):
        back = toks[k]
        if back in _KEEP or back in _PUNCT:
            break
        if back in _POST_FLIP and k >= 1 and toks[k - 1] in _ATTRS and "and" in toks[k + 1:i]:
            break  # the previous attribute's own "down": "contrast down and temp up"
        if back in _FLIP:  # before the attribute check: "mute", "dull" and "dim" are both
            # "not dreamy enough", "not nearly warm enough" ask for more
            return not (back == "not" and "enough" in toks[i + 1:i + 4])
        if back in _ATTRS and not (_ATTRS[back][0] in COLOURS and toks[i - 1] == back):
            break  # the previous attribute's own words ("less contrasty, lifted shadows"), but a colour
            # right before is this one's adjective ("remove that blue chill")
        if back in _GAP:
            continue
        seen += 1
        if seen >= 2:
            break
    if "why" in toks[max(0, i - 4):i]:
        return True
    return i >= 2 and toks[i - 2:i] == ["on", "the"] and i + 1 < len(toks) and toks[i + 1] == "side"


_REGIONS = {"shadow": "shadows", "shadows": "shadows", "blacks": "shadows", "black": "shadows",
            "darks": "shadows", "lows": "shadows",
            "highlight": "highlights", "highlights": "highlights", "whites": "highlights",
            "brights": "highlights",
            "highs": "highlights",
            "midtones": "midtones", "mids": "midtones", "skin": "skin", "face": "skin", "faces": "skin",
            "sky": "sky", "skies": "sky", "background": "background"}
_REGION_WORDS = frozenset(_REGIONS)
_TOKEN = re.compile(r"[a-z]+(?:-[a-z]+)?")
# what a region alone moves, with up / down ("shadows down a touch", "highlights ↓")
_REGION_UP = frozenset({"up", "arrowup", "higher", "raise", "raised", "boost", "plus", "brighter", "lighter",
                        "bump", "crank", "pump", "increase", "increased"})
# what is said of shadows that are too dark ("shadows feel too heavy", "the darks are murky"): lift them
_HEAVY = frozenset({"heavy", "murky", "muddy", "dense", "thick", "inky", "gloomy", "blocked", "clogged",
                    "smothered", "choked", "swallowed"})
_REGION_DOWN = frozenset({"down", "arrowdown", "lower", "lowered", "minus", "less", "reduce", "darker",
                          "sink", "decrease", "decreased", "reduced"})
# bringing detail back: darker highlights, lighter shadows
_RECOVER = frozenset({"recover", "rescue", "save", "protect", "retrieve", "restore"})
# what "more" asks for when these follow "highlight" ("more highlight recovery" darkens them)
_HIGHLIGHT_NOUNS = frozenset({"recovery", "detail", "details", "protection", "rolloff", "roll-off",
                              "compression", "control"})
# a word right after a region that is its own move
_OWN_MOVE = {"up": 1, "arrowup": 1, "higher": 1, "brighter": 1, "lighter": 1,
             "down": -1, "arrowdown": -1, "lower": -1, "darker": -1}
# nouns that name an attribute without a direction ("make the colours more subdued": the adjective decides)
_LEVEL_NOUNS = frozenset({"saturation", "vibrance", "colors", "colours", "colour", "color", "sat", "temp",
                          "temperature", "contrast", "exposure", "brightness", "stop", "stops", "ev",
                          "warmth", "clarity", "detail", "glow", "bloom", "wb", "punch", "bite"})
# a colour named as a cast over the picture is a complaint ("there's a blue cast", "get rid of the cold tint")
_CAST = frozenset({"cast", "tint", "tinge", "tone", "overlay", "haze", "hint"})
_NOT_SATURATION = frozenset({*_CAST, "balance", "temperature", "temp", "grade", "grading", "palette",
                             "scheme", "correction"})
_ASK = frozenset({*_KEEP, "want", "give", "need", "like", "love", "get", "bring", "push", "turn", "try",
                  "with"})
# verbs that describe the picture as it is ("it looks flat", "skin is orange", "feels cold"): a complaint
_STATE_VERBS = frozenset({"looks", "look", "looking", "feels", "feel", "seems", "is", "are", "s", "getting",
                          "reads", "r",
                          "lean", "leans", "leaning", "gone", "turned", "came", "went", "coming", "comes"})
# degree words of a bare fragment ("a bit flat", "kinda dark"): at least one of the core ones
_DEGREE_CORE = frozenset({"bit", "little", "tad", "kinda", "slightly", "rather", "quite", "pretty", "lil",
                          "abit", "touch", "hair", "smidge", "wee", "tiny", "somewhat", "kind"})
_DEGREE = frozenset({*_DEGREE_CORE, "a", "of", "still", "now", "hmm", "ok", "it", "its", "s"})
_AND_BUT = frozenset({"and", "but"})
_JOINERS = frozenset({"and", "but", "plus", "then", "also"})


def _collapse(match: re.Match[str]) -> str:
    """A word typed with a letter held down: "sooo" → "so", "colddd" → "cold" when that is a known word,
    else two of the letter ("tooo" → "too")."""
    word = match.group(0)
    one = re.sub(r"([a-z])\1{2,}", r"\1", word)
    return one if one in _ATTRS or one in ("so", "cold", "warm") else re.sub(r"([a-z])\1{2,}", r"\1\1", word)


# verbs that ask, never describe ("slightly desaturate" is a command, "slightly desaturated" a state)
_COMMANDS = frozenset({"desaturate", "desat", "darken", "brighten", "lighten", "soften", "sharpen", "deepen",
                       "mute", "saturate", "flatten"})


def _is_state(toks: list[str], i: int) -> bool:
    """``toks[i]`` describes the picture rather than asks for it: a "-ish" colour; a plain colour or
    temperature word before "cast" / "tint"; or an adjective after "looks", "is", "feels" … ("it looks
    flat", "skin is orange") -- each only with no asking word before it ("make it look warm")."""
    w = toks[i]
    before = toks[max(0, i - 3):i]
    if any(x in _ASK for x in before):
        return False
    if w in _ISH:
        return True
    if w in _LEVEL_NOUNS or w.endswith("er") or w not in _ATTRS or _ATTRS[w][0] == "exposure" or \
            w in _COMMANDS:
        return False  # "overexposed", "blown" already name the state
    if _ATTRS[w][0] in COLOURS | {"temperature"} and any(x in _CAST for x in toks[i + 1:i + 3]):
        return True
    if any(x in ("barely", "hardly") for x in toks[max(0, i - 3):i]):
        return False  # "the water barely looks cyan": more of it
    back = [x for x in toks[max(0, i - 5):i] if x not in _GAP and x not in _DEGREE_CORE]
    if i >= 2 and toks[i - 1] == "s" and toks[i - 2] in ("sky", "skies") and w in ("blue", "blues", "cyan"):
        return False  # "deepen the sky's blue": the sky's colour, not "the sky is blue"
    if i + 1 < len(toks) and toks[i + 1] in ("looking", "af"):
        return True  # "ridiculously cold looking", "dark af"
    if any(x in _STATE_VERBS for x in back[-2:]):  # "colours are a bit muted"
        return True
    # a fragment of degree words and the adjective alone: "a bit flat", "kinda dark", "and a bit cold",
    # also after what it describes: "contrast a bit harsh"
    start, end = _clause_span(toks, i, _AND_BUT)
    lead = toks[start:i]
    if lead and (lead[0] in _LEVEL_NOUNS or lead[0] in _REGIONS or
                 (lead[0] in _ATTRS and _ATTRS[lead[0]][0] in COLOURS)):
        lead = lead[1:]
    return bool(lead) and all(x in _DEGREE for x in lead) and bool(set(lead) & _DEGREE_CORE) and \
        all(x in _NOT_A_DEGREE for x in toks[i + 1:end])


# "blues a touch less intense", "greens more vivid": less / more of the colour, not of all colours
_RANGE_COMPARED = re.compile(rf"\b({_RANGE})(?:{_SAID_OF})?\s+(less|more)\s+(?:intense|vivid|saturated"
                             r"|vibrant|bright|strong|punchy|bold|rich|colou?rful|neon|loud|saturation)\b")
# an intensity asked of a colour's range ("make the blues really intense", "get the oranges super vivid"):
# more of that colour, not of every colour
_RANGE_ASKED = re.compile(rf"\b(make|get|want|need)\s+(?:the\s+|my\s+|those\s+)?({_RANGE})"
                          rf"(?:\s+(?:a\s+lot|way|so|super|really|very|more|much|even|extra|a\s+bit))*"
                          r"\s+(?:intense|vivid|saturated|vibrant|strong|punchy|bold|rich|colou?rful|stronger"
                          r"|brighter|richer|bolder|punchier)\b")
# a state said first with its size and a comma after it, or an interjection: "super warm, cool it way down",
# "super soft, needs way more detail", "so dark omg" (not bare "super warm", a look)
_FRAGMENT_STATE = re.compile(
    r"^\s*(?:(?:hmm+|ugh+|omg|ok|okay|honestly|tbh|yikes|wow|ew+|ngl)\s+)?"
    r"(?:(?:so|super|really|way|very|kinda|a bit|a little|bit|quite|pretty|totally|mega|hella|too)\s+)+"
    rf"{_PICTURE_WORDS}\b(?:\s+tones?\b)?"  # "super cold tones, warm it up"
    r"(?=\s*[,;.!]\s*(?:pls\s+|please\s+|so\s+|just\s+)?(?:fix|cool|warm|tone|pull|bring|needs?|reduce|lower"
    r"|raise|boost|lift|sharpen|soften|darken|brighten|lighten|crush|dial|knock|ease|tame|kill|drop|desaturate"
    r"|desat|increase|decrease|cut|push|more|less|way|turn|can|could|help|ugh|omg|lol)\b"
    r"|\s+(?:omg|lol|ugh+|tbh|imo|rn|af|smh|ngl)\b)")
# "too light", "so light": too bright ("light" alone is a size word)
_TOO_LIGHT = re.compile(r"\b(too|so)\s+light\b(?!\s*(?:leaks?|rays?|beams?|trails?))")
# "deeper blues", "blues a little deeper": more of the colour's range (not darker; "a deeper blue sky" is
# both)
_RANGES_PLURAL = "(?:" + "|".join(f"{h}s" for h in _HUES.split("|")) + ")"
_DEEPER = re.compile(rf"\bdeeper\s+({_RANGES_PLURAL})\b|\b({_RANGES_PLURAL})(?:{_STATE_DEGREE})\s+deeper\b")
# "make the reds pop", "greens need to pop", "make the whites really pop": more of them
_POP = re.compile(rf"\b({_RANGE}|colou?rs|whites|highlights|brights)\s+(?:really\s+|more\s+|to\s+"
                  r"|need\s+to\s+|needs\s+to\s+)*pop\b")
# light as a noun: "needs more light", "a bit less light" (not "light leaks")
_LIGHT_NOUN = re.compile(r"\b(more|less|lower|reduce|dim|drop|cut|raise|boost|increase)\s+(?:the\s+)?light\b"
                         r"(?!\s*(?:leak|leaks|rays?|beams?|trails?|painting))")
_DIM_IT = re.compile(r"\bdim\s+(it|this|things|everything)\b")
# "white balance" with a sign, number or arrow after it is the temperature slider ("white balance -15",
# "white balance ↓"); "fix the white balance" is left as it is
_WB_SLIDER = re.compile(r"\bwhite[- ]?balance\b(?=\s*(?::\s*)?(?:[-−–+]|\d|up\b|down\b|arrow))")
# "preset: none", "filter = none": the slider at zero
_TO_NONE = re.compile(r"(?<=[a-z])\s*(?:→|->|=|:)\s*(?:none|nada|nothing|nil|zilch|zip)\b")
# "don't let it turn orange", "without it going yellow", "keep the skin from going red": not that colour
# (what it is said of is kept: "don't let the skin go cold" is warmer skin)
_KEEP_FROM = re.compile(r"\b(?:(?:don'?t|do not|dont|never)\s+(?:let|make)|without|from)"
                        r"(\s+(?:it|them|things|everything|the\s+[a-z]+))?\s+"
                        r"(?:turn|turning|go|going|get|getting|become|becoming|end\s+up|ending\s+up)"
                        r"(?=\s+(?:too\s+|so\s+|all\s+)?([a-z-]+))")
# a clause that points back at what the one before it named and lowers it ("the oranges look like traffic
# cones, pull them way down", "the vibrance is cartoonish, back it off loads"): read as "less"
_POINTER_DOWN = re.compile(r"\b(?:(?:pull|take|tone|dial|knock|back|ease|yank|drop|turn|cut"
                           r"|scale|wind|rein|tame|wash)\s+(?:it|them|that|those|this)\s+"
                           r"(?:(?:way|right|all the way|a lot|loads|a bit|a touch|a fraction|a little|some"
                           r"|heaps|massively|a ton|a notch|a smidge|a hair|a tad)\s+)*"
                           r"(?:down|back|off|out|away|in)"
                           r"|bring\s+(?:it|them|that|those|this)\s+(?:(?:way|right|all the way)\s+)?"
                           r"(?:down|back))\b")
# "the saturation on the blues", "vibrance of the reds": the colour's range
_SAT_OF_RANGE = re.compile(r"\b(?:saturation|sat|vibrance|intensity)\s+(?:on|of|in|for)\s+"
                           r"(?:the\s+|all\s+the\s+)?"
                           r"((?:red|orange|yellow|green|blue|purple|pink|magenta|cyan|teal)s?)\b")
# contrast said soft ("softer contrast", "gentler contrast"): less of it
_SOFT_CONTRAST = re.compile(r"\b(?:softer|gentler|milder|subtler|weaker|lower)\s+contrast\b")
_HEAT_IT = re.compile(r"\bheat\s+(?=(?:it|up|things|everything|the|them)\b)")
_NO_PUNCH = re.compile(r"\b(?:no|zero|without)\s+(?:any\s+)?(?:punch|bite)\b")
_LEAN_INTO = re.compile(r"\blean\s+(?:in|into|toward|towards)\b")
_AWAY_FROM = re.compile(r"\baway\s+from\b")
# a state said with "has no" / "there's no" asks for more of it ("it has no bloom"); a wish does not ("i'd
# rather have no colour", "can we have no glow")
_HAS_NONE = re.compile(r"\b(?<!rather )(?<!to )(?<!we )(?<!'d )(?<!can )(?:has|have|got|there'?s|there is)"
                       r"\s+(?:no|zero)\b")


_A_GREAT_DEAL = re.compile(r"\ba great deal\b")
# "cool down", "cool the scene down", "chill it down": a phrasal verb that cools, not "less cool"
_COOL_DOWN = re.compile(r"\b(cool|chill)((?:\s+(?:it|them|things|everything|the\s+[a-z]+(?:\s+[a-z]+)?))?)"
                        r"\s+down\b")
# "skin tone a tad warmer": the skin ("tone" alone lowers what follows it: "tone the reds")
_SKIN_TONE = re.compile(r"\bskin[- ]?tones?\b")
# "as toasty as it can possibly be", "as warm as possible": the most of it
_AS_AS = re.compile(r"\bas\s+([a-z-]+)\s+as\s+"
                    r"(?:(?:it|you|they|i|we)\s+(?:can|could|will|possibly|get|gets|go)"
                    r"|possible|humanly|physically|is\s+possible)\b")
# "harsher than i want", "a bit warmer than i'd like": too much of it
_ER_THAN_WANTED = re.compile(r"\b([a-z]+er)\s+than\s+(?:i|we)(?:'d|\s+would|\s+really)?\s+"
                             r"(?:want|wanted|like|need|needed|asked\s+for|hoped|expected|prefer|planned)\b")
# "ever so slightly": a size, not "so" of a state
_EVER_SO = re.compile(r"\bever\s+so\b")
# "over saturated", "over-exposed": the state words
_OVER_UNDER = re.compile(r"\b(over|under)[\s-]+(saturated|sharpened|exposed|sharp)\b")
# a clause that says what it named must come down ("the greens are ridiculous, they need to drop a ton")
_MUST_DROP = re.compile(r"\b(?:it|they|them|these|those|that)\s+(?:needs?|has|have|got|gotta|should|must)"
                        r"\s+(?:to\s+)?(?:drop|go\s+down|come\s+down|be\s+(?:lower|lowered|reduced|toned\s+down"
                        r"|dial(?:l)?ed\s+back))\b")
# "so much blue", "so much glow": too much of it (not "so much warmer")
_SO_MUCH = re.compile(r"\bso\s+much\s+(?=(?:red|orange|yellow|green|blue|purple|pink|magenta|cyan|teal)s?\b"
                      r"|(?:colou?rs?|saturation|contrast|glow|bloom|warmth|haze|sharpening|detail)\b)")
# "the bloom is washing everything out": too much of it (the words of a plain correction stay as they were:
# "brighten it without washing it out" is no correction of the glow)
_WASHING_OUT = re.compile(r"\b(is|are|s)\s+washing\s+(?:everything|it|things|the\s+[a-z]+)\s+out\b")
# "full of blue": too much of the colour
_FULL_OF = re.compile(r"\bfull\s+of\s+(?:the\s+)?"
                      r"(red|orange|yellow|green|blue|purple|pink|magenta|cyan|teal)s?\b")
# slider talk with signs after the names ("temp - exposure - pls", "sat + contrast -", "greens -a touch"):
# each sign is the name's before it
_SLIDER = (r"(?:temp|temperature|warmth|exposure|exp|ev|brightness|contrast|sat|saturation|vibrance|clarity"
           r"|structure|sharpness|sharpening|glow|bloom|highlights|shadows|blacks|whites|tint"
           r"|(?:red|orange|yellow|green|cyan|teal|blue|magenta|purple|pink)s?)")
_SLIDER_SIGNS = re.compile(rf"\b({_SLIDER})\s*([-−–]+|\++)\s+(?=(?:{_SLIDER})\s*(?:[-−–]+|\++)(?:\s|,|$))")
_SLIDER_MINUS_WORD = re.compile(rf"\b({_SLIDER})\s+[-−–]+(?=[a-z])")
# an interjection and a state alone ("hmm dark, cant see the dog", "ugh blurry"): too much of it
_INTERJECTED_STATE = re.compile(r"^\s*(?:hmm+|hm+|ugh+|omg|yikes|ew+|meh|oof)\s*,?\s+"
                                rf"{_PICTURE_WORDS}\b(?=\s*(?:[,;.!?]|$))")
_NEEDS_TO_BE = re.compile(r"\b(?:needs?|has|have|ought|got)\s+to\s+(?:be|come)\b")
# "not enough contrast", "theres not enough red", "not warm enough": it lacks it
_NOT_ENOUGH = re.compile(r"\b(?:not|isn'?t|aren'?t)\s+(?:enough\b|([a-z]+)\s+enough\b)")


def _keep_from(match: re.Match[str]) -> str:
    """ "... but don't let it turn orange" → "... it not orange" where an attribute follows."""
    word = match.group(2)
    if word not in _ATTRS or word in _REGIONS:
        return match.group(0)  # "keep the shadows from going pure black"
    return f" {match.group(1) or ''} not "


def _words_before(match: re.Match[str]) -> list[str]:
    """The (up to) three words before ``match`` in the text it was found in."""
    return match.string[max(0, match.start() - 24):match.start()].split()[-3:]


def _light_noun(match: re.Match[str]) -> str:
    if any(w in ("stop", "stops", "ev") for w in _words_before(match)):
        return match.group(0)  # "half a stop less light": the stops say it
    return " brighter " if match.group(1) in ("more", "raise", "boost", "increase") else " darker "


def _asked_before(match: re.Match[str], also: tuple[str, ...] = ()) -> bool:
    """An asking word (or one of ``also``) among the three words before ``match``: the state is asked for
    ("make it look warm", "i want the reds to look bright")."""
    return any(w in _ASK or w in also for w in _words_before(match))


def _range_state(match: re.Match[str]) -> str:
    if _asked_before(match, ("not", "to")):
        return match.group(0)
    return f" {'more' if match.group(2) else 'less'} {match.group(1)} "


def _picture_state(match: re.Match[str]) -> str:
    if _asked_before(match):
        return match.group(0)
    return f" everything too {match.group(1)} " if match.group(1) else f" too {match.group(2)} "


# blowing the highlights out on purpose ("blow out the highlights", "let the whites blow out"): brighter
_BLOW_OUT = re.compile(r"\b(?:let\s+(?:the\s+)?(highlights|whites)\s+blow\s+out|"
                       r"(?<!don't )(?<!dont )(?<!not )"
                       r"blow\s+(?:out\s+)?(?:the\s+)?(highlights|whites)(?:\s+out)?)\b")
# "richer blacks" are deeper ones, not more colourful ones
_RICH_BLACKS = re.compile(r"\b(?:richer|rich)\s+(blacks|shadows)\b")


def restate(text: str) -> str:
    """States said of a region, a colour's range or the whole picture, rewritten as the request they make
    ("the dark parts" → "darks", "reds look weak" → "more reds", "its really orange" → "everything too
    orange"). ``text`` is lower case; the rest of the reader reads the result (so does
    :mod:`vibegrade.students.answer_check`)."""
    t = _REGION_PHRASE.sub(lambda m: " darks " if m.group(1) == "dark" else " brights ", text)
    t = _NOT_ENOUGH.sub(lambda m: f" more {m.group(1) or ''} ", t)
    t = _NEEDS_TO_BE.sub(" ", t)  # "needs to be much brighter", "the shadows need to come up a little"
    t = _A_GREAT_DEAL.sub(" a lot ", t)
    if t.lstrip()[:1] in ("h", "u", "o", "y", "e", "m"):  # the interjections' first letters
        t = _INTERJECTED_STATE.sub(lambda m: f" too {m.group(1) or m.group(2)} ", t)
    t = _TOO_LIGHT.sub(r" \1 bright ", t)
    t = _RANGE_STATE.sub(_range_state, t)
    t = _RANGE_COMPARED.sub(lambda m: f" {m.group(2)} {m.group(1)} ", t)
    t = _RANGE_ASKED.sub(lambda m: f" more {m.group(2)} ", t)
    t = _FRAGMENT_STATE.sub(lambda m: f" too {m.group(1) or m.group(2)} ", t)
    t = _DEEPER.sub(lambda m: f" more {m.group(1) or m.group(2)} ", t)
    t = _POP.sub(lambda m: f" {m.group(1)} up ", t)
    t = _LIGHT_NOUN.sub(_light_noun, t)
    t = _DIM_IT.sub(r" darken \1 ", t)
    t = _PICTURE_STATE.sub(_picture_state, t)
    t = _WHITES_BLOWN.sub(" too bright highlights ", t)
    t = _WHITES_GREY.sub(" too dark highlights ", t)
    t = _BLACKS_GREY.sub(" too bright shadows ", t)
    t = _BLACKS_CRUSHED.sub(" too dark shadows ", t)
    t = _BLOW_OUT.sub(lambda m: f" brighter {m.group(1) or m.group(2)} ", t)
    t = _RICH_BLACKS.sub(r" deeper \1 ", t)
    return " ".join(t.split())


@lru_cache(maxsize=65536)
def signature(text: str) -> frozenset[tuple[str, int]]:
    """The (attribute, sign) pairs a request's words point to; attributes tied to a region ("warm
    shadows") are written ``attribute@region``."""
    t = str(text).lower().replace("’", "'").replace("↑", " arrowup ").replace("↓", " arrowdown ")
    t = t.replace("w/o", " without ").replace("w/", " with ").replace("&", " and ").replace(" / ", " , ")
    t = re.sub(r"[a-z]*([a-z])\1{2,}[a-z]*", _collapse, t)
    t = _REPEATED.sub(r"\1", t)
    # (each rewrite runs only where a word it needs is there: the reader runs on every stored request)
    if "down" in t:
        t = _COOL_DOWN.sub(r"\1\2", t)  # "cool down the tones": cooler
    if "tone" in t:
        t = _SKIN_TONE.sub(" skin ", t)
    if " as " in t:
        t = _AS_AS.sub(r" more \1 ", t)  # "as toasty as it can be"
    if "than" in t:
        t = _ER_THAN_WANTED.sub(r" too \1 ", t)  # "harsher than i want"
    if "ever" in t:
        t = _EVER_SO.sub(" just ", t)
    if "over" in t or "under" in t:
        t = _OVER_UNDER.sub(r"\1\2", t)  # "over saturated"
    if any(w in t for w in ("drop", "down", "lower", "reduce", "back")):
        t = _MUST_DROP.sub(" less ", t)
    if "so much" in t:
        t = _SO_MUCH.sub(" too much ", t)
    if "washing" in t:
        t = _WASHING_OUT.sub(r"\1 overpowering", t)
    if "full" in t:
        t = _FULL_OF.sub(lambda m: m.group(0) if _asked_before(m) else f" too {m.group(1)} ", t)
    if "+" in t or "-" in t or "−" in t or "–" in t:
        t = _SLIDER_SIGNS.sub(lambda m: f"{m.group(1)} {'arrowup' if '+' in m.group(2) else 'arrowdown'} ",
                              t)
        t = _SLIDER_MINUS_WORD.sub(r"\1 minus ", t)  # "greens -a touch"
    t = re.sub(r"\b(looks?|is|are|feels?|seems?|reads?|bit|little|tad|kinda|has|have|s|its|it's|got)"
               r" to ([a-z-]+)\b(?= ([a-z]+))?", _to_too, t)
    t = _CHANNEL.sub(r"\1", t)  # "blue sat ↓" → "blue down": the colour carries the direction
    t = _TO_ZERO.sub(" off ", t)  # "clarity 0", "temp → min"
    t = _TO_MAX.sub(" up ", t)
    t = re.sub(r"\bstop(?:\s+it)?\s+down\b", " less stop ", t)  # a photographer's "stop it down"
    t = re.sub(r"\b(?:it'?s|is|looks?|feels?|seems?|reads?)\b([^,.;!?]*?)\b(?:stops?|ev)\s+under\b",
               r" \1 underexposed ", t)  # "it's about a stop under": the state
    t = re.sub(r"\b(stops?|ev)\s+under\b", r" less \1 ", t)  # "1 stop under": the command
    t = _WB_SLIDER.sub(" wb ", t)  # "white balance -15": the temperature slider
    t = _TO_NONE.sub(" off ", t)  # "preset: none"
    t = _KEEP_FROM.sub(_keep_from, t)  # "don't let it turn orange": not orange
    t = _HAS_NONE.sub(" more ", t)  # "it has no bloom" (not "i'd rather have no colour")
    # "the warmth has to go" (not "needs to go up")
    t = re.sub(r"\b(?:has|have|needs?|must|got)\s+to\s+go\b(?!\s+(?:way\s+)?(?:up|higher|down|lower))",
               " less ", t)
    t = t.replace("—", " , ")  # an em dash ends a clause ("… like a perfume ad — get rid of it")
    t = _SAT_OF_RANGE.sub(r" \1 ", t)  # "lower the saturation on the blues": lower the blues
    t = _HEAT_IT.sub(" warm ", t)  # "heat it up" (not "heat haze", a look)
    t = _NO_PUNCH.sub(" more punch ", t)  # "there's no punch": it lacks it
    t = _LEAN_INTO.sub(" more ", t)  # "lean into teal and orange"
    t = _AWAY_FROM.sub(" less ", t)  # "pull the tint away from green"
    t = _SOFT_CONTRAST.sub(" less contrast ", t)
    t = _OBJECT_BACK.sub(r" less \1 ", t)  # "pull the blues back", "turn the warmth down"
    t = _OBJECT_OUT.sub(r" less \1 ", t)
    t = re.sub(r"(?<![a-z0-9])[-−–]\s?(?=\.?\d)", " minus ", t)  # "-1 stop", "- 0.5 ev"
    t = re.sub(r"(?<![a-z0-9])\+\s?(?=\.?\d)", " plus ", t)
    t = re.sub(r"\s*[-−–]+\s*$", " minus", t)  # "exposure -"
    t = re.sub(r"(?<=\s)[-−–]+(?=\s|,|$)", " minus ", t)  # "temp − a touch", "teal ---"
    t = re.sub(r"(?<=[a-z])\s*\++(?=\s|,|$)", " plus ", t)  # "exposure + a touch", "sat ++"
    # numbers carry size, not direction ("-0.5 ev": the "." ends no clause)
    t = re.sub(r"\d*[.,]?\d+", " ", t)
    t = " ".join(t.split())
    t = _REMOVING.sub(" remove ", t)
    t = restate(t)
    t = _POINTER_DOWN.sub(" less ", t)
    t = _LOWERING.sub(" less ", t)
    toks = _CLAUSE_TOKEN.findall(t)
    found: list[tuple[str, int, int, bool]] = []  # attribute, sign, token index, a direction-less noun
    raw: set[int] = set()  # where an attribute is named as it is, unturned (a clause after it may lower it)
    for i, t in enumerate(toks):
        hit = _ATTRS.get(t)
        if hit is None or (t in ("colour", "color") and i + 1 < len(toks) and toks[i + 1] in _NOT_SATURATION):
            continue
        attr, sign = hit
        if t in ("punch", "bite") and (toks[i + 1:i + 2] == ["them"] or any(
                _ATTRS.get(x, ("", 0))[0] in COLOURS for x in toks[max(0, i - 4):i] if x not in _PUNCT)):
            continue  # "give the yellows more punch", "punch them up": more of the colour, not contrast
        flipped = False
        # "lower"/"lift" etc. act on a following region ("lift the shadows") as well
        if _flip_before(toks, i) or (i >= 1 and toks[i - 1] == "so" and not t.endswith("er")):
            sign, flipped = -sign, True
        elif (i + 1 < len(toks) and toks[i + 1] in _POST_FLIP
              and not (toks[i + 1] == "out" and t.endswith("ed"))  # "warmth out", not "washed out"
              # "warmer, less contrast": "less" is contrast's; an arrow always points at what precedes it
              and (toks[i + 1] == "arrowdown" or not (i + 2 < len(toks) and toks[i + 2] in _ATTRS))) \
                or _complained_after(toks, i):
            sign, flipped = -sign, True
        elif _is_state(toks, i):
            sign, flipped = -sign, True
        elif (i >= 3 and toks[i - 1] == "and" and toks[i - 2] in _ATTRS
              and (toks[i - 3] in ("too", "so") or _is_state(toks, i - 2))
              and not t.endswith("er") and t not in _LEVEL_NOUNS):
            sign, flipped = -sign, True  # "too bright and cold", "it feels warm and flat": both too much
        # a problem named first and the fix after it: "overexposed photo fix", "green cast pls fix"
        if not flipped and _ends_with_fix(toks[i + 1:]):
            sign = -sign
        region = None
        for w in [x for x in toks[i + 1:i + 5] if x not in ("in", "on", "of", "the", "my")][:2]:
            if w in _REGIONS:  # "warm shadows", "more brightness in the highlights"
                region = _REGIONS[w]
                break
        if region is None:
            for k in range(i - 1, max(-1, i - 6), -1):
                if toks[k] in ("arrowup", "arrowdown") or (k < i - 3 and any(
                        w in _PUNCT or w in _ATTRS or w in _JOINERS for w in toks[k:i])):
                    break  # "blacks ↓ temp ↑": the arrow closes the region's own move; past three words
                    # only within the clause ("the shadows could go a touch deeper")
                if toks[k] == "black" and toks[k + 1:k + 3] == ["and", "white"]:
                    break  # black and white is no region
                if toks[k] in _REGIONS:
                    # a region right after another attribute is that one's ("lift the shadows, less glow")
                    if not any(w in _ATTRS for w in toks[max(0, k - 2):k]):
                        region = _REGIONS[toks[k]]
                    break
        key = f"{attr}@{region}" if region is not None and attr not in COLOURS | {"exposure"} else attr
        if attr in COLOURS and (any(x in _CAST for x in toks[i + 1:i + 3]) or _whole_picture(toks, i)
                                or any(x in ("tint", "cast") for x in toks[max(0, i - 2):i])
                                or (sign < 0 and _of_the_whites(toks, i))):
            # a colour over the whole picture (white balance, "tint less green"), not the colour's range
            key = f"{attr}@cast"
        found.append((key, sign, i, t in _LEVEL_NOUNS and not flipped))
        if not flipped and sign > 0 and not any(x in _KEEP for x in toks[max(0, i - 2):i]):
            raw.add(i)
    found = _pointed_back(toks, found, raw)
    found += _regions_alone(toks)
    # in one clause, an adjective's direction wins over a bare noun's ("make the colours more subdued"), and
    # so does a verb whose "it" points back at the noun ("the contrast is savage, flatten it")
    out: set[tuple[str, int]] = set()
    for key, sign, i, noun in found:
        if noun and any(k == key and s != sign and not n and (
                _same_clause(toks, i, j) or (j > i and toks[j + 1:j + 2] in (["it"], ["them"])))
                        for k, s, j, n in found):
            continue
        out.add((key, sign))
    return frozenset(out)


_PICTURE = frozenset({"thing", "image", "photo", "pic", "picture", "frame", "shot", "scene", "edit"})


def _pointed_back(toks: list[str], found: list[tuple[str, int, int, bool]], raw: set[int]
                  ) -> list[tuple[str, int, int, bool]]:
    """A clause that only lowers ("..., less", "... , pull them way down" after the substitutions) lowers
    the nearest attribute before it, where that is named as it is (not turned, not asked for): "the
    oranges look like traffic cones, pull them way down" is less orange."""
    if not raw:
        return found
    starts = [0] + [j + 1 for j, w in enumerate(toks) if w in _PUNCT]
    named = {i for _, _, i, _ in found}
    for a, b in zip(starts, starts[1:] + [len(toks) + 1]):
        if a >= len(toks) or any(j in named for j in range(a, b)) or not _lowering_clause(toks, a):
            continue
        before = [i for i in named if i < a - 1]
        if not before or max(before) not in raw:
            continue
        near = max(before)  # the nearest attribute before, named as it is
        found = [(k, -s if i == near else s, i, n) for k, s, i, n in found]
        raw.discard(near)
    return found


def _whole_picture(toks: list[str], i: int) -> bool:
    """The colour at ``toks[i]`` is said of the whole picture ("why is everything blue", "the entire frame
    looks orange"): a cast, not the colour's range."""
    lo, _ = _clause_span(toks, i, _AND_BUT)
    before = toks[lo:i]
    if any(w in _ASK or w in ("except", "besides", "apart", "for", "to", "swap") for w in before):
        return False  # asked for ("make everything purple") or kept ("mute everything except red")
    return any(w in ("everything", "everythings") for w in before) or any(
        w in ("whole", "entire") and k + 1 < len(before) and before[k + 1] in _PICTURE
        for k, w in enumerate(before))


def _of_the_whites(toks: list[str], i: int) -> bool:
    """The colour at ``toks[i]`` is complained of in what should be white ("the whites have gone blue",
    "white balance looks green"): a cast (not "white world, red enemies")."""
    lo, _ = _clause_span(toks, i, _AND_BUT)
    before = toks[lo:i]
    return any(w in ("whites", "white") for w in before) and not any(w in _ASK for w in before)


def _to_too(match: re.Match[str]) -> str:
    """ "to" typed for "too" before a state ("reads to warm", "skin has to much red")."""
    word = match.group(2)
    if word in ("much", "many") or (word in _ATTRS and word not in _LEVEL_NOUNS and match.group(3) not in
                                    ("it", "things", "them", "everything", "up", "down", "the")):
        return f"{match.group(1)} too {word}"
    return match.group(0)


def _same_clause(toks: list[str], i: int, j: int) -> bool:
    lo, hi = min(i, j), max(i, j)
    return not any(w in _PUNCT for w in toks[lo:hi])


def _regions_alone(toks: list[str]) -> list[tuple[str, int, int, bool]]:
    """Regions moved with no attribute word in their clause: "shadows down a touch" (darker shadows),
    "raise the highlights", "blacks ↑"."""
    out: list[tuple[str, int, int, bool]] = []
    for i, w in enumerate(toks):
        region = _REGIONS.get(w)
        if region not in ("shadows", "highlights", "midtones"):
            continue
        lo, hi = _clause_span(toks, i, _REGION_WORDS)
        arrow = i + 1 < len(toks) and toks[i + 1] in ("arrowup", "arrowdown")
        if any(x in _ATTRS for x in toks[lo:hi]) and not arrow:
            continue
        after = toks[i + 1] if i + 1 < len(toks) else ""
        if after in _OWN_MOVE:  # its own word: "highlights down shadows up" (a sign is the next one's)
            out.append((f"light@{region}", _OWN_MOVE[after], i, False))
            continue
        if region != "highlights" and any(x in _HEAVY for x in toks[i + 1:min(hi, i + 5)]):
            out.append((f"light@{region}", +1, i, False))  # "shadows feel too heavy": lift them
            continue
        if any(x in _RECOVER for x in toks[max(lo, i - 2):i]):
            # "rescue the highlights" darkens them, "recover the shadows" lifts them
            out.append((f"light@{region}", -1 if region == "highlights" else 1, i, False))
            continue
        # the verb before it first ("raise the highlights and lower the shadows"), then the words after
        for near in ([x for x in toks[max(lo, i - 2):i] if x not in _GAP],
                     [x for x in toks[i + 1:min(hi, i + 4)] if x not in _GAP][:2]):
            if any(x in _REGION_DOWN or x in _FLIP for x in near):
                out.append((f"light@{region}", -1, i, False))
                break
            if any(x in _REGION_UP for x in near) or (region == "highlights" and "more" in near and
                                                       after not in _HIGHLIGHT_NOUNS):
                # "more highlights" brightens them ("more highlight recovery" does not); "more shadows"
                # is left unread (deeper, or more detail?)
                out.append((f"light@{region}", +1, i, False))
                break
    return out


_SLIGHT = frozenset({"slightly", "slight", "bit", "little", "touch", "tad", "lil", "subtle", "subtly",
                     "somewhat", "mildly", "mild", "gently", "gentle", "hint", "smidge", "faint", "faintly",
                     "softly", "light", "lightly", "smidgen", "whisker", "nudge", "marginally"})
# "a hair" is a size ("temp + a hair"); "hair" alone is usually hair ("redder hair")
_A_HAIR = re.compile(r"\ba hair\b")
_STRONG = frozenset({"very", "much", "way", "lot", "heavily", "heavy", "really", "super", "extremely",
                     "extreme", "so", "hugely", "massively", "strong", "strongly", "intense", "drastically",
                     "dramatically", "seriously", "max", "maximum", "crazy", "insanely", "totally", "hard",
                     "significantly", "lots", "tons", "considerably", "substantially", "heaps", "far",
                     "hella"})


_LIGHT_AS_NOUN = re.compile(r"\b(?:the|more|less|some|of|no|too|so|is|are|r)\s+light\b")
# what the picture is said to be ("reds slightly too strong", "a bit much", "too much contrast", "blues a
# touch less intense"): a state or a plain "too", not a size
_SAID_STRONG = re.compile(r"\b(too|is|are|r|bit|little|tad|touch|slightly|kinda|less|more)\s+"
                          r"(?:much|strong|intense|heavy)\b")
# held letters ("waaay", "sooo", "loooots"): the word once they are let go
_HELD_LETTERS = re.compile(r"([a-z])\1{2,}")
# sizes said in phrases ("up a notch", "kind of flat", "crank the contrast", "a ton", "the hell out of it")
_A_NOTCH = re.compile(r"\b(?:a|one) notch\b|\bkind of\b|\bkinda\b")
_A_TON = re.compile(r"\b(?:a ton|tons|loads|a load|crank(?:ed|s)?|the hell out|like crazy|af)\b")
# "not so green" is "less green", not "very" anything
_NOT_SO = re.compile(r"\bnot so\b")
# "toward black and white, not fully" is not all of it
_NOT_ALL = re.compile(r"\bnot (?:fully|completely|entirely|totally|quite|all the way)\b")
# all of it: "remove all the green", "no green at all", "completely desaturate", "drain every colour"
_TOTAL = re.compile(r"\b(?:completely|entirely|fully|altogether|wholly|at all|all the way|"
                    r"(?:remove|removed|take out|taken out|get rid of|strip|strip out|drain|kill|lose|"
                    r"zero out|cut|cut out|none of|no more) (?:all|every|each)\b)")


@lru_cache(maxsize=65536)
def size_class(text: str) -> int:
    """How big a move the words ask for: -1 for "slightly"-type wording, +1 for "very"-type, +2 for all of
    it ("remove all the green", "no green at all", "completely"), 0 for plain (or slight and strong both).
    "so" is strong ("so much warmer") except in "not so" ("not so green" = less green)."""
    t = _HELD_LETTERS.sub(_let_go, str(text).lower())  # "waaay" is "way"
    t = _LIGHT_AS_NOUN.sub(" ", t)  # "lower the light", "its too light" name the light, not a size
    if _TOTAL.search(_NOT_ALL.sub(" ", t)):
        return 2
    t = _SAID_STRONG.sub(r"\1", t)
    words = set(_TOKEN.findall(_NOT_SO.sub(" ", t)))
    slight = bool(words & _SLIGHT) or bool(_A_HAIR.search(t)) or bool(_A_NOTCH.search(t))
    strong = bool(words & _STRONG) or bool(_A_GREAT_DEAL.search(t)) or bool(_A_TON.search(t))
    return (slight is False and strong) - (strong is False and slight)


def _let_go(match: re.Match[str]) -> str:
    """A letter held down, let go: once ("waaay" → "way", "sooo" → "so"; "tooo" → "to", no size either)."""
    return match.group(1)


def _uncast(sig: frozenset[tuple[str, int]]) -> frozenset[tuple[str, int]]:
    """A colour cast compared as its colour: "fix the green cast" and "fix the blue cast" conflict."""
    return frozenset((k.removesuffix("@cast"), s) for k, s in sig)


OVER = re.compile(r"\bover[- ]?expos")
UNDER = re.compile(r"\bunder[- ]?expos")


def conflicts(a: str, b: str) -> bool:
    """True when requests ``a`` and ``b`` point in incompatible directions: an attribute with opposite
    signs, both name colours but different ones ("less red" vs "less blue"), both name directions but
    of different attributes only ("increase contrast" vs "increase saturation"), or one says
    over-exposed and the other under-exposed, whatever surrounds the words."""
    la, lb = str(a).lower(), str(b).lower()
    if (OVER.search(la) and UNDER.search(lb) and not OVER.search(lb)) or \
            (UNDER.search(la) and OVER.search(lb) and not UNDER.search(lb)):
        return True
    sa, sb = _uncast(signature(a)), _uncast(signature(b))
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


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """Every word the reader knows (attributes, regions, flip and keep words): a spelling repair must
    leave them as typed ("darks" is not a typo of "dark")."""
    return frozenset({*_ATTRS, *_REGIONS, *_FLIP, *_KEEP, *_POST_FLIP, *_COMPLAINT_AFTER, *_LACKING,
                      *_RECOVER})


@lru_cache(maxsize=1)
def size_words() -> frozenset[str]:
    """The words :func:`size_class` reads ("slightly", "bit", "very", "way" ...)."""
    return _SLIGHT | _STRONG


@lru_cache(maxsize=1)
def region_words() -> frozenset[str]:
    """The words that name a region ("shadows", "sky", "skin" ...)."""
    return frozenset(_REGIONS)
