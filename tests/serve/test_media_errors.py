"""The one mapping from media error kinds to HTTP answers (serve.errors.media_api_error)."""

from __future__ import annotations

import pytest

from vibegrade.media.errors import Corrupt, MediaError, TooLarge, UnsupportedFormat, WriteError
from vibegrade.serve.errors import ApiError, media_api_error


@pytest.mark.parametrize("cls, status, code, field, message", [
    (TooLarge, 413, "image_too_large", "file", "file: x.png: too big"),
    (UnsupportedFormat, 415, "unsupported_media_type", "file", "file: x.png: too big"),
    (Corrupt, 422, "invalid_image", "file", "file: x.png: too big"),
    (WriteError, 422, "cannot_encode", None, "x.png: too big"),
    (MediaError, 422, "invalid_image", "file", "file: x.png: too big"),
])
def test_each_kind_has_its_status(cls, status, code, field, message):
    err = media_api_error(cls("x.png: too big"))
    assert isinstance(err, ApiError)
    assert (err.status, err.code, err.field, err.message) == (status, code, field, message)


def test_message_override_and_unknown_subclasses():
    class Odd(MediaError):
        pass

    class Huge(TooLarge):
        pass

    assert media_api_error(Odd("/srv/tmp/input: odd"), "photo.png: odd").message == "file: photo.png: odd"
    assert media_api_error(Odd("o")).status == 422
    assert media_api_error(Huge("h")).status == 413  # a subclass maps like its parent
