"""Read and write still images (JPEG, PNG, WebP, TIFF) as NumPy arrays, robustly.

What :func:`read_image` guarantees
----------------------------------
* ``rgb`` is an ``(H, W, 3)`` array, ``uint8`` (8-bit sources) or ``uint16`` (16-bit PNG/TIFF sources,
  full 0..65535 range, all 16 bits kept), **sRGB-encoded**, in display orientation.
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
  pixel limit) raises :class:`MediaError` with a one-line message naming the file.
* Multi-frame files (animated PNG/WebP, multi-page TIFF): the first frame/page is read.

What :func:`write_image` guarantees
-----------------------------------
* The format comes from the extension (``.jpg .jpeg .jpe .png .webp .tif .tiff``).
* 8- and 16-bit PNG and TIFF are written at the array's bit depth (16 bits kept exactly); JPEG and
  WebP are 8-bit only, so 16-bit input is rounded to the nearest 8-bit value (``round(v / 257)``).
* Alpha is written untouched to PNG, TIFF and WebP (WebP alpha is stored losslessly). JPEG cannot
  hold transparency: a fully opaque alpha is dropped silently, any other alpha raises
  :class:`MediaError` (we never composite behind your back).
* Metadata from ``source`` is written where the format can hold it: EXIF (JPEG, PNG, WebP, TIFF),
  ICC profile (all four), XMP (all four), dpi (JPEG, PNG, TIFF), PNG text chunks (PNG), JPEG comment
  (JPEG).
* The file appears atomically (temporary file + rename): a failed write leaves nothing behind.

JPEG files are written with 4:4:4 chroma (no subsampling) at ``quality >= 90`` and 4:2:0 below.
PNG and TIFF use zlib/deflate level 6 (TIFF with the horizontal-difference predictor).
"""

from __future__ import annotations

import io
import logging
import os
import re
import struct
import threading
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from vibegrade.media.atomic import atomic_path

__all__ = [
    "MediaError",
    "LoadedImage",
    "DEFAULT_MAX_PIXELS",
    "IMAGE_EXTENSIONS",
    "read_image",
    "read_image_header",
    "ImageHeader",
    "jpeg_min_bytes",
    "write_image",
    "is_image_path",
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
"""Lower-case file extensions (with the dot) that :func:`read_image` / :func:`write_image` handle."""

_READ_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "TIFF": "TIFF"}

_ORIENTATION_TAG = 0x0112
_EXIF_IFD, _GPS_IFD, _INTEROP_IFD = 0x8769, 0x8825, 0xA005
_XMP_TAG, _ICC_TAG = 700, 34675
# TIFF tags that describe the pixel layout of a particular file; never copied as "metadata".
_TIFF_STRUCTURAL_TAGS = frozenset({
    254, 255, 256, 257, 258, 259, 262, 263, 266, 269, 273, 277, 278, 279, 280, 281, 282, 283, 284, 285,
    286, 287, 288, 289, 290, 291, 292, 293, 296, 297, 301, 317, 318, 319, 320, 322, 323, 324, 325, 330,
    332, 338, 339, 340, 341, 347, 513, 514, 529, 530, 531, 532, 700, 33723, 34377, 34665, 34675, 34853,
    40965,
})


class MediaError(ValueError):
    """A media file could not be read or written; ``str(err)`` is a one-line message naming the file."""


@dataclass
class LoadedImage:
    """A decoded image.

    Attributes:
        rgb: ``(H, W, 3)`` ``uint8`` or ``uint16`` array, sRGB-encoded, display orientation.
        alpha: ``(H, W)`` array with ``rgb``'s dtype (untouched source alpha) or ``None``.
        format: Pillow format name of the source: ``'JPEG'``, ``'PNG'``, ``'WEBP'`` or ``'TIFF'``.
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
    """True when ``path``'s extension is one of :data:`IMAGE_EXTENSIONS` (case-insensitive)."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


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

_PIL_LIMIT_LOCK = threading.Lock()
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error, IndexError, KeyError,
                  TypeError, AttributeError)


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
    im, fmt = _open_checked(p, limit)
    with im:
        sixteen = _is_16bit_colour(im) or im.mode.startswith("I")
        return ImageHeader(width=im.size[0], height=im.size[1], format=fmt, bits=16 if sixteen else 8)


def _open_checked(p: Path, limit: int):
    """Open ``p`` with Pillow and make every header check; returns ``(image, format)`` (caller closes)."""
    from PIL import Image

    _check_readable_file(p)
    try:
        im = _open_pillow(p)
    except MediaError:
        raise
    except Image.UnidentifiedImageError:
        raise MediaError(f"{p}: not a readable image (supported: JPEG, PNG, WebP, TIFF) "
                         f"or the file is corrupt") from None
    except _DECODE_ERRORS as e:
        raise MediaError(f"{p}: cannot read image header ({_short(e)})") from e
    try:
        fmt = _READ_FORMATS.get(im.format or "")
        if fmt is None:
            raise MediaError(f"{p}: unsupported image format {im.format} (supported: JPEG, PNG, WebP, TIFF)")
        w, h = im.size
        if w <= 0 or h <= 0:
            raise MediaError(f"{p}: image has no pixels ({w}×{h})")
        if w * h > limit:
            raise MediaError(
                f"{p}: {w}×{h} = {w * h / 1e6:.1f} megapixels is over the limit of "
                f"{limit / 1e6:.1f} megapixels (raise it with max_pixels or env VIBEGRADE_MAX_PIXELS)")
        if fmt == "JPEG":
            _check_jpeg_data_size(p, im)
    except BaseException:
        im.close()
        raise
    return im, fmt


