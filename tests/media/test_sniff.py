"""Which decoder a file goes to (media/sniff.py) and the truncation check of RAWs (raw_layout.py)."""

from __future__ import annotations

import struct

import pytest

from tests.media.formats_helpers import write_dng
from vibegrade.media.raw_layout import truncation
from vibegrade.media.sniff import container_of_file, container_of_head
from vibegrade.serve.uploads import sniff


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\0\0\0\0" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body


@pytest.mark.parametrize("head, suffix, kind", [
    (ftyp(b"heic", b"mif1", b"heic"), "", "HEIF"),
    (ftyp(b"mif1", b"mif1", b"heic"), ".jpg", "HEIF"),  # content decides, not the name
    (ftyp(b"mif1", b"mif1"), "", "HEIF"),  # generic brand: libheif decides
    (ftyp(b"avif", b"mif1", b"avif"), "", None),  # AVIF is not read
    (ftyp(b"crx ", b"crx ", b"isom"), "", "RAW"),  # Canon CR3
    (ftyp(b"isom", b"isom", b"mp41"), ".dng", None),  # an MP4, whatever its name
    (b"II*\x00\x10\x00\x00\x00CR\x02\x00", "", "RAW"),  # Canon CR2
    (b"FUJIFILMCCD-RAW 0201", "", "RAW"),
    (b"IIU\x00\x08\x00\x00\x00", "", "RAW"),  # Panasonic RW2
    (b"II*\x00\x08\x00\x00\x00", ".NEF", "RAW"),  # TIFF-based RAWs by extension
    (b"II*\x00\x08\x00\x00\x00", ".tif", None),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", ".dng", None),  # a JPEG named .dng is a JPEG
])
def test_container_of_head(head, suffix, kind):
    assert container_of_head(head, suffix) == kind


def test_uploads_sniff_heif_and_cr3_as_images_not_videos():
    assert sniff(ftyp(b"heic", b"mif1", b"heic") + b"\0" * 64) == "image"
    assert sniff(ftyp(b"crx ", b"crx ") + b"\0" * 64) == "image"
    assert sniff(ftyp(b"isom", b"isom", b"mp41") + b"\0" * 64) == "video"


def test_dng_known_by_its_first_directory(tmp_path, astronaut):
    p = tmp_path / "noname"
    write_dng(p, astronaut[:64, :64])
    assert container_of_file(p) == "RAW"
    assert truncation(p) is None
    data = p.read_bytes()
    p.write_bytes(data[:-100])
    assert "runs to byte" in (truncation(p) or "")


def test_bmff_box_past_the_end(tmp_path):
    p = tmp_path / "x.cr3"
    p.write_bytes(ftyp(b"crx ", b"crx ") + struct.pack(">I", 1000) + b"mdat" + b"\0" * 100)
    assert truncation(p) == "its 'mdat' box runs to byte 1,020 but the file has 128 bytes"
    p.write_bytes(ftyp(b"crx ", b"crx ") + struct.pack(">I", 108) + b"mdat" + b"\0" * 100)
    assert truncation(p) is None
