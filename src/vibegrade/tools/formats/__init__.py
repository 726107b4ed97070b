"""LUT and preset file formats beyond ``.cube``: choosing a format, reading any LUT file, installing one as
a filter preset.

* :mod:`.hald` -- HaldCLUT PNG images (darktable, RawTherapee, G'MIC, ffmpeg ``haldclut``).
* :mod:`.threedl` -- Autodesk ``.3dl`` (Flame/Lustre integer mesh form).
* :mod:`.xmp` -- Lightroom / Camera Raw presets (``crs:`` settings) for the parametric part of a chain.
* :mod:`.readers` -- independent third-party readers used to validate the files (tests, scripts).
* ``.cube`` lives in :mod:`vibegrade.tools.lut`.

See docs/formats.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np

from vibegrade.tools.filters import _VALID_NAME, BUNDLED_PRESETS, refresh_presets, user_presets_dir
from vibegrade.tools.formats.hald import read_hald
from vibegrade.tools.formats.threedl import read_3dl
from vibegrade.tools.lut import CubeError, read_cube, write_cube

__all__ = ["LutFormat", "ExportFormat", "format_from_suffix", "read_lut_file", "install_preset",
           "PresetExists"]

LutFormat = Literal["cube", "3dl", "hald"]
ExportFormat = Literal["cube", "3dl", "hald", "xmp"]
_SUFFIX: dict[str, ExportFormat] = {".cube": "cube", ".3dl": "3dl", ".png": "hald", ".xmp": "xmp"}


class PresetExists(FileExistsError):
    """A preset of that name is already installed."""


def format_from_suffix(path: str | os.PathLike[str]) -> ExportFormat | None:
    """``cube``, ``3dl``, ``hald`` (``.png``) or ``xmp`` from the file extension; ``None`` if unknown."""
    return _SUFFIX.get(Path(path).suffix.lower())


def read_lut_file(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a ``.cube``, ``.3dl`` or HaldCLUT ``.png`` into an ``(N, N, N, 3)`` float32 LUT on [0, 1] inputs.

    Raises:
        CubeError: one line naming the file for malformed content or an unknown extension.
        FileNotFoundError: no such file.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    if p.is_dir():
        raise CubeError(f"{p}: is a folder, not a LUT file")
    fmt = format_from_suffix(p)
    if fmt == "cube":
        lut = read_cube(p)[0]
    elif fmt == "3dl":
        lut = read_3dl(p)
    elif fmt == "hald":
        lut = read_hald(p)
    else:
        raise CubeError(f"{p.name}: unknown LUT format (expected .cube, .3dl or a HaldCLUT .png)")
    if not np.all(np.isfinite(lut)):
        raise CubeError(f"{p.name}: non-finite values")
    return lut


def install_preset(src: str | os.PathLike[str], name: str | None = None, *, force: bool = False) -> Path:
    """Install a user's ``.cube``/``.3dl``/HaldCLUT as a filter preset; returns the installed path.

    The file is fully validated (:func:`read_lut_file`), converted to ``.cube`` (the format the filter
    tool reads) and written atomically as ``NAME.cube`` into
    :func:`~vibegrade.tools.filters.user_presets_dir`, which is created if needed. The preset is then usable
    as ``{"filter": {"name": NAME, "intensity": ...}}``.

    Raises:
        ValueError: invalid name, ``none``, or the name of a bundled preset (unless ``force``).
        PresetExists: a user preset of that name exists (unless ``force``).
        CubeError: the file is not a valid LUT.
    """
    p = Path(src)
    preset = name if name is not None else p.stem
    if not _VALID_NAME.match(preset) or preset == "none" or preset.endswith("."):
        raise ValueError(f"invalid preset name {preset!r} (letters, digits, '_', '-', '.', spaces; "
                         "starting with a letter or digit; not 'none')")
    if preset in BUNDLED_PRESETS and not force:
        raise ValueError(
            f"{preset!r} is a bundled preset name; choose another --name (or --force to override it)")
    lut = read_lut_file(p)
    folder = user_presets_dir()
    dest = folder / f"{preset}.cube"
    if dest.exists() and not force:
        raise PresetExists(f"a user preset named {preset!r} exists ({dest}); use --force to replace it")
    folder.mkdir(parents=True, exist_ok=True)
    write_cube(dest, lut, title=preset, comment=f"imported by vibegrade from {p.name}")
    refresh_presets()
    return dest