def read_image(path: str | os.PathLike[str], max_pixels: int | None = None) -> LoadedImage:
    """Decode an image file into an sRGB :class:`LoadedImage` (see the module docstring for the guarantees).

    Args:
        path: a JPEG, PNG, WebP or TIFF file (the content decides, not the extension).
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
    im, fmt = _open_checked(p, limit)
    w, h = im.size
    with im:
        try:
            return _decode(p, im, fmt)
        except MediaError:
            raise
        except MemoryError:
            raise MediaError(f"{p}: not enough memory to decode a {w}×{h} image") from None
        except _DECODE_ERRORS as e:
            raise MediaError(f"{p}: corrupt or truncated {fmt} file ({_short(e)})") from e


# JPEG start-of-frame markers: baseline/extended/progressive/lossless with Huffman coding (C0-C3, C5-C7)
# and with arithmetic coding (C9-CB, CD-CF).
_SOF_HUFFMAN = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7})
_SOF_ARITHMETIC = frozenset({0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def _jpeg_frame(data: bytes) -> tuple[int, list[tuple[int, int]]] | None:
    """``(SOF marker, [(h, v) sampling factors per component])`` of a JPEG, or None if not found."""
    i = 2
    n = len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        seg_len = int.from_bytes(data[i + 2:i + 4], "big")
        if marker in _SOF_HUFFMAN or marker in _SOF_ARITHMETIC:
            seg = data[i + 4:i + 2 + seg_len]
            if len(seg) < 6:
                return None
            ncomp = seg[5]
            comps = [(seg[6 + 3 * k + 1] >> 4, seg[6 + 3 * k + 1] & 0x0F) for k in range(ncomp)
                     if 6 + 3 * k + 2 < len(seg)]
            return marker, comps
        if marker == 0xDA:  # start of scan before any frame header
            return None
        i += 2 + seg_len
    return None


def jpeg_min_bytes(width: int, height: int, sampling: list[tuple[int, int]]) -> int:
    """Fewest bytes of entropy-coded data a Huffman-coded JPEG of this size can have.

    Every 8×8 block of every component costs at least one bit (its DC difference has a Huffman code of one
    bit or more, in sequential and progressive files alike), so a file with less data than that cannot hold
    the picture its header claims: the decoder would fill the rest with grey.
    """
    hmax = max((h for h, _ in sampling), default=1) or 1
    vmax = max((v for _, v in sampling), default=1) or 1
    blocks = 0
    for h, v in sampling:
        cw = -(-width * max(h, 1) // hmax)
        ch = -(-height * max(v, 1) // vmax)
        blocks += -(-cw // 8) * -(-ch // 8)
    return blocks // 8


def _check_jpeg_data_size(p: Path, im) -> None:
    """Reject a JPEG whose data is shorter than its header's size needs (a few KB claiming a huge picture).

    Pillow reads such a file to the end-of-image marker without error and libjpeg pads the missing rows
    with grey: gigabytes of fill for a tiny upload. Files cut off *before* the end marker already fail
    (Pillow's ``LOAD_TRUNCATED_IMAGES`` stays off).
    """
    try:
        size = p.stat().st_size
        with open(p, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError as e:
        raise MediaError(f"{p}: cannot read file ({_short(e)})") from e
    frame = _jpeg_frame(head)
    if frame is None:
        return  # Pillow parsed a header we could not: its decoder will judge the file
    marker, sampling = frame
    if marker in _SOF_ARITHMETIC or not sampling:
        return  # arithmetic coding can store flat areas in far less than a bit per block
    w, h = im.size
    need = jpeg_min_bytes(w, h, sampling)
    if size < need:
        raise MediaError(f"{p}: truncated JPEG file: its header says {w}×{h} pixels, which needs at least "
                         f"{need:,} bytes of image data, but the file has {size:,} bytes")


def _check_readable_file(p: Path) -> None:
    if not p.exists():
        raise MediaError(f"{p}: file not found")
    if p.is_dir():
        raise MediaError(f"{p}: is a folder, not an image file")
    if not p.is_file():
        raise MediaError(f"{p}: not a regular file")
    try:
        size = p.stat().st_size
    except OSError as e:
        raise MediaError(f"{p}: cannot access file ({_short(e)})") from e
    if size == 0:
        raise MediaError(f"{p}: empty file (0 bytes)")
    if not os.access(p, os.R_OK):
        raise MediaError(f"{p}: permission denied")


def _open_pillow(p: Path):
    """``Image.open`` with Pillow's own bomb limit replaced by ours (the caller checks it from the header)."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            return Image.open(p)
        except Image.DecompressionBombError:
            pass
        # Pillow refuses sizes over 2 × Image.MAX_IMAGE_PIXELS in open(); our limit may be higher.
        with _PIL_LIMIT_LOCK:
            old = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = None
            try:
                return Image.open(p)
            finally:
                Image.MAX_IMAGE_PIXELS = old


def _short(e: BaseException) -> str:
    msg = " ".join(str(e).split()) or type(e).__name__
    return msg if len(msg) <= 160 else msg[:157] + "..."


def _is_16bit_colour(im) -> bool:
    """True for 16-bit RGB/RGBA/grey+alpha files, which Pillow would silently reduce to 8 bits."""
    if im.mode not in ("RGB", "RGBA", "LA", "RGBX"):
        return False
    for tile in getattr(im, "tile", None) or []:
        args = tile.args if hasattr(tile, "args") else tile[3]
        raw = args[0] if isinstance(args, tuple) and args else args
        if isinstance(raw, str) and "16" in raw:
            return True
    return False


def _decode(p: Path, im, fmt: str) -> LoadedImage:
    sixteen = _is_16bit_colour(im)  # before anything (e.g. PNG getexif) loads the image and drops the tiles
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow's "Corrupt EXIF" & co. are handled by us
        if sixteen and fmt == "PNG" and "exif" not in im.info:
            orientation, exif_bytes = 1, None  # Pillow would decode the whole image to look after IDAT
        else:
            orientation, exif_bytes = _read_exif(im, fmt)
    icc = im.info.get("icc_profile") or None
    meta: dict[str, Any] = {}
    dpi = im.info.get("dpi")
    if dpi and len(dpi) == 2:
        try:
            dx, dy = float(dpi[0]), float(dpi[1])
            if dx > 0 and dy > 0:
                meta["dpi"] = (round(dx, 4), round(dy, 4))
        except (TypeError, ValueError):
            pass
    if fmt == "JPEG" and isinstance(im.info.get("comment"), bytes) and im.info["comment"]:
        meta["comment"] = im.info["comment"]
    xmp = im.info.get("xmp")
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")

    if sixteen:
        rgb, alpha = _read_16bit_cv2(p)
        if _cv2_applies_orientation(fmt):
            orientation = 1  # OpenCV's TIFF decoder turns the pixels itself
        if icc:
            rgb, icc_meta = _convert_icc_16(p, rgb, icc)
            meta.update(icc_meta)
    else:
        im.load()
        if fmt == "TIFF" and _ORIENTATION_TAG not in getattr(im, "tag_v2", {}):
            orientation = 1  # Pillow's TIFF loader already turned the pixels (and removed the tag)
        rgb, alpha, icc_meta = _pil_to_arrays(p, im, icc)
        meta.update(icc_meta)
    if fmt == "PNG":
        text = {}
        # 16-bit: the chunks read with the header (Pillow's ``text`` would decode the pixels once more)
        chunks = getattr(getattr(im, "png", None), "im_text", None) if sixteen else None
        if chunks is None:
            chunks = getattr(im, "text", None)
        for k, v in (chunks or {}).items():
            if k == "XML:com.adobe.xmp":
                if xmp is None:
                    xmp = str(v).encode("utf-8")
                continue
            text[str(k)] = str(v)
        if text:
            meta["png_text"] = text

    if orientation in range(2, 9):
        rgb = _apply_orientation(rgb, orientation)
        if alpha is not None:
            alpha = _apply_orientation(alpha, orientation)
    if exif_bytes:
        meta["exif"] = exif_bytes
    if xmp:
        meta["xmp"] = _xmp_reset_orientation(bytes(xmp))
    alpha = None if alpha is None else np.ascontiguousarray(alpha)
    return LoadedImage(rgb=np.ascontiguousarray(rgb), alpha=alpha, format=fmt, metadata=meta)


def _read_16bit_cv2(p: Path) -> tuple[np.ndarray, np.ndarray | None]:
    import cv2

    buf = np.fromfile(p, dtype=np.uint8)
    arr = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise MediaError(f"{p}: corrupt or truncated 16-bit image (the decoder rejected it)")
    if arr.dtype not in (np.uint8, np.uint16):
        raise MediaError(f"{p}: unsupported sample type {arr.dtype} (only 8- and 16-bit integer images)")
    if arr.ndim == 2:
        return np.repeat(arr[:, :, None], 3, axis=2), None
    c = arr.shape[2]
    if c == 1:
        return np.repeat(arr, 3, axis=2), None
    if c == 2:  # grey + alpha
        return np.repeat(arr[:, :, :1], 3, axis=2), arr[:, :, 1].copy()
    if c == 3:
        return arr[:, :, ::-1].copy(), None
    if c == 4:
        return arr[:, :, 2::-1].copy(), arr[:, :, 3].copy()
    raise MediaError(f"{p}: unsupported number of channels ({c})")


@lru_cache(maxsize=4)
def _cv2_applies_orientation(fmt: str) -> bool:
    """Whether OpenCV's decoder (IMREAD_UNCHANGED) already applies the orientation tag for ``fmt``.

    Found out once by decoding a tiny 16-bit file with orientation 2 (mirror), so that we neither
    miss nor double the turn whatever the OpenCV build does (4.x/5.x TIFF: applied; PNG: not).
    """
    import cv2

    from PIL import Image

    stored = np.array([[[1, 2, 3], [4, 5, 6]]], dtype=np.uint16)
    ex = Image.Exif()
    ex[_ORIENTATION_TAG] = 2
    meta = {"exif": ex.tobytes()}
    data = _encode_tiff(stored, None, meta) if fmt == "TIFF" else _encode_png(stored, None, meta)
    out = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    return out is not None and int(out[0, 0, 2]) == 4


def _pil_to_arrays(p: Path, im, icc: bytes | None) -> tuple[np.ndarray, np.ndarray | None, dict]:
    """Convert an opened, loaded Pillow image of any supported mode into (rgb, alpha, icc metadata)."""
    mode = im.mode
    alpha = None
    meta: dict[str, Any] = {}
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        grey = np.asarray(im)
        if grey.dtype != np.uint16:
            grey = np.clip(grey, 0, 65535).astype(np.uint16)
        if icc:
            log.warning("%s: ICC profile on a 16-bit greyscale image is ignored", p)
            meta["icc_profile"] = None
        return np.repeat(grey[:, :, None], 3, axis=2), None, meta
    if mode == "F":
        raise MediaError(f"{p}: 32-bit floating-point images are not supported")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in im.info) \
            or (mode in ("L", "RGB") and "transparency" in im.info):
        rgba = im.convert("RGBA") if mode not in ("LA",) else im
        alpha = np.asarray(rgba.getchannel("A")).copy()
        base = rgba.convert("RGB") if rgba.mode != "LA" else rgba.convert("L")
    elif mode in ("RGB", "L", "CMYK"):
        base = im
    elif mode in ("1", "P", "RGBX", "YCbCr"):
        base = im.convert("RGB")
    else:
        raise MediaError(f"{p}: unsupported pixel mode {mode}")

    if icc:
        base, meta = _convert_icc_pil(p, base, icc)
    if base.mode != "RGB":
        base = base.convert("RGB")
    return np.asarray(base).copy(), alpha, meta


