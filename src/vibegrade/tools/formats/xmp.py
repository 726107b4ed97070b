"""Lightroom / Camera Raw XMP presets (``crs:`` settings) for the parametric part of a tool chain.

Export (:func:`chain_to_xmp`) writes the ``adjust`` and ``selective_adjust`` values that have a
Camera Raw counterpart; import (:func:`xmp_to_chain`) reads them back and reports every setting it could
not use. The mapping table is :data:`MAPPING`; docs/formats.md lists it with the reasoning behind each
scale. Every number is an **approximation**: Camera Raw's sliders are adaptive, image-dependent
operators in its own (ProPhoto-based) working space, vibegrade's are fixed per-pixel formulas on
sRGB-encoded values (docs/tools.md). Directions and end points agree; strengths only roughly.

References: Adobe XMP Specification Part 1 (RDF/XML serialisation); the ``crs`` namespace
``http://ns.adobe.com/camera-raw-settings/1.0/`` as written by Lightroom Classic and Camera Raw
(process version 2012, ``ProcessVersion="11.0"``).
"""

from __future__ import annotations

import os
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vibegrade.files import atomic_write_text
from vibegrade.schema import ADJUST_PARAMS, ToolChain
from vibegrade.tools.adjust import brightness, linear_offset

__all__ = ["XmpError", "Mapping", "MAPPING", "chain_to_xmp", "write_xmp", "xmp_to_chain", "read_xmp",
           "XmpImport", "NOT_MAPPED"]

CRS = "http://ns.adobe.com/camera-raw-settings/1.0/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_MAX_BYTES = 16 << 20
_RANGES = {p.name: (p.lo, p.hi) for p in ADJUST_PARAMS}
_CRS_COLOURS = {"red": "Red", "orange": "Orange", "yellow": "Yellow", "green": "Green", "cyan": "Aqua",
                "blue": "Blue"}


class XmpError(ValueError):
    """An XMP file could not be read as a Camera Raw preset."""


@dataclass(frozen=True)
class Mapping:
    """One ``crs:`` setting and the vibegrade value it corresponds to.

    ``crs = vibegrade · scale`` (written with ``decimals`` decimals); import divides by ``scale`` and
    rounds to the nearest integer within vibegrade's range.
    """

    crs: str
    target: tuple[str, ...]  # ("adjust", key) or ("selective_adjust", colour, channel)
    scale: float
    decimals: int = 0
    write_zero: bool = True  # False: only written when non-zero (Sharpness: 0 would cancel raw sharpening)
    signed: bool = True  # written with an explicit sign, as Lightroom writes signed sliders


MAPPING: tuple[Mapping, ...] = (
    Mapping("Exposure2012", ("adjust", "exposure"), 0.02, 2),   # stops; vibegrade 100 = +2 EV
    Mapping("Contrast2012", ("adjust", "contrast"), 1.0),
    Mapping("Highlights2012", ("adjust", "highlights"), 1.0),
    Mapping("Shadows2012", ("adjust", "shadows"), 1.0),
    Mapping("IncrementalTemperature", ("adjust", "temperature"), 1.0),
    Mapping("IncrementalTint", ("adjust", "tint"), 1.0),
    Mapping("Vibrance", ("adjust", "vibrance"), 1.0),
    Mapping("Saturation", ("adjust", "saturation"), 1.0),
    Mapping("Clarity2012", ("adjust", "structure"), 1.0),
    Mapping("Sharpness", ("adjust", "sharpen"), 1.5, write_zero=False, signed=False),  # 0..150 vs 0..100
) + tuple(
    Mapping(f"{kind}Adjustment{crs}", ("selective_adjust", ours, channel), 1.0)
    for ours, crs in _CRS_COLOURS.items()
    for kind, channel in (("Saturation", "saturation"), ("Luminance", "luminance"))
)

#: vibegrade parameters with no Camera Raw counterpart, and why (also in docs/formats.md).
NOT_MAPPED: dict[str, str] = {
    "adjust.hue": "Camera Raw has no global hue rotation",
    "adjust.bloom": "Camera Raw has no highlight glow",
    "filter": "a 3D-LUT preset is not a crs: setting (export it as .cube, .3dl or HaldCLUT)",
}

