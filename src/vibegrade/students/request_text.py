"""The request as the student reads it: the look, without the wrapping people type around it.

Requests arrive as "can you make this look cinematic please ✨", "GOLDEN HOUR!!" or "warmer pls". The
look is the same as "cinematic", "golden hour" and "warmer"; the politeness, the app words ("filter",
"vibe", "edit"), emoji, case and repeated punctuation carry no colour information. :func:`canonical`
removes exactly those, and nothing that changes the look: size words ("slightly", "very"), negations
("not", "less", "too"), colours, numbers and signs are kept. One look is named in other words often
enough to be read as its name: a request that only says the colour is gone ("no colour", "remove all
the colour", "colourless", "saturation 0") reads as "black and white"; a request for an edit the tools
only stand in for ("blur the background", "denoise", "night to day") reads as the stored wording of the
stand-in (:mod:`vibegrade.students.stand_ins`); "over exposed" is spelled as stored ("overexposed"), "as
warm as it can be" as "as warm as possible", and "winter to summer" is the season it goes to.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from vibegrade.students import stand_ins

__all__ = ["canonical"]

_LEAD = [
    r"(?:hey|hi|hello|ok|okay|um+|yo)\b[,! ]*",
    # "so" as filler ("so, can you ..."), not as a size: "so dark" is a complaint, "dark" a look
    r"so(?:[,!]+ *| (?=(?:can|could|would|will|please|pls|plz|make|i|let'?s|lets|give|add|just|um+|ok|okay"
    r"|yeah)\b))",
    r"(?:can|could|would|will) (?:you|u|ya)(?: please| pls| plz| kindly)?(?: just)? ",
    r"(?:please|pls|plz|kindly)\b[, ]*",
    r"i(?:'d| would)? (?:like|love|want|need)(?: it| this| my {MEDIA})?(?: to)?(?: be| have| look| get)?(?: "
    r"like)? ",
    r"i wanna (?:have |get |see )?",
    r"(?:let'?s|lets) (?:go |do |try |make it |get )?",
    r"(?:make|turn|edit|grade|change|transform|style|do)(?: it| this| my {MEDIA}| the {MEDIA}| them| "
    r"everything)?"
    r"(?: into| to| in)?(?: look)?(?: like)? (?=\w)",
    r"(?:give|add|apply|put|use)(?: me| it| this| my {MEDIA})?(?: some| that)? ",
    r"(?:go|going|went) (?:for )?(?:a |an |the )?",
    r"(?:just|more of|something|kinda|kind of|sort of) (?=\w)",
    r"(?:a|an|the) (?!(?:little|bit|touch|tad|lot|few)\b)(?=\w)",
]
_TRAIL = [
    r"[, ]+(?:please|pls|plz|thx|thanks|thank you|ty|lol|haha|asap|now)$",
    # a hedge after a state ("bit overexposed i think" was answered as the look "overexposed"); "tbh" and
    # "imo" end stored requests and stay
    r"[, ]+(?:i think|i guess|i feel|to me|honestly|if you ask me)$",
    r" (?:filter|vibes?|vibey|aesthetic|look|style|effect|edit|preset|lut|grade|grading|feel|mood|theme)$",
    r" (?:to|on|for) (?:it|this|my (?:photo|pic|picture|image|video|selfie|shot|clip)|the "
    r"(?:photo|pic|picture|image|video))$",
    r" (?:on|for) (?:me|us)$",
    r" (?:style|type) (?:photo|pic|picture|image)$",
    r" (?:photo|pic|picture|image) (?:filter|edit|look)$",
]
# only the medium is wrapping: "make the water brighter" keeps "the water", "make my photo brighter" does not
_MEDIA = (r"(?:photo|photos|pic|pics|picture|pictures|image|images|video|videos|selfie|shot|shots|clip"
          r"|footage|edit)")
_LEAD_RE = [re.compile("^" + p.replace("{MEDIA}", _MEDIA)) for p in _LEAD]
_TRAIL_RE = [re.compile(p) for p in _TRAIL]


# a request that only says the colour is gone names the black-and-white look: "no colour", "remove all the
# colour", "colourless", "saturation 0" (the student's nearest stored requests were partial desaturations:
# "no colour" got vibrance -25). Whole requests only: "x-ray, no color at all" keeps its words.
_COLOUR = r"(?:colou?rs?|saturation|sat)"
_NO_COLOUR = re.compile(
    rf"^(?:(?:no|zero|without(?: any)?|(?:remove|drain|strip|kill|lose|ditch)(?: all)?(?: of)?(?: the| my)?)"
    rf" {_COLOUR}"
    rf"|(?:take|suck|pull|drain|strip) (?:all )?(?:of )?(?:the )?{_COLOUR} out"
    rf"|colou?rless|(?:fully|completely|totally|entirely) desaturated?"
    rf"|desaturated? (?:it )?(?:fully|completely|totally|entirely)"
    rf"|{_COLOUR} (?:to |at |= ?)?(?:zero|0|none|off))"
    r"(?: at all| completely| entirely| totally| whatsoever)?$")


# "over exposed", "under-exposed": the one word every stored request spells ("a bit over exposed" found
# "massively overexposed", exposure -55, where "a bit overexposed" is -10)
_SPLIT_STATE = re.compile(r"\b(over|under)(?: |-| - )(exposed|saturated|sharpened)\b")
# "as toasty as it can possibly be", "as warm as you can make it", "as spooky as it gets": "as ... as
# possible", as the stored requests say it ("as toasty as it can possibly be" found no warm answer)
_AS_AS = re.compile(r"\bas (?!good )([a-z-]+) as (?:(?:it|you|u|they|we|i) (?:can|could|possibly)"
                    r"(?: possibly)?(?: (?:be|get|go|make it|make them|manage))?|it (?:gets|goes)"
                    r"|you can get it)(?=$|[ ,.])")
# "night to day", "turn winter into summer": the time or season it goes to ("night to day" found
# "night" stored requests and answered cyberpunk)
_TIMES = (r"(?:day|daytime|day time|night|nighttime|night time|summer|winter|autumn|fall|spring|morning"
          r"|evening|sunset|sunrise|dusk|dawn|noon|midday|golden hour|blue hour)")
_FROM_TO = re.compile(rf"^(?:(?:turn|change|switch|convert|transform|make)(?: it| this| the {{MEDIA}})? )?"
                      rf"(?:from )?(?:the )?{_TIMES} (?:to|into|-) (?:the |a )?(?={_TIMES}\b)"
                      .replace("{MEDIA}", _MEDIA))


# a request typed as emoji alone ("🌅", "❄️", "🔥🔥 vibes") had no word left and the encoder read every one
# as the same unknown token (all answered `fortune` 20); it reads as the emoji's CLDR names ("sunrise",
# "snowflake", "fire"), a coloured heart as its colour ("💜" → "purple")
_APP_WORDS = frozenset({"vibes", "vibe", "vibey", "filter", "look", "style", "aesthetic", "mood", "energy",
                        "pls", "please", "plz", "edit", "feel", "theme", "preset", "pic", "photo", "it"})
_HEART = re.compile(r"^(red|orange|yellow|green|blue|purple|black|white|brown|pink|light blue|grey) heart$")
_SKIN_TONE = re.compile(r",? ?(?:light|medium-light|medium|medium-dark|dark) skin tone$")


def _emoji_words(text: str) -> str:
    """The CLDR short names of the emoji in ``text``, each once, in order ("" when it has none)."""
    import emoji

    names: list[str] = []
    for found in emoji.emoji_list(text):
        data = emoji.EMOJI_DATA.get(found["emoji"])
        if not data:
            continue
        name = data["en"].strip(":").replace("_", " ").lower()
        name = _HEART.sub(r"\1", _SKIN_TONE.sub("", name))
        if not name:
            continue
        if name not in names:
            names.append(name)
    return " ".join(names)


def _strip_symbols(t: str) -> str:
    out = []
    for ch in t:
        cat = unicodedata.category(ch)
        if cat.startswith(("L", "N")) or ch in " &+-%'/.,":
            out.append(ch)
        elif cat.startswith("Z") or ch in "\t\n":
            out.append(" ")
        else:  # emoji, symbols, other punctuation
            out.append(" ")
    return "".join(out)


@lru_cache(maxsize=8192)
def canonical(text: str) -> str:
    """The look words of a request, lower case (``""`` stays ``""``)."""
    t = unicodedata.normalize("NFKC", str(text)).lower().replace("’", "'").replace("`", "'")
    t = _strip_symbols(t)
    t = re.sub(r"([.,'/&+-])\1+", r"\1", t)  # "!!!" already gone; "..", ",," collapse
    t = re.sub(r"\s+([.,])", r"\1", t)
    t = " ".join(t.split()).strip(" .,'")
    t = _SPLIT_STATE.sub(r"\1\2", t)
    t = _AS_AS.sub(r"as \1 as possible", t)
    if (stored := stand_ins.read(t)) is not None:
        return stored
    t = _FROM_TO.sub("", t)
    for _ in range(4):  # wrappers nest: "hey can you please make it look like ..."
        before = t
        for rx in _LEAD_RE:
            t = rx.sub("", t, count=1).strip(" .,")
        for rx in _TRAIL_RE:
            t = rx.sub("", t).strip(" .,")
        if t == before:
            break
    if _NO_COLOUR.match(t):
        return "black and white"
    if (not t or set(t.split()) <= _APP_WORDS) and (said := _emoji_words(str(text))):
        return said
    return t or " ".join(unicodedata.normalize("NFKC", str(text)).lower().split())
