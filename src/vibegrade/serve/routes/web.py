"""The web editor and the catalogue endpoints it is built from.

* ``GET /`` -- the editor page; ``GET /static/{name}`` -- its scripts, styles and icon (files of
  ``vibegrade/serve/web``, no build step). Both are left out of the OpenAPI schema.
* ``GET /v1/tools`` -- every tool parameter with its range, neutral value, unit and description, and the
  filter presets, all derived from :mod:`vibegrade.schema` and :mod:`vibegrade.tools.filters`: the
  editor generates its controls from this, so no range is written twice.
* ``GET /v1/samples`` and ``GET /v1/samples/{name}`` -- the bundled sample images.
* ``POST /v1/lut`` -- the colour part of a chain as a ``.cube`` 3D LUT (like ``vibegrade export-lut``).

Static files are served by :mod:`vibegrade.serve.static_files` (ETag revalidation). The page's
Content-Security-Policy allows only this origin (plus ``blob:`` and ``data:`` images and media, which the
editor makes itself).
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from vibegrade.schema import (
    ADJUST_PARAMS,
    FILTER_NONE,
    INTENSITY,
    SELECTIVE_CHANNELS,
    SELECTIVE_COLORS,
    SELECTIVE_HUES,
    TOOL_NAMES,
    ParamSpec,
    chain_json_schema,
)
from vibegrade.serve.errors import ApiError, ErrorResponse
from vibegrade.serve.static_files import static_file_in, static_file_response
from vibegrade.serve.uploads import tools_or_422

__all__ = ["router", "WEB_DIR", "CONTENT_SECURITY_POLICY", "ParamInfo", "ToolsResponse", "Sample",
           "LutRequest", "MIN_LUT_SIZE", "MAX_LUT_SIZE"]

router = APIRouter()

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
MIN_LUT_SIZE, MAX_LUT_SIZE, DEFAULT_LUT_SIZE = 2, 65, 33

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob: data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# ------------------------------------------------------------------------------------------------ page


@router.get("/", include_in_schema=False)
def index(request: Request) -> Response:
    """The editor page."""
    return static_file_response(request, WEB_DIR / "index.html", CONTENT_SECURITY_POLICY)


@router.get("/static/{name}", include_in_schema=False)
def static(name: str, request: Request) -> Response:
    """A file of the editor (flat folder; names are checked, so no path can leave it)."""
    return static_file_response(request, static_file_in(WEB_DIR, name), CONTENT_SECURITY_POLICY)


@router.get("/favicon.ico", include_in_schema=False)
def favicon(request: Request) -> Response:
    return static_file_response(request, WEB_DIR / "favicon.svg", CONTENT_SECURITY_POLICY)


# ------------------------------------------------------------------------------------------- catalogue


class ParamInfo(BaseModel):
    """One integer parameter: a slider from ``min`` to ``max`` in steps of ``step``."""

    name: str = Field(description="key in the tool-chain JSON")
    label: str = Field(description="human name for a control")
    min: int
    max: int
    step: int = Field(description="smallest change; every parameter is an integer")
    default: int = Field(description="the neutral value (leaves the image unchanged)")
    unit: str = Field(description="what the number means, e.g. 'integer slider, -100..100, 0 = unchanged'")
    description: str = Field(description="one line on the effect")
    spatial: bool = Field(description="a neighbourhood operation: cannot be part of a .cube LUT")


class ColorRange(BaseModel):
    name: str
    label: str
    hue: float = Field(description="centre hue of the range in degrees, 0..360")


class AdjustTool(BaseModel):
    name: str = "adjust"
    label: str
    description: str
    params: list[ParamInfo]


class SelectiveTool(BaseModel):
    name: str = "selective_adjust"
    label: str
    description: str
    colors: list[ColorRange]
    channels: list[ParamInfo] = Field(description="the parameters of each colour range")


class Preset(BaseModel):
    name: str
    label: str
    description: str


class FilterTool(BaseModel):
    name: str = "filter"
    label: str
    description: str
    none: str = Field(description="the preset name meaning 'no filter'")
    presets: list[Preset] = Field(description="installed presets, in menu order")
    intensity: ParamInfo


class ToolsResponse(BaseModel):
    order: list[str] = Field(description="the order the tools are applied in")
    adjust: AdjustTool
    selective_adjust: SelectiveTool
    filter: FilterTool
    chain_schema: dict[str, Any] = Field(description="JSON Schema of a tool chain (preset names as an enum)")


def _label(name: str) -> str:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).replace("_", " ")
    return spaced[:1].upper() + spaced[1:].lower()


def _param(spec: ParamSpec) -> ParamInfo:
    return ParamInfo(name=spec.name, label=_label(spec.name), min=spec.lo, max=spec.hi, step=1,
                     default=spec.neutral, unit=spec.unit, description=spec.doc, spatial=spec.spatial)


@router.get("/v1/tools", response_model=ToolsResponse, tags=["catalogue"])
def tools() -> ToolsResponse:
    """The tools, their parameters (ranges, neutral values, units) and the filter presets."""
    from vibegrade.tools.filters import preset_descriptions, preset_names

    names = preset_names()
    descriptions = preset_descriptions()
    return ToolsResponse(
        order=list(TOOL_NAMES),
        adjust=AdjustTool(label="Adjust", description="global light and colour adjustments",
                          params=[_param(p) for p in ADJUST_PARAMS]),
        selective_adjust=SelectiveTool(
            label="Selective colour", description="saturation and luminance of single colour ranges",
            colors=[ColorRange(name=c, label=_label(c), hue=SELECTIVE_HUES[c]) for c in SELECTIVE_COLORS],
            channels=[_param(p) for p in SELECTIVE_CHANNELS]),
        filter=FilterTool(label="Filter", description="a named colour look (3D LUT) blended over the image",
                          none=FILTER_NONE,
                          presets=[Preset(name=n, label=_label(n), description=descriptions.get(n, ""))
                                   for n in names],
                          intensity=_param(INTENSITY)),
        chain_schema=chain_json_schema(names),
    )


class Sample(BaseModel):
    name: str = Field(description="sample name, e.g. 'astronaut'")
    url: str = Field(description="where to fetch the image")
    media_type: str


def _sample_media_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


@router.get("/v1/samples", response_model=list[Sample], tags=["catalogue"])
def samples(request: Request) -> list[Sample]:
    """The bundled sample images."""
    from vibegrade.samples import SAMPLE_IMAGES

    return [Sample(name=name, url=str(request.url_for("sample", name=name).path),
                   media_type=_sample_media_type(path)) for name, path in SAMPLE_IMAGES.items()]


@router.get("/v1/samples/{name}", response_class=FileResponse, tags=["catalogue"],
            responses={200: {"content": {"image/png": {}, "image/jpeg": {}}, "description": "the image"},
                       404: {"model": ErrorResponse}})
def sample(name: str) -> FileResponse:
    """One bundled sample image (as shipped: PNG or JPEG)."""
    from vibegrade.samples import sample_path

    try:
        path = sample_path(name)
    except KeyError as e:
        raise ApiError(404, "sample_not_found", str(e.args[0]), "name") from None
    return FileResponse(path, media_type=_sample_media_type(path), filename=path.name,
                        content_disposition_type="inline",
                        headers={"Cache-Control": "public, max-age=86400"})


# ------------------------------------------------------------------------------------------------- LUT


class LutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tools: dict[str, Any] = Field(description="the tool chain (wire form, as in X-Tools)")
    size: int = Field(default=DEFAULT_LUT_SIZE, ge=MIN_LUT_SIZE, le=MAX_LUT_SIZE,
                      description=f"grid points per axis, {MIN_LUT_SIZE}..{MAX_LUT_SIZE} (33 is usual)")
    title: str | None = Field(default=None, max_length=100, pattern=r"^[^\"\r\n]*$",
                                 description="TITLE written into the file (default 'vibegrade look')")


@router.post("/v1/lut", response_class=Response, tags=["catalogue"],
             responses={200: {"content": {"text/plain": {}},
                              "description": "the .cube file; header X-Lut-Omitted lists the spatial "
                                             "parameters and regional edits (regional:<region>) in use "
                                             "that a LUT cannot hold"},
                        422: {"model": ErrorResponse}})
def lut(body: LutRequest) -> Response:
    """The colour part of a tool chain as a standard ``.cube`` 3D LUT (Resolve, Premiere, ffmpeg).

    Bloom, sharpen and structure work on neighbourhoods of pixels, not single colours, so they cannot be
    part of a LUT: those in use are left out and named in ``X-Lut-Omitted`` (comma-separated); so are
    regional edits, whose masks follow the picture (named ``regional:<region>``).
    """
    from vibegrade.tools.chain import bake_lut
    from vibegrade.tools.lut import cube_text

    chain = tools_or_422(body.tools)
    omitted = chain.adjust.spatial_in_use
    note = "exported by vibegrade; per-pixel colour work only"
    if omitted:
        note += f"; left out (spatial, cannot be part of a LUT): {', '.join(omitted)}"
    if chain.regional_used:
        regions = [e.region for e in chain.regional if e.used]
        note += ("; left out (regional edits follow the picture, cannot be part of a LUT): "
                 + ", ".join(regions))
        omitted = [*omitted, *(f"regional:{r}" for r in regions)]
        chain = chain.without_regional()
    text = cube_text(bake_lut(chain, body.size), title=body.title or "vibegrade look", comment=note)
    headers = {"Content-Disposition": 'attachment; filename="vibegrade-look.cube"'}
    if omitted:
        headers["X-Lut-Omitted"] = ",".join(omitted)
    return Response(content=text, media_type="text/plain; charset=utf-8", headers=headers)
