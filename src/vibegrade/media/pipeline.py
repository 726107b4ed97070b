"""File in, file out: render a tool chain on an image or a video.

The only place where media I/O meets the tools. Every read → render → write of the project goes through
:func:`render_file`: the CLI (``render``, ``demo``, ``student grade``), the service's image requests
(``serve.uploads.grade_upload``), its video jobs (``serve.jobs.JobQueue.run``) and the in-process
benchmark. Images are read (orientation, ICC, 16-bit, alpha handled by :mod:`vibegrade.media.image`),
their RGB rendered, alpha put back untouched, and written atomically with the source's metadata; videos
are streamed frame by frame through the same baked renderer (:mod:`vibegrade.media.video`).

Failures are :class:`~vibegrade.media.errors.MediaError` subclasses (see :mod:`vibegrade.media.errors`),
which the callers map to HTTP statuses or exit codes without reading the message.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeAlias

from vibegrade.media.bitdepth import to_8bit
from vibegrade.media.errors import MediaError, UnsupportedFormat
from vibegrade.media.image import ImageHeader, is_image_path, read_image, read_image_header, write_image
from vibegrade.media.video import is_video_path, transcode_video
from vibegrade.schema import ToolChain
from vibegrade.tools.chain import DEFAULT_LUT_SIZE, Renderer

__all__ = ["RenderResult", "Destination", "Admission", "render_file", "before_after", "MediaError"]

PathLike: TypeAlias = str | os.PathLike[str]
Destination: TypeAlias = PathLike | Callable[[str], PathLike]
"""Where :func:`render_file` writes: a path, or (images) a function of the source's format name
(``'JPEG'``, ``'PNG'``, ``'WEBP'``, ``'TIFF'``, ``'HEIF'``, ``'RAW'``) returning the path, to answer in the
source's format (or, for HEIF and RAW, which are not written, in one the caller picks)."""
Admission = Callable[[ImageHeader], AbstractContextManager[object]]
"""Called with an image's header once every header check passed and before any pixel is decoded; may
refuse the image by raising, else returns a context held while the image is decoded, rendered and written
(the service reserves its decode memory budget this way)."""


@dataclass
class RenderResult:
    kind: str  # "image" or "video"
    output: Path
    width: int
    height: int
    frames: int = 1
    source_format: str | None = None
    """Images: format name of the source (``'JPEG'``, ``'PNG'``, ``'WEBP'``, ``'TIFF'``, ``'HEIF'``,
    ``'RAW'``); videos: None."""


def render_file(src: PathLike, dst: Destination, chain: ToolChain, *,
                kind: Literal["image", "video"] | None = None, lut_size: int = DEFAULT_LUT_SIZE,
                quality: int = 95, max_pixels: int | None = None,
                progress: bool | Callable[[int, int], None] = False,
                admit: Admission | None = None) -> RenderResult:
    """Render ``chain`` on the image or video at ``src`` and write ``dst`` atomically.

    Args:
        src: the image or video file.
        dst: the output path (its extension picks the format), or for images a function of the source's
            format name returning it (see :data:`Destination`).
        chain: the tool chain to render.
        kind: ``"image"`` or ``"video"``; ``None`` decides from ``src``'s extension (video extensions are
            videos, anything else is read as an image, whose content decides the format).
        lut_size: grid size of the baked 3D LUT.
        quality: JPEG/WebP quality of an image output (1..100).
        max_pixels: refuse images, and videos whose frames, have more pixels than this (``None``: env
            ``VIBEGRADE_MAX_PIXELS`` or the default); checked from the header before decoding.
        progress: videos: ``True`` for a progress bar on stderr, or a callable ``(frames_done, frames_total)``
            called after each frame; an exception it raises abandons the render and propagates.
        admit: images: see :data:`Admission`.

    Raises:
        MediaError: unreadable/unsupported input or output (one-line message naming the file; the subclass
            says which kind of failure).
    """
    src = Path(src)
    if not src.exists():
        raise MediaError(f"{src}: no such file")
    if src.is_dir():
        raise MediaError(f"{src}: is a folder, not a file")
    fixed = None if callable(dst) else Path(dst)
    if fixed is not None:
        _check_not_input(src, fixed)
    renderer = Renderer(chain, lut_size=lut_size)
    if kind == "video" or (kind is None and is_video_path(src)):
        if fixed is None or not is_video_path(fixed):
            where = fixed if fixed is not None else src
            raise UnsupportedFormat(
                f"{where}: a video must be written to a video file (.mp4, .mov, .mkv, ...)")
        info = transcode_video(src, fixed, renderer, progress=progress, max_pixels=max_pixels)
        return RenderResult("video", fixed, info.width, info.height, info.frames)
    if fixed is not None:
        _check_image_output(fixed)
    guard = (contextlib.nullcontext() if admit is None
             else admit(read_image_header(src, max_pixels=max_pixels)))
    with guard:
        img = read_image(src, max_pixels=max_pixels)
        out = fixed if fixed is not None else Path(dst(img.format))  # type: ignore[operator]
        if fixed is None:
            _check_not_input(src, out)
            _check_image_output(out)
        rgb = renderer(img.rgb)
        write_image(out, rgb, img.alpha, source=img, quality=quality)
        (h, w), fmt = rgb.shape[:2], img.format
        del img, rgb  # freed before ``guard`` ends (it may hand the memory back to a budget)
    return RenderResult("image", out, w, h, source_format=fmt)


def _check_not_input(src: Path, dst: Path) -> None:
    if src.resolve() == dst.resolve():
        raise MediaError(f"{dst}: output would overwrite the input; choose another path")


def _check_image_output(dst: Path) -> None:
    if not is_image_path(dst):
        raise UnsupportedFormat(f"{dst}: unsupported output type {dst.suffix or '(none)'}; "
                                "use .jpg, .png, .webp or .tif")


def before_after(src: PathLike, graded: PathLike, dest: PathLike) -> None:
    """Write the source and graded images side by side (8-bit, 8 px white gap) to ``dest``."""
    import numpy as np

    before, after = to_8bit(read_image(src).rgb), to_8bit(read_image(graded).rgb)
    gap = np.full((before.shape[0], 8, 3), 255, np.uint8)
    write_image(dest, np.concatenate([before, gap, after], axis=1))
