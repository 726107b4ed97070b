"""Requests for edits a colour grade can only stand in for: blur, noise, smoother skin, grain, night into day
and day into night.

The tools cannot blur, denoise or retouch, and the stored requests answer these words as fixes of a photo
that has the problem ("very blurry": sharpen +50) or not at all, so the nearest stored request answered
"blur the background" with sharpening, "denoise a lot" with structure +68, "my dad wants his wrinkles
gone" with structure and "can you turn this night pic into day?" with the night look. :func:`read` names
the stored wording whose answer is the nearest thing the tools can make: a soft focus (bloom, lower
contrast) for blur, the teacher's noise fix (bloom, shadows and saturation down) for noise, its smoother
skin for skin, its grain for grain, a bright sunny day for night into day, its night for a night asked
for ("make this street look like it's after dark" had no darker answer).

Only a request that says nothing else is read: every other word must be filler, a part of the picture or
a reason (:data:`_PLAIN`), so "richter blurred photo painting" or "slight blur, its for a moody post" keep
their looks. A blur that is complained about ("too blurry", "less blurry", "unblur it") is a fix and is
left to the student.
"""

from __future__ import annotations

import re

__all__ = ["read"]

# a small size ("soft" is no size: "soft focus pls" is the soft focus itself)
_SLIGHT = re.compile(r"\b(?:a bit|a little|slightly|a touch|a tad|bit|little|tiny|tiniest|lil|some|light|"
                     r"subtle|gently|gentle)\b")
_STRONG = re.compile(r"\b(?:too|so|very|super|way|really|a lot|lots|much|heavily|hella|all)\b")
# a blur complained about: the student's fix (sharpening) stands
_BLUR_FIX = re.compile(r"\b(?:too|so|very|super|way|really|kinda|is|its|it's|are|less|not|"
                       r"no)\s+(?:blurr?y|blurred)"
                       r"\b|\b(?:un|de)blur|\bsharpen|\bblurr?y\s+(?:photo|pic|picture|image|shot)\b")
_STAND_INS: tuple[tuple[str, re.Pattern[str], str, str], ...] = (
    # (kind, what asks for it, the stored wording, the stored wording when said with a small size)
    ("blur", re.compile(r"\bblurr?(?:s|ed|ing)?\b|\bblurrier\b|\bde-?focus(?:ed)?\b|\bout of focus\b|"
                        r"\bunfocused\b|\bbokeh\b|\bdepth of field\b|\bsoft[- ]focus\b|\bfuzz\b|"
                        r"\bsmudg(?:e|y|ed)\b|\bunsharpen\b|\b(?:take|taking) (?:the |all the )?"
                        r"(?:crispness|sharpness) out\b|\bcreamy\b|"
                        r"\bmissed (?:the )?focus\b|\b(?:wasn'?t|not) (?:in )?focus(?:ed)?\b|"
                        # "blurry" alone is a photo to fix; asked for, it is a blur
                        r"\b(?:make|made|want|look|be|get|like|more)\b.*\bblurr?y\b|"
                        r"\bblurr?y (?:aesthetic|look|effect|background|bg|backround|vibe|on purpose|"
                        r"edges)\b"),
     "soft focus", "a bit softer"),
    ("denoise", re.compile(r"\b(?:de-?noise|denoising|noise reduction|noise|noisy|noisey|grain|grainy|"
                           r"graininess|"
                           r"speckles?|speckly|speckled|specks|static|staticky|dots|dnoise|blotchy|"
                           r"pixelated|iso noise|chroma noise|colou?r noise|nr|grit)\b"),
     "less noisy", "a bit noisy"),
    ("skin", re.compile(r"\b(?:wrinkles?|pores?|blemish(?:es)?|acne|pimples?|zits?|spots?|rash|bumps|"
                        r"breaking out|skin|complexion|face|airbrush(?:ed)?|glass skin)\b"),
     "smooth skin pls", "smooth skin pls"),
    ("day", re.compile(r"\b(?:day|daytime|daylight|day time|midday|noon|afternoon|sunny|morning|"
                       r"sun(?:shine)? (?:is )?out)\b"),
     "bright sunny day", "bright sunny day"),
    ("night", re.compile(r"\b(?:night|nighttime|night time|after dark|evening|late evening|sun (?:just )?"
                         r"(?:went|goes|going|has gone) down|getting dark|dusk)\b"),
     "night", "night"),
)
# what a stand-in needs besides its word: blur and grain are asked for by the word alone; noise must be
# taken away ("clean it up", "get rid of"); skin must be smoothed; day must come from night
_NOISE_AWAY = re.compile(r"\b(?:clean|cleaner|cleaned|remove|removing|reduce|less|lower|cut|kill|fix|"
                         r"get rid|rid|"
                         r"smooth|smoothen|smoother|gone|help|too|so|ew|ugh|away|without|no|minimi[sz]e|"
                         r"de-?noise"
                         r"|denoising|dnoise|noise reduction|clear|fewer|hide|why|weird|ugly|awful)\b")
