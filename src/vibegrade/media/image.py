"""Read still images (JPEG, PNG, WebP, TIFF, HEIC/HEIF, camera RAW) and write them (JPEG, PNG, WebP, TIFF)
as NumPy arrays, robustly.

What :func:`read_image` guarantees
----------------------------------
* ``rgb`` is an ``(H, W, 3)`` array, ``uint8`` (8-bit sources) or ``uint16`` (16-bit PNG/TIFF sources,
  10/12-bit HEIF sources and camera RAW files; full 0..65535 range, all 16 bits kept), **sRGB-encoded**,
  in display orientation.
* HEIF/HEIC files (by content; see :mod:`vibegrade.media.heif_decode`) and camera RAW files (by extension
  or content; see :mod:`vibegrade.media.raw_decode` for the development choices) have their own decoders
  with the same guarantees below; their ``format`` is ``'HEIF'`` or ``'RAW'``.
* Greyscale (``L``, ``1``, 16-bit grey), palette (``P``) and CMYK sources are converted to RGB
  (grey is replicated into the three channels; palette colours are expanded).
* ``alpha`` is the source's alpha channel, ``(H, W)`` with the dtype of ``rgb``, bit-exact (palette
  transparency becomes an 8-bit alpha channel), or ``None`` when the source has no transparency.
* The EXIF orientation (all 8 values) is applied to the pixels; the EXIF (and XMP) kept in
  ``metadata`` say orientation 1, so written files display the same way everywhere.
* An embedded ICC profile is converted to sRGB (LittleCMS via Pillow's ``ImageCms``, relative
  colorimetric intent with black-point compensation). 16-bit images with a matrix/TRC profile
  (Adobe RGB, ProPhoto, Display P3, ...) are converted in floating point from the profile's own
  curves and primaries, so all 16 bits are meaningful; 16-bit images with a LUT-based profile use
  a table sampled through LittleCMS (about 8-bit accuracy). Profiles that already describe sRGB are
  left alone (no needless rounding). After a conversion ``metadata["icc_profile"]`` is an sRGB
  profile, which :func:`write_image` embeds.
* Decompression bombs: the pixel count is read from the file header and compared with the limit
  *before* any pixel is decoded (``max_pixels`` argument, else env ``VIBEGRADE_MAX_PIXELS``, else
  :data:`DEFAULT_MAX_PIXELS`).
* Every failure (missing file, folder, empty/corrupt/truncated file, unsupported format, over the
  pixel limit) raises :class:`MediaError` with a one-line message naming the file; the kind is in the
  subclass (:class:`~vibegrade.media.errors.TooLarge`, ``UnsupportedFormat``, ``Corrupt``; see
  :mod:`vibegrade.media.errors`).
* Multi-frame files (animated PNG/WebP, multi-page TIFF): the first frame/page is read.

What :func:`write_image` guarantees
-----------------------------------
* The format comes from the extension (``.jpg .jpeg .jpe .png .webp .tif .tiff``).
* 8- and 16-bit PNG and TIFF are written at the array's bit depth (16 bits kept exactly); JPEG and
  WebP are 8-bit only, so 16-bit input is rounded to the nearest 8-bit value
  (:func:`vibegrade.media.bitdepth.to_8bit`: ``round(v / 257)``).
* Alpha is written untouched to PNG, TIFF and WebP (WebP alpha is stored losslessly). JPEG cannot
  hold transparency: a fully opaque alpha is dropped silently, any other alpha raises
  :class:`MediaError` (we never composite behind your back).
* Metadata from ``source`` is written where the format can hold it: EXIF (JPEG, PNG, WebP, TIFF),
  ICC profile (all four), XMP (all four), dpi (JPEG, PNG, TIFF), PNG text chunks (PNG), JPEG comment
  (JPEG).
* The file appears atomically (temporary file + rename): a failed write leaves nothing behind.

Where the work is done: this module holds the public API (the types, :func:`read_image`,
:func:`read_image_header`, :func:`write_image`); :mod:`~vibegrade.media.image_decode` opens and decodes,
:mod:`~vibegrade.media.image_encode` encodes, :mod:`~vibegrade.media.exif` handles EXIF/XMP and the
orientation, :mod:`~vibegrade.media.icc` the colour profiles.

JPEG files are written with 4:4:4 chroma (no subsampling) at ``quality >= 90`` and 4:2:0 below.
PNG and TIFF use zlib/deflate level 6 (TIFF with the horizontal-difference predictor).
"""