# crs keys that describe the preset rather than set a slider: skipped silently on import
_METADATA = {
    "PresetType", "Cluster", "UUID", "SupportsAmount", "SupportsAmount2", "SupportsColor",
    "SupportsMonochrome",
    "SupportsHighDynamicRange", "SupportsNormalDynamicRange", "SupportsSceneReferred",
    "SupportsOutputReferred",
    "RequiresRGBTables", "CameraModelRestriction", "Copyright", "ContactInfo", "Version", "ProcessVersion",
    "HasSettings", "Name", "ShortName", "SortName", "Group", "Description", "ToneCurveName2012",
    "AlreadyApplied", "HasCrop", "Amount",
}
_NEUTRAL_TEXT = {"", "as shot", "custom", "false", "true"}
_CURVE_X = tuple(range(0, 256, 16)) + (255,)  # the tone-curve points written (17 points)
_CURVE_TOL = 1.5  # import accepts a tone curve within this many levels (0..255) of brightness+linearOffset


def _fmt(value: float, decimals: int, signed: bool = True) -> str:
    text = f"{value:+.{decimals}f}" if signed else f"{value:.{decimals}f}"
    return "0" if float(text) == 0 else text


def _tone_curve(brightness_v: int, offset_v: int) -> list[tuple[int, int]]:
    """vibegrade's brightness then linearOffset on a grey ramp, as ``(x, y)`` points on 0..255."""
    x = np.asarray(_CURVE_X, np.float32) / 255
    grey = np.repeat(x[:, None], 3, axis=1)
    y = linear_offset(brightness(grey, brightness_v), offset_v)[:, 0]
    return [(int(a), int(np.clip(np.rint(b * 255), 0, 255))) for a, b in zip(_CURVE_X, y.tolist())]


def chain_to_xmp(chain: ToolChain, name: str = "vibegrade look") -> tuple[str, list[str]]:
    """The Camera Raw preset XMP of ``chain``'s parametric part.

    Returns ``(xmp_text, left_out)`` where ``left_out`` names every non-neutral part of the chain that has
    no counterpart (hue, bloom, the filter preset).
    """
    attrs: list[tuple[str, str]] = []
    for m in MAPPING:
        v = _get(chain, m.target)
        if v == 0 and not m.write_zero:
            continue
        attrs.append((m.crs, _fmt(v * m.scale, m.decimals, m.signed)))
    curve = None
    if chain.adjust.brightness or chain.adjust.linearOffset:
        curve = _tone_curve(chain.adjust.brightness, chain.adjust.linearOffset)
        attrs.append(("ToneCurveName2012", "Custom"))
    left_out = []
    if chain.adjust.hue:
        left_out.append(f"adjust.hue {chain.adjust.hue} ({NOT_MAPPED['adjust.hue']})")
    if chain.adjust.bloom:
        left_out.append(f"adjust.bloom {chain.adjust.bloom} ({NOT_MAPPED['adjust.bloom']})")
    if chain.filter.used and chain.filter.intensity:
        left_out.append(f"filter {chain.filter.name} {chain.filter.intensity}% ({NOT_MAPPED['filter']})")
    esc = _xml_escape
    lines = [
        '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="vibegrade">',
        f' <rdf:RDF xmlns:rdf="{RDF}">',
        '  <rdf:Description rdf:about=""',
        f'    xmlns:crs="{CRS}"',
        '   crs:PresetType="Normal"',
        f'   crs:UUID="{uuid.uuid4().hex.upper()}"',
        '   crs:SupportsAmount="False"',
        '   crs:SupportsColor="True"',
        '   crs:SupportsMonochrome="True"',
        '   crs:Version="14.0"',
        '   crs:ProcessVersion="11.0"',
    ]
    lines += [f'   crs:{k}="{esc(v)}"' for k, v in attrs]
    lines.append('   crs:HasSettings="True">')
    lines += ['   <crs:Name>', '    <rdf:Alt>', f'     <rdf:li xml:lang="x-default">{esc(name)}</rdf:li>',
              '    </rdf:Alt>', '   </crs:Name>']
    if curve is not None:
        lines += ['   <crs:ToneCurvePV2012>', '    <rdf:Seq>']
        lines += [f'     <rdf:li>{x}, {y}</rdf:li>' for x, y in curve]
        lines += ['    </rdf:Seq>', '   </crs:ToneCurvePV2012>']
    lines += ['  </rdf:Description>', ' </rdf:RDF>', '</x:xmpmeta>', '']
    return "\n".join(lines), left_out


