"""Hand-drawn reference region masks (data/agent/masks/*.json): rasterise, review, validate.

A mask file names one photo of ../shared/photos and draws four regions (sky, people, faces, subject) as
filled polygons in pixels of the EXIF-oriented photo, with optional holes cut out of a region:

    {"photo": "red_barn_pond_sky.jpg", "width": 768, "height": 512, "author": "...",
     "regions": {"sky": [[[x, y], ...], ...], ...}, "holes": {"sky": [[[x, y], ...]]},
     "absent": ["people", "faces"], "notes": "one line"}

Usage (from the repository root):

    # the photo with a labelled 50 px grid, to start drawing (a crop zoomed 3x for detail)
    python scripts/agent_data/draw_masks.py beach_couple_sky.jpg
    python scripts/agent_data/draw_masks.py beach_couple_sky.jpg --crop 300,100,500,300 --scale 3

    # a review overlay: each region tinted in its own colour with its outline, holes dashed, grid
    python scripts/agent_data/draw_masks.py data/agent/masks/beach_couple_sky.json
    python scripts/agent_data/draw_masks.py data/agent/masks/beach_couple_sky.json --only faces \\
        --crop 300,100,500,300 --scale 3 --points

    # validate every file in data/agent/masks (or the files named) and print each region's area share
    python scripts/agent_data/draw_masks.py --check

Review PNGs go to /tmp/masks_review/ unless --out names a file. Colours: sky blue, people green,
faces red, subject yellow. ``load_masks(path)`` returns the boolean masks for measuring IoU.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[2]
MASKS = ROOT / "data" / "agent" / "masks"
PHOTOS = ROOT.parent / "shared" / "photos"
if not PHOTOS.is_dir():
    PHOTOS = Path("/work/shared/photos")
OUT = Path("/tmp/masks_review")

REGIONS = ("sky", "people", "faces", "subject")
#: RGB colour of each region in review images.
COLOURS = {"sky": (40, 140, 255), "people": (40, 220, 60), "faces": (255, 40, 40), "subject": (255, 220, 0)}
FIELDS = {"photo", "width", "height", "author", "regions", "holes", "absent", "notes"}
REQUIRED = {"photo", "width", "height", "author", "regions", "absent", "notes"}


def load_photo(name: str | Path) -> np.ndarray:
    """The photo (a name in the shared folder or a path) as EXIF-oriented 8-bit RGB."""
    path = Path(name)
    if not path.is_file():
        path = PHOTOS / str(name)
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def fill(polygons: list, height: int, width: int) -> np.ndarray:
    """The union of filled polygons as a boolean mask (each filled on its own, so overlaps stay set)."""
    mask = np.zeros((height, width), np.uint8)
    for poly in polygons:
        pts = np.asarray(poly, np.int32).reshape(-1, 1, 2)
        layer = np.zeros_like(mask)
        cv2.fillPoly(layer, [pts], 1)
        mask |= layer
    return mask.astype(bool)


def rasterise(doc: dict) -> dict[str, np.ndarray]:
    """Boolean (height, width) masks of every region of a mask document, holes subtracted; absent regions
    are all False."""
    h, w = int(doc["height"]), int(doc["width"])
    holes = doc.get("holes") or {}
    masks = {}
    for name in REGIONS:
        mask = fill(doc.get("regions", {}).get(name) or [], h, w)
        if holes.get(name):
            mask &= ~fill(holes[name], h, w)
        masks[name] = mask
    return masks


def load_masks(path: str | Path) -> dict[str, np.ndarray]:
    """The boolean masks of one mask file (see ``rasterise``)."""
    return rasterise(json.loads(Path(path).read_text()))


# ----------------------------------------------------------------------------------------------- review
def _label(img: np.ndarray, text: str, x: int, y: int, scale: float = 0.4) -> None:
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    x = int(np.clip(x, 0, img.shape[1] - tw - 2))
    y = int(np.clip(y, th + 2, img.shape[0] - base - 1))
    cv2.rectangle(img, (x - 1, y - th - 2), (x + tw + 1, y + base), (0, 0, 0), -1)
    cv2.putText(img, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)


def _dashed(img: np.ndarray, pts: np.ndarray, colour, thickness: int, dash: int = 6) -> None:
    closed = np.vstack([pts, pts[:1]])
    for a, b in zip(closed[:-1], closed[1:]):
        length = float(np.hypot(*(b - a)))
        n = max(1, int(length // dash))
        for i in range(0, n, 2):
            p = a + (b - a) * (i / n)
            q = a + (b - a) * (min(i + 1, n) / n)
            cv2.line(img, tuple(np.round(p).astype(int)), tuple(np.round(q).astype(int)), colour, thickness,
                     cv2.LINE_AA)


def review_image(photo: np.ndarray, doc: dict | None = None, *, crop=None, scale: float = 1.0,
                 grid: int = 50, only: list[str] | None = None, points: bool = False,
                 alpha: float = 0.35, gamma: float = 1.0) -> np.ndarray:
    """An RGB review image: the photo (or a crop of it, scaled), each region tinted and outlined, holes
    dashed, and a labelled grid every ``grid`` photo pixels."""
    h, w = photo.shape[:2]
    x0, y0, x1, y1 = crop or (0, 0, w, h)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(w, x1), min(h, y1)
    img = photo.astype(np.float32)
    if gamma != 1.0:  # brighten (gamma < 1) or darken the photo to see edges in shadows
        img = 255.0 * (img / 255.0) ** gamma
    names = [n for n in REGIONS if doc is not None and (doc.get("regions") or {}).get(n)
             and (only is None or n in only)]
    if doc is not None:
        masks = rasterise(doc)
        for name in names:
            m = masks[name]
            img[m] = img[m] * (1 - alpha) + np.array(COLOURS[name], np.float32) * alpha
    img = img[y0:y1, x0:x1]
    out_w, out_h = int(round((x1 - x0) * scale)), int(round((y1 - y0) * scale))
    interp = cv2.INTER_NEAREST if scale >= 2 else cv2.INTER_LINEAR if scale >= 1 else cv2.INTER_AREA
    img = cv2.resize(img, (out_w, out_h), interpolation=interp).clip(0, 255).astype(np.uint8)
    img = np.ascontiguousarray(img)

    def to_view(poly) -> np.ndarray:
        p = (np.asarray(poly, np.float64) + 0.5 - [x0, y0]) * scale - 0.5
        return p

    # grid: thin dark-and-light lines so they show on any background, labels in photo pixels
    overlay = img.copy()
    for gx in range((x0 // grid + 1) * grid if x0 % grid else x0, x1, grid):
        vx = int(round((gx - x0 + 0.5) * scale - 0.5))
        shade = (255, 255, 255) if gx % (grid * 2) == 0 else (200, 200, 200)
        cv2.line(overlay, (vx, 0), (vx, out_h - 1), shade, 1)
    for gy in range((y0 // grid + 1) * grid if y0 % grid else y0, y1, grid):
        vy = int(round((gy - y0 + 0.5) * scale - 0.5))
        shade = (255, 255, 255) if gy % (grid * 2) == 0 else (200, 200, 200)
        cv2.line(overlay, (0, vy), (out_w - 1, vy), shade, 1)
    img = cv2.addWeighted(overlay, 0.45, img, 0.55, 0)

    if doc is not None:
        thick = 2 if scale >= 2 else 1
        for name in names:
            colour = COLOURS[name]
            for poly in doc.get("regions", {}).get(name) or []:
                p = to_view(poly)
                cv2.polylines(img, [np.round(p * 16).astype(np.int32)], True, colour, thick, cv2.LINE_AA, 4)
                if points:
                    for q in np.round(p).astype(int):
                        cv2.circle(img, tuple(q), 2, (255, 255, 255), -1)
                        cv2.circle(img, tuple(q), 2, colour, 1)
            for poly in (doc.get("holes") or {}).get(name) or []:
                _dashed(img, to_view(poly), colour, thick)

    for gx in range((x0 // grid + 1) * grid if x0 % grid else x0, x1, grid):
        vx = int(round((gx - x0 + 0.5) * scale - 0.5))
        _label(img, str(gx), vx + 2, 12)
        _label(img, str(gx), vx + 2, out_h - 3)
    for gy in range((y0 // grid + 1) * grid if y0 % grid else y0, y1, grid):
        vy = int(round((gy - y0 + 0.5) * scale - 0.5))
        _label(img, str(gy), 1, vy + 12)
        _label(img, str(gy), out_w - 30, vy + 12)
    if doc is not None:
        legend = "  ".join(n for n in names)
        _label(img, legend or "(no regions)", out_w // 2 - 80, out_h - 16, 0.45)
    return img


# ----------------------------------------------------------------------------------------------- check
def _check_polygons(value, name: str, w: int, h: int, errors: list[str]) -> None:
    if not isinstance(value, list) or not value:
        errors.append(f"{name}: not a non-empty list of polygons")
        return
    for i, poly in enumerate(value):
        if not isinstance(poly, list) or len(poly) < 3:
            errors.append(f"{name}[{i}]: a polygon needs at least 3 points")
            continue
        for pt in poly:
            if (not isinstance(pt, list) or len(pt) != 2
                    or not all(isinstance(c, int) and not isinstance(c, bool) for c in pt)):
                errors.append(f"{name}[{i}]: point {pt!r} is not [x, y] integers")
                break
            if not (0 <= pt[0] <= w - 1 and 0 <= pt[1] <= h - 1):
                errors.append(f"{name}[{i}]: point {pt} outside the frame 0..{w - 1} x 0..{h - 1}")
                break
        else:
            area = abs(cv2.contourArea(np.asarray(poly, np.float32)))
            if area < 1:
                errors.append(f"{name}[{i}]: polygon has no area")


def check_file(path: Path) -> tuple[list[str], list[str], dict[str, float]]:
    """Errors, warnings and each region's area share of one mask file."""
    errors: list[str] = []
    warnings: list[str] = []
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        return [f"unreadable: {exc}"], [], {}
    if not isinstance(doc, dict):
        return ["not a JSON object"], [], {}
    missing, extra = REQUIRED - doc.keys(), doc.keys() - FIELDS
    if missing:
        errors.append(f"missing fields {sorted(missing)}")
    if extra:
        errors.append(f"unknown fields {sorted(extra)}")
    photo = doc.get("photo")
    if not isinstance(photo, str) or not (PHOTOS / photo).is_file():
        errors.append(f"photo {photo!r} not in {PHOTOS}")
        return errors, warnings, {}
    if Path(photo).stem != path.stem:
        errors.append(f"file name {path.name} does not match photo stem {Path(photo).stem}")
    with Image.open(PHOTOS / photo) as im:
        w, h = ImageOps.exif_transpose(im).size
    if doc.get("width") != w or doc.get("height") != h:
        errors.append(f"size {doc.get('width')}x{doc.get('height')} != oriented photo {w}x{h}")
        return errors, warnings, {}
    if not isinstance(doc.get("author"), str) or not doc.get("author", "").strip():
        errors.append("author must be a non-empty string")
    notes = doc.get("notes")
    if not isinstance(notes, str) or not notes.strip() or "\n" in notes:
        errors.append("notes must be one non-empty line")
    regions = doc.get("regions")
    absent = doc.get("absent")
    holes = doc.get("holes") or {}
    if not isinstance(regions, dict) or not isinstance(absent, list) or not isinstance(holes, dict):
        errors.append("regions and holes must be objects, absent a list")
        return errors, warnings, {}
    for name in set(regions) | set(absent) | set(holes):
        if name not in REGIONS:
            errors.append(f"unknown region {name!r}")
    for name in REGIONS:
        drawn, gone = name in regions, name in absent
        if drawn and gone:
            errors.append(f"{name}: both drawn and absent")
        elif not drawn and not gone:
            errors.append(f"{name}: neither drawn nor absent")
        if drawn:
            _check_polygons(regions[name], f"regions.{name}", w, h, errors)
        if name in holes:
            if not drawn:
                errors.append(f"holes.{name}: region not drawn")
            _check_polygons(holes[name], f"holes.{name}", w, h, errors)
    if len(absent) != len(set(absent)):
        errors.append("absent lists a region twice")
    if errors:
        return errors, warnings, {}
    masks = rasterise(doc)
    shares = {name: float(masks[name].mean()) for name in REGIONS}
    for name in regions:
        if not masks[name].any():
            errors.append(f"{name}: drawn but empty after holes")
    if masks["faces"].any():
        if not masks["people"].any():
            warnings.append("faces drawn but no people")
        else:
            outside = (masks["faces"] & ~masks["people"]).sum() / masks["faces"].sum()
            if outside > 0.02:
                warnings.append(f"{outside:.0%} of faces lies outside people")
    if masks["sky"].any():
        for other in ("people", "faces", "subject"):
            both = (masks["sky"] & masks[other]).sum()
            if both > 0.002 * masks["sky"].size:
                warnings.append(f"sky overlaps {other} by {both} px")
    return errors, warnings, shares


