"""Uploaded files: save within the size limit, sniff the media kind, grade an image, answer with it."""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
from fastapi import Response, UploadFile

from vibegrade.data.rows import clean_intent
from vibegrade.schema import ToolChain, parse_chain
from vibegrade.serve.errors import ERRORS, ApiError, media_api_error, too_large_message
from vibegrade.serve.limits import BYTES_PER_PIXEL, DecodeBudget, DecodeBusy, decode_cost
from vibegrade.serve.settings import Settings
from vibegrade.tools.filters import preset_names

if TYPE_CHECKING:
    from vibegrade.media.image import ImageHeader
    from vibegrade.media.pipeline import Admission

__all__ = ["OUTPUT_FORMATS", "SUPPORTED_UPLOADS", "IMAGE_RESPONSES", "intent_or_422", "tools_or_422", "sniff",
           "is_video_upload", "upload_kind", "save_upload", "grade_upload", "read_upload_image",
           "image_response", "compact", "decode_admission"]

# format name (LoadedImage.format) -> (extension for write_image, media type): the answer is in the uploaded
# format, except HEIF and camera RAW, which we do not write: they are answered as JPEG (what every browser
# shows; the CLI's folder grading writes RAW to 16-bit TIFF instead).
OUTPUT_FORMATS = {
    "JPEG": (".jpg", "image/jpeg"),
    "PNG": (".png", "image/png"),
    "WEBP": (".webp", "image/webp"),
    "TIFF": (".tif", "image/tiff"),
    "HEIF": (".jpg", "image/jpeg"),
    "RAW": (".jpg", "image/jpeg"),
}
SUPPORTED_UPLOADS = "JPEG, PNG, WebP, TIFF, HEIC/HEIF or camera RAW"


def intent_or_422(intent: str) -> str:
    try:
        return clean_intent(intent)
    except ValueError as e:
        raise ApiError(422, "invalid_intent", f"intent: {e}", "intent") from None


def tools_or_422(tools: str | dict[str, Any]) -> ToolChain:
    """The chain from JSON text or a decoded object; 422 ``invalid_tools`` naming the bad field."""
    try:
        return parse_chain(tools, presets=preset_names())
    except ValueError as e:
        raise ApiError(422, "invalid_tools", f"tools: {e}", "tools") from None


_MAGIC_IMAGE = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


def sniff(head: bytes) -> str:
    """'image', 'video' or 'other' from the first bytes of a file (HEIF and RAW containers are images)."""
    from vibegrade.media.sniff import container_of_head

    if head.startswith(_MAGIC_IMAGE) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP") \
            or container_of_head(head) is not None:
        return "image"
    if head[4:8] == b"ftyp" or head.startswith(b"\x1a\x45\xdf\xa3") or head.startswith(b"\x00\x00\x01\xba") \
            or (head[:4] == b"RIFF" and head[8:12] == b"AVI ") or head.startswith(b"FLV") \
            or head.startswith(b"\x30\x26\xb2\x75") or (len(head) > 188 and head[0] == 0x47
                                                        and head[188] == 0x47):
        return "video"
    return "other"


def is_video_upload(upload: UploadFile) -> bool:
    from vibegrade.media.video import VIDEO_EXTENSIONS

    ctype = (upload.content_type or "").lower()
    ext = Path(upload.filename or "").suffix.lower()
    return ctype.startswith("video/") or ext in VIDEO_EXTENSIONS


def upload_kind(upload: UploadFile) -> str:
    """'image', 'video' or 'other' from the upload's first bytes (the file position is left at 0).

    Content decides; an unrecognised file named or declared as a video (``.mp4``, ``video/...``) counts
    as a video, so that a broken one is reported as a broken video.
    """
    upload.file.seek(0)
    kind = sniff(upload.file.read(512))
    upload.file.seek(0)
    return "video" if kind == "other" and is_video_upload(upload) else kind