def write_xmp(path: str | os.PathLike[str], chain: ToolChain, name: str | None = None) -> list[str]:
    """Write the preset atomically; returns what was left out (see :func:`chain_to_xmp`)."""
    text, left_out = chain_to_xmp(chain, name or Path(path).stem)
    atomic_write_text(path, text)
    return left_out


@dataclass
class XmpImport:
    """Result of :func:`xmp_to_chain`: the chain, what was approximated or clamped, what was ignored."""

    chain: ToolChain
    notes: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def _xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _get(chain: ToolChain, target: tuple[str, ...]) -> int:
    obj: object = chain
    for part in target:
        obj = getattr(obj, part)
    return int(obj)  # type: ignore[call-overload]


def read_xmp(path: str | os.PathLike[str]) -> XmpImport:
    """Read a Camera Raw / Lightroom preset (or sidecar) ``.xmp`` into a chain; see :func:`xmp_to_chain`."""
    p = Path(path)
    if p.stat().st_size > _MAX_BYTES:
        raise XmpError(f"{p.name}: file too large for an XMP preset")
    try:
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise XmpError(f"{p.name}: not a UTF-8 XMP file") from None
    return xmp_to_chain(text, name=p.name)


def _settings(text: str, name: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """``crs:`` scalar settings (attributes or simple elements) and list settings (``rdf:Seq``)."""
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise XmpError(f"{name}: XML with a DOCTYPE or entities is refused")
    if text.lstrip().startswith("s = {"):
        raise XmpError(f"{name}: this is a Lightroom .lrtemplate (Lua), not an XMP preset")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise XmpError(f"{name}: not valid XML ({e})") from None
    scalars: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    found = False
    for desc in root.iter(f"{{{RDF}}}Description"):
        for k, v in desc.attrib.items():
            if k.startswith(f"{{{CRS}}}"):
                scalars[k[len(CRS) + 2:]] = v
                found = True
        for child in desc:
            if not child.tag.startswith(f"{{{CRS}}}"):
                continue
            found = True
            key = child.tag[len(CRS) + 2:]
            seq = child.find(f"{{{RDF}}}Seq")
            if seq is not None:
                lists[key] = [(li.text or "").strip() for li in seq.findall(f"{{{RDF}}}li")]
            elif len(child) == 0:
                scalars[key] = (child.text or "").strip()
            else:
                lists[key] = []  # structured (Alt, Bag of masks, ...): noted as present
    if not found:
        raise XmpError(f"{name}: no Camera Raw (crs:) settings found")
    return scalars, lists


def xmp_to_chain(text: str, name: str = "<xmp>") -> XmpImport:
    """Map the ``crs:`` settings of an XMP document onto a tool chain (filter: none).

    Values are divided by the mapping's scale, rounded, and clamped to vibegrade's ranges (a clamp is
    reported in ``notes``). A point tone curve (``ToneCurvePV2012``) is matched by vibegrade's
    brightness and linearOffset when they reproduce it within 1.5 levels, else ignored. Every other
    setting with a non-neutral value is listed in ``ignored``.

    Raises:
        XmpError: not XML, XML with a DOCTYPE, no ``crs:`` settings, or a mapped value that is not a number.
    """
    scalars, lists = _settings(text, name)
    adjust: dict[str, int] = {}
    selective: dict[str, dict[str, int]] = {}
    result = XmpImport(ToolChain())
    by_key = {m.crs: m for m in MAPPING}
    for key, raw in scalars.items():
        m = by_key.get(key)
        if m is None:
            if key in _METADATA:
                continue
            if key in ("Temperature", "Tint"):
                result.ignored.append(f"{key}={raw} (absolute white balance of raw files; only "
                                      "IncrementalTemperature/IncrementalTint map)")
                continue
            if _is_neutral(raw):
                continue
            result.ignored.append(f"{key}={raw}")
            continue
        try:
            value = float(raw)
        except ValueError:
            raise XmpError(f"{name}: crs:{key} is not a number: {raw[:40]!r}") from None
        if not np.isfinite(value):
            raise XmpError(f"{name}: crs:{key} is not finite")
        ours = int(np.rint(value / m.scale))
        lo, hi = _RANGES.get(m.target[-1], (-100, 100)) if m.target[0] == "adjust" else (-100, 100)
        if not lo <= ours <= hi:
            clamped = min(hi, max(lo, ours))
            result.notes.append(f"crs:{key} {raw} -> {'.'.join(m.target)} {clamped} (clamped from {ours})")
            ours = clamped
        if m.target[0] == "adjust":
            adjust[m.target[1]] = ours
        else:
            selective.setdefault(m.target[1], {})[m.target[2]] = ours
    for key, items in lists.items():
        if key in _METADATA:
            continue
        if key == "ToneCurvePV2012":
            fit = _fit_curve(items, name)
            if fit is None:
                result.ignored.append("ToneCurvePV2012 (not reproducible by brightness and linearOffset)")
            elif fit != (0, 0):
                adjust["brightness"], adjust["linearOffset"] = fit
                result.notes.append(f"crs:ToneCurvePV2012 -> adjust.brightness {fit[0]}, "
                                    f"adjust.linearOffset {fit[1]}")
            continue
        if key.startswith("ToneCurvePV2012") and _identity_curve(items):
            continue
        result.ignored.append(key)
    result.chain = ToolChain.model_validate({"adjust": adjust, "selective_adjust": selective})
    return result


def _is_neutral(raw: str) -> bool:
    try:
        return float(raw) == 0
    except ValueError:
        return raw.strip().lower() in _NEUTRAL_TEXT


def _points(items: list[str], name: str) -> np.ndarray:
    pts = []
    for it in items:
        parts = [s.strip() for s in it.split(",")]
        try:
            x, y = float(parts[0]), float(parts[1])
        except (ValueError, IndexError):
            raise XmpError(f"{name}: bad tone-curve point {it[:30]!r}") from None
        if len(parts) != 2 or not (0 <= x <= 255 and 0 <= y <= 255):
            raise XmpError(f"{name}: bad tone-curve point {it[:30]!r}")
        pts.append((x, y))
    arr = np.asarray(pts, np.float64).reshape(-1, 2)
    if len(arr) < 2 or np.any(np.diff(arr[:, 0]) <= 0):
        raise XmpError(f"{name}: a tone curve needs at least 2 points with increasing x")
    return arr


def _identity_curve(items: list[str]) -> bool:
    try:
        pts = _points(items, "")
    except XmpError:
        return False
    return bool(np.all(np.abs(pts[:, 0] - pts[:, 1]) < 0.5))


def _fit_curve(items: list[str], name: str) -> tuple[int, int] | None:
    """Least-squares (brightness, linearOffset) for a point curve; ``None`` when no pair is within
    :data:`_CURVE_TOL` levels at every point. The curve is evaluated at the points' x (Camera Raw
    interpolates between points with a spline; the points themselves are what the preset states)."""
    pts = _points(items, name)
    x = (pts[:, 0] / 255).astype(np.float32)
    target = pts[:, 1]
    values = np.arange(-100, 101)
    grey = np.repeat(x[:, None], 3, axis=1)
    after_b = np.stack([brightness(grey, int(b))[:, 0] for b in values])              # (201, P)
    flat = np.repeat(after_b.reshape(-1, 1), 3, axis=1)
    curves = np.stack([linear_offset(flat, int(o))[:, 0].reshape(after_b.shape) for o in values])  # (o, b, P)
    err = curves.astype(np.float64) * 255 - target
    sse = (err**2).sum(axis=2)
    oi, bi = np.unravel_index(int(np.argmin(sse)), sse.shape)
    if np.abs(err[oi, bi]).max() > _CURVE_TOL:
        return None
    return int(values[bi]), int(values[oi])