# --- EXIF / XMP ---------------------------------------------------------------------------------------------

def _read_exif(im, fmt: str) -> tuple[int, bytes | None]:
    """Return (orientation, EXIF blob with orientation reset to 1 or None)."""
    orientation = 1
    try:
        exif = im.getexif()
        orientation = int(exif.get(_ORIENTATION_TAG, 1) or 1)
    except Exception:  # corrupt EXIF must not stop us from reading pixels
        log.warning("ignoring unreadable EXIF data")
        return 1, None
    if orientation not in range(1, 9):
        orientation = 1
    if fmt == "TIFF":
        return orientation, _exif_from_tiff(exif)
    raw = im.info.get("exif")
    if not raw:
        return orientation, None
    if isinstance(raw, str):
        raw = raw.encode("latin-1", "replace")
    raw = bytes(raw)
    body = raw[6:] if raw.startswith(b"Exif\x00\x00") else raw
    if body[:4] not in (b"II*\x00", b"MM\x00*"):
        return orientation, None
    try:
        body = _exif_reset_orientation(body)
    except (struct.error, IndexError, ValueError):
        # fall back to a re-serialisation through Pillow
        try:
            exif[_ORIENTATION_TAG] = 1
            return orientation, exif.tobytes()
        except Exception:
            return orientation, None
    return orientation, b"Exif\x00\x00" + body


