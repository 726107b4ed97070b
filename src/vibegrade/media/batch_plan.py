"""Plan the grading of a folder: which files are images to grade, what each output is called, which files are
skipped and why (see :mod:`vibegrade.media.batch` for the rules). Reads only the folder listings.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from vibegrade.media.errors import MediaError
from vibegrade.media.image import READ_EXTENSIONS
from vibegrade.media.sniff import HEIF_EXTENSIONS, RAW_EXTENSIONS
from vibegrade.media.video import VIDEO_EXTENSIONS

__all__ = ["OUTPUT_FORMATS", "CONVERTED", "Status", "BatchItem", "Outcome", "plan_folder"]

OUTPUT_FORMATS: dict[str, str] = {"jpg": ".jpg", "png": ".png", "tif": ".tif"}
"""``out_format`` values and the extension each writes."""

CONVERTED: dict[str, str] = {**{e: ".jpg" for e in HEIF_EXTENSIONS}, **{e: ".tif" for e in RAW_EXTENSIONS}}
"""Input extensions we read but do not write, and the extension their outputs get by default."""

Status = Literal["done", "skipped", "failed"]


@dataclass(frozen=True)
class BatchItem:
    """One image to grade: ``src`` in the input folder, ``dst`` in the output folder."""

    src: Path
    dst: Path


@dataclass(frozen=True)
class Outcome:
    """What happened to one file of the input folder."""

    src: Path
    status: Status
    dst: Path | None = None
    reason: str = ""
    """Why it was skipped or failed (one line, without the file's path)."""
    width: int = 0
    height: int = 0

def _scan(root: Path, recursive: bool, exclude: Path | None) -> Iterator[Path]:
    """Files under ``root`` in name order (sub-folders after the folder's own files, links to folders not
    followed), hidden ones left out."""
    try:
        entries = sorted(root.iterdir(), key=lambda p: p.name)
    except OSError as e:
        raise MediaError(f"{root}: cannot list folder ({e.strerror or e})") from e
    subdirs = []
    for p in entries:
        if p.name.startswith("."):
            continue
        if p.is_dir():  # links to folders are not followed (a link to a parent would never end)
            if recursive and not p.is_symlink() and (exclude is None or p.resolve() != exclude):
                subdirs.append(p)
        elif p.is_file():
            yield p
    for d in subdirs:
        yield from _scan(d, recursive, exclude)


def _skip_reason(p: Path) -> str | None:
    ext = p.suffix.lower()
    if ext in READ_EXTENSIONS:
        return None
    if ext in VIDEO_EXTENSIONS:
        return "video (grade videos one at a time: vibegrade edit CLIP OUT.mp4 ...)"
    return f"not an image type vibegrade reads ({ext or 'no extension'})"


def plan_folder(input_dir: str | os.PathLike[str], output_dir: str | os.PathLike[str], *,
                recursive: bool = False,
                out_format: str | None = None) -> tuple[list[BatchItem], list[Outcome]]:
    """What :func:`grade_folder` would do: ``(items to grade, skipped files)`` (see the module docstring).

    Raises:
        MediaError: the input is not a folder, the output folder is the input folder or is a file, or
            ``out_format`` is not one of :data:`OUTPUT_FORMATS`.
    """
    src_dir, out_dir = Path(input_dir), Path(output_dir)
    if not src_dir.is_dir():
        raise MediaError(f"{src_dir}: not a folder")
    if out_format is not None and out_format not in OUTPUT_FORMATS:
        raise MediaError(f"unknown output format {out_format!r}; use one of {', '.join(OUTPUT_FORMATS)}")
    if out_dir.exists() and not out_dir.is_dir():
        raise MediaError(f"{out_dir}: exists and is not a folder; give a folder for the outputs")
    src_real, out_real = src_dir.resolve(), out_dir.resolve()
    if src_real == out_real:
        raise MediaError(f"{out_dir}: is the input folder; write the graded images to another folder")
    inside = out_real.is_relative_to(src_real)
    files = list(_scan(src_dir, recursive, out_real if inside else None))
    inputs = {p.resolve() for p in files}

    skipped: list[Outcome] = []
    wanted: list[tuple[Path, Path, bool]] = []  # (src, dst relative to the output folder, keeps its name)
    for p in files:
        why = _skip_reason(p)
        if why is not None:
            skipped.append(Outcome(p, "skipped", reason=why))
            continue
        ext = OUTPUT_FORMATS[out_format] if out_format else CONVERTED.get(p.suffix.lower(), p.suffix)
        rel = p.relative_to(src_dir).with_suffix(ext) if ext != p.suffix else p.relative_to(src_dir)
        wanted.append((p, rel, rel.suffix.lower() == p.suffix.lower()))

    taken: set[str] = set()
    items: list[BatchItem] = []
    # names kept as they are come first, so a converted file never takes an unchanged file's name
    for p, rel, _keeps in sorted(wanted, key=lambda w: not w[2]):
        key = str(rel).casefold()
        if key in taken:
            rel = rel.with_name(p.name + rel.suffix)
            key = str(rel).casefold()
        if key in taken:
            skipped.append(Outcome(p, "skipped", reason=f"another input already writes {rel}"))
            continue
        dst = out_dir / rel
        if dst.resolve() in inputs:
            skipped.append(Outcome(p, "skipped", reason=f"its output {dst} would overwrite an input file"))
            continue
        taken.add(key)
        items.append(BatchItem(p, dst))
    order = {p: i for i, p in enumerate(files)}
    items.sort(key=lambda it: order[it.src])
    return items, skipped
