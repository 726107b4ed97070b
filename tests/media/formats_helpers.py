"""Real HEIC and DNG files made from real photos, for the HEIF/RAW input tests.

* HEIC: encoded by pillow-heif (libheif + x265), 8- or 10-bit, with an EXIF orientation (which pillow-heif
  stores as the HEIF ``irot``/``imir`` transform, as phones do), an ICC profile or ``nclx`` code points.
* DNG: a Bayer mosaic made from a photo, written with tifffile and the DNG tags LibRaw needs. The "camera"
  sees linear sRGB scaled per channel by ``neutral`` (a green-heavy sensor, like real ones), so its
  ``ColorMatrix1`` is ``diag(neutral) · XYZ→linear sRGB`` and its as-shot white balance (``AsShotNeutral``)
  is ``neutral``: developed with the camera white balance and sRGB output, the photo comes back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

# XYZ (D65) -> linear sRGB is the inverse of this: the sRGB matrix LibRaw (after dcraw) uses
XYZ_FROM_SRGB = np.array([[0.412453, 0.357580, 0.180423],
                          [0.212671, 0.715160, 0.072169],
                          [0.019334, 0.119193, 0.950227]])


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def write_heic(path: Path, rgb: np.ndarray, *, orientation: int = 1, quality: int = 90,
               icc: bytes | None = None, nclx: tuple[int, int] | None = None) -> Path:
    """Encode ``rgb`` (uint8, or uint16 for a 10-bit file) as HEIC; ``nclx`` = (primaries, transfer)."""
    import pillow_heif

    if rgb.dtype == np.uint16:
        heif = pillow_heif.from_bytes(mode="RGB;16", size=(rgb.shape[1], rgb.shape[0]),
                                      data=np.ascontiguousarray(rgb).tobytes())
    else:
        heif = pillow_heif.from_pillow(Image.fromarray(rgb))
    kw: dict = {"quality": quality}
    if orientation != 1:
        ex = Image.Exif()
        ex[0x0112] = orientation
        kw["exif"] = ex.tobytes()
    if icc is not None:
        heif.info["icc_profile"] = icc
    if nclx is not None:
        kw.update(color_primaries=nclx[0], transfer_characteristics=nclx[1], matrix_coefficients=6,
                  full_range_flag=1)
    heif.save(path, **kw)
    return path


def _rationals(values, den: int = 1_000_000) -> list[int]:
    out: list[int] = []
    for v in values:
        out += [int(round(v * den)), den]
    return out


def write_dng(path: Path, srgb8: np.ndarray, *, orientation: int = 1, neutral=(0.5, 1.0, 0.7),
              exposure: float = 1.0, black: int = 256, white: int = 16383) -> np.ndarray:
    """Write an RGGB DNG whose development is ``srgb8`` (uint8, scaled by ``exposure`` in linear light);
    returns the photo cropped to even sides (what the DNG holds, in stored orientation)."""
    import tifffile

    h, w = srgb8.shape[0] // 2 * 2, srgb8.shape[1] // 2 * 2
    photo = srgb8[:h, :w]
    cam = srgb_to_linear(photo / 255.0) * exposure * np.asarray(neutral)
    mosaic = np.empty((h, w))
    mosaic[0::2, 0::2] = cam[0::2, 0::2, 0]
    mosaic[0::2, 1::2] = cam[0::2, 1::2, 1]
    mosaic[1::2, 0::2] = cam[1::2, 0::2, 1]
    mosaic[1::2, 1::2] = cam[1::2, 1::2, 2]
    raw = np.rint(black + np.clip(mosaic, 0, 1) * (white - black)).astype(np.uint16)
    color_matrix = np.diag(neutral) @ np.linalg.inv(XYZ_FROM_SRGB)
    tags = [
        (254, "I", 1, 0, True),  # NewSubfileType: the main image
        (271, "s", 0, "vibegrade", True),  # Make
        (272, "s", 0, "test mosaic", True),  # Model
        (274, "H", 1, orientation, True),
        (33421, "H", 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, "B", 4, (0, 1, 1, 2), True),  # CFAPattern: R G / G B
        (50706, "B", 4, (1, 4, 0, 0), True),  # DNGVersion
        (50707, "B", 4, (1, 1, 0, 0), True),  # DNGBackwardVersion
        (50708, "s", 0, "vibegrade test mosaic", True),  # UniqueCameraModel
        (50714, "H", 1, black, True),  # BlackLevel
        (50717, "H", 1, white, True),  # WhiteLevel
        (50721, "2i", 9, _rationals(color_matrix.ravel()), True),  # ColorMatrix1 (SRATIONAL)
        (50728, "2I", 3, _rationals(neutral), True),  # AsShotNeutral
        (50778, "H", 1, 21, True),  # CalibrationIlluminant1: D65
    ]
    tifffile.imwrite(path, raw, photometric=32803, extratags=tags, metadata=None)
    return photo
