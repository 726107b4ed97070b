"""The errors media/ raises: one base class and a subclass per kind of failure callers treat differently.

Every media failure is a :class:`MediaError` (a ``ValueError``) whose ``str()`` is a one-line message
naming the file. The subclasses say *what kind* of failure it was, so that the edges map it without
reading the message: the service turns them into HTTP statuses (``serve.errors.media_api_error``), the
CLI into exit codes (``cli.errors.MEDIA_EXIT_CODES``).

Plain :class:`MediaError` covers the rest: missing or empty files, bad arguments, unsupported flavours of
a supported format (a 32-bit float TIFF, an odd pixel mode), a file with no video stream.
"""

from __future__ import annotations

__all__ = ["MediaError", "TooLarge", "UnsupportedFormat", "Corrupt", "WriteError", "short"]


class MediaError(ValueError):
    """A media file could not be read or written; ``str(err)`` is a one-line message naming the file."""


class TooLarge(MediaError):
    """The image or the video's frames have more pixels than the limit in effect (checked before decoding)."""


class UnsupportedFormat(MediaError):
    """The file type is not one we read (input) or write (output extension): not JPEG/PNG/WebP/TIFF, say."""


class Corrupt(MediaError):
    """The file claims a supported type but its content cannot be decoded: unidentifiable, cut short,
    damaged."""


class WriteError(MediaError):
    """The output could not be encoded or written (bad pixel array, alpha to JPEG, missing folder, I/O)."""


def short(e: BaseException) -> str:
    """``e``'s message on one line, at most 160 characters, for the ``(reason)`` part of a media error."""
    msg = " ".join(str(e).split()) or type(e).__name__
    return msg if len(msg) <= 160 else msg[:157] + "..."
