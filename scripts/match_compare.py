#!/usr/bin/env python
"""Reference looks against classic colour transfer: every figure and contact sheet of ``docs/match.md``.

Pairs of photos from the shared photo folder (licences in its LICENSES.md) in three groups:

* ``same``: the reference is the input itself graded with a known chain (ground truth: that graded image);
* ``cross``: the reference is *another* photo graded with a known chain; the ideal output is the input
  graded with the same chain, so content that differs between the two photos must not be transferred;
* ``real``: two ungraded photos (no ground truth: statistics only).

Methods: ``chain`` (``vibegrade.tools.match.match_look``, filters tried, rendered at full size),
``chain_nofilter`` (sliders only), ``reinhard`` (Reinhard et al. 2001: per-channel mean and standard
deviation in CIELAB), ``mkl`` (Pitié and Kokaram 2007: the linear Monge-Kantorovich map between the RGB
colour distributions) and ``histogram`` (``skimage.exposure.match_histograms``, per RGB channel).

Measures, each on copies whose long side is 256 px (:func:`vibegrade.tools.match.stats.working_pixels`):

* ``bands_de00``: mean CIEDE2000 between the mean CIELAB colours of the five lightness quintiles of the
  output and of the reference;
* ``w1_L`` and ``w1_ab``: Wasserstein-1 distance between the L* distributions, and the mean of those
  between the a* and between the b* distributions;
* ``gt_de00`` (``same`` and ``cross`` only): mean per-pixel CIEDE2000 between the output and the ground
  truth;
* ``seconds`` and ``cpu_seconds``: wall time and process CPU time (all threads) of the method on the
  full-size pair (for ``chain``: fit plus full-size render; ``fit_seconds``: the fit alone).

    .venv/bin/python scripts/match_compare.py                 # tables, docs/results/match_compare.json,
                                                              # docs/images/match_*.jpg
    .venv/bin/python scripts/match_compare.py --methods chain --no-sheets   # quicker
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vibegrade.media.image import read_image
from vibegrade.schema import SPATIAL_ADJUST_KEYS, ToolChain, parse_chain
from vibegrade.tools.chain import render
from vibegrade.tools.filters import load_preset, preset_names
from vibegrade.tools.match import MatchResult, match_look
from vibegrade.tools.match.stats import ciede2000, compare, to_lab, working_pixels

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = Path("/work/shared/photos")
POOL = ROOT / "data" / "refine" / "pool.jsonl"
LOOKS = ROOT / "src" / "vibegrade" / "samples" / "looks"
MEASURE_SIDE = 256

# Known chains: the bundled example look, looks of the refinement pool (data/refine/pool.jsonl, by id) and
# two written here. Spatial sliders (bloom, sharpen, structure) are removed: the fit leaves them at 0.
MANUAL = {
    "cool_bright": {"adjust": {"exposure": 20, "contrast": 15, "saturation": -25, "temperature": -30,
                               "tint": 10},
                    "selective_adjust": {"blue": {"saturation": 30, "luminance": -10}}},
    "teal_orange": {"adjust": {"contrast": 10, "saturation": 10, "linearOffset": 5},
                    "filter": {"name": "teal_and_orange_2", "intensity": 60}},
}
# (group, input photo, reference photo, chain graded onto the reference photo or None). The ``cross`` pairs
# are two photos of the same kind of scene (a user matching a look between similar shots).
PAIRS: list[tuple[str, str, str, str | None]] = [
    ("same", "beach_couple_sky", "beach_couple_sky", "cool_bright"),
    ("same", "caps_colourful_wall_sky", "caps_colourful_wall_sky", "golden_hour"),
    ("same", "street_timbered_houses", "street_timbered_houses", "P060"),
    ("same", "food_fig_red_plate", "food_fig_red_plate", "P032"),
    ("same", "mountains_snow_peaks_sky", "mountains_snow_peaks_sky", "P433"),
    ("cross", "mountains_trail_picos_sky", "landscape_lake_sherburne_mountains_sky", "teal_orange"),
    ("cross", "coast_cliff_beach_overcast", "coast_lighthouse_sky", "P230"),
    ("cross", "portrait_child_face_paint", "portrait_girl_red_hat", "P241"),
    ("cross", "street_boston_sunset_sky", "street_timbered_houses", "P333"),
    ("cross", "red_barn_pond_sky", "temple_summer_palace_sky", "P068"),
    ("cross", "food_coffee_cup_table", "food_fig_red_plate", "golden_hour"),
    ("real", "coast_cliff_beach_overcast", "dusk_pier_lake_sunset_sky", None),
    ("real", "desert_dune_hikers_sky", "night_san_francisco_skyline_dusk", None),
    ("real", "red_barn_pond_sky", "washington_monument_cherry_blossoms_sky", None),
    ("real", "night_singapore_skyline_water", "night_san_francisco_skyline_dusk", None),
]
# The pairs the fit's weights were chosen on (other photos, other looks): `--set tuning`.
TUNING_PAIRS: list[tuple[str, str, str, str | None]] = [
    ("same", "motocross_riders_start", "motocross_riders_start", "P004"),
    ("same", "portrait_astronaut_flag", "portrait_astronaut_flag", "P005"),
    ("same", "product_paint_brushes", "product_paint_brushes", "P130"),
    ("same", "propeller_plane_sky", "propeller_plane_sky", "P253"),
    ("cross", "people_group_meeting_indoor", "people_pair_portrait_office", "P291"),
    ("cross", "indoor_hospital_navy_nurse_patient", "indoor_clinic_waiting_room", "P410"),
    ("cross", "portrait_grace_hopper_uniform", "portrait_astronaut_flag", "P194"),
    ("cross", "rafting_whitewater_people", "motocross_riders_start", "P003"),
    ("cross", "parrots_macaws_closeup", "flower_dahlia_pink_bokeh", "P391"),
    ("cross", "rocket_on_pad_dusk_sky", "propeller_plane_sky", "P389"),
    ("real", "indoor_living_room_wine_drum", "indoor_aircraft_factory_worker", None),
    ("real", "street_new_orleans_venue_sky", "rocket_on_pad_dusk_sky", None),
]
KEY_PARAMS = ("exposure", "contrast", "saturation", "temperature", "tint")


def known_chain(name: str) -> ToolChain:
    if name in MANUAL:
        spec = MANUAL[name]
    elif (LOOKS / f"{name}.json").is_file():
        spec = json.loads((LOOKS / f"{name}.json").read_text())
    else:
        rows = {r["id"]: r for r in map(json.loads, POOL.read_text().splitlines())}
        spec = rows[name]["chain"]
    spec = json.loads(json.dumps(spec))
    for k in SPATIAL_ADJUST_KEYS:
        spec.get("adjust", {}).pop(k, None)
    return parse_chain(spec, presets=preset_names())


def photo(name: str) -> np.ndarray:
    return read_image(PHOTOS / f"{name}.jpg").rgb


# ------------------------------------------------------------------------------------------ classic transfer


def _f32(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float32) / np.float32(255)


def _u8(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)


def reinhard(src: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Reinhard et al. 2001 in CIELAB: each channel shifted and scaled to the reference's mean and std."""
    a = cv2.cvtColor(_f32(src), cv2.COLOR_RGB2Lab)
    b = cv2.cvtColor(_f32(ref), cv2.COLOR_RGB2Lab)
    mu_a, sd_a = a.reshape(-1, 3).mean(0), a.reshape(-1, 3).std(0)
    mu_b, sd_b = b.reshape(-1, 3).mean(0), b.reshape(-1, 3).std(0)
    out = (a - mu_a) * (sd_b / np.maximum(sd_a, 1e-6)) + mu_b
    return _u8(cv2.cvtColor(out.astype(np.float32), cv2.COLOR_Lab2RGB))


