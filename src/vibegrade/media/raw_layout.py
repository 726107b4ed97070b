"""Find cut-short camera RAW files from their structure, before LibRaw reads them.

LibRaw notices a truncated file only deep in its decoder, after printing its own message on stderr. The
containers say where their data ends, so a file that stops early can be refused first, in one clear line:

* **TIFF-based RAWs** (DNG, CR2, NEF, ARW, PEF, ORF, RW2, ...): every image directory reachable from the
  header (the chain of directories and their sub-directories) lists its strips or tiles (offsets and byte
  counts) and any embedded JPEG preview; the furthest end must lie within the file.
* **ISO base media RAWs** (Canon CR3): every top-level box must end within the file.

Other layouts (Fujifilm RAF, ...) are left to LibRaw. Reads only the directories (a few kilobytes).
Internal to media/.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

__all__ = ["truncation"]

_STRIPS = ((273, 279), (324, 325), (513, 514))  # (offsets, byte counts): strips, tiles, JPEG preview
_SUB_IFDS = 330
_TYPE_SIZES = {1: 1, 3: 2, 4: 4, 13: 4, 16: 8}
_MAX_IFDS = 64
_MAX_VALUES = 1 << 20


def truncation(p: Path) -> str | None:
    """Why ``p`` looks cut short (one phrase), or None when its structure fits in the file or is unknown."""
    try:
        size = p.stat().st_size
        with open(p, "rb") as fh:
            head = fh.read(16)
            if head[:2] in (b"II", b"MM") and len(head) >= 8:
                return _tiff_truncation(fh, head, size)
            if head[4:8] == b"ftyp":
                return _bmff_truncation(fh, size)
    except (OSError, struct.error, ValueError):
        return None
    return None


def _read_values(fh: BinaryIO, order: str, typ: int, n: int, field: bytes) -> list[int] | None:
    width = _TYPE_SIZES.get(typ)
    if width is None or n <= 0 or n > _MAX_VALUES:
        return None
    code = {1: "B", 2: "H", 4: "I", 8: "Q"}[width]
    if width * n <= 4:
        data = field[:width * n]
    else:
        (off,) = struct.unpack(order + "I", field)
        fh.seek(off)
        data = fh.read(width * n)
        if len(data) < width * n:
            return None
    return list(struct.unpack(order + code * n, data))


def _tiff_truncation(fh: BinaryIO, head: bytes, size: int) -> str | None:
    order = "<" if head[:2] == b"II" else ">"
    (first,) = struct.unpack_from(order + "I", head, 4)
    todo: list[int] = [first]
    seen: set[int] = set()
    end = 0
    while todo and len(seen) < _MAX_IFDS:
        off = todo.pop()
        if off == 0 or off in seen:
            continue
        seen.add(off)
        if off + 2 > size:
            return f"an image directory starts at byte {off:,}, past the end of the file"
        fh.seek(off)
        (count,) = struct.unpack(order + "H", fh.read(2))
        entries = fh.read(12 * count)
        if len(entries) < 12 * count:
            return f"an image directory at byte {off:,} runs past the end of the file"
        fields: dict[int, tuple[int, int, bytes]] = {}
        for i in range(count):
            tag, typ, n = struct.unpack_from(order + "HHI", entries, 12 * i)
            fields[tag] = (typ, n, entries[12 * i + 8:12 * i + 12])
        nxt = fh.read(4)
        if len(nxt) == 4:
            todo.append(struct.unpack(order + "I", nxt)[0])
        if _SUB_IFDS in fields:
            todo.extend(_read_values(fh, order, *fields[_SUB_IFDS]) or [])
        for off_tag, count_tag in _STRIPS:
            if off_tag in fields and count_tag in fields:
                offs = _read_values(fh, order, *fields[off_tag])
                counts = _read_values(fh, order, *fields[count_tag])
                if offs and counts and len(offs) == len(counts):
                    end = max(end, max(o + c for o, c in zip(offs, counts)))
    if end > size:
        return f"its image data runs to byte {end:,} but the file has {size:,} bytes"
    return None


def _bmff_truncation(fh: BinaryIO, size: int) -> str | None:
    pos = 0
    for _ in range(4096):
        if pos >= size:
            return None
        fh.seek(pos)
        hdr = fh.read(16)
        if len(hdr) < 8:
            return f"a box header at byte {pos:,} is cut off"
        box = int.from_bytes(hdr[:4], "big")
        if box == 1:
            if len(hdr) < 16:
                return f"a box header at byte {pos:,} is cut off"
            box = int.from_bytes(hdr[8:16], "big")
        elif box == 0:
            return None  # runs to the end of the file by definition
        if box < 8:
            return None  # malformed: LibRaw will say so
        if pos + box > size:
            kind = hdr[4:8].decode("latin-1")
            return f"its '{kind}' box runs to byte {pos + box:,} but the file has {size:,} bytes"
        pos += box
    return None