def _exif_reset_orientation(tiff: bytes) -> bytes:
    """Set the Orientation entry in IFD0 of a raw EXIF TIFF structure to 1, leaving every other byte alone."""
    order = "<" if tiff[:2] == b"II" else ">"
    (ifd0,) = struct.unpack_from(order + "I", tiff, 4)
    (count,) = struct.unpack_from(order + "H", tiff, ifd0)
    buf = bytearray(tiff)
    for i in range(count):
        entry = ifd0 + 2 + 12 * i
        tag, typ, n = struct.unpack_from(order + "HHI", tiff, entry)
        if tag == _ORIENTATION_TAG and n >= 1:
            if typ == 3:  # SHORT, inline
                struct.pack_into(order + "H", buf, entry + 8, 1)
            elif typ == 4:  # LONG, inline
                struct.pack_into(order + "I", buf, entry + 8, 1)
            else:
                raise ValueError("unexpected Orientation type")
            break
    return bytes(buf)


def _exif_from_tiff(exif) -> bytes | None:
    """EXIF blob for a TIFF source: IFD0 tags that are not about the pixel layout, plus Exif/GPS sub-IFDs."""
    from PIL import Image

    out = Image.Exif()
    for tag, value in exif.items():
        if tag in _TIFF_STRUCTURAL_TAGS:
            continue
        out[tag] = value
    for sub in (_EXIF_IFD, _GPS_IFD):
        if sub in exif:
            d = exif.get_ifd(sub)
            if d:
                out[sub] = dict(d)
    if _ORIENTATION_TAG in out:
        out[_ORIENTATION_TAG] = 1
    if not len(out):
        return None
    try:
        return out.tobytes()
    except Exception:
        log.warning("could not re-encode TIFF metadata as EXIF; EXIF dropped")
        return None


_XMP_ORIENT_ATTR = re.compile(rb'(tiff:Orientation\s*=\s*["\'])\s*\d+\s*(["\'])')
_XMP_ORIENT_ELEM = re.compile(rb"(<tiff:Orientation>)\s*\d+\s*(</tiff:Orientation>)")


