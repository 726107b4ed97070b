"""Decode camera RAW files (DNG, CR2/CR3, NEF, ARW, ...) through rawpy, the maintained binding of LibRaw.

The development is fixed and plain, so that the look comes from the grade and not from hidden choices:

* **16 bits**: ``uint16`` over 0..65535 (LibRaw's 16-bit output).
* **White balance**: the camera's as-shot multipliers (``use_camera_wb``); files without them get LibRaw's
  daylight multipliers from the camera's colour matrix. No automatic white balance.
* **Colour**: camera space to sRGB (D65) through the camera's colour matrix (a DNG's own ``ColorMatrix``,
  LibRaw's table for other cameras), encoded with the sRGB curve (``gamma=(2.4, 12.92)``); the output is
  tagged with an sRGB ICC profile.
* **Brightness**: no auto-brighten (``no_auto_bright``) and no white-level guess from the brightest pixels
  (``adjust_maximum_thr=0``): the sensor's white level maps to 1.0 and everything scales linearly from
  the black level, so the same exposure gives the same brightness every time. With no tone curve, RAWs
  look flatter and often darker than the camera's own JPEG; raise it in the grade.
* **Highlights** clipped (LibRaw's mode 0); **demosaicing** AHD, full size.
* **Orientation**: LibRaw's ``flip`` from the file (EXIF orientation of the RAW) is applied.
* **Metadata**: none is carried over (rawpy exposes no EXIF block), except the sRGB profile.
* **Bombs**: the sensor and output sizes are read from the header (LibRaw's ``open_file``, which decodes
  no pixel) and checked against the limit before ``unpack``.
* **Errors**: a cut-short file is found from its structure before LibRaw decodes
  (:mod:`vibegrade.media.raw_layout`);
  LibRaw's own failures map to :class:`~vibegrade.media.errors.Corrupt` (damaged, truncated, not a RAW
  LibRaw can read), :class:`~vibegrade.media.errors.UnsupportedFormat` (a variant LibRaw does not
  implement) or :class:`~vibegrade.media.errors.TooLarge`.

Internal to media/; :func:`vibegrade.media.image.read_image` calls it for files
:mod:`vibegrade.media.sniff` recognises as RAW.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vibegrade.media.errors import Corrupt, MediaError, TooLarge, UnsupportedFormat, short
from vibegrade.media.icc import srgb_profile_bytes
from vibegrade.media.raw_layout import truncation

__all__ = ["RawSize", "POSTPROCESS", "raw_size", "decode_raw"]

POSTPROCESS: dict[str, Any] = {
    "use_camera_wb": True,
    "use_auto_wb": False,
    "output_bps": 16,
    "no_auto_bright": True,
    "adjust_maximum_thr": 0.0,
    "bright": 1.0,
    "gamma": (2.4, 12.92),
}
"""rawpy ``postprocess`` arguments besides the colour space (sRGB) and highlight mode (clip)."""


@dataclass(frozen=True)
class RawSize:
    """What a RAW file's header says: the output size in display orientation and the sensor's size."""

    width: int
    height: int
    sensor_pixels: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def _libraw_error(p: Path, e: BaseException) -> MediaError:
    import rawpy

    arg = e.args[0] if len(e.args) == 1 else None
    msg = short(ValueError(arg.decode("utf-8", "replace"))) if isinstance(arg, bytes) else short(e)
    if isinstance(e, rawpy.LibRawTooBigError):
        return TooLarge(f"{p}: RAW image is over LibRaw's size limits ({msg})")
    if isinstance(e, (rawpy.LibRawUnsufficientMemoryError, rawpy.LibRawMemPoolOverflowError, MemoryError)):
        return MediaError(f"{p}: not enough memory to decode this RAW file")
    if isinstance(e, (rawpy.LibRawNotImplementedError, rawpy.NotSupportedError)):
        return UnsupportedFormat(f"{p}: this RAW variant is not supported by LibRaw ({msg})")
    if isinstance(e, rawpy.LibRawFileUnsupportedError):
        return Corrupt(f"{p}: not a camera RAW file LibRaw can read (damaged, or a camera LibRaw does not "
                       f"know)")
    if isinstance(e, (rawpy.LibRawIOError, rawpy.LibRawDataError)):
        return Corrupt(f"{p}: corrupt or truncated RAW file ({msg})")
    return Corrupt(f"{p}: cannot decode RAW file ({msg})")


@contextlib.contextmanager
def _opened(p: Path, limit: int) -> Iterator[tuple[Any, RawSize]]:
    """LibRaw opened on ``p`` (header only) with the structure and size checks passed."""
    import rawpy

    raw = rawpy.RawPy()
    try:
        try:
            raw.open_file(str(p))
            s = raw.sizes
        except (rawpy.LibRawError, rawpy.NotSupportedError, MemoryError, OSError) as e:
            raise _libraw_error(p, e) from None
        w, h = (s.iheight, s.iwidth) if s.flip & 4 else (s.iwidth, s.iheight)
        if w <= 0 or h <= 0:
            raise Corrupt(f"{p}: RAW image has no pixels ({w}×{h})")
        aspect = float(s.pixel_aspect or 1.0)
        stretch = max(aspect, 1.0 / aspect) if aspect > 0 else 1.0
        size = RawSize(w, h, int(s.raw_width) * int(s.raw_height))
        biggest = max(size.sensor_pixels, int(size.pixels * stretch))
        if biggest > limit:
            raise TooLarge(
                f"{p}: {w}×{h} RAW image ({biggest / 1e6:.1f} megapixels to decode) is over the limit of "
                f"{limit / 1e6:.1f} megapixels (raise it with max_pixels or env VIBEGRADE_MAX_PIXELS)")
        why = truncation(p)
        if why is not None:
            raise Corrupt(f"{p}: truncated RAW file: {why}")
        yield raw, size
    finally:
        raw.close()


def raw_size(p: Path, limit: int) -> RawSize:
    """The header's sizes of the RAW file ``p``, with every check made before decoding (no pixel decoded)."""
    with _opened(p, limit) as (_, size):
        return size


def decode_raw(p: Path, limit: int) -> tuple[np.ndarray, dict[str, Any]]:
    """``(rgb, metadata)``: the developed ``(H, W, 3)`` uint16 sRGB image in display orientation."""
    import rawpy

    with _opened(p, limit) as (raw, _):
        try:
            raw.unpack()
            rgb = raw.postprocess(output_color=rawpy.ColorSpace.sRGB, highlight_mode=rawpy.HighlightMode.Clip,
                                  **POSTPROCESS)
        except (rawpy.LibRawError, rawpy.NotSupportedError, MemoryError, OSError) as e:
            raise _libraw_error(p, e) from None
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint16:
        raise UnsupportedFormat(f"{p}: LibRaw gave an unexpected {rgb.dtype} image of shape {rgb.shape}")
    return np.ascontiguousarray(rgb), {"icc_profile": srgb_profile_bytes()}