def save_upload(upload: UploadFile, dst: Path, limit: int) -> None:
    """Copy the upload to ``dst`` (at most ``limit`` bytes; 413 beyond)."""
    src: BinaryIO = upload.file
    src.seek(0)
    total = 0
    with open(dst, "wb") as out:
        while True:
            chunk = src.read(1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise ApiError(413, "payload_too_large", too_large_message(limit))
            out.write(chunk)
    if total == 0:
        raise ApiError(422, "invalid_image", "file: the uploaded file is empty", "file")


def grade_upload(upload: UploadFile, chain: ToolChain, settings: Settings,
                 budget: DecodeBudget | None = None) -> tuple[bytes, str]:
    """Read the uploaded image, render ``chain`` on it, encode it in the source format.

    Through :func:`vibegrade.media.pipeline.render_file`: the header is checked first (pixel limit, truncated
    JPEG data, the memory the image would take against ``budget``); only then is the image decoded, holding
    its share of ``budget``.

    Returns ``(bytes, media_type)``; raises :class:`ApiError` 413/415/422/503 for bad uploads or no room.
    """
    from vibegrade.media.errors import MediaError
    from vibegrade.media.pipeline import render_file
    from vibegrade.media.sniff import RAW_EXTENSIONS

    name = Path(upload.filename or "upload").name or "upload"
    suffix = Path(name).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="vibegrade-upload-") as tmp:
        # TIFF-based RAWs (NEF, ARW, ...) are told from TIFFs by their extension: keep a RAW one
        src = Path(tmp) / ("input" + (suffix if suffix in RAW_EXTENSIONS else ""))
        save_upload(upload, src, settings.max_upload_bytes)  # 413, or 422 for an empty file
        if upload_kind(upload) != "image" and suffix not in RAW_EXTENSIONS:
            # callers hand videos to the job queue before this
            raise ApiError(415, "unsupported_media_type",
                           f"file: {name!r} is not a supported image ({SUPPORTED_UPLOADS})", "file")
        paths = [src]

        def output_path(fmt: str) -> Path:  # answer in the source's format
            paths.append(Path(tmp) / f"output{OUTPUT_FORMATS[fmt][0]}")
            return paths[-1]

        try:
            res = render_file(src, output_path, chain, kind="image", max_pixels=settings.max_pixels,
                              admit=_admission(budget))
        except MediaError as e:
            msg = str(e)
            for p in paths:  # the upload is named as the user named it; server paths are not shown
                msg = msg.replace(str(p), name)
            raise media_api_error(e, msg) from None
        data = res.output.read_bytes()
    return data, OUTPUT_FORMATS[res.source_format or ""][1]


def read_upload_image(upload: UploadFile, settings: Settings, budget: DecodeBudget | None = None, *,
                      field: str = "file", max_side: int = 256) -> np.ndarray:
    """An uploaded image decoded (orientation and ICC profile applied, as for grading) and downscaled so that
    its long side is at most ``max_side`` pixels: ``(H, W, 3)`` uint8 or uint16.

    The same checks and limits as :func:`grade_upload`: upload size (413), empty file (422), not an image
    (415; videos included), the pixel limit and the decode memory ``budget`` (413/503), corrupt data (422).
    Errors name the form ``field`` the upload came in.
    """
    import cv2

    from vibegrade.media.errors import MediaError
    from vibegrade.media.image import read_image, read_image_header

    name = Path(upload.filename or "upload").name or "upload"
    try:
        with tempfile.TemporaryDirectory(prefix="vibegrade-upload-") as tmp:
            src = Path(tmp) / "input"
            save_upload(upload, src, settings.max_upload_bytes)
            kind = upload_kind(upload)
            if kind != "image":
                what = "a video" if kind == "video" else "not a supported image"
                raise ApiError(415, "unsupported_media_type",
                               f"file: {name!r} is {what}; this needs a JPEG, PNG, WebP or TIFF image",
                               "file")
            try:
                admit = _admission(budget)
                header = read_image_header(src, max_pixels=settings.max_pixels)
                with admit(header) if admit is not None else contextlib.nullcontext():
                    rgb = read_image(src, max_pixels=settings.max_pixels).rgb
                    h, w = rgb.shape[:2]
                    scale = max_side / max(h, w)
                    if scale < 1.0:
                        rgb = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))),
                                         interpolation=cv2.INTER_AREA)
                    return np.ascontiguousarray(rgb)
            except MediaError as e:
                raise media_api_error(e, str(e).replace(str(src), name)) from None
    except ApiError as e:
        if field == "file" or e.field != "file":
            raise
        msg = f"{field}: {e.message[len('file: '):]}" if e.message.startswith("file: ") else e.message
        raise ApiError(e.status, e.code, msg, field, e.headers) from None