def _xmp_reset_orientation(xmp: bytes) -> bytes:
    xmp = _XMP_ORIENT_ATTR.sub(rb"\g<1>1\g<2>", xmp)
    return _XMP_ORIENT_ELEM.sub(rb"\g<1>1\g<2>", xmp)


def _apply_orientation(a: np.ndarray, orientation: int) -> np.ndarray:
    """Turn stored pixels into display orientation for EXIF orientation 1..8 (rows = y, columns = x)."""
    if orientation == 2:
        return a[:, ::-1]
    if orientation == 3:
        return a[::-1, ::-1]
    if orientation == 4:
        return a[::-1]
    if orientation == 5:
        return a.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(a, -1)
    if orientation == 7:
        return a.swapaxes(0, 1)[::-1, ::-1]
    if orientation == 8:
        return np.rot90(a, 1)
    return a


# --- ICC ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _MatrixShaper:
    """A matrix/TRC RGB ICC profile: linear = trc(encoded); XYZ(D50) = matrix @ linear."""

    matrix: np.ndarray  # (3, 3) float64, columns = red/green/blue colorants (PCS XYZ, D50)
    curves: tuple[np.ndarray, np.ndarray, np.ndarray]  # each a 65536-entry float64 table for 16-bit input


def _s15f16(b: bytes, off: int, n: int) -> list[float]:
    return [v / 65536.0 for v in struct.unpack_from(">" + "i" * n, b, off)]


def _parse_trc(b: bytes, off: int, size: int) -> np.ndarray | None:
    x = np.arange(65536, dtype=np.float64) / 65535.0
    sig = b[off:off + 4]
    if sig == b"curv":
        (n,) = struct.unpack_from(">I", b, off + 8)
        if n == 0:
            return x
        if n == 1:
            (g,) = struct.unpack_from(">H", b, off + 12)
            return x ** (g / 256.0)
        table = np.frombuffer(b, dtype=">u2", count=n, offset=off + 12).astype(np.float64) / 65535.0
        return np.interp(x, np.linspace(0.0, 1.0, n), table)
    if sig == b"para":
        (ftype,) = struct.unpack_from(">H", b, off + 8)
        nparams = {0: 1, 1: 3, 2: 4, 3: 5, 4: 7}.get(ftype)
        if nparams is None:
            return None
        prm = _s15f16(b, off + 12, nparams)
        g = prm[0]
        if ftype == 0:
            return x ** g
        a, bb = prm[1], prm[2]
        lin = np.maximum(a * x + bb, 0.0)
        if ftype == 1:
            return np.where(x >= -bb / a, lin ** g, 0.0)
        if ftype == 2:
            c = prm[3]
            return np.where(x >= -bb / a, lin ** g + c, c)
        if ftype == 3:
            c, d = prm[3], prm[4]
            return np.where(x >= d, lin ** g, c * x)
        c, d, e, f = prm[3], prm[4], prm[5], prm[6]
        return np.where(x >= d, lin ** g + e, c * x + f)
    return None


@lru_cache(maxsize=16)
def _parse_matrix_shaper(icc: bytes) -> _MatrixShaper | None:
    """Parse an RGB matrix/TRC profile; None for anything else (LUT-based, CMYK, grey, malformed)."""
    try:
        if len(icc) < 132 or icc[16:20] != b"RGB " or icc[20:24] != b"XYZ ":
            return None
        (count,) = struct.unpack_from(">I", icc, 128)
        tags: dict[bytes, tuple[int, int]] = {}
        for i in range(count):
            sig, off, size = struct.unpack_from(">4sII", icc, 132 + 12 * i)
            tags[sig] = (off, size)
        if any(t in tags for t in (b"A2B0", b"A2B1", b"A2B2")):
            return None  # LittleCMS would use the LUT, not the matrix
        cols = []
        for t in (b"rXYZ", b"gXYZ", b"bXYZ"):
            off, _ = tags[t]
            cols.append(_s15f16(icc, off + 8, 3))
        curves = []
        for t in (b"rTRC", b"gTRC", b"bTRC"):
            off, size = tags[t]
            c = _parse_trc(icc, off, size)
            if c is None:
                return None
            curves.append(np.clip(c, 0.0, None))
        return _MatrixShaper(np.array(cols, dtype=np.float64).T, (curves[0], curves[1], curves[2]))
    except (KeyError, struct.error, ValueError, ZeroDivisionError, IndexError):
        return None


@lru_cache(maxsize=1)
def _srgb_profile_bytes() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _is_srgb(icc: bytes) -> bool:
    """True when ``icc`` is a matrix/TRC profile numerically equal to sRGB (within 8-bit rounding)."""
    ms, ref = _parse_matrix_shaper(icc), _parse_matrix_shaper(_srgb_profile_bytes())
    if ms is None or ref is None:
        return False
    if not np.allclose(ms.matrix, ref.matrix, atol=2e-3):
        return False
    return all(np.max(np.abs(c[::257] - r[::257])) < 0.5 / 255 for c, r in zip(ms.curves, ref.curves))