_NOISE_ASKED = re.compile(r"\b(?:add|more|want|some|sprinkle|put|visible|texture|like (?:an? )?(?:old )?film|"
                          r"a little|a bit of|light|subtle|fine|lots of|tons of|heavy|heavily|give it|"
                          r"grit)\b")
# words that take noise away whatever else is said ("too clean, add some grain" asks for grain)
_NOISE_OUT = re.compile(r"\b(?:remove|removing|reduce|kill|get rid|rid|de-?noise|denoising|dnoise|"
                        r"noise reduction|fewer|without|minimi[sz]e|noise out|grain out|clean(?: it| this|"
                        r" the [a-z]+)? up|(?:less|lower|cut|fix|no) (?:the )?(?:noise|grain|noisy|"
                        r"grainy))\b")
# a night word after the last day word is where the picture is to go ("day to night", "shot at noon but i
# want late evening"); "instead of night" names where it comes from
_INSTEAD = re.compile(r"\b(?:instead of|not|rather than) (?:the |at )?[a-z]+")
# a night asked for: "make it look like nighttime", "turn it into night", "evening feel", "like it's after
# dark"; "day" words after it are where it goes instead ("night to day"); "not night" is not asked
_ASK_LOOK = re.compile(r"\b(?:look|looks|feel|feels|like|make|turn|into|to|version|vibe|vibes)\b")
_DAY_WORD = re.compile(r"\b(?:day|daytime|daylight|midday|noon|afternoon|morning|sunny)\b")
_NOT_NIGHT = re.compile(r"\bnot (?:at )?(?:night|evening|dark)")
_FROM_DAY = re.compile(r"\b(?:day|daytime|daylight|midday|noon|lunch|afternoon|morning|sunny|taken|shot|"
                       r"was|at|\d*am|just|darker|a little|bit)\b")
_NIGHT_WORD = re.compile(r"\b(?:night|nighttime|evening|dusk|dark|midnight)\b")
_SKIN_AWAY = re.compile(r"\b(?:less visible|smooth|smoother|smoothen|smoothing|soften|softer|hide|remove|"
                        r"gone|clear|clean|"
                        r"flawless|airbrush(?:ed)?|retouch(?:ed)?|polished|less|fewer|fix|get rid|rid|"
                        r"even out|"
                        r"blur)\b")
_FROM_NIGHT = re.compile(r"\b(?:night|nighttime|night time|evening|dark|\d*pm|dusk|late|midnight|pitch "
                         r"black)\b|"
                         r"\b(?:broad daylight|the sun is out|sun out|day version|"
                         r"look like (?:the )?(?:day|daytime|"
                         r"noon|midday|afternoon)|into (?:day|daytime)|to (?:day|daytime|midday|noon))\b")
