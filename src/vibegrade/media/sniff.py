"""Tell the still-image containers that Pillow does not read (HEIF/HEIC, camera RAW) from a file's first bytes
and its extension, so that :mod:`vibegrade.media.image` hands them to their own decoders.

* **HEIF** (by content only, whatever the name): an ISO base media file whose ``ftyp`` box names a HEIF
  image brand (``heic``, ``heix``, ``mif1``, ...). AVIF files (brand ``avif``) are not HEIF here.
* **RAW**: a name with one of :data:`RAW_EXTENSIONS` (unless the content is plainly JPEG, PNG, WebP, GIF or
  BMP), or content that says RAW whatever the name: a Canon
  CR3 (``ftyp`` brand ``crx``), a Canon CR2 (TIFF with ``CR`` after the header), a DNG (TIFF whose first
  directory has the ``DNGVersion`` tag), a TIFF whose first directory is a reduced-resolution preview with
  sub-directories (how NEF, PEF and most TIFF-based RAWs are laid out), Fujifilm RAF, Olympus ORF and
  Panasonic RW2 magic numbers.

Everything else goes to Pillow (JPEG, PNG, WebP, TIFF). Internal to media/ (and the service's upload
sniffing); reads at most a few kilobytes.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Literal

__all__ = ["HEIF_EXTENSIONS", "RAW_EXTENSIONS", "Container", "container_of_head", "container_of_file",
           "ftyp_brands"]

Container = Literal["HEIF", "RAW"]

HEIF_EXTENSIONS: frozenset[str] = frozenset({".heic", ".heif", ".hif"})
"""Lower-case extensions of HEIF stills (phones: ``.heic``; Canon and Sony cameras: ``.hif``)."""

RAW_EXTENSIONS: frozenset[str] = frozenset({
    ".dng", ".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".orf", ".rw2", ".raf", ".pef",
    ".srw", ".3fr", ".iiq", ".rwl", ".erf", ".kdc", ".mrw", ".x3f",
})
"""Lower-case extensions of camera RAW files read through LibRaw (Adobe DNG, Canon, Nikon, Sony, Olympus,
Panasonic, Fujifilm, Pentax, Samsung, Hasselblad, Phase One, Leica, Epson, Kodak, Minolta, Sigma)."""

_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
_GENERIC_HEIF_BRANDS = frozenset({b"mif1", b"msf1", b"mif2", b"mif3"})  # also used by AVIF
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_PILLOW_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF8", b"BM")
_RAW_MAGIC = (b"FUJIFILMCCD-RAW", b"IIRO\x08\x00", b"IIRS\x08\x00", b"MMOR\x00\x00", b"IIU\x00")
_DNG_VERSION, _NEW_SUBFILE_TYPE, _SUB_IFDS = 50706, 254, 330


def ftyp_brands(head: bytes) -> list[bytes] | None:
    """Major and compatible brands of an ISO base media file's leading ``ftyp`` box; None if there is none."""
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    size = int.from_bytes(head[:4], "big")
    end = min(len(head), size if size >= 16 else 16)
    brands = [head[8:12]]
    brands += [head[i:i + 4] for i in range(16, end - 3, 4)]
    return brands


def container_of_head(head: bytes, suffix: str = "") -> Container | None:
    """``"HEIF"``, ``"RAW"`` or None (Pillow's formats) from a file's first bytes (512 are enough) and its
    extension.

    TIFF-based RAWs other than CR2 are known here by their extension only; :func:`container_of_file` also
    reads the TIFF's first directory.
    """
    suffix = suffix.lower()
    brands = ftyp_brands(head)
    if brands is not None:
        if b"crx " in brands:
            return "RAW"
        if any(b in _HEIF_BRANDS for b in brands):
            return "HEIF"
        if any(b in _AVIF_BRANDS for b in brands):
            return None
        if any(b in _GENERIC_HEIF_BRANDS for b in brands):
            return "HEIF"
        return None
    if head.startswith(_RAW_MAGIC) or (head[:4] == b"II*\x00" and head[8:10] == b"CR"):
        return "RAW"
    if head.startswith(_PILLOW_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return None  # a JPEG, PNG or WebP whatever its name says
    if suffix in RAW_EXTENSIONS:
        return "RAW"
    return None


def container_of_file(p: Path) -> Container | None:
    """:func:`container_of_head` on ``p``, plus a look at a TIFF's first directory (DNG, NEF-like layouts).

    Unreadable files give None (Pillow's path reports the problem).
    """
    try:
        with open(p, "rb") as fh:
            head = fh.read(512)
            kind = container_of_head(head, p.suffix)
            if kind is None and head[:4] in (b"II*\x00", b"MM\x00*"):
                kind = "RAW" if _tiff_looks_raw(fh, head) else None
    except OSError:
        return None
    return kind


def _tiff_looks_raw(fh, head: bytes) -> bool:
    """True when the TIFF's first directory is tagged DNG, or is a reduced-resolution preview with
    sub-directories (the full image hidden in a sub-directory: NEF, PEF and other TIFF-based RAWs)."""
    order = "<" if head[:2] == b"II" else ">"
    try:
        (ifd0,) = struct.unpack_from(order + "I", head, 4)
        fh.seek(ifd0)
        raw = fh.read(2)
        if len(raw) < 2:
            return False
        (count,) = struct.unpack(order + "H", raw)
        entries = fh.read(12 * min(count, 1024))
    except (OSError, struct.error, ValueError):
        return False
    tags: dict[int, int] = {}
    for i in range(len(entries) // 12):
        tag, typ, _n, value = struct.unpack_from(order + "HHII", entries, 12 * i)
        if typ == 3:  # SHORT: the value sits in the first two bytes of the field
            value = struct.unpack_from(order + "H", entries, 12 * i + 8)[0]
        tags[tag] = value
    if _DNG_VERSION in tags:
        return True
    return bool(tags.get(_NEW_SUBFILE_TYPE, 0) & 1) and _SUB_IFDS in tags
