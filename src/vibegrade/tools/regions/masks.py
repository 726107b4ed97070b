"""``compute_masks``: every region's soft mask for one image, at the image's resolution.

Three kinds of region, each computed where it is exact and cheap:

* colour regions (tonal bands, hue ranges, skin tones): a function of each pixel's colour, evaluated at
  full resolution through a 64^3 RGB table (:mod:`.table`), so their edges are the picture's own;
* semantic regions (sky, people, faces, subject, background): found at the working resolution and
  upsampled with the fast colour guided filter (:mod:`.guided`), edges following the picture;
* geometric regions (center, edges, top, bottom): closed-form at full resolution.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import cv2
import numpy as np

from vibegrade.schema import REGION_NAMES
from vibegrade.tools.regions.faces import face_ellipses, face_mask
from vibegrade.tools.regions.geometric import GEOMETRIC_NAMES, geometric_masks
from vibegrade.tools.regions.guided import ColourGuide
from vibegrade.tools.regions.hue import HUE_NAMES, hue_masks
from vibegrade.tools.regions.people import people_mask
from vibegrade.tools.regions.proxy import Proxy
from vibegrade.tools.regions.skin import SkinModel, fit_skin_model, skin_colour
from vibegrade.tools.regions.sky import sky_mask
from vibegrade.tools.regions.subject import subject_mask
from vibegrade.tools.regions.table import evaluate_on_grid, grid_index, lookup
from vibegrade.tools.regions.tonal import TONAL_NAMES, tonal_bands

__all__ = ["compute_masks", "resolve_names"]

_STATIC_COLOUR = TONAL_NAMES + HUE_NAMES
_SEMANTIC = ("sky", "people", "faces", "subject", "background")
#: images with at most this many pixels get their colour regions evaluated directly, not via the table
_DIRECT_MAX_PIXELS = 1 << 18


def resolve_names(names: Iterable[str] | None) -> tuple[str, ...]:
    """The asked region names (all of :data:`REGION_NAMES` for None), validated, without repeats."""
    if names is None:
        return REGION_NAMES
    if isinstance(names, str):
        names = (names,)
    try:
        asked = list(names)
    except TypeError:
        raise ValueError(f"compute_masks: names must be an iterable of region names, got {names!r}") from None
    unknown = [n for n in asked if n not in REGION_NAMES]
    if unknown:
        raise ValueError(f"compute_masks: unknown region name(s) {unknown}; known: {', '.join(REGION_NAMES)}")
    return tuple(dict.fromkeys(asked))


def _static_colour_fn(rgb: np.ndarray) -> dict[str, np.ndarray]:
    lab = cv2.cvtColor(np.ascontiguousarray(rgb, dtype=np.float32).reshape(-1, 1, 3), cv2.COLOR_RGB2Lab)
    out = tonal_bands(lab[..., 0].reshape(rgb.shape[:-1]))
    out.update(hue_masks(rgb))
    return out


@lru_cache(maxsize=1)
def _static_tables() -> dict[str, np.ndarray]:
    return evaluate_on_grid(_static_colour_fn)


def _skin_model(proxy: Proxy) -> SkinModel | None:
    if not proxy.faces:
        return None
    cores = face_ellipses(proxy.faces, proxy.shape, scale=0.6)
    return fit_skin_model(proxy.lab, cores)


def compute_masks(rgb: np.ndarray, names: Iterable[str] | None = None, *, working_size: int = 512
                  ) -> dict[str, np.ndarray]:
    """Soft masks of the regions ``names`` (default: all of :data:`vibegrade.schema.REGION_NAMES`).

    Args:
        rgb: ``(H, W, 3)`` uint8 / uint16 / float in [0, 1], display-referred sRGB, already
            EXIF-oriented.
        names: region names to compute (any order; the result follows it).
        working_size: long side (px) of the resolution the semantic regions are found at (64..4096).
    Returns:
        ``{name: float32 (H, W) mask in [0, 1]}``. A region the picture lacks is all zero (or nearly).
        The same input always gives the same masks.
    Raises:
        ValueError: on a malformed image, an unknown region name or a working size out of range.
    """
    wanted = resolve_names(names)
    proxy = Proxy(rgb, working_size)
    height, width = proxy.full_shape
    out: dict[str, np.ndarray] = {}

    # colour regions, per pixel at full resolution
    static = [n for n in wanted if n in _STATIC_COLOUR]
    need_skin = "skin" in wanted
    direct = height * width <= _DIRECT_MAX_PIXELS
    full_rgb = proxy.rgb if proxy.is_full else None
    index = None
    if static:
        if direct:
            if full_rgb is None:
                full_rgb = proxy.full_u8.astype(np.float32) / 255.0
            out.update({k: v for k, v in _static_colour_fn(full_rgb).items() if k in static})
        else:
            index = grid_index(proxy.full_u8)
            tables = _static_tables()
            out.update({n: lookup(tables[n], index) for n in static})

    # semantic regions at working resolution
    lo: dict[str, np.ndarray] = {}
    need_sky = bool({"sky", "subject", "background"} & set(wanted))
    need_people = bool({"people", "skin", "subject", "background"} & set(wanted))
    if need_sky:
        lo["sky"] = sky_mask(proxy)
    if need_people:
        lo["people"] = people_mask(proxy)
    model = _skin_model(proxy) if ("faces" in wanted or need_skin) else None
    if "faces" in wanted:
        lo["faces"] = face_mask(proxy, skin_colour(proxy.rgb, model))
    if {"subject", "background"} & set(wanted):
        lo["subject"] = subject_mask(proxy, lo["people"], lo["sky"])

    if need_skin:
        if lo["people"].any():
            reach = 0.5 * min(f.w for f in proxy.faces) if proxy.faces else 0.01 * max(proxy.shape)
            gate_lo = cv2.dilate(lo["people"], cv2.getStructuringElement(
                cv2.MORPH_ELLIPSE, (max(3, round(reach) | 1),) * 2))
            gate = cv2.resize(gate_lo, (width, height), interpolation=cv2.INTER_LINEAR)
            if direct:
                if full_rgb is None:
                    full_rgb = proxy.full_u8.astype(np.float32) / 255.0
                colour = skin_colour(full_rgb, model)
            else:
                if index is None:
                    index = grid_index(proxy.full_u8)
                colour = lookup(evaluate_on_grid(lambda g: {"skin": skin_colour(g, model)})["skin"], index)
            out["skin"] = np.clip(colour * gate, 0.0, 1.0).astype(np.float32)
        else:
            out["skin"] = np.zeros((height, width), dtype=np.float32)

    semantic = [n for n in wanted if n in _SEMANTIC]
    if semantic:
        guide_hi = None
        upsampler = None
        if not proxy.is_full:
            upsampler = ColourGuide(proxy.rgb, max(1, round(2 * max(proxy.shape) / 512)), 1e-3)
            guide_hi = [c.astype(np.float32) for c in cv2.split(proxy.full_u8)]
            for c in guide_hi:
                c *= np.float32(1.0 / 255.0)
        for n in semantic:
            src = lo["subject"] if n == "background" else lo[n]
            if "subject" in out and n == "background":
                out[n] = 1.0 - out["subject"]
                continue
            if guide_hi is None or upsampler is None:
                m = src.copy()
            elif not src.any():
                m = np.zeros((height, width), dtype=np.float32)
            else:
                m = upsampler.upsample(src, guide_hi)
            out[n] = (1.0 - m) if n == "background" else m

    geo = tuple(n for n in wanted if n in GEOMETRIC_NAMES)
    if geo:
        out.update(geometric_masks((height, width), geo))
    return {n: np.ascontiguousarray(out[n], dtype=np.float32) for n in wanted}
