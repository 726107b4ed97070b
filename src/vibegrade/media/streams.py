"""Opening a video and reading facts off its streams, shared by probing and transcoding (internal to
media/)."""

from __future__ import annotations

import contextlib
from fractions import Fraction
from pathlib import Path

from vibegrade.media.errors import Corrupt, MediaError, short

__all__ = ["check_input", "open_input", "video_stream", "frame_rate", "normalise_rotation",
           "stream_rotation"]


def check_input(p: Path) -> None:
    if not p.exists():
        raise MediaError(f"{p}: file not found")
    if p.is_dir():
        raise MediaError(f"{p}: is a folder, not a video file")
    if p.stat().st_size == 0:
        raise MediaError(f"{p}: empty file (0 bytes)")


def open_input(p: Path):
    import av

    check_input(p)
    try:
        return av.open(str(p), mode="r", metadata_errors="replace")
    except av.FFmpegError as e:
        raise Corrupt(f"{p}: not a readable video file ({short(e)})") from e
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise MediaError(f"{p}: cannot open video ({short(e)})") from e


def video_stream(container, p: Path):
    for s in container.streams.video:
        if not (int(s.disposition) & 0x400):  # AV_DISPOSITION_ATTACHED_PIC (cover art)
            return s
    raise MediaError(f"{p}: no video stream in this file")


def frame_rate(stream) -> Fraction | None:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and rate > 0:
            return Fraction(rate)
    return None


def normalise_rotation(deg: float) -> int:
    """Counter-clockwise degrees in [0, 360), snapped to a multiple of 90 when within 1 degree of one."""
    r = float(deg) % 360.0
    snapped = round(r / 90.0) * 90
    return int(snapped % 360) if abs(r - snapped) <= 1.0 else int(round(r)) % 360


def stream_rotation(stream, first_frame) -> int:
    rot = 0.0
    if first_frame is not None:
        # PyAV before 13 has no VideoFrame.rotation (AttributeError); a malformed display matrix can give a
        # value float() refuses: both mean "no rotation known from the frame", so the stream tag is used.
        with contextlib.suppress(AttributeError, TypeError, ValueError):
            rot = float(first_frame.rotation or 0)
    if not rot:
        tag = (stream.metadata or {}).get("rotate")
        if tag:
            with contextlib.suppress(ValueError):  # a tag that is not a number: no rotation
                rot = -float(tag)  # legacy tag: clockwise degrees
    return normalise_rotation(rot)
