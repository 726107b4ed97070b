"""Build small ICC v2 matrix/TRC RGB profiles in memory (no files needed) for the ICC tests."""

from __future__ import annotations

import struct


def _s15f16(*vals: float) -> bytes:
    return b"".join(struct.pack(">i", int(round(v * 65536))) for v in vals)


def _xyz_tag(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + b"\0" * 4 + _s15f16(x, y, z)


def _curv_gamma(gamma: float) -> bytes:
    return b"curv" + b"\0" * 4 + struct.pack(">IH", 1, int(round(gamma * 256))) + b"\0\0"


def _desc(text: str) -> bytes:
    ascii_ = text.encode("ascii") + b"\0"
    body = b"desc" + b"\0" * 4 + struct.pack(">I", len(ascii_)) + ascii_
    body += struct.pack(">II", 0, 0)  # unicode language code, count
    body += struct.pack(">HB", 0, 0) + b"\0" * 67  # scriptcode
    return body


def matrix_trc_profile(name: str, red, green, blue, gamma: float,
                       white=(0.9642, 1.0, 0.8249)) -> bytes:
    """An ICC v2 'mntr' RGB profile with D50-adapted colorants and a pure-gamma TRC."""
    tags = [
        (b"desc", _desc(name)),
        (b"cprt", b"text" + b"\0" * 4 + b"public domain\0"),
        (b"wtpt", _xyz_tag(*white)),
        (b"rXYZ", _xyz_tag(*red)),
        (b"gXYZ", _xyz_tag(*green)),
        (b"bXYZ", _xyz_tag(*blue)),
        (b"rTRC", _curv_gamma(gamma)),
        (b"gTRC", _curv_gamma(gamma)),
        (b"bTRC", _curv_gamma(gamma)),
    ]
    table_len = 4 + 12 * len(tags)
    offset = 128 + table_len
    table = struct.pack(">I", len(tags))
    data = b""
    for sig, payload in tags:
        while (offset + len(data)) % 4:
            data += b"\0"
        table += struct.pack(">4sII", sig, offset + len(data), len(payload))
        data += payload
    size = 128 + table_len + len(data)
    header = struct.pack(">I4sI4s4s4s", size, b"none", 0x02100000, b"mntr", b"RGB ", b"XYZ ")
    header += struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
    header += b"acsp" + b"\0" * 4 + struct.pack(">I", 0) + b"\0" * 4 + b"\0" * 4 + b"\0" * 8
    header += struct.pack(">I", 0) + _s15f16(0.9642, 1.0, 0.8249) + b"\0" * 4 + b"\0" * 16
    header += b"\0" * (128 - len(header))
    assert len(header) == 128
    return header + table + data


def adobe_rgb_like() -> bytes:
    """Adobe RGB (1998) primaries (Bradford-adapted to D50) with gamma 563/256."""
    return matrix_trc_profile("Test Adobe RGB (1998) compatible",
                              (0.6097, 0.3111, 0.0195), (0.2053, 0.6257, 0.0609), (0.1492, 0.0632, 0.7446),
                              563 / 256)