from __future__ import annotations

import logging
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vibegrade.files import atomic_path
from vibegrade.media.bitdepth import to_8bit
from vibegrade.media.errors import Corrupt, MediaError, UnsupportedFormat, WriteError, short
from vibegrade.media.image_decode import (
    DECODE_ERRORS,
    check_readable_file,
    decode,
    is_16bit_colour,
    jpeg_min_bytes,
    open_checked,
)
from vibegrade.media.image_encode import encode, validate_arrays
from vibegrade.media.sniff import HEIF_EXTENSIONS, RAW_EXTENSIONS, container_of_file

__all__ = [
    "MediaError",
    "LoadedImage",
    "DEFAULT_MAX_PIXELS",
    "IMAGE_EXTENSIONS",
    "READ_EXTENSIONS",
    "read_image",
    "read_image_header",
    "ImageHeader",
    "jpeg_min_bytes",
    "write_image",
    "is_image_path",
    "is_readable_image_path",
    "max_pixels_limit",
]

log = logging.getLogger(__name__)

DEFAULT_MAX_PIXELS = 100_000_000
"""Default decompression-bomb limit in pixels (width × height); env ``VIBEGRADE_MAX_PIXELS`` overrides it."""

_EXT_FORMAT = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".png": "PNG",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}
IMAGE_EXTENSIONS: frozenset[str] = frozenset(_EXT_FORMAT)
"""Lower-case file extensions (with the dot) that :func:`read_image` and :func:`write_image` both handle."""

READ_EXTENSIONS: frozenset[str] = IMAGE_EXTENSIONS | HEIF_EXTENSIONS | RAW_EXTENSIONS
"""Lower-case file extensions of every image :func:`read_image` reads (adds HEIC/HEIF and camera RAW)."""


@dataclass
class LoadedImage:
    """A decoded image.

    Attributes:
        rgb: ``(H, W, 3)`` ``uint8`` or ``uint16`` array, sRGB-encoded, display orientation.
        alpha: ``(H, W)`` array with ``rgb``'s dtype (untouched source alpha) or ``None``.
        format: format name of the source: ``'JPEG'``, ``'PNG'``, ``'WEBP'``, ``'TIFF'`` (Pillow's names),
            ``'HEIF'`` or ``'RAW'``.
        metadata: what :func:`write_image` needs to carry metadata over. Keys (all optional):
            ``exif`` (bytes, ``b"Exif\\0\\0"`` + TIFF structure, orientation reset to 1),
            ``icc_profile`` (bytes, sRGB after conversion), ``dpi`` (``(x, y)`` floats, dots per inch),
            ``xmp`` (bytes, orientation reset to 1), ``png_text`` (``dict[str, str]``),
            ``comment`` (bytes, JPEG COM), ``icc_converted_from`` (str, description of the source profile).
    """

    rgb: np.ndarray
    alpha: np.ndarray | None
    format: str
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def bit_depth(self) -> int:
        """Bits per channel of :attr:`rgb`: 8 or 16."""
        return 16 if self.rgb.dtype == np.uint16 else 8

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels."""
        return int(self.rgb.shape[1]), int(self.rgb.shape[0])


def is_image_path(path: str | os.PathLike[str]) -> bool:
    """True when ``path``'s extension is one of :data:`IMAGE_EXTENSIONS` (case-insensitive): an image type
    that is both read and written."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def is_readable_image_path(path: str | os.PathLike[str]) -> bool:
    """True when ``path``'s extension is one of :data:`READ_EXTENSIONS` (case-insensitive)."""
    return Path(path).suffix.lower() in READ_EXTENSIONS


