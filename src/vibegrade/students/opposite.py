"""Less of a quality, asked of the photo as it is: "less moody", "not so gloomy", "tone down the drama", "its
so dreary, less of that pls", "a bit less vintage", "less washed out".

A first request that takes a quality away says the photo *has* it: "less moody" asks for the way out of
moody (brighter, lifted shadows, more colour), not for a moody look, and not for whatever another
"less …" request stored nearby was answered with. Retrieval reads such requests badly: the nearest stored
requests are other "less" corrections ("less moody" found "less vibrant", vibrance −25; "less washed out"
found "less noisy look", contrast −5 and saturation −10, the wrong way).

:func:`read` finds the quality and the size in the words. The student then answers in one of two ways
(``EncoderStudent._less_of``, ``retrieval.opposite``):

* a photo problem (:data:`PROBLEMS`: "washed out", "murky", "loud") or a quality the direction reader
  reads ("dark", "cold") names directions (:func:`directions`): the stored plain corrections of the
  directions the answer misses are made on it (:func:`with_moves`);
* any other quality is a look: the teacher's answer to the nearest stored look request (a bare request
  with no direction words: "moody", "gloomy", "vintage"; cosine at least :data:`NEAR`), turned round by
  :func:`reverse`, where the student's answer does not already go that way (:func:`opposes`).

docs/experiments.md, "Less of it", has the measurements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from vibegrade.schema import ADJUST_KEYS, ToolChain
from vibegrade.students.answer_check import named_values
from vibegrade.students.direction import known_words, signature, size_class
from vibegrade.students.refine_features import PARAM_KEYS, chain_vector, vector_chain

__all__ = ["Less", "read", "problem", "directions", "forms", "with_moves", "reverse", "reversal", "opposes",
           "SIZES", "NEAR", "KEEP", "PROBLEMS"]

# photo problems that are no look of their own, and what taking each away moves (the direction reader does
# not know them, or knows one move of several; the nearest stored look is the wrong one: "loud" found
# "quiet", "milky" found "galaxy", "overedited" found "overcast")
_OVERDONE = (("saturation", -1), ("contrast", -1))
_LIFELESS = (("saturation", 1), ("contrast", 1))
_MURKY = (("contrast", 1), ("light", 1))
_VEILED = (("contrast", 1), ("light@shadows", -1))
_HEAVY = (("light", 1), ("light@shadows", 1))
_STARK = (("contrast", -1), ("light@shadows", 1))
_BLURRED = (("sharpness", 1), ("contrast", 1))
_BLOWN = (("light@highlights", -1), ("light", -1))
#: "less X" for a photo problem X: the directions it asks for
PROBLEMS: dict[str, tuple[tuple[str, int], ...]] = {
    **dict.fromkeys(("loud", "garish", "gaudy", "tacky", "overdone", "overedited", "over edited",
                     "overprocessed", "over processed", "overcooked", "cartoonish", "cartoony", "fake",
                     "artificial", "oversaturated", "over saturated", "radioactive", "busy", "intense",
                     "plastic", "plasticky", "edited", "processed", "filtered", "in your face", "extra",
                     "neon", "loud colours", "loud colors"), _OVERDONE),
    **dict.fromkeys(("bland", "lacklustre", "lackluster", "lifeless", "dead", "drab", "boring", "blah", "meh",
                     "dull", "flat", "washy", "washed", "washed out", "colourless", "colorless", "muted",
                     "pale", "faded", "tired", "sad looking"), _LIFELESS),
    **dict.fromkeys(("murky", "muddy", "dingy", "dirty", "grimy", "smoggy", "grubby", "sludgy"), _MURKY),
    **dict.fromkeys(("milky", "foggy", "fog", "hazy", "haze", "misty", "mist", "smoky", "veiled", "cloudy",
                     "fogged"), _VEILED),
    **dict.fromkeys(("heavy", "dark", "dim", "dark and heavy", "heavy and dark", "shadowy", "underexposed",
                     "under exposed", "murky and dark", "dark and murky"), _HEAVY),
    **dict.fromkeys(("stark", "harsh", "severe", "hard", "crushed"), _STARK),
    **dict.fromkeys(("soft", "blurry", "fuzzy", "mushy", "smudgy", "smeary", "out of focus"), _BLURRED),
    **dict.fromkeys(("overexposed", "over exposed", "blown", "blown out", "glary", "glare", "bright",
                     "blinding", "washed out and bright"), _BLOWN),
    **dict.fromkeys(("sterile", "clinical", "cold", "icy", "chilly", "cold and sterile", "clinical and cold",
                     "cold and clinical", "bluish", "frigid"), (("temperature", 1),)),
    **dict.fromkeys(("yellowed", "yellowy", "yellowish", "jaundiced", "nicotine", "warm", "hot", "orangey",
                     "orangy"), (("temperature", -1),)),
    **dict.fromkeys(("noisy", "grainy", "crunchy", "crispy", "oversharpened", "over sharpened", "oversharp",
                     "sharp", "harsh and noisy"), (("sharpness", -1),)),
}


def problem(quality: str) -> tuple[tuple[str, int], ...] | None:
    """The directions "less ``quality``" asks for where the quality is a photo problem of
    :data:`PROBLEMS` (as said, or without a "-y" / "-ish" / "looking" ending), else ``None``."""
    for q in forms(quality):
        if q in PROBLEMS:
            return PROBLEMS[q]
    return None


def directions(quality: str) -> frozenset[tuple[str, int]]:
    """What "less ``quality``" asks for: a photo problem's directions (:func:`problem`), else what the
    direction reader reads in "less …"; two qualities joined by "and" each on its own ("cold and flat":
    warmer and more contrast). Empty for a look ("moody") or a quality no reader knows."""
    if (known := problem(quality)) is not None:
        return frozenset(known)
    if _pair(quality):
        return frozenset(d for part in quality.split(" and ") for d in directions(part))
    return signature(f"less {forms(quality)[0]}")


def forms(quality: str) -> list[str]:
    """``quality`` as said and without the endings people add ("instagram-y", "vsco-ish", "moodiness",
    "washed-out"), first as said."""
    q = re.sub(r"\s+", " ", quality.replace("-", " ")).strip()
    out = [q]
    for pat, rep in ((r" ?(?:ish|y|esque|looking)$", ""), (r"iness$", "y"), (r"ness$", "")):
        if (alt := re.sub(pat, rep, q)) != q and alt and alt not in out:
            out.append(alt)
    return out


#: the largest value of a reversed look by size (slight, plain, strong): the teacher's ladder for "a bit
#: less cold" / "less cold" / "much less cold" (temperature 12 / 25 / 45 in the vibes data)
SIZES: dict[int, float] = {-1: 12.0, 0: 25.0, 1: 45.0}
#: the least cosine (the student's encoder) between a quality and the stored look request it is turned from
NEAR = 0.85
#: the least cosine between the student's own answer and the way out of the look for the answer to be kept
KEEP = 0.7
# the signed sliders a look is turned round on (sharpen, structure and bloom are 0..100: :func:`reversal`)
_SIGNED = [PARAM_KEYS.index(k) for k in ADJUST_KEYS if k not in ("hue", "bloom", "sharpen", "structure")]
_SELECTIVE = [i for i, k in enumerate(PARAM_KEYS) if "." in k]
_BLOOM, _SHARPEN, _STRUCTURE = (PARAM_KEYS.index(k) for k in ("bloom", "sharpen", "structure"))


@dataclass(frozen=True)
class Less:
    """A request for less of a quality.

    Attributes:
        quality: the quality's words as said ("moody", "washed out", "dark and heavy", "instagram-y").
        size: -1 slight ("a bit less"), 0 plain, 1 strong ("way less").
    """

    quality: str
    size: int


_SIZE = r"(?:(?:a |just a |just )?(?:bit|little|lil|tad|touch|smidge|tiny bit|hair)|slightly|way|much|" \
        r"so much|a lot|lots|loads|far|even|somewhat|kinda|a good bit|waaay|way way)"
_LEAD = r"(?:(?:make|mak|mke) (?:it|this|the photo|the pic|everything) (?:look |feel |seem )?|" \
        r"can (?:it|you|u) (?:be |look |feel |make it |make it look |make it feel )?|could (?:it|you|u) " \
        r"(?:be |look |feel |make it )?|(?:look|feel|be) |it (?:should|could) (?:be|look|feel) |" \
        r"i want it |needs to be |pls |please |just |hmm |ok |okay )"
_LESS = r"(?:less|not so|not as|not that|not quite so|lessen the|tone down the|dial back the|" \
        r"dial down the|turn down the|reduce the|cut the|cut down the|get rid of the|take away the|" \
        r"lose the|kill the|ease up on the|ease off the|calm down the)"
_TAIL = r"(?:looking|look|feel|feeling|vibe|vibes|vibe to it|to it|to look at|of a look|of a vibe|" \
        r"please|pls|plz|lol|lmao|rn|overall|here|thx|thanks)"
_AFTER = rf"(?: {_TAIL}| {_SIZE}| a bit| a little| a touch| a lot)*"
_DIRECT = re.compile(rf"^(?:{_LEAD})*(?:{_SIZE} )?{_LESS} (?P<q>[a-z][a-z' -]*?){_AFTER}"
                     rf"(?: (?:out of it|out of this))?$")
_TAKE_OUT = re.compile(rf"^(?:{_LEAD})*(?:take|get|pull|knock) (?:the |some of the |a bit of the )?"
                       r"(?P<q>[a-z][a-z' -]*?) out(?: of (?:it|this|the photo|the pic))?"
                       r"(?: a bit| a little)?$")
# a state said first, then asked away: "its so gloomy, less of that", "feels too dreary, make it less so"
_ASK = re.compile(rf"(?:,|\.|!|\?|\s)\s*(?:(?:can (?:we|you|u) |could (?:we|you|u) |pls |please |just )?"
                  rf"(?:{_SIZE} )?"
                  r"(?:less of (?:that|it|this)|make it less(?: so| of that)?|less(?: so)?|"
                  r"tone it down|tone that down|dial it back|dial that back|dial it down|calm it down|"
                  r"take that away|take it away|take that out|undo that|fix(?: that| it| this)?)"
                  rf"(?: {_SIZE}| a lot| a bit| a little| a touch)*(?: {_TAIL})*)$")
_STATE_WORDS = frozenset("""it its it's this is looks look looking feels feel feeling seems so too way really
    super kinda kind of a bit bit little rn af lol tbh honestly hmm ok the vibe vibes photo pic picture image
    everything whole thing just very pretty quite rather overall now currently right got gotten has become
    giving much""".split())
# words that say the photo is so (a state), not ask for a look: "its so gloomy, less of that"
_STATED = frozenset({"its", "it's", "is", "are", "looks", "look", "looking", "feels", "feel", "feeling",
                     "seems", "so", "too", "kinda", "rn", "af", "super", "really", "very", "giving", "way",
                     "sooo"})
# what a state may be said of ("the light is so harsh", "the colours are so loud")
_SAID_OF = frozenset({"light", "lighting", "colours", "colors", "colour", "color", "tones", "mood", "look",
                      "are", "was"})
_CLEAN = re.compile(r"[^a-z0-9' ,.!?-]+")


def _quality(words: str) -> str | None:
    """One quality: a word, a photo problem of :data:`PROBLEMS`, two words joined by "and", or up to three
    words with no direction word after the first ("less orange cooler darker" is three changes)."""
    q = re.sub(r"\s+", " ", words).strip(" -'")
    ws = q.split()
    if not ws or len(ws) > 3 or q in ("it", "that", "this", "so", "of that", "of it"):
        return None
    if len(ws) == 1 or any(f in PROBLEMS for f in forms(q)) or _pair(q):
        return q
    known = known_words()
    return None if any(w in known or w.endswith("er") for w in ws[1:]) else q


def read(text: str) -> Less | None:
    """The quality a request asks less of, and how much less (:class:`Less`), or ``None`` when it asks
    anything else ("less red" is read too: the caller decides what a quality is; "golden hour but less
    orange" and "less moody and sharper" are not: one quality, nothing else)."""
    t = _CLEAN.sub(" ", str(text).lower()).strip()
    t = re.sub(r"\s+", " ", t).strip(" ,.!?")
    q = None
    if m := _DIRECT.match(t) or _TAKE_OUT.match(t) or _restated(t):
        q = _quality(m.group("q"))
        asked = m.group(0).replace(m.group("q"), " ")  # "less dark and heavy": "heavy" is no size
    if q is None and (m := _ASK.search(t)) is not None:
        head = t[:m.start()].strip(" ,.!?")
        said = [w for w in re.split(r"[ ,.!?]+", head) if w]
        if not _STATED.intersection(said) or "but" in said:
            return None  # "tokyo at night, tone it down", "stormy but dial it down": less of a look asked for
        q = _quality(" ".join(w for w in said if w not in _STATE_WORDS))
        asked = m.group(0).replace("less so", "less")  # "its so gloomy, less of that": "so" is the state's
        if q is not None and re.search(r"\bfix\b", asked) and problem(q) is None and \
                not (" " not in q and directions(q)):
            return None  # "the colors look weird, fix", "too brownish, fix": states, read by answer_check
    if q is None and (m := _beside_states(t)) is not None:
        q = _quality(m.group("q"))
        asked = m.group(0).replace(m.group("q"), " ")
    if q is None or (" and " in q and not _pair(q)):
        return None
    return Less(q, min(size_class(asked), 1))


# a clause that says what the photo is or does, or why: "it looks like a funeral", "it hurts my eyes", "i can
# barely see the hills", "its giving horror movie" (not "look", "super" or "way", which name looks: "van gogh
# painting look, a little less vibrant" is a look and a change)
_WHY = frozenset({"it", "its", "it's", "i", "my", "this", "everything", "looks", "feels", "seems", "giving",
                  "is", "are", "so", "too", "kinda", "rn", "af", "sooo"})


def _beside_states(t: str) -> re.Match[str] | None:
    """The one clause of ``t`` that asks less of a quality, where every other clause says what the photo
    is or why ("way less gloomy please, it looks like a funeral", "less hdr please it hurts my eyes", "its
    giving horror movie, less creepy pls"); not a look beside it ("golden hour, less moody")."""
    parts = [p.strip() for p in re.split(r"[,.!?]+|\s(?=(?:please|pls|plz) (?:it|i|its|it's|my|this)\b)", t)
             if p.strip()]
    if len(parts) < 2:
        return None
    asks = [(k, m) for k, p in enumerate(parts) if (m := _DIRECT.match(p) or _TAKE_OUT.match(p))]
    if len(asks) != 1:
        return None
    k, m = asks[0]
    others = [set(p.split()) for j, p in enumerate(parts) if j != k]
    return m if all(w & _WHY and "but" not in w for w in others) else None


def _restated(t: str) -> re.Match[str] | None:
    """The last clause of a state said and then asked away in its own words ("it feels really cold, less
    cold", "the light is so harsh, make it much less harsh"); not a look before it ("golden hour, less
    moody")."""
    parts = re.split(r"[,.!?]+ ?", t)
    head, last = " ".join(parts[:-1]), parts[-1]
    m = _DIRECT.match(last.strip()) if head else None
    if m is None:
        return None
    said = {w for w in re.split(r"[ ,.!?]+", head) if w and w not in _STATE_WORDS}
    return m if said <= set(m.group("q").split()) | _SAID_OF else None


# verbs that make the word after "and" a change of its own ("tone down the orange and sharpen a bit")
_VERBS = frozenset({"sharpen", "brighten", "darken", "soften", "lighten", "deepen", "warm", "cool", "lift",
                    "boost", "add", "crush", "fix", "saturate", "desaturate", "increase", "reduce", "raise",
                    "lower", "bump", "push", "pull", "make", "give", "keep", "remove", "mute", "fade"})


def _pair(q: str) -> bool:
    """Two words of one quality joined by "and" ("dark and heavy", "cold and sterile"; not "moody and
    sharper" or "orange and sharpen", a quality and a change)."""
    parts = q.split(" and ")
    return len(parts) == 2 and all(len(p.split()) == 1 for p in parts) and not parts[1].endswith("er") \
        and parts[1] not in _VERBS


def with_moves(base: ToolChain, fixes: dict[tuple[str, int], ToolChain]) -> ToolChain:
    """``base`` with each direction made as its stored correction makes it: of each correction only the
    values its attribute owns (``answer_check.named_values``: "brighter" lends its exposure and
    brightness, not the black and white a stored "max contrast" may carry), each put in where ``base``
    has none of it, the other sign, or less of it (two corrections that both lift the shadows lift them
    once)."""
    v = chain_vector(base)
    for (attr, _), fix in fixes.items():
        fv = chain_vector(fix)
        for i in (PARAM_KEYS.index(k) for k in named_values(attr)):
            if fv[i] and (np.sign(fv[i]) != np.sign(v[i]) or abs(fv[i]) > abs(v[i])):
                v[i] = fv[i]
    return vector_chain(v, base.filter.name)


def reversal(look: ToolChain) -> np.ndarray:
    """``look`` turned round, in :data:`~vibegrade.students.refine_features.PARAM_KEYS` order, unscaled:
    its signed sliders and colour ranges negated, its softness and crispness swapped (bloom becomes
    structure, sharpening and structure become bloom: the teacher's "less glow" is structure +15, its "less
    clarity" bloom +15); a black-and-white look's saturation −100 is +100 (colour back); no preset, hue 0."""
    v = chain_vector(look)
    out = np.zeros_like(v)
    out[_SIGNED] = -v[_SIGNED]
    out[_SELECTIVE] = -v[_SELECTIVE]
    crisp = max(v[_SHARPEN], v[_STRUCTURE]) - v[_BLOOM]
    out[_BLOOM if crisp > 0 else _STRUCTURE] = abs(crisp)
    if look.adjust.saturation <= -100:  # less of a black-and-white look: some colour back, not all of it
        out[PARAM_KEYS.index("saturation")] = 100.0
    return out


def reverse(look: ToolChain, size: int) -> ToolChain | None:
    """The way out of ``look`` at ``size`` (-1, 0, 1: :data:`SIZES`): :func:`reversal` with each value's
    square root (its sign kept: the teacher's moods desaturate far more than they darken, and the way out
    of them brightens as well as adds colour), scaled so that its largest value is the size's, values
    under a fifth of that dropped; ``None`` when ``look`` moves nothing that can be turned round."""
    v = reversal(look)
    if float(np.abs(v).max()) < 5:
        return None
    top = SIZES[max(-1, min(1, size))]
    v = np.sign(v) * np.sqrt(np.abs(v))  # a look's directions, not its proportions: "less depressing"
    v = v * (top / float(np.abs(v).max()))  # brightens too, not only adds colour
    v[np.abs(v) < top / 5] = 0.0
    return vector_chain(v, "none")


def opposes(look: ToolChain, answer: ToolChain) -> bool:
    """``answer`` already goes the way out of ``look``: it points along :func:`reversal` (cosine above
    :data:`KEEP`; an answer that moves nothing does not, a look with nothing to turn round is opposed by
    any)."""
    r, a = reversal(look), chain_vector(answer)
    a[-1] = 0.0  # the preset's intensity is no part of the way out
    na, nr = float(np.linalg.norm(a)), float(np.linalg.norm(r))
    if na == 0 or nr == 0:
        return na != 0
    return float(a @ r) / (na * nr) > KEEP