def decode_admission(budget: DecodeBudget | None) -> Admission | None:
    """What the pipeline calls with an image's header (see :func:`_admission`); public for the services that
    decode images themselves (agent jobs)."""
    return _admission(budget)


def _admission(budget: DecodeBudget | None) -> Admission | None:
    """What the pipeline calls with the header: 413 when the image could never fit ``budget``, else its share
    of ``budget`` reserved while it is graded (503 when there is no room now)."""
    if budget is None:
        return None

    def admit(header: ImageHeader) -> contextlib.AbstractContextManager[None]:
        cost = decode_cost(header.pixels, header.bits)
        if cost > budget.max_bytes:
            mp = budget.max_bytes // BYTES_PER_PIXEL[8] / 1e6
            raise ApiError(413, "image_too_large",
                           f"file: {header.width}×{header.height} ({header.bits}-bit) would take about "
                           f"{cost / 2**20:,.0f} MB to grade, over this service's limit of "
                           f"{budget.max_bytes / 2**20:,.0f} MB (about {mp:.1f} megapixels at 8 bits)",
                           "file")
        return _reserved(budget, cost)

    return admit


@contextlib.contextmanager
def _reserved(budget: DecodeBudget | None, cost: int) -> Iterator[None]:
    if budget is None:
        yield
        return
    try:
        cm = budget.reserve(cost)
        cm.__enter__()
    except DecodeBusy as e:
        raise ApiError(503, "busy", "the service is grading as many images as its memory allows; "
                       f"try again in {e.retry_after} s",
                       headers={"Retry-After": str(e.retry_after)}) from None
    try:
        yield
    finally:
        if cost >= RELEASE_AFTER_BYTES:
            from vibegrade.runtime import release_memory

            release_memory()  # before the budget is given back: the next image gets real room
        cm.__exit__(None, None, None)


RELEASE_AFTER_BYTES = 64 * 2**20
"""Images whose estimated cost is at least this have their freed memory returned to the OS at once."""


def image_response(data: bytes, media_type: str, headers: dict[str, str]) -> Response:
    ext = {v[1]: v[0] for v in OUTPUT_FORMATS.values()}[media_type]
    headers = {"Content-Disposition": f'inline; filename="vibegrade{ext}"', **headers}
    return Response(content=data, media_type=media_type, headers=headers)


def compact(chain: ToolChain) -> str:
    return json.dumps(chain.to_wire(), separators=(",", ":"), ensure_ascii=True)


IMAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {media: {"schema": {"type": "string", "format": "binary"}}
                      for _, media in OUTPUT_FORMATS.values()},
          "description": "the graded image, in the uploaded format (HEIC/HEIF and camera RAW: JPEG)",
          "headers": {
              "X-Tools": {"description": "the tool chain used, compact JSON", "required": True,
                          "schema": {"type": "string"}},
              "X-Project-Id": {"description": "the recorded project (/v1/edit only)",
                               "schema": {"type": "string"}},
              "Content-Disposition": {"description": 'inline; filename="vibegrade.<ext>"',
                                      "schema": {"type": "string"}},
          }},
    **ERRORS,
}

