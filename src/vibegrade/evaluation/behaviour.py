"""Behaviour tests of a student, in the spirit of CheckList (Ribeiro et al., ACL 2020).

Three kinds of case, each tagged with the capability it probes:

* **MFT** (minimum functionality): one request, one property its answer must have ("warmer" ⇒
  temperature > 0, "x-ray" ⇒ the ``negative`` preset, "less red" ⇒ red saturation or luminance < 0).
* **INV** (invariance): wrapping a request the way people type it ("please", case, emoji, "make it
  look like ...") must not change the answer: same tools, same preset, and adjust / selective values
  with cosine ≥ 0.95 to the bare request's. The same holds for the typing slips people make
  ("vintgae", "goldne hour": capability ``typos``).
* **DIR** (directional): ordered pairs -- "slightly warmer" moves temperature less than "warmer", which
  moves it less than "much warmer".

:func:`run_suite` answers every case with one batched ``predict`` call and returns per-case results and
the pass rate per capability. ``vibegrade eval behaviour`` prints the table; tests/students assert it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from vibegrade.evaluation.metrics import cosine
from vibegrade.schema import ToolChain

__all__ = ["Case", "build_suite", "run_suite", "is_black_and_white"]

Check = Callable[[Sequence[ToolChain]], bool]


@dataclass(frozen=True)
class Case:
    kind: str  # MFT | INV | DIR
    capability: str
    requests: tuple[str, ...]
    check: Check = field(compare=False)
    expect: str = ""  # what must hold, in words


def is_black_and_white(c: ToolChain) -> bool:
    """Grey output: saturation -100, or a monochrome preset at full strength over desaturation."""
    if c.adjust.saturation <= -95:
        return True
    return c.filter.name in ("night_vision",) and c.filter.intensity >= 80


def _sel(c: ToolChain, colour: str) -> tuple[int, int]:
    s = getattr(c.selective_adjust, colour)
    return s.saturation, s.luminance


def _cos(a: Sequence[float], b: Sequence[float]) -> float:
    """:func:`~vibegrade.evaluation.metrics.cosine`, except that two unused tools (both all zero) agree."""
    va, vb = np.asarray(a, float), np.asarray(b, float)
    if not va.any() and not vb.any():
        return 1.0
    return cosine(va, vb)


def same_answer(a: ToolChain, b: ToolChain, min_cos: float = 0.95) -> bool:
    """The invariance criterion: same tools used, same preset, values pointing the same way."""
    if a.used() != b.used() or a.filter.name != b.filter.name:
        return False
    return (_cos(a.adjust.vector(), b.adjust.vector()) >= min_cos
            and _cos(a.selective_adjust.vector(), b.selective_adjust.vector()) >= min_cos)


def _mft(cap: str, reqs: Sequence[str], pred: Callable[[ToolChain], bool], expect: str) -> list[Case]:
    def check(cs: Sequence[ToolChain]) -> bool:
        return pred(cs[0])

    return [Case("MFT", cap, (r,), check, expect) for r in reqs]


def _warm(c: ToolChain) -> bool:
    return c.adjust.temperature > 0


def _cool(c: ToolChain) -> bool:
    return c.adjust.temperature < 0


def _brighter(c: ToolChain) -> bool:
    a = c.adjust
    return (a.exposure > 0 or a.brightness > 0) and a.exposure >= 0


def _darker(c: ToolChain) -> bool:
    a = c.adjust
    return (a.exposure < 0 or a.brightness < 0) and a.exposure <= 0


def _less_colour(colour: str) -> Callable[[ToolChain], bool]:
    def f(c: ToolChain) -> bool:
        s, lum = _sel(c, colour)
        return (s < 0 or lum < 0) and s <= 0
    return f


def _more_colour(colour: str) -> Callable[[ToolChain], bool]:
    def f(c: ToolChain) -> bool:
        return _sel(c, colour)[0] > 0
    return f


COLOURS = ("red", "orange", "yellow", "green", "cyan", "blue")
SIZE_WORDS = (("slightly", ""), ("a bit", ""), ("", ""), ("much", ""), ("very", ""))


def build_suite() -> list[Case]:
    """The behaviour suite (≥ 300 cases)."""
    cases: list[Case] = []
    bw = ["black and white", "b&w", "bw", "monochrome", "grayscale", "greyscale", "black & white photo",
          "kodak tri-x 400", "tri-x", "ilford hp5", "ilford delta 3200", "kodak t-max 400", "fomapan 400",
          "film noir", "noir", "ansel adams", "make it black and white", "no colour", "leica monochrom"]
    cases += _mft("black_and_white", bw, is_black_and_white, "saturation -100 (a grey picture)")
    cases += _mft("special_presets", ["x-ray", "xray", "x ray effect", "negative", "invert colors",
                                      "inverted"],
                  lambda c: c.filter.name == "negative" and c.filter.intensity >= 80,
                  "negative preset, strong")
    cases += _mft("special_presets", ["night vision", "night vision goggles", "nightvision"],
                  lambda c: c.filter.name == "night_vision", "night_vision preset")
    cases += _mft("special_presets", ["sepia", "sepia tone", "old sepia photo"],
                  lambda c: c.adjust.saturation <= -60 and c.filter.name in ("duotone_orange",
                                                                             "duotone_yellow", "faded_Retro"),
                  "desaturated with a brown/yellow tone")
    cases += _mft("named_looks", ["cinematic", "cinematic look", "movie look", "blockbuster",
                                  "teal and orange",
                                  "orange and teal"],
                  lambda c: c.filter.name.startswith("teal_and_orange"), "a teal_and_orange preset")
    cases += _mft("named_looks", ["cyberpunk", "neon city", "cyberpunk 2077"],
                  lambda c: c.filter.name == "cyberpunk", "cyberpunk preset")
    cases += _mft("named_looks", ["vintage", "retro", "old photo", "70s"],
                  lambda c: c.adjust.linearOffset > 0 or c.filter.name.startswith("faded"),
                  "faded / lifted blacks")
    cases += _mft("named_looks", ["the matrix", "matrix"],
                  lambda c: c.adjust.tint < 0 or c.filter.name == "duotone_green",
                  "green cast")
    warm = ["warmer", "make it warmer", "slightly warmer", "a bit warmer", "much warmer", "warm it up",
            "more warmth", "warmer tones", "too cold", "too blue", "fix blue cast", "warmer white balance",
            "add warmth", "very warm", "little warmer", "warmer please", "golden hour", "sunset", "cozy"]
    cases += _mft("temperature", warm, _warm, "temperature > 0")
    cool = ["cooler", "make it cooler", "slightly cooler", "a bit cooler", "much cooler", "cool it down",
            "colder", "too warm", "too yellow", "too orange", "fix tungsten light", "cooler white balance",
            "make it a bit cooler", "very cool", "remove yellow cast"]
    cases += _mft("temperature", cool, _cool, "temperature < 0")
    # cold *looks* may carry their cold in a preset instead of the white balance
    cases += _mft("temperature", ["icy", "winter", "frozen", "arctic"],
                  lambda c: _cool(c) or (c.filter.name in ("winter", "north") and c.filter.intensity >= 30),
                  "temperature < 0 or a cold preset")
    cases += _mft("tint", ["too green", "fix the green cast", "remove green tint", "fix fluorescent light",
                           "more magenta"],
                  lambda c: c.adjust.tint > 0, "tint > 0 (towards magenta)")
    cases += _mft("tint", ["too magenta", "too pink", "less magenta", "more green tint"],
                  lambda c: c.adjust.tint < 0 or _sel(c, "red")[0] < 0, "tint < 0 or less red/pink")
    # bare "underexposed" / "overexposed" can name the look itself (round one answers them so); the fixes
    # are unambiguous
    brighter = ["brighter", "make it brighter", "slightly brighter", "much brighter", "too dark",
                "fix underexposed photo",
                "underexposed photo fix", "brighten", "brighten it up", "lighter", "dim photo",
                "raise exposure", "+1 stop",
                "it's too dark", "a bit brighter"]
    cases += _mft("exposure", brighter, _brighter, "exposure/brightness up, exposure not down")
    darker = ["darker", "make it darker", "slightly darker", "much darker", "too bright",
              "fix overexposed photo",
              "overexposed photo fix", "fix overexposure", "darken", "lower exposure", "-1 stop",
              "tone down the brightness",
              "a bit darker"]
    cases += _mft("exposure", darker, _darker, "exposure/brightness down, exposure not up")
    cases += _mft("exposure", ["recover highlights", "blown out highlights", "sky is blown out",
                               "highlights too bright"],
                  lambda c: c.adjust.highlights < 0 and c.adjust.exposure <= 0, "highlights < 0")
    cases += _mft("exposure", ["lift the shadows", "brighten shadows", "open up the shadows",
                               "shadows too dark"],
                  lambda c: c.adjust.shadows > 0, "shadows > 0")
    cases += _mft("contrast", ["more contrast", "add contrast", "higher contrast", "punchier", "too flat",
                               "increase contrast", "a bit more contrast"],
                  lambda c: c.adjust.contrast > 0, "contrast > 0")
    cases += _mft("contrast", ["less contrast", "lower contrast", "reduce contrast", "softer contrast",
                               "too contrasty",
                               "flatter", "a little less contrast"],
                  lambda c: c.adjust.contrast < 0, "contrast < 0")
    cases += _mft("saturation", ["more saturated", "more saturation", "more colorful", "more vibrant",
                                 "boost the colors",
                                 "colors look dull", "increase saturation", "make colors pop"],
                  lambda c: (c.adjust.saturation > 0 or c.adjust.vibrance > 0) and c.adjust.saturation > -50,
                  "saturation or vibrance > 0")
    cases += _mft("saturation", ["less saturated", "desaturate", "desaturate a bit", "too saturated",
                                 "oversaturated",
                                 "muted colors", "decrease saturation", "tone down the colors"],
                  lambda c: (c.adjust.saturation < 0 or c.adjust.vibrance < 0) and c.adjust.saturation > -95,
                  "saturation or vibrance < 0 (but not black and white)")
    cases += _mft("detail", ["sharper", "sharpen", "more detail", "crisper", "more clarity", "sharpen a bit",
                             "make it sharper", "more structure"],
                  lambda c: c.adjust.sharpen > 0 or c.adjust.structure > 0, "sharpen or structure > 0")
    cases += _mft("detail", ["softer", "soften", "dreamy", "soft glow", "more glow"],
                  lambda c: c.adjust.bloom > 0 or c.adjust.contrast < 0, "bloom > 0 or contrast < 0")
    for col in COLOURS:
        plural = {"red": "reds", "orange": "oranges", "yellow": "yellows", "green": "greens", "cyan": "cyans",
                  "blue": "blues"}[col]
        cases += _mft("colour_ranges", [f"less {col}", f"reduce the {plural}", f"less {col} please",
                                        f"mute the {plural}", f"tone down the {plural}"],
                      _less_colour(col), f"{col} saturation or luminance < 0")
        cases += _mft("colour_ranges", [f"more {col}", f"richer {plural}", f"boost the {plural}"],
                      _more_colour(col), f"{col} saturation > 0")
    cases += _mft("colour_ranges", ["bluer sky", "make the sky bluer", "deeper blue sky"],
                  lambda c: _sel(c, "blue")[0] > 0 or _sel(c, "cyan")[0] > 0, "blue/cyan saturation > 0")
    cases += _mft("colour_ranges", ["greener grass", "greener trees", "lusher greens"],
                  _more_colour("green"), "green saturation > 0")
    # less of a quality, asked of the photo as it is: the way out of it, not the quality (December 7)
    cases += _mft("less_of", ["less moody", "make it less moody please", "not so moody",
                              "less gloomy", "way less gloomy", "its so gloomy, less of that",
                              "less dreary", "less depressing", "less sad looking"],
                  lambda c: _brighter(c) or c.adjust.saturation + c.adjust.vibrance > 0,
                  "brighter or more colourful, never the mood")
    cases += _mft("less_of", ["less washed out", "a bit less washed out", "less flat", "less dull",
                              "less lifeless", "less murky", "less foggy", "less hazy"],
                  lambda c: c.adjust.contrast > 0 and c.adjust.saturation >= 0,
                  "contrast > 0, colour not taken out")
    cases += _mft("less_of", ["less garish", "less loud", "less overedited", "tone down the cartoonish look"],
                  lambda c: c.adjust.saturation + c.adjust.vibrance < 0 and c.adjust.contrast <= 0,
                  "less colour, no more contrast")
    cases += _mft("less_of", ["less vintage", "less retro looking", "not so faded"],
                  lambda c: c.adjust.linearOffset <= 0 and (c.adjust.contrast > 0 or c.adjust.saturation > 0)
                  and not c.filter.name.startswith("faded"), "no lifted blacks, no faded preset")
    # more of a quality, asked of the photo as it is: the quality's look, as much as said (December 7)
    cases += _mft("more_of", ["moodier", "a bit moodier", "way moodier", "make it moodier pls",
                              "a lot more moody", "its too plain, make it moodier"],
                  lambda c: not _brighter(c) and c.adjust.saturation + c.adjust.vibrance < 0
                  and c.adjust.temperature <= 0, "darker or duller, never brighter, more colourful or warmer")
    cases += _mft("more_of", ["more dramatic", "a bit more dramatic", "way more dramatic", "needs more drama",
                              "it feels flat, make it more dramatic"],
                  lambda c: c.adjust.contrast > 0 and c.adjust.shadows <= 0,
                  "contrast > 0, shadows not lifted")
    cases += _mft("more_of", ["more faded", "a bit more faded", "make it super faded"],
                  lambda c: c.adjust.linearOffset > 0 and c.adjust.contrast < 0,
                  "lifted blacks, less contrast")
    cases += _mft("more_of", ["make it dreamier", "a bit dreamier", "way dreamier", "more dreamy"],
                  lambda c: c.adjust.bloom > 0 and c.adjust.contrast < 0 and c.adjust.sharpen == 0,
                  "glow, less contrast, no sharpening")
    cases += _mft("more_of", ["a bit more vintage", "way more vintage",
                              "too modern looking, make it more vintage"],
                  lambda c: c.adjust.linearOffset > 0 and c.adjust.saturation < 0,
                  "lifted blacks, less colour")
    # what not to do: the change made, the limit kept (December 7)
    cases += _mft("limits", ["brighter but dont blow out the highlights", "lighter, keep the highlights"],
                  lambda c: _brighter(c) and c.adjust.highlights <= 0, "brighter, highlights not raised")
    cases += _mft("limits", ["just brighter, dont touch the colours", "brighten it, leave the colours alone"],
                  lambda c: _brighter(c) and not any(c.selective_adjust.vector())
                  and c.adjust.saturation == c.adjust.vibrance == c.adjust.temperature == 0,
                  "brighter, no colour moved")
    cases += _mft("limits", ["more contrast without crushing the shadows", "punchier but keep the shadows"],
                  lambda c: c.adjust.contrast > 0 and c.adjust.shadows >= 0 and c.adjust.linearOffset >= 0,
                  "contrast > 0, shadows not deepened")
    cases += _mft("limits", ["black and white except the red", "b&w but keep the reds",
                             "make everything grey except the red"],
                  lambda c: _sel(c, "red")[0] > 0 and all(_sel(c, x)[0] <= -95 for x in COLOURS if x != "red")
                  and c.adjust.saturation > -50, "red kept, every other range grey")
    cases += _mft("limits", ["warmer but not orange", "warm it up but keep the skin natural"],
                  lambda c: _warm(c) and _sel(c, "orange")[0] <= 0, "temperature > 0, orange not raised")
    cases += _mft("no_silent_noop", ["slightly warmer", "a little warmer", "slightly cooler",
                                     "fix white balance",
                                     "more clarity", "natural look", "improve", "make it better", "polished",
                                     "fix phone photo", "subtle enhance", "sharpen a bit", "more green",
                                     "brighter eyes", "balance the colors", "realistic colors", "portrait",
                                     "beijing"],
                  lambda c: any(c.used().values()), "some tool is used")

    # invariance: wrappers people type around a request
    bases = ["golden hour", "black and white", "cinematic", "vintage", "warmer", "less red", "x-ray",
             "night vision", "the matrix", "moody", "summer", "cyberpunk", "sepia", "brighter",
             "more contrast",
             "teal and orange", "film noir", "sunset", "cooler", "polaroid"]
    wraps = ["{} please", "make it look {}", "{} pls", "{}!!", "{} ✨", "can you make this {}", "{} vibes",
             "i want {}", "{} filter", "give me {}"]
    for b in bases:
        for w in wraps:
            wrapped = w.format(b.upper() if w == "{}!!" else b)
            cases.append(Case("INV", "invariance", (b, wrapped), lambda cs: same_answer(cs[0], cs[1]),
                              "same answer as the bare request"))

    # invariance: the typing slips people make (hand-written, one or two per request)
    typos = [("vintage", "vintgae"), ("cinematic", "cinematik"), ("black and white", "balck and white"),
             ("golden hour", "goldne hour"), ("warmer", "warmre"), ("brighter", "brigther"), ("sunset",
                                                                                              "sunsett"),
             ("cyberpunk", "cyberpnk"), ("polaroid", "polaroyd"), ("negative", "negatve"),
             ("more contrast", "more contrats"), ("less saturated", "less saturatd"), ("summer", "sumer"),
             ("teal and orange", "teal and ornage"), ("night vision", "nigth vision"), ("dreamy", "dreamey"),
             ("pastel", "pastell"), ("autumn", "autum"), ("winter", "wintr"), ("cooler", "coolr"),
             ("film noir", "film nior"), ("landscape", "lanscape"), ("portrait", "potrait"),
             ("vibrant", "vibrnt"), ("the matrix", "the matirx"), ("desaturated", "desaturatd"),
             ("moody", "mooody"), ("sepia", "sepiaa"), ("x-ray", "x-rayy"), ("underexposed", "underexposd")]
    for clean, typo in typos:
        cases.append(Case("INV", "typos", (clean, typo), lambda cs: same_answer(cs[0], cs[1]),
                          "same answer as the correctly typed request"))

    # directional: sizes follow the words
    def mag(attr: str, sign: int) -> Callable[[ToolChain], float]:
        if attr == "saturation":  # "less saturated" may be carried by saturation, vibrance or both
            return lambda c: sign * float(c.adjust.saturation + c.adjust.vibrance)
        return lambda c: sign * float(getattr(c.adjust, attr))

    ladders = [  # (slight, plain, strong) wordings, the parameter that carries the size, its direction
        (("slightly warmer", "a bit warmer", "a little warmer"), "warmer", ("much warmer", "way warmer"),
         "temperature", +1),
        (("slightly cooler", "a bit cooler", "a little cooler"), "cooler", ("much cooler", "way cooler"),
         "temperature", -1),
        (("slightly brighter", "a bit brighter", "a little brighter"), "brighter", ("much brighter",
                                                                                    "way brighter"),
                                                                                    "exposure", +1),
        (("slightly darker", "a bit darker", "a little darker"), "darker", ("much darker", "way darker"),
         "exposure", -1),
        (("slightly more contrast", "a bit more contrast", "a little more contrast"), "more contrast",
         ("much more contrast", "a lot more contrast"), "contrast", +1),
        (("slightly less contrast", "a bit less contrast", "a little less contrast"), "less contrast",
         ("much less contrast", "a lot less contrast"), "contrast", -1),
        (("slightly more saturated", "a bit more saturated", "a little more saturated"), "more saturated",
         ("much more saturated", "way more saturated"), "saturation", +1),
        (("slightly less saturated", "a bit less saturated", "a little less saturated"), "less saturated",
         ("much less saturated", "way less saturated"), "saturation", -1),
    ]
    for slights, plain, strongs, attr, sign in ladders:
        f = mag(attr, sign)
        steps = [(x, plain) for x in slights] + [(plain, y) for y in strongs] + [(slights[0], strongs[0])]
        for small, big in steps:
            cases.append(Case("DIR", "size_order", (small, big), _grows(f),
                              f"{attr}: |{small}| < |{big}|, same direction"))
    # a colour of the scene: slightly < plain < much < all of it, in stored and unstored wordings
    for colour in COLOURS:
        def less(c: ToolChain, colour: str = colour) -> float:
            return -float(_sel(c, colour)[0])
        ladder = [(f"slightly less {colour}", f"less {colour}"), (f"less {colour}", f"much less {colour}"),
                  (f"much less {colour}", f"remove all the {colour}"),
                  (f"reduce the {colour}", f"get rid of all the {colour}"),
                  (f"tone down the {colour}", f"completely remove the {colour}")]
        for small, big in ladder:
            cases.append(Case("DIR", "colour_sizes", (small, big), _grows(less),
                              f"{colour} saturation: |{small}| < |{big}|, both lower it"))
    # more of a quality: a little < plain < a lot of the look (December 7)
    def look_size(c: ToolChain) -> float:
        return float(sum(abs(v) for v in c.adjust.vector()) + c.filter.intensity)
    for small, big in [("a bit moodier", "moodier"), ("moodier", "way moodier"),
                       ("a little more cinematic", "more cinematic"),
                       ("more cinematic", "much more cinematic"),
                       ("a bit more vintage", "way more vintage"), ("a bit dreamier", "way dreamier"),
                       ("a bit more dramatic", "a lot more dramatic"),
                       ("slightly grittier", "much grittier")]:
        cases.append(Case("DIR", "more_of_sizes", (small, big), _grows(look_size),
                          f"|{small}| < |{big}|, the values and the preset's strength"))
    pairs = [("golden hour", "golden hour but warmer", "temperature", +1),
             ("golden hour", "golden hour, less warm", "temperature", -1),
             ("moody", "moody but brighter", "exposure", +1),
             ("vintage", "vintage but more saturated", "saturation", +1),
             ("cinematic", "cinematic, less contrast", "contrast", -1),
             ("summer", "summer but cooler", "temperature", -1)]
    for base, mod, attr, sign in pairs:
        cases.append(Case("DIR", "modifiers", (base, mod), _moves(attr, sign),
                          f"{attr} moves {'up' if sign > 0 else 'down'} from the base look"))
    return cases


def _grows(size: Callable[[ToolChain], float]) -> Callable[[Sequence[ToolChain]], bool]:
    """The second answer moves ``size`` further than the first, both in the asked direction."""
    def check(cs: Sequence[ToolChain]) -> bool:
        return 0 < size(cs[0]) < size(cs[1])
    return check


def _moves(attr: str, sign: int) -> Callable[[Sequence[ToolChain]], bool]:
    """The modified look (second answer) moves adjust ``attr`` in direction ``sign`` from the base look."""
    def check(cs: Sequence[ToolChain]) -> bool:
        return sign * (getattr(cs[1].adjust, attr) - getattr(cs[0].adjust, attr)) > 0
    return check


def run_suite(predict: Callable[[list[str]], list[ToolChain]], cases: Sequence[Case] | None = None) -> dict:
    """Run the suite with one batched ``predict``. Returns ``{"n", "passed", "pass_rate",
    "capabilities": {cap: {"kind", "n", "passed", "pass_rate"}}, "failures": [...]}``."""
    cases = list(cases if cases is not None else build_suite())
    texts = sorted({r for c in cases for r in c.requests})
    answers = dict(zip(texts, predict(texts)))
    caps: dict[str, dict] = defaultdict(lambda: {"kind": "", "n": 0, "passed": 0})
    failures = []
    for c in cases:
        ok = bool(c.check([answers[r] for r in c.requests]))
        cap = caps[c.capability]
        cap["kind"] = c.kind
        cap["n"] += 1
        cap["passed"] += ok
        if not ok:
            failures.append({"capability": c.capability, "requests": list(c.requests), "expect": c.expect,
                             "answers": [answers[r].to_wire() for r in c.requests]})
    n = len(cases)
    passed = n - len(failures)
    for cap in caps.values():
        cap["pass_rate"] = round(cap["passed"] / cap["n"], 4)
    return {"n": n, "passed": passed, "pass_rate": round(passed / n, 4) if n else 0.0,
            "capabilities": dict(caps), "failures": failures}
