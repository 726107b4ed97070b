"""File in, file out: render a tool chain on an image or a video.

The only place where media I/O meets the tools: images are read (orientation, ICC, 16-bit, alpha
handled by :mod:`vibegrade.media.image`), their RGB rendered, alpha put back untouched, and written
with the source's metadata; videos are streamed frame by frame through the same baked renderer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from vibegrade.media.image import MediaError, is_image_path, read_image, write_image
from vibegrade.media.video import is_video_path, transcode_video
from vibegrade.schema import ToolChain
from vibegrade.tools.chain import DEFAULT_LUT_SIZE, Renderer

__all__ = ["RenderResult", "render_file", "before_after", "MediaError"]


@dataclass
class RenderResult:
    kind: str  # "image" or "video"
    output: Path
    width: int
    height: int
    frames: int = 1


def render_file(src: str | os.PathLike[str], dst: str | os.PathLike[str], chain: ToolChain, *,
                lut_size: int = DEFAULT_LUT_SIZE, quality: int = 95, max_pixels: int | None = None,
                progress: bool | Callable[[int, int], None] = False) -> RenderResult:
    """Render ``chain`` on the image or video at ``src`` and write ``dst`` atomically.

    Raises:
        MediaError: unreadable/unsupported input or output (one-line message).
    """
    src, dst = Path(src), Path(dst)
    if not src.exists():
        raise MediaError(f"{src}: no such file")
    if src.is_dir():
        raise MediaError(f"{src}: is a folder, not a file")
    if src.resolve() == dst.resolve():
        raise MediaError(f"{dst}: output would overwrite the input; choose another path")
    renderer = Renderer(chain, lut_size=lut_size)
    if is_video_path(src):
        if not is_video_path(dst):
            raise MediaError(f"{dst}: a video must be written to a video file (.mp4, .mov, .mkv, ...)")
        info = transcode_video(src, dst, renderer, progress=progress)
        return RenderResult("video", dst, info.width, info.height, info.frames)
    if not is_image_path(dst):
        raise MediaError(f"{dst}: unsupported output type {dst.suffix or '(none)'}; "
                         "use .jpg, .png, .webp or .tif")
    img = read_image(src, max_pixels=max_pixels)
    rgb = renderer(img.rgb)
    write_image(dst, rgb, img.alpha, source=img, quality=quality)
    h, w = rgb.shape[:2]
    return RenderResult("image", dst, w, h)


def before_after(src: str | os.PathLike[str], graded: str | os.PathLike[str], dest: str | os.PathLike[str]) -> None:
    """Write the source and graded images side by side (8-bit, 8 px white gap) to ``dest``."""
    import numpy as np

    before, after = read_image(src).rgb, read_image(graded).rgb
    if before.dtype != np.uint8:
        before, after = (before // 257).astype(np.uint8), (after // 257).astype(np.uint8)
    gap = np.full((before.shape[0], 8, 3), 255, np.uint8)
    write_image(dest, np.concatenate([before, gap, after], axis=1))