def max_pixels_limit(max_pixels: int | None = None) -> int:
    """The pixel limit in effect: ``max_pixels``, else env ``VIBEGRADE_MAX_PIXELS``, else the default.

    Raises:
        MediaError: the value is not a positive integer.
    """
    if max_pixels is not None:
        value: Any = max_pixels
        origin = "max_pixels"
    else:
        env = os.environ.get("VIBEGRADE_MAX_PIXELS", "").strip()
        if not env:
            return DEFAULT_MAX_PIXELS
        value, origin = env.replace("_", ""), "VIBEGRADE_MAX_PIXELS"
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise MediaError(f"{origin} must be a positive whole number of pixels, got {value!r}") from None
    if limit <= 0:
        raise MediaError(f"{origin} must be a positive whole number of pixels, got {limit}")
    return limit


# ----------------------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImageHeader:
    """What an image's header says, before any pixel is decoded (see :func:`read_image_header`)."""

    width: int
    height: int
    format: str
    bits: int
    """8, or 16 for 16-bit sources (which take twice the memory once decoded)."""

    @property
    def pixels(self) -> int:
        return self.width * self.height


def read_image_header(path: str | os.PathLike[str], max_pixels: int | None = None) -> ImageHeader:
    """Size, format and bit depth from the file's header, with every check :func:`read_image` makes before
    decoding (readable file, supported format, the pixel limit, JPEG data long enough for the size).

    Cheap (no pixel is decoded): use it to decide whether there is memory for the decode.

    Raises:
        MediaError: one-line message naming the file for any problem.
    """
    p = Path(path)
    limit = max_pixels_limit(max_pixels)
    check_readable_file(p)
    kind = container_of_file(p)
    if kind == "HEIF":
        from vibegrade.media.heif_decode import heif_bits, open_heif_checked

        img = open_heif_checked(p, limit)
        return ImageHeader(width=img.size[0], height=img.size[1], format="HEIF", bits=heif_bits(img))
    if kind == "RAW":
        from vibegrade.media.raw_decode import raw_size

        size = raw_size(p, limit)
        return ImageHeader(width=size.width, height=size.height, format="RAW", bits=16)
    im, fmt = open_checked(p, limit)
    with im:
        sixteen = is_16bit_colour(im) or im.mode.startswith("I")
        return ImageHeader(width=im.size[0], height=im.size[1], format=fmt, bits=16 if sixteen else 8)


def read_image(path: str | os.PathLike[str], max_pixels: int | None = None) -> LoadedImage:
    """Decode an image file into an sRGB :class:`LoadedImage` (see the module docstring for the guarantees).

    Args:
        path: a JPEG, PNG, WebP, TIFF or HEIF file (the content decides, not the extension), or a camera RAW
            file (a RAW extension such as ``.dng``/``.cr3``/``.nef``/``.arw``, or RAW content).
        max_pixels: refuse images with more than this many pixels (width × height), checked from the header
            before decoding; ``None`` uses env ``VIBEGRADE_MAX_PIXELS`` or :data:`DEFAULT_MAX_PIXELS`.

    Raises:
        MediaError: one-line message naming the file for any problem.
    """
    from PIL import ImageFile

    p = Path(path)
    limit = max_pixels_limit(max_pixels)
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Some library switched Pillow to padding truncated files with grey: we never want that.
        log.warning("PIL.ImageFile.LOAD_TRUNCATED_IMAGES was on; turning it off (truncated files are errors)")
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    check_readable_file(p)
    kind = container_of_file(p)
    if kind is not None:
        return _read_container(p, kind, limit)
    im, fmt = open_checked(p, limit)
    w, h = im.size
    with im:
        try:
            rgb, alpha, meta = decode(p, im, fmt)
        except MediaError:
            raise
        except MemoryError:
            raise MediaError(f"{p}: not enough memory to decode a {w}×{h} image") from None
        except DECODE_ERRORS as e:
            raise Corrupt(f"{p}: corrupt or truncated {fmt} file ({short(e)})") from e
    return LoadedImage(rgb=rgb, alpha=alpha, format=fmt, metadata=meta)