def _profile_description(icc: bytes) -> str:
    from PIL import ImageCms

    try:
        prof = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return (ImageCms.getProfileDescription(prof) or "").strip() or "embedded profile"
    except Exception:
        return "embedded profile"


def _cms_transform(src_icc: bytes, in_mode: str, out_mode: str = "RGB"):
    from PIL import ImageCms

    src = ImageCms.ImageCmsProfile(io.BytesIO(src_icc))
    dst = ImageCms.ImageCmsProfile(io.BytesIO(_srgb_profile_bytes()))
    return ImageCms.buildTransform(src, dst, in_mode, out_mode,
                                   renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
                                   flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)


def _convert_icc_pil(p: Path, base, icc: bytes):
    """8-bit path: convert a Pillow image in mode RGB/L/CMYK from its profile to sRGB."""
    from PIL import ImageCms

    if base.mode == "RGB" and _is_srgb(icc):
        return base, {"icc_profile": icc}
    try:
        transform = _cms_transform(icc, base.mode, "RGB")
        out = ImageCms.applyTransform(base, transform)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as e:
        log.warning("%s: embedded ICC profile could not be used (%s); pixels kept as they are", p, _short(e))
        return base, {}
    return out, {"icc_profile": _srgb_profile_bytes(), "icc_converted_from": _profile_description(icc)}


def _srgb_encode(lin: np.ndarray) -> np.ndarray:
    from vibegrade.tools.color import linear_to_srgb  # the one copy of the sRGB curve

    return linear_to_srgb(lin)


def _convert_icc_16(p: Path, rgb: np.ndarray, icc: bytes) -> tuple[np.ndarray, dict]:
    """16-bit path: convert ``rgb`` (uint16) from its profile to sRGB, in float (matrix/TRC) or via a LUT."""
    if _is_srgb(icc):
        return rgb, {"icc_profile": icc}
    src = _parse_matrix_shaper(icc)
    ref = _parse_matrix_shaper(_srgb_profile_bytes())
    meta = {"icc_profile": _srgb_profile_bytes(), "icc_converted_from": _profile_description(icc)}
    h, w, _ = rgb.shape
    flat = rgb.reshape(-1, 3)
    out = np.empty_like(flat)
    if src is not None and ref is not None:
        m = (np.linalg.inv(ref.matrix) @ src.matrix).astype(np.float32)
        curves = [c.astype(np.float32) for c in src.curves]
        step = 1 << 20
        for s in range(0, flat.shape[0], step):
            chunk = flat[s:s + step]
            lin = np.stack([curves[k][chunk[:, k]] for k in range(3)], axis=1)
            enc = _srgb_encode(lin @ m.T)
            out[s:s + step] = np.rint(enc * 65535.0).astype(np.uint16)
        return out.reshape(h, w, 3), meta
    # LUT-based profile: sample the LittleCMS transform on an 8-bit grid and interpolate.
    from PIL import Image, ImageCms

    from vibegrade.tools.lut import apply_lut

    try:
        n = 52  # grid values 0, 5, ..., 255 are exact 8-bit codes
        axis = np.arange(n, dtype=np.uint16) * 5
        r, g, b = np.meshgrid(axis, axis, axis, indexing="ij")
        grid = np.stack([r, g, b], axis=-1).astype(np.uint8).reshape(1, -1, 3)
        res = ImageCms.applyTransform(Image.fromarray(grid), _cms_transform(icc, "RGB", "RGB"))
        lut = (np.asarray(res, dtype=np.float32) / 255.0).reshape(n, n, n, 3)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as e:
        log.warning("%s: embedded ICC profile could not be used (%s); pixels kept as they are", p, _short(e))
        return rgb, {}
    log.info("%s: LUT-based ICC profile on a 16-bit image: converted via a sampled table (~8-bit)", p)
    step = 1 << 20
    for s in range(0, flat.shape[0], step):
        vals = apply_lut(flat[s:s + step].astype(np.float32) / 65535.0, lut)
        out[s:s + step] = np.rint(np.clip(vals, 0.0, 1.0) * 65535.0).astype(np.uint16)
    return out.reshape(h, w, 3), meta


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
        raise MediaError(f"{p}: cannot write {p.suffix or 'files without an extension'!s}; "
                         f"use one of {', '.join(sorted(IMAGE_EXTENSIONS))}")
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) \
            or not 1 <= int(quality) <= 100:
        raise MediaError(f"{p}: quality must be a whole number from 1 to 100, got {quality!r}")
    rgb, alpha = _validate_arrays(p, rgb, alpha)
    if fmt in ("JPEG", "WEBP") and rgb.dtype == np.uint16:
        rgb = _to_8bit(rgb)
        alpha = None if alpha is None else _to_8bit(alpha)
    if fmt == "JPEG" and alpha is not None:
        if np.all(alpha == np.iinfo(alpha.dtype).max):
            alpha = None  # fully opaque: nothing is lost
        else:
            raise MediaError(f"{p}: JPEG cannot store transparency; write .png, .webp or .tif, "
                             f"or drop the alpha channel")
    meta = dict(source.metadata) if source is not None else {}

    try:
        if fmt == "PNG":
            data = _encode_png(rgb, alpha, meta)
        elif fmt == "TIFF":
            data = _encode_tiff(rgb, alpha, meta)
        else:
            data = _encode_pillow(fmt, rgb, alpha, meta, int(quality))
    except MediaError:
        raise
    except (OSError, ValueError, TypeError, struct.error, zlib.error) as e:
        raise MediaError(f"{p}: cannot encode {fmt} ({_short(e)})") from e

    try:
        with atomic_path(p) as tmp:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
    except FileNotFoundError as e:
        raise MediaError(f"{p}: output folder does not exist ({p.parent})") from e
    except IsADirectoryError as e:
        raise MediaError(f"{p}: is a folder") from e
    except PermissionError as e:
        raise MediaError(f"{p}: permission denied") from e
    except OSError as e:
        raise MediaError(f"{p}: cannot write file ({_short(e)})") from e