# the words a stand-in request may have beside its own: asking, filler, the parts of a picture, reasons
_PLAIN = frozenset("""
    a an the it its it's this that these those my me our us we i i'm im you u your ur he his she her him
    they them their there theres there's here is are was were be been being am do does did done can
    could would will should shall may might must cn pls plz please thx thanks ty lol lmao haha omg ugh
    ew idk tbh ngl rn ok okay so and or but just only also too very really super way much more less lot
    lots bit little tiny tad touch some any all whole entire everything everywhere thing things kinda
    kind of sort like want wanna need needs make made makes making get give add put apply use turn
    change changed convert switch go going let lets let's look looks looking looked feel seem seems see
    how what why which who where when with without in on at to into for from by over under up down out
    off back behind around about than then as if not no yes maybe photo photos pic pics picture pictures
    image images shot shots selfie selfies story post posts insta instagram background backround bg
    backdrop foreground edges edge corners people crowd person trees car cars subject face faces skin
    eyes nose cheeks chin forehead man woman guy girl dad mom mum grandma grandpa baby kid kids friend
    friends family portrait headshot profile mode effect effects aesthetic vibe vibes version style
    purpose on-purpose heavily gently lightly strongly slightly hard soft softly nice good better pretty
    quite bit fine still now again please help fix clean cleaner clear away gone rid remove reduce less
    lower took taken taking camera phone iphone night nighttime evening dark day daytime daylight noon
    midday afternoon morning sunny sun broad time shot pm am late one stand stands standout focus
    focused focusing whole stuff entire lens sharp crisp harsh distracting words text readable slide job
    linkedin dating app grad wedding concert club party indoor indoors inside low light old print scan
    scanned weird colored coloured bunch little bitty awful bad terrible rough tired uneven textured
    texture bumpy grandma's smooth motion dad's mom's wants wanted his her keep natural glass shadows darks
    parts sky digital plastic fuzzy much many tons dog cat dogs cats baby baby's newborn bride bride's groom
    wallpaper icons read can't cant poster goes top license plate plates recognisable recognizable don't dont
    company website product listing gig iso cranked dslr memory lens back part foto area wall walls visible
    bump bumps shows every under eye bags close closeup close-up mess pixelated tv blotchy ugly sand sandy
    colour color speckled staticky perfect real feels grit city street beach restaurant patio lunch creamy
    gentle stands has have had
    """.split())
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def _only_plain(text: str, asked: re.Pattern[str], also: tuple[re.Pattern[str], ...] = ()) -> bool:
    rest = asked.sub(" ", text)
    for rx in also:
        rest = rx.sub(" ", rest)
    return all(t in _PLAIN or t.isdigit() for t in _TOKEN.findall(rest))


def _goes_on_to(text: str, asked: re.Pattern[str], other: re.Pattern[str]) -> bool:
    """A word of ``other`` comes after the last word ``asked`` finds, leaving out what "instead of" /
    "not" names: the picture is to go there ("day to night" goes on to night)."""
    seen = _INSTEAD.sub(" ", text)
    last = max((m.end() for m in asked.finditer(seen)), default=-1)
    return any(m.start() > last for m in other.finditer(seen))


def read(text: str) -> str | None:
    """The stored wording to answer ``text`` (lower case, symbols gone) with, or ``None`` when it is not a
    request for blur, less noise, smoother skin, grain, day or night alone."""
    t = text
    slight = bool(_SLIGHT.search(t))
    for kind, asked, wording, small in _STAND_INS:
        if not asked.search(t):
            continue
        if kind == "blur":
            if _BLUR_FIX.search(t) or "noise" in t or "grain" in t or not _only_plain(t, asked):
                continue
        elif kind == "denoise":
            if _NOISE_ASKED.search(t) and not _NOISE_OUT.search(t):
                if _only_plain(t, asked, (_NOISE_ASKED,)):
                    return "subtle grain" if slight else "add grain"
                continue
            if not _NOISE_AWAY.search(t) or not _only_plain(t, asked, (_NOISE_AWAY,)):
                continue
            if _STRONG.search(t):
                return "way too much noise"
        elif kind == "skin":
            if not _SKIN_AWAY.search(t) or not _only_plain(t, asked, (_SKIN_AWAY,)):
                continue
        elif kind == "night":
            if _goes_on_to(t, asked, _DAY_WORD) or _NOT_NIGHT.search(t):
                continue  # "night to day", "not night"
            if not _ASK_LOOK.search(t) or not _only_plain(t, asked, (_FROM_DAY, _ASK_LOOK)):
                continue
        elif kind == "day":
            if _goes_on_to(t, asked, _NIGHT_WORD):
                continue  # "day to night"
            if not _FROM_NIGHT.search(t) or not _only_plain(t, asked, (_FROM_NIGHT,)):
                continue
        return small if slight else wording
    return None
