#!/usr/bin/env python3
"""Render the first requests people type (issue #10's table, plus a few plain ones) with the shipped student
on one photo, as a labelled contact sheet: what a new user sees.

    .venv/bin/python scripts/first_requests_sheet.py ../shared/photos/red_barn_pond_sky.jpg \
        docs/images/v2_first_requests_barn.jpg

With ``--plain`` it renders plain corrections instead, each twice: without the answer check (round five's
decoder) and with it (docs/experiments.md, "Plain corrections"):

    .venv/bin/python scripts/first_requests_sheet.py --plain ../shared/photos/red_barn_pond_sky.jpg \
        docs/images/plain_corrections_barn.jpg

With ``--states`` it renders complaints about what the photo looks like ("reds look weak", "its really
orange", "highlights way too hot"), once, with the check; run it with ``PYTHONPATH`` pointing at an older
checkout's ``src`` to see what that code answered (docs/experiments.md, "States").

With ``--palettes`` it renders looks whose palette a film or an artist is known for, where vibes v2.2
moved the colour out of selective adjust unless the request names it (data/vibes/README.md); run it
with ``--model`` pointing at an older shipped model to compare.

With ``--sizes`` it renders one colour asked for less at every size, from "slightly" to "remove all the
green" (docs/experiments.md, "Sizes of a colour"); ``PYTHONPATH`` at an older checkout's ``src`` shows
what that code and its model answered.

With ``--modifiers`` it renders a look plus one change, each twice: without composing (the nearest stored
request was the look alone, so the change was lost) and with it (docs/experiments.md, "A look plus a
change"); ``--changes`` does the same for several changes and no look ("Several changes and no look"):

    .venv/bin/python scripts/first_requests_sheet.py --modifiers \
        ../shared/photos/caps_colourful_wall_sky.jpg docs/images/modifiers_caps.jpg
    .venv/bin/python scripts/first_requests_sheet.py --changes \
        ../shared/photos/red_barn_pond_sky.jpg docs/images/combined_changes_barn.jpg
    .venv/bin/python scripts/first_requests_sheet.py --strength \
        ../shared/photos/dusk_pier_lake_sunset_sky.jpg docs/images/look_strength_pier.jpg

With ``--unjoined`` it renders changes typed with no join ("bit warmer bit sharper"), each without and
with composing (docs/experiments.md, "Several changes with no join").

With ``--sliders`` it renders slider settings typed as numbers, each without and with the slider reader
(docs/experiments.md, "Slider settings typed as numbers"):

    .venv/bin/python scripts/first_requests_sheet.py --sliders \
        ../shared/photos/caps_colourful_wall_sky.jpg docs/images/slider_settings_caps.jpg

With ``--limits`` it renders requests that say what not to do ("black and white except the red", "just
brighter, don't touch the colours"), each without and with the limits reader (docs/experiments.md,
"What not to do"):

    .venv/bin/python scripts/first_requests_sheet.py --limits \
        ../shared/photos/caps_colourful_wall_sky.jpg docs/images/limits_caps.jpg

With ``--less`` it renders requests for less of a quality ("less moody", "less washed out"), each without
and with the reader of ``students/opposite.py`` (docs/experiments.md, "Less of it"):

    .venv/bin/python scripts/first_requests_sheet.py --less \
        ../shared/photos/dusk_pier_lake_sunset_sky.jpg docs/images/less_of_pier.jpg

With ``--more`` it renders requests for more of a quality ("a bit moodier", "way more vintage"), each
without and with the reader of ``students/more_of.py`` (docs/experiments.md, "More of it"):

    .venv/bin/python scripts/first_requests_sheet.py --more \
        ../shared/photos/beach_couple_sky.jpg docs/images/more_of_beach.jpg

With ``--beyond`` it renders requests beyond a colour grade ("make it blurry", "denoise this", "night to
day") and v2.3's common looks ("edgy", "sharp"), one row; ``PYTHONPATH`` at an older checkout's ``src``
(and ``--model`` at its model) shows what that code answered (docs/experiments.md, "Beyond a colour
grade").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REQUESTS = ["(original)", "black and white", "monochrome", "kodak tri-x 400", "slightly warmer",
            "fix overexposed photo", "make it a bit cooler", "can you make this look cinematic please",
            "vintage", "golden hour", "cyberpunk", "x-ray", "vintgae", "less orange"]
# states the reader learned on December 6 (third session), from the blind plain-correction sets
STATES = ["(original)", "reds look weak", "the greens are super neon", "its really orange",
          "highlights way too hot", "darks are a little crushed", "kinda overexposed tbh"]
# v2.2: a known palette is not a reason for selective adjust; a named colour is
PALETTES = ["(original)", "blade runner 2049", "wes anderson", "saul leiter", "takeshi kitano", "kitano blue",
            "pink sky"]
# one colour at every size (December 6, fifth session: "not so" is plain, "all the" is all of it)
SIZES = ["(original)", "slightly less green", "less green", "not so green", "reduce the green",
         "much less green", "remove all the green"]
# plain corrections whose nearest stored requests were other edits before the answer check
# a look plus one change the student had not seen together (the blind set of data/vibes/modifiers/)
MODIFIERS = ["gothic but brighter", "kodak gold w/ deeper blacks", "the matrix but more green",
             "y2k but way less saturated", "fincher look but a little warmer pls",
             "golden hour but less blown out", "90s but slightly muted"]
# several changes and no look (the blind set of data/vibes/combined_changes/)
CHANGES = ["brighter, warmer, more contrast", "lift shadows and lower highlights", "warmer but not yellow",
           "its too dark and kinda yellow", "add some red, take out some green",
           "less saturated, more contrast",
           "darker but lift the shadows"]
# how much of a look (the blind set of data/vibes/look_strength/)
STRENGTH = ["van gogh", "van gogh but only a tiny bit", "velvia", "velvia but insane", "iceland",
            "iceland cranked way up", "wes anderson but dial it back"]
# several changes with no join (the blind set of data/vibes/unjoined_changes/)
UNJOINED = ["bit warmer bit sharper", "brighter warmer more contrast", "more contrast less saturation",
            "way too dark bit too cold", "bit darker lift the shadows a lot", "cooler less saturated",
            "less purple more blue"]
# slider settings typed as numbers (the blind set of data/vibes/slider_settings/)
SLIDERS = ["red saturation -30", "warmth: 0", "blue sat -100", "exposure +1", "red sat -30, blue sat +40",
           "vivid filter at 100%", "golden hour, contrast 60"]
# what not to do (the blind set of data/vibes/limits/)
LIMITS = ["black and white except the red", "desaturate everything but the blues",
          "nothing too crazy, just a bit brighter", "just brighter, dont touch the colours",
          "brighter but dont blow out the highlights", "the shadows shouldnt be this black",
          "more contrast without crushing the shadows"]
# less of a quality (the blind set of data/vibes/less_of/)
LESS = ["less moody", "make it less gloomy pls", "less washed out", "less flat", "less vintage",
        "its so dreary, less of that", "way less murky"]
# more of a quality (the blind set of data/vibes/more_of/)
MORE = ["a bit moodier", "moodier", "way moodier", "a bit more vintage", "way more vintage", "more faded",
        "needs more drama"]
# requests beyond a colour grade (the blind set of data/vibes/beyond_colour/) and common looks of v2.3
BEYOND = ["make it blurry", "denoise this", "remove blemishes", "night to day", "edgy", "sharp",
          "main character"]
PLAIN = ["lighter", "brighten it up", "tone down the brightness", "raise the contrast", "tone down the blues",
         "a little less saturated", "bring down the highlights"]


def before_after(requests: list[str], key: str, tag: str = "before") -> list[tuple[str, str, dict[str, int]]]:
    """(label, request, retrieval settings) tiles: a row of ``requests`` with ``key`` off, then one with it
    on."""
    return ([(f"{req} ({tag})", req, {key: 0}) for req in requests]
            + [(req, req, {key: 1}) for req in requests])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("photo", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--model", type=Path, default=None, help="model folder (default: the shipped student)")
    ap.add_argument("--width", type=int, default=300, help="width of each tile in pixels")
    ap.add_argument("--plain", action="store_true",
                    help="plain corrections, each without and with the answer check (one row each)")
    ap.add_argument("--states", action="store_true", help="complaints about the photo's state, one row")
    ap.add_argument("--palettes", action="store_true",
                    help="looks known for a palette, and requests that name a colour, one row")
    ap.add_argument("--sizes", action="store_true", help="one colour asked for less at every size, one row")
    ap.add_argument("--modifiers", action="store_true",
                    help="a look plus one change, each without and with composing (one row each)")
    ap.add_argument("--changes", action="store_true",
                    help="several changes and no look, each without and with composing (one row each)")
    ap.add_argument("--strength", action="store_true",
                    help="looks asked for weaker or stronger, each without and with composing (one row each)")
    ap.add_argument("--unjoined", action="store_true",
                    help="changes typed with no join, each without and with composing (one row each)")
    ap.add_argument("--sliders", action="store_true",
                    help="slider settings typed as numbers, each without and with the reader (one row each)")
    ap.add_argument("--limits", action="store_true",
                    help="requests that say what not to do, each without and with the reader (one row each)")
    ap.add_argument("--less", action="store_true",
                    help="requests for less of a quality, each without and with the reader (one row each)")
    ap.add_argument("--more", action="store_true",
                    help="requests for more of a quality, each without and with the reader (one row each)")
    ap.add_argument("--beyond", action="store_true",
                    help="requests beyond a colour grade and v2.3's common looks, one row")
    a = ap.parse_args()

    from PIL import Image, ImageDraw, UnidentifiedImageError

    import vibegrade
    from vibegrade.students import StudentLoadError

    try:
        src = Image.open(a.photo).convert("RGB")
    except (OSError, UnidentifiedImageError) as e:
        sys.exit(f"first_requests_sheet: cannot read {a.photo}: {e}")
    src = src.resize((a.width, round(src.height * a.width / src.width)), Image.Resampling.LANCZOS)
    try:
        student = vibegrade.load_model(a.model)
    except StudentLoadError as e:
        sys.exit(f"first_requests_sheet: {e}")
    if a.plain:  # first row: round five's decoder, second row: with the answer check
        jobs = before_after(PLAIN, "answer_check", "no check")
    elif a.sliders:  # first row: without the slider reader, second row: with it
        jobs = before_after(SLIDERS, "sliders")
    elif a.limits:  # first row: without the limits reader, second row: with it
        jobs = before_after(LIMITS, "limits")
    elif a.less:  # first row: without the reader of less of a quality, second row: with it
        jobs = before_after(LESS, "opposite")
    elif a.more:  # first row: without the reader of more of a quality, second row: with it
        jobs = before_after(MORE, "more_of")
    elif a.modifiers or a.changes or a.strength or a.unjoined:  # first row: without composing, then with it
        which = MODIFIERS if a.modifiers else CHANGES if a.changes else STRENGTH if a.strength else UNJOINED
        jobs = before_after(which, "compose")
    else:
        which = (STATES if a.states else PALETTES if a.palettes else SIZES if a.sizes else BEYOND if a.beyond
                 else REQUESTS)
        jobs = [(req, req, {}) for req in which]
    tiles = []
    for label, req, settings in jobs:
        on = {"answer_check": 1, "compose": 1, "sliders": 1, "limits": 1, "opposite": 1, "more_of": 1,
              **settings}
        student.retrieval.update(on)  # type: ignore[attr-defined]
        img = src if req == "(original)" else vibegrade.render(src, student.predict([req])[0])
        tile = Image.new("RGB", (src.width, src.height + 22), "white")
        tile.paste(img, (0, 22))
        ImageDraw.Draw(tile).text((4, 5), label[:46], fill="black")
        tiles.append(tile)
    cols = 7
    rows = -(-len(tiles) // cols)
    sheet = Image.new("RGB", (cols * tiles[0].width, rows * tiles[0].height), "white")
    for i, t in enumerate(tiles):
        sheet.paste(t, ((i % cols) * t.width, (i // cols) * t.height))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(a.out, quality=88)
    print(f"wrote {a.out} ({sheet.width}x{sheet.height})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