def _validate_arrays(p: Path, rgb: Any, alpha: Any) -> tuple[np.ndarray, np.ndarray | None]:
    if not isinstance(rgb, np.ndarray):
        raise MediaError(f"{p}: pixels must be a NumPy array, got {type(rgb).__name__}")
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[:, :, None], 3, axis=2)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise MediaError(f"{p}: pixels must be an (H, W, 3) array, got shape {rgb.shape}")
    if rgb.dtype not in (np.uint8, np.uint16):
        raise MediaError(f"{p}: pixels must be uint8 or uint16, got {rgb.dtype}")
    rgb = np.ascontiguousarray(rgb)
    if alpha is None:
        return rgb, None
    alpha = np.asarray(alpha)
    if alpha.ndim == 3 and alpha.shape[2] == 1:
        alpha = alpha[:, :, 0]
    if alpha.shape != rgb.shape[:2]:
        raise MediaError(f"{p}: alpha shape {alpha.shape} does not match the image {rgb.shape[:2]}")
    if alpha.dtype == rgb.dtype:
        pass
    elif alpha.dtype == np.uint8 and rgb.dtype == np.uint16:
        alpha = alpha.astype(np.uint16) * 257
    elif alpha.dtype == np.uint16 and rgb.dtype == np.uint8:
        alpha = _to_8bit(alpha)
    else:
        raise MediaError(f"{p}: alpha must be uint8 or uint16, got {alpha.dtype}")
    return rgb, np.ascontiguousarray(alpha)


def _to_8bit(a: np.ndarray) -> np.ndarray:
    """Round 16-bit values to the nearest 8-bit value: ``round(v * 255 / 65535)`` (= ``round(v / 257)``)."""
    return ((a.astype(np.uint32) + 128) // 257).astype(np.uint8)


def _encode_pillow(fmt: str, rgb: np.ndarray, alpha: np.ndarray | None, meta: dict, quality: int) -> bytes:
    from PIL import Image

    im = Image.fromarray(rgb, "RGB")
    if alpha is not None:
        im = im.convert("RGBA")
        im.putalpha(Image.fromarray(alpha, "L"))
    kw: dict[str, Any] = {"quality": quality}
    if meta.get("exif"):
        kw["exif"] = meta["exif"]
    if meta.get("icc_profile"):
        kw["icc_profile"] = meta["icc_profile"]
    if meta.get("xmp"):
        kw["xmp"] = meta["xmp"]
    if fmt == "JPEG":
        kw["subsampling"] = 0 if quality >= 90 else 2
        if meta.get("dpi"):
            kw["dpi"] = tuple(int(round(v)) for v in meta["dpi"])
        if meta.get("comment"):
            kw["comment"] = meta["comment"]
    else:  # WEBP
        kw["method"] = 4
        if alpha is not None:
            kw["exact"] = True  # keep colour under fully transparent pixels
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


# --- PNG ----------------------------------------------------------------------------------------------------

def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _png_text_chunk(key: str, value: str) -> bytes:
    k = key.encode("latin-1", "replace")[:79] or b"Comment"
    try:
        return _png_chunk(b"tEXt", k + b"\x00" + value.encode("latin-1"))
    except UnicodeEncodeError:
        return _png_chunk(b"iTXt", k + b"\x00\x00\x00\x00\x00" + value.encode("utf-8"))


def _encode_png(rgb: np.ndarray, alpha: np.ndarray | None, meta: dict) -> bytes:
    """PNG pixels from Pillow (8-bit) or OpenCV (16-bit), then our metadata chunks inserted after IHDR."""
    if rgb.dtype == np.uint16:
        import cv2

        arr = rgb[:, :, ::-1] if alpha is None else np.dstack([rgb[:, :, ::-1], alpha])
        ok, enc = cv2.imencode(".png", np.ascontiguousarray(arr), [cv2.IMWRITE_PNG_COMPRESSION, 6])
        if not ok:
            raise ValueError("the PNG encoder failed")
        png = enc.tobytes()
    else:
        from PIL import Image

        im = Image.fromarray(rgb, "RGB")
        if alpha is not None:
            im = im.convert("RGBA")
            im.putalpha(Image.fromarray(alpha, "L"))
        buf = io.BytesIO()
        im.save(buf, format="PNG", compress_level=6)
        png = buf.getvalue()

    extra = []
    if meta.get("icc_profile"):
        extra.append(_png_chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(meta["icc_profile"], 9)))
    if meta.get("dpi"):
        ppm = [max(1, int(round(v / 0.0254))) for v in meta["dpi"]]
        extra.append(_png_chunk(b"pHYs", struct.pack(">IIB", ppm[0], ppm[1], 1)))
    if meta.get("exif"):
        ex = meta["exif"]
        extra.append(_png_chunk(b"eXIf", ex[6:] if ex.startswith(b"Exif\x00\x00") else ex))
    if meta.get("xmp"):
        extra.append(_png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + meta["xmp"]))
    for key, value in (meta.get("png_text") or {}).items():
        extra.append(_png_text_chunk(str(key), str(value)))
    if meta.get("comment") and not (meta.get("png_text") or {}).get("Comment"):
        extra.append(_png_text_chunk("Comment", meta["comment"].decode("utf-8", "replace")))
    if not extra:
        return png
    # Drop chunks the encoder may have written that we replace, then insert ours right after IHDR.
    sig, pos = png[:8], 8
    chunks = []
    while pos < len(png):
        (n,) = struct.unpack_from(">I", png, pos)
        kind = png[pos + 4:pos + 8]
        chunks.append((kind, png[pos:pos + 12 + n]))
        pos += 12 + n
    replaced = {b"iCCP", b"sRGB", b"gAMA", b"cHRM", b"pHYs", b"eXIf"} if meta.get("icc_profile") else \
        {b"pHYs", b"eXIf"}
    out = [sig]
    for kind, raw in chunks:
        if kind in replaced:
            continue
        out.append(raw)
        if kind == b"IHDR":
            out.extend(extra)
    return b"".join(out)