def check(paths: list[Path]) -> int:
    if not paths:
        paths = sorted(MASKS.glob("*.json"))
    if not paths:
        print(f"no mask files in {MASKS}")
        return 1
    failed = 0
    for path in paths:
        errors, warnings, shares = check_file(path)
        share = "  ".join(f"{n} {shares[n]:6.2%}" if shares.get(n) else f"{n}    -  " for n in REGIONS)
        print(f"{'FAIL' if errors else 'ok  '} {path.name:48s} {share if not errors else ''}")
        for e in errors:
            print(f"       error: {e}")
        for wmsg in warnings:
            print(f"       warning: {wmsg}")
        failed += bool(errors)
    print(f"{len(paths) - failed}/{len(paths)} files pass")
    return 1 if failed else 0


# ------------------------------------------------------------------------------------------------- cli
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("target", nargs="*", help="a mask .json (overlay) or a photo (grid only); with --check, "
                    "the mask files to check (default: all in data/agent/masks)")
    ap.add_argument("--check", action="store_true", help="validate mask files and print area shares")
    ap.add_argument("--crop", help="x0,y0,x1,y1 in photo pixels")
    ap.add_argument("--scale", type=float, default=None, help="zoom factor (default 1, or fit ~1400 px "
                    "for crops)")
    ap.add_argument("--grid", type=int, default=50, help="grid spacing in photo pixels (default 50)")
    ap.add_argument("--only", help="comma-separated regions to draw (default all)")
    ap.add_argument("--points", action="store_true", help="mark polygon vertices")
    ap.add_argument("--alpha", type=float, default=0.35, help="tint strength (default 0.35)")
    ap.add_argument("--gamma", type=float, default=1.0, help="display gamma, e.g. 0.5 to see into shadows")
    ap.add_argument("--out", help="output PNG (default /tmp/masks_review/<stem>[_crop].png)")
    args = ap.parse_args(argv)

    if args.check:
        return check([Path(t) if Path(t).exists() else MASKS / Path(t).name for t in args.target])
    if len(args.target) != 1:
        ap.error("give one mask file or photo")
    target = Path(args.target[0])
    if target.suffix == ".json":
        if not target.is_file() and (MASKS / target.name).is_file():
            target = MASKS / target.name
        doc = json.loads(target.read_text())
        photo = load_photo(doc["photo"])
        if photo.shape[:2] != (doc["height"], doc["width"]):
            print(f"warning: file says {doc['width']}x{doc['height']}, photo is "
                  f"{photo.shape[1]}x{photo.shape[0]}", file=sys.stderr)
    else:
        doc, photo = None, load_photo(target)
    crop = tuple(int(v) for v in args.crop.split(",")) if args.crop else None
    scale = args.scale
    if scale is None:
        scale = 1.0
        if crop:
            scale = max(1.0, min(4.0, 1400 / max(crop[2] - crop[0], crop[3] - crop[1])))
    only = args.only.split(",") if args.only else None
    img = review_image(photo, doc, crop=crop, scale=scale, grid=args.grid, only=only, points=args.points,
                       alpha=args.alpha, gamma=args.gamma)
    if args.out:
        out = Path(args.out)
    else:
        suffix = "" if doc is None else "_mask"
        if crop:
            suffix += "_" + "_".join(str(v) for v in crop)
        if only:
            suffix += "_" + "-".join(only)
        out = OUT / f"{target.stem}{suffix}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