def _sqrtm_sym(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Square root and inverse square root of a symmetric positive semi-definite matrix."""
    w, v = np.linalg.eigh(m)
    w = np.maximum(w, 1e-10)
    return (v * np.sqrt(w)) @ v.T, (v / np.sqrt(w)) @ v.T


def mkl(src: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Pitié and Kokaram 2007: the linear map between the RGB colour distributions that moves colours least
    (Monge-Kantorovich) while giving the reference's mean and covariance."""
    x = _f32(src).reshape(-1, 3).astype(np.float64)
    y = _f32(ref).reshape(-1, 3).astype(np.float64)
    mu_x, mu_y = x.mean(0), y.mean(0)
    cov_x = np.cov(x, rowvar=False) + 1e-8 * np.eye(3)
    cov_y = np.cov(y, rowvar=False)
    half, inv_half = _sqrtm_sym(cov_x)
    middle, _ = _sqrtm_sym(half @ cov_y @ half)
    t = inv_half @ middle @ inv_half
    return _u8(((x - mu_x) @ t.T + mu_y).reshape(src.shape))


def histogram(src: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per-channel histogram matching of the RGB channels (scikit-image)."""
    from skimage.exposure import match_histograms

    return _u8(match_histograms(src, ref, channel_axis=-1) / 255.0)


def chain_method(filters: bool) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, MatchResult]]:
    def run(src: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, MatchResult]:
        res = match_look(src, ref, filters=filters)
        return render(src, res.chain), res

    return run


METHODS: dict[str, Callable] = {"chain": chain_method(True), "chain_nofilter": chain_method(False),
                                "reinhard": reinhard, "mkl": mkl, "histogram": histogram}
LABELS = {"chain": "vibegrade chain", "chain_nofilter": "chain, no filter", "reinhard": "Reinhard (Lab)",
          "mkl": "MKL (RGB)", "histogram": "histogram match"}


# ------------------------------------------------------------------------------------------------ measures


def measure(out: np.ndarray, ref: np.ndarray, truth: np.ndarray | None) -> dict[str, float]:
    a, b = working_pixels(out, MEASURE_SIDE), working_pixels(ref, MEASURE_SIDE)
    d = compare(a, b)
    m = {"bands_de00": d.bands_de00, "w1_L": d.w1_lightness, "w1_ab": d.w1_ab}
    if truth is not None:
        t = working_pixels(truth, MEASURE_SIDE)
        m["gt_de00"] = float(ciede2000(to_lab(a), to_lab(t)).mean())
    return m


def recovery(fitted: ToolChain, truth: ToolChain) -> dict[str, object]:
    out: dict[str, object] = {k: [getattr(truth.adjust, k), getattr(fitted.adjust, k)] for k in KEY_PARAMS}
    out["filter"] = [f"{truth.filter.name} {truth.filter.intensity}" if truth.filter.used else "none",
                     f"{fitted.filter.name} {fitted.filter.intensity}" if fitted.filter.used else "none"]
    return out


# --------------------------------------------------------------------------------------------- contact sheet


def _font(size: int) -> ImageFont.ImageFont:
    for name in ("DejaVuSans.ttf", "Arial.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default()


def contact_sheet(rows: list[tuple[str, list[tuple[str, np.ndarray]]]], path: Path,
                  tile_h: int = 130) -> None:
    """One row per pair: a caption on the left, then labelled tiles of equal height."""
    gap, label_h, caption_w = 6, 18, 190
    font, small = _font(13), _font(11)
    scaled = []
    for caption, tiles in rows:
        scaled.append((caption, [(lbl, np.asarray(Image.fromarray(img).resize(
            (round(img.shape[1] * tile_h / img.shape[0]), tile_h), Image.LANCZOS))) for lbl, img in tiles]))
    width = max(caption_w + sum(t.shape[1] + gap for _, t in tiles) for _, tiles in scaled) + gap
    height = len(scaled) * (tile_h + label_h + gap) + gap
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    y = gap
    for caption, tiles in scaled:
        for i, line in enumerate(caption.split("\n")):
            draw.text((gap, y + label_h + 4 + 16 * i), line, fill="black", font=small)
        x = caption_w
        for lbl, t in tiles:
            draw.text((x, y), lbl, fill="black", font=font)
            sheet.paste(Image.fromarray(t), (x, y + label_h))
            x += t.shape[1] + gap
        y += tile_h + label_h + gap
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, quality=85)


# ---------------------------------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    ap.add_argument("--no-sheets", action="store_true", help="Skip the contact sheets.")
    ap.add_argument("--set", choices=["report", "tuning"], default="report",
                    help="The reported pairs, or those the fit's weights were chosen on.")
    ap.add_argument("--json", type=Path, default=ROOT / "docs" / "results" / "match_compare.json")
    ap.add_argument("--images", type=Path, default=ROOT / "docs" / "images")
    args = ap.parse_args()

    # warm-up: the first fit with filters reads every preset's .cube file; timed and reported separately
    t = time.perf_counter()
    for name in preset_names():
        load_preset(name)
    first_call = time.perf_counter() - t
    warm = photo("caps_colourful_wall_sky")[::8, ::8]
    for m in args.methods:  # imports and first-call set-up out of the timings
        METHODS[m](warm, warm[::-1])

    results = []
    sheets: dict[str, list] = {"same": [], "cross": [], "real": []}
    for group, src_name, ref_name, chain_name in (PAIRS if args.set == "report" else TUNING_PAIRS):
        src = photo(src_name)
        truth_chain = known_chain(chain_name) if chain_name else None
        ref = render(photo(ref_name), truth_chain) if truth_chain else photo(ref_name)
        truth = render(src, truth_chain) if truth_chain else None
        row: dict[str, object] = {"group": group, "input": src_name, "reference": ref_name,
                                  "chain": chain_name, "methods": {}}
        row["methods"]["input"] = measure(src, ref, truth)  # type: ignore[index]
        tiles = [("input", src), ("reference", ref)]
        for m in args.methods:
            t, cpu = time.perf_counter(), time.process_time()
            res = METHODS[m](src, ref)
            seconds, cpu_seconds = time.perf_counter() - t, time.process_time() - cpu
            out, fitted = res if isinstance(res, tuple) else (res, None)
            entry = {**measure(out, ref, truth), "seconds": seconds, "cpu_seconds": cpu_seconds}
            if fitted is not None:
                entry["fit_seconds"] = fitted.seconds
                entry["filters_tried"] = fitted.filters_tried
                entry["fitted"] = fitted.chain.to_wire()
                if truth_chain is not None:
                    entry["recovery"] = recovery(fitted.chain, truth_chain)
            row["methods"][m] = entry  # type: ignore[index]
            tiles.append((LABELS[m], out))
        if truth is not None and group != "same":  # for "same" the reference is the ground truth
            tiles.append(("ground truth", truth))
        caption = f"{src_name}\n<- {ref_name}" + (f"\n   graded: {chain_name}" if chain_name else "")
        sheets[group].append((caption, tiles))
        results.append(row)
        brief = "  ".join(f"{m}: {row['methods'][m]['bands_de00']:.2f}"  # type: ignore[index]
                          for m in ["input", *args.methods])
        print(f"{group:5s} {src_name[:24]:24s} <- {ref_name[:24]:24s} bands dE00  {brief}", file=sys.stderr)

    print_tables(results, ["input", *args.methods], first_call)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"first_call_seconds": first_call, "pairs": results}, indent=1) + "\n")
    if not args.no_sheets:
        for group, rows in sheets.items():
            contact_sheet(rows, args.images / f"match_{group}.jpg")
    return 0


def _mean(results: list[dict], method: str, key: str, groups: tuple[str, ...]) -> float | None:
    vals = [r["methods"][method][key] for r in results
            if r["group"] in groups and key in r["methods"][method]]
    return float(np.mean(vals)) if vals else None


def print_tables(results: list[dict], methods: list[str], first_call: float) -> None:
    keys = ("bands_de00", "w1_L", "w1_ab", "gt_de00", "seconds", "cpu_seconds", "fit_seconds")
    for title, groups in (("all pairs", ("same", "cross", "real")), ("same photo, graded", ("same",)),
                          ("other photo, graded", ("cross",)), ("two photos", ("real",))):
        n = sum(r["group"] in groups for r in results)
        print(f"\n{title} ({n} pairs): means\n")
        print("| method | " + " | ".join(keys) + " |")
        print("|---|" + "---:|" * len(keys))
        for m in methods:
            cells = []
            for k in keys:
                v = _mean(results, m, k, groups)
                cells.append("" if v is None else f"{v:.2f}")
            print(f"| {m} | " + " | ".join(cells) + " |")
    print("\nparameter recovery (truth -> fitted):\n")
    print("| pair | " + " | ".join(KEY_PARAMS) + " | filter |")
    print("|---|" + "---:|" * len(KEY_PARAMS) + "---|")
    for r in results:
        rec = r["methods"].get("chain", {}).get("recovery")
        if rec:
            cells = [f"{rec[k][0]} -> {rec[k][1]}" for k in KEY_PARAMS]
            cells.append(f"{rec['filter'][0]} -> {rec['filter'][1]}")
            print(f"| {r['input']} ({r['chain']}) | " + " | ".join(cells) + " |")
    agree = total = 0
    for r in results:
        rec = r["methods"].get("chain", {}).get("recovery")
        if rec and r["group"] == "same":
            for k in KEY_PARAMS:
                if abs(rec[k][0]) >= 10:
                    total += 1
                    agree += (rec[k][0] > 0) == (rec[k][1] > 0) and rec[k][1] != 0
    if total:
        print(f"\nsame photo: fitted key sliders move the way of the truth in {agree} of {total} cases "
              "(truth at least 10 away from 0)")
    print(f"\nreading the {len(preset_names())} filter presets (once per process): {first_call:.2f} s")


if __name__ == "__main__":
    raise SystemExit(main())