# --- TIFF ---------------------------------------------------------------------------------------------------

_TIFF_STRIP_BYTES = 1 << 18  # uncompressed bytes per strip (~256 KiB)


@lru_cache(maxsize=1)
def _zlib_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=max(1, min(8, os.cpu_count() or 1)),
                              thread_name_prefix="vibegrade-tiff")


def _encode_tiff(rgb: np.ndarray, alpha: np.ndarray | None, meta: dict) -> bytes:
    """Baseline little-endian TIFF, 8 or 16 bits per sample, Adobe-deflate with horizontal predictor.

    The tag directory is serialised by Pillow's ``ImageFileDirectory_v2`` (which also writes EXIF/GPS
    sub-directories); pixel strips are compressed on threads (zlib releases the GIL).
    """
    from PIL import Image, TiffImagePlugin, TiffTags

    arr = rgb if alpha is None else np.dstack([rgb, alpha])
    h, w, c = arr.shape
    bits = 8 * arr.dtype.itemsize
    le = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
    diff = le.copy()
    diff[:, 1:, :] -= le[:, :-1, :]  # predictor 2 (unsigned wrap-around is what TIFF specifies)
    row_bytes = w * c * arr.dtype.itemsize
    rows = max(1, min(h, _TIFF_STRIP_BYTES // max(1, row_bytes)))
    bands = [diff[r:r + rows].tobytes() for r in range(0, h, rows)]
    strips = list(_zlib_pool().map(lambda b: zlib.compress(b, 6), bands))

    ifd = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II")
    if meta.get("exif"):
        ex = Image.Exif()
        try:
            ex.load(meta["exif"])
            for tag in list(ex):
                if tag in _TIFF_STRUCTURAL_TAGS and tag not in (_EXIF_IFD, _GPS_IFD):
                    continue
                if tag in (_EXIF_IFD, _GPS_IFD):
                    sub = {k: v for k, v in ex.get_ifd(tag).items() if k != _INTEROP_IFD}
                    if sub:
                        ifd[tag] = sub
                else:
                    ifd[tag] = ex[tag]
        except Exception:
            log.warning("EXIF could not be converted to TIFF tags; EXIF dropped")
            ifd = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II")
    ifd[256] = w
    ifd[257] = h
    ifd[258] = (bits,) * c
    ifd[259] = 8  # Adobe deflate
    ifd[262] = 2  # RGB
    ifd[277] = c
    ifd[278] = rows
    ifd[284] = 1  # chunky
    ifd[317] = 2  # horizontal differencing
    if c == 4:
        ifd[338] = 2  # unassociated alpha
    offsets, acc = [], 0
    for s in strips:
        offsets.append(acc)
        acc += len(s)
    ifd.tagtype[273] = TiffTags.LONG
    ifd[273] = tuple(offsets)  # relative to the end of the directory; Pillow's writer adds that offset
    ifd.tagtype[279] = TiffTags.LONG
    ifd[279] = tuple(len(s) for s in strips)
    if meta.get("dpi"):
        ifd[296] = 2
        ifd[282] = float(meta["dpi"][0])
        ifd[283] = float(meta["dpi"][1])
    if meta.get("icc_profile"):
        ifd.tagtype[_ICC_TAG] = TiffTags.UNDEFINED
        ifd[_ICC_TAG] = bytes(meta["icc_profile"])
    if meta.get("xmp"):
        ifd.tagtype[_XMP_TAG] = TiffTags.BYTE
        ifd[_XMP_TAG] = bytes(meta["xmp"])
    buf = io.BytesIO()
    ifd.save(buf)  # header + directory; strips follow directly
    for s in strips:
        buf.write(s)
    return buf.getvalue()