def _read_container(p: Path, kind: str, limit: int) -> LoadedImage:
    """HEIF and RAW files, through their own decoders (which make the same checks before decoding)."""
    try:
        if kind == "HEIF":
            from vibegrade.media.heif_decode import decode_heif, open_heif_checked

            rgb, alpha, meta = decode_heif(p, open_heif_checked(p, limit))
            return LoadedImage(rgb=rgb, alpha=alpha, format="HEIF", metadata=meta)
        from vibegrade.media.raw_decode import decode_raw

        rgb, meta = decode_raw(p, limit)
        return LoadedImage(rgb=rgb, alpha=None, format="RAW", metadata=meta)
    except MemoryError:
        raise MediaError(f"{p}: not enough memory to decode this {kind} image") from None


# ----------------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------------

def write_image(path: str | os.PathLike[str], rgb: np.ndarray, alpha: np.ndarray | None = None, *,
                source: LoadedImage | None = None, quality: int = 95) -> None:
    """Encode ``rgb`` (and ``alpha``) to ``path`` atomically, format from the extension.

    Args:
        path: destination; extension ``.jpg/.jpeg/.jpe``, ``.png``, ``.webp`` or ``.tif/.tiff``.
        rgb: ``(H, W, 3)`` ``uint8`` or ``uint16`` sRGB-encoded array (``(H, W)`` greyscale is accepted and
            replicated).
        alpha: optional ``(H, W)`` alpha; an ``uint8`` alpha with ``uint16`` rgb (or the reverse) is rescaled
            (× 257 or rounded ÷ 257).
        source: the :class:`LoadedImage` the pixels came from; its metadata is written where the format
            allows.
        quality: 1..100, JPEG/WebP quality (ignored for the lossless PNG and TIFF).

    Raises:
        MediaError: unsupported extension, bad array, alpha to JPEG, missing output folder, I/O errors.
    """
    p = Path(path)
    fmt = _EXT_FORMAT.get(p.suffix.lower())
    if fmt is None:
        raise UnsupportedFormat(f"{p}: cannot write {p.suffix or 'files without an extension'!s}; "
                         f"use one of {', '.join(sorted(IMAGE_EXTENSIONS))}")
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) \
            or not 1 <= int(quality) <= 100:
        raise WriteError(f"{p}: quality must be a whole number from 1 to 100, got {quality!r}")
    rgb, alpha = validate_arrays(p, rgb, alpha)
    if fmt in ("JPEG", "WEBP") and rgb.dtype == np.uint16:
        rgb = to_8bit(rgb)
        alpha = None if alpha is None else to_8bit(alpha)
    if fmt == "JPEG" and alpha is not None:
        if np.all(alpha == np.iinfo(alpha.dtype).max):
            alpha = None  # fully opaque: nothing is lost
        else:
            raise WriteError(f"{p}: JPEG cannot store transparency; write .png, .webp or .tif, "
                             f"or drop the alpha channel")
    meta = dict(source.metadata) if source is not None else {}

    try:
        data = encode(fmt, rgb, alpha, meta, int(quality))
    except MediaError:
        raise
    except (OSError, ValueError, TypeError, struct.error, zlib.error) as e:
        raise WriteError(f"{p}: cannot encode {fmt} ({short(e)})") from e

    try:
        with atomic_path(p) as tmp:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
    except FileNotFoundError as e:
        raise WriteError(f"{p}: output folder does not exist ({p.parent})") from e
    except IsADirectoryError as e:
        raise WriteError(f"{p}: is a folder") from e
    except PermissionError as e:
        raise WriteError(f"{p}: permission denied") from e
    except OSError as e:
        raise WriteError(f"{p}: cannot write file ({short(e)})") from e
