"""Round-trip error of vibegrade's LUT exports through independent readers, in 8-bit levels (docs/formats.md).

For each look and each bundled sample photo, the chain is exported as .cube (33 points), .3dl (17 points,
12-bit codes) and HaldCLUT PNG (level 8, 64 points, 16- and 8-bit), and each file is applied by every
third-party reader that installs here:

* OpenColorIO (PyPI ``opencolorio``): .cube, .3dl  -- float output, rounded to 8 bits here
* colour-science (PyPI ``colour-science``): .cube   -- float output, rounded to 8 bits here
* ffmpeg ``lut3d`` (.cube, .3dl) and ``haldclut`` (PNG) through PyAV -- 8-bit output (ffmpeg truncates)

Two references, both as 8-bit values:

* ``file``: the same in-memory LUT applied by vibegrade (tetrahedral, float) -- what the file format and the
  reader add (quantisation of the stored values, the reader's interpolation and rounding);
* ``render``: vibegrade's own render of the chain (``vibegrade render``: 33-point LUT, Pillow trilinear) --
  what a user sees in the other tool compared with vibegrade.

Usage: ``.venv/bin/python scripts/formats_roundtrip.py [--json]`` (needs ``pip install -e .[formats]`` for
the optional readers; a reader that is missing is reported and skipped).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from vibegrade.media.image import read_image
from vibegrade.samples import sample_path
from vibegrade.schema import parse_chain
from vibegrade.tools.chain import bake_lut, render
from vibegrade.tools.formats import readers as R
from vibegrade.tools.formats.hald import write_hald
from vibegrade.tools.formats.threedl import write_3dl
from vibegrade.tools.lut import apply_lut, write_cube

LOOKS = {
    "golden_hour": (Path(__file__).resolve().parents[1]
                    / "src/vibegrade/samples/looks/golden_hour.json").read_text(),
    "teal_orange_grade": json.dumps({
        "adjust": {"exposure": 10, "contrast": 20, "highlights": -20, "shadows": 15, "vibrance": 25,
                   "temperature": 20},
        "selective_adjust": {"blue": {"saturation": -20, "luminance": -10}},
        "filter": {"name": "teal_and_orange_3", "intensity": 60}}),
    "faded_mono": json.dumps({"adjust": {"saturation": -100, "linearOffset": 40, "contrast": 30},
                              "filter": {"name": "faded_Mist", "intensity": 100}}),
}
IMAGES = ("astronaut", "chelsea", "coffee", "rocket")


def _u8(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float64) if a.dtype == np.uint8 else np.rint(np.clip(a, 0, 1) * 255)


def _available() -> dict[str, bool]:
    out = {}
    for mod, key in (("PyOpenColorIO", "opencolorio"), ("colour", "colour-science")):
        try:
            __import__(mod)
            out[key] = True
        except ImportError:
            out[key] = False
    return out


def measure() -> dict:
    have = _available()
    rows: dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        for look, text in LOOKS.items():
            chain = parse_chain(text)
            luts = {"cube": bake_lut(chain, 33), "3dl": bake_lut(chain, 17), "hald": bake_lut(chain, 64)}
            # one file name per look: OpenColorIO caches a LUT file by its path
            cube, tdl = t / f"{look}.cube", t / f"{look}.3dl"
            write_cube(cube, luts["cube"])
            write_3dl(tdl, luts["3dl"])
            write_hald(t / f"{look}16.png", luts["hald"], 16)
            write_hald(t / f"{look}8.png", luts["hald"], 8)
            # the LUT formats carry the per-pixel colour work only: compare with a render without the
            # spatial operations (bloom, sharpen, structure)
            colour_only = chain.model_copy(update={"adjust": chain.adjust.model_copy(
                update={"bloom": 0, "sharpen": 0, "structure": 0})})
            for name in IMAGES:
                img = read_image(sample_path(name)).rgb
                f = img.astype(np.float32) / 255
                shown = render(img, colour_only).astype(np.float64)
                ref = {k: _u8(apply_lut(f, v, "tetrahedral")) for k, v in luts.items()}
                outs: list[tuple[str, str, np.ndarray]] = [
                    (".cube 33", "ffmpeg lut3d", R.ffmpeg_lut3d(img, cube)),
                    (".3dl 17, 12-bit", "ffmpeg lut3d", R.ffmpeg_lut3d(img, tdl)),
                    ("HaldCLUT level 8, 16-bit", "ffmpeg haldclut",
                     R.ffmpeg_haldclut(img, t / f"{look}16.png")),
                    ("HaldCLUT level 8, 8-bit", "ffmpeg haldclut",
                     R.ffmpeg_haldclut(img, t / f"{look}8.png")),
                ]
                if have["opencolorio"]:
                    outs += [(".cube 33", "OpenColorIO", R.ocio_apply(f, cube)),
                             (".3dl 17, 12-bit", "OpenColorIO", R.ocio_apply(f, tdl))]
                if have["colour-science"]:
                    outs.append((".cube 33", "colour-science", R.colour_apply(f, cube)))
                for fmt, reader, out in outs:
                    key = "cube" if fmt.startswith(".cube") else "3dl" if fmt.startswith(".3dl") else "hald"
                    rows.setdefault((fmt, reader), []).append((np.abs(_u8(out) - ref[key]),
                                                               np.abs(_u8(out) - shown)))
    table = []
    for (fmt, reader), diffs in rows.items():
        a = np.concatenate([d[0].ravel() for d in diffs])
        b = np.concatenate([d[1].ravel() for d in diffs])
        table.append({"format": fmt, "reader": reader, "vs_file_max": float(a.max()),
                      "vs_file_mean": float(a.mean()),
                      "vs_render_max": float(b.max()), "vs_render_mean": float(b.mean())})
    return {"readers": have, "looks": list(LOOKS), "images": list(IMAGES), "rows": table}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    res = measure()
    if ap.parse_args().json:
        json.dump(res, sys.stdout, indent=2)
        print()
        return
    missing = [k for k, v in res["readers"].items() if not v]
    print(f"{len(res['looks'])} looks x {len(res['images'])} photos; 8-bit levels (max / mean)"
          + (f"; not installed: {', '.join(missing)}" if missing else ""))
    print("| format | reader | vs the same LUT in vibegrade | vs vibegrade's render |")
    print("| --- | --- | --- | --- |")
    for r in res["rows"]:
        print(f"| {r['format']} | {r['reader']} | {r['vs_file_max']:.0f} / {r['vs_file_mean']:.3f} "
              f"| {r['vs_render_max']:.0f} / {r['vs_render_mean']:.3f} |")


if __name__ == "__main__":
    main()
