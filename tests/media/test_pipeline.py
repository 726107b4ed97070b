"""The one render entry point (media.pipeline.render_file), the typed media errors and the 16→8-bit
rounding."""

from __future__ import annotations

import contextlib
import io
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vibegrade.media import pipeline as pipeline_mod
from vibegrade.media.bench import make_test_clip
from vibegrade.media.bitdepth import to_8bit
from vibegrade.media.errors import Corrupt, MediaError, TooLarge, UnsupportedFormat, WriteError
from vibegrade.media.image import read_image, read_image_header, write_image
from vibegrade.media.pipeline import render_file
from vibegrade.media.video import probe_video
from vibegrade.schema import parse_chain

IDENTITY = parse_chain({})
BRIGHTER = parse_chain({"adjust": {"exposure": 40}})


# --- 16 -> 8 bits
# --------------------------------------------------------------------------------------------

def test_to_8bit_exact_values():
    v = np.array([0, 257, 257 * 100, 257 * 254, 65535, 128, 129, 257 * 7 + 128, 257 * 7 + 129, 65535 - 128],
                 dtype=np.uint16)
    assert to_8bit(v).tolist() == [0, 1, 100, 254, 255, 0, 1, 7, 8, 255]
    assert to_8bit(v).dtype == np.uint8


def test_to_8bit_is_round_to_nearest_on_every_16bit_value():
    v = np.arange(65536, dtype=np.uint16)
    # exact rational arithmetic: floor(v * 255 / 65535 + 1/2) (no value lies on a tie)
    expected = [int(Fraction(int(x) * 255, 65535) + Fraction(1, 2)) for x in range(65536)]
    assert to_8bit(v).tolist() == expected
    assert all(Fraction(x * 255, 65535) - int(Fraction(x * 255, 65535)) != Fraction(1, 2)
               for x in range(65536))


def test_to_8bit_keeps_uint8_and_refuses_other_types():
    a = np.arange(256, dtype=np.uint8)
    assert to_8bit(a) is a
    with pytest.raises(TypeError, match="float32"):
        to_8bit(np.zeros(3, np.float32))


# --- typed errors -----------------------------------------------------------------------------------------

def _png(path: Path, w: int = 40, h: int = 30) -> Path:
    Image.new("RGB", (w, h), (200, 100, 50)).save(path)
    return path


def test_media_errors_say_their_kind(tmp_path):
    src = _png(tmp_path / "a.png")
    with pytest.raises(TooLarge, match="over the limit"):
        read_image(src, max_pixels=100)
    with pytest.raises(TooLarge):
        read_image_header(src, max_pixels=100)
    gif = tmp_path / "a.gif"
    Image.new("RGB", (8, 8)).save(gif)
    with pytest.raises(UnsupportedFormat, match="unsupported image format GIF"):
        read_image(gif)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image at all" * 10)
    with pytest.raises(Corrupt, match="junk.png"):
        read_image(junk)
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), 7).save(buf, "PNG")
    cut = tmp_path / "cut.png"
    cut.write_bytes(buf.getvalue()[:-30])
    with pytest.raises(Corrupt):
        read_image(cut)
    with pytest.raises(UnsupportedFormat, match=r"\.bmp"):
        write_image(tmp_path / "o.bmp", np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(WriteError, match="transparency"):
        write_image(tmp_path / "o.jpg", np.zeros((2, 2, 3), np.uint8), np.zeros((2, 2), np.uint8))
    with pytest.raises(WriteError, match="output folder does not exist"):
        write_image(tmp_path / "nope" / "o.png", np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(MediaError) as e:  # a plain MediaError is none of the kinds
        read_image(tmp_path / "missing.png")
    assert type(e.value) is MediaError
    for cls in (TooLarge, UnsupportedFormat, Corrupt, WriteError):
        assert issubclass(cls, MediaError) and issubclass(cls, ValueError)


def test_video_errors_say_their_kind(tmp_path):
    clip = make_test_clip(tmp_path / "c.mp4", seconds=0.2, size=(64, 48), fps=10, audio=False)
    with pytest.raises(TooLarge, match="over the limit"):
        render_file(clip, tmp_path / "o.mp4", IDENTITY, max_pixels=1000)
    assert not (tmp_path / "o.mp4").exists()
    with pytest.raises(UnsupportedFormat, match="video file"):
        render_file(clip, tmp_path / "o.png", IDENTITY)
    junk = tmp_path / "j.mp4"
    junk.write_bytes(b"\x00" * 5000)
    with pytest.raises(Corrupt):
        render_file(junk, tmp_path / "o.mp4", IDENTITY)


# --- the entry point ----------------------------------------------------------------------------------------

def test_render_file_answers_in_the_source_format_when_asked(tmp_path):
    src = tmp_path / "in"  # no extension: the content decides
    rgb = np.random.default_rng(3).integers(0, 65536, (12, 10, 3), dtype=np.uint16)
    alpha = np.random.default_rng(4).integers(0, 65536, (12, 10), dtype=np.uint16)
    write_image(tmp_path / "x.png", rgb, alpha)
    (tmp_path / "x.png").rename(src)
    asked = []

    def dst(fmt: str) -> Path:
        asked.append(fmt)
        return tmp_path / "out.png"

    res = render_file(src, dst, IDENTITY, kind="image")
    assert asked == ["PNG"] and res.source_format == "PNG" and res.output == tmp_path / "out.png"
    assert (res.kind, res.width, res.height) == ("image", 10, 12)
    back = read_image(res.output)
    assert back.rgb.dtype == np.uint16 and np.array_equal(back.alpha, alpha)  # 16 bits and alpha kept
    # identity chain: within one 8-bit step
    assert np.abs(back.rgb.astype(int) - rgb.astype(int)).max() <= 257


def test_render_file_admits_from_the_header_before_decoding(tmp_path, monkeypatch):
    src = _png(tmp_path / "a.png", 40, 30)
    events = []
    real_read = pipeline_mod.read_image
    monkeypatch.setattr(pipeline_mod, "read_image", lambda *a,
                        **k: events.append("decode") or real_read(*a, **k))
    real_write = pipeline_mod.write_image
    monkeypatch.setattr(pipeline_mod, "write_image", lambda *a,
                        **k: events.append("write") or real_write(*a, **k))

    @contextlib.contextmanager
    def held():
        events.append("reserve")
        yield
        events.append("release")

    def admit(header):
        events.append((header.width, header.height, header.bits))
        return held()

    render_file(src, tmp_path / "b.jpg", BRIGHTER, admit=admit)
    assert events == [(40, 30, 8), "reserve", "decode", "write", "release"]

    class Refused(Exception):
        pass

    def refuse(header):
        raise Refused()

    events.clear()
    with pytest.raises(Refused):
        render_file(src, tmp_path / "c.jpg", BRIGHTER, admit=refuse)
    assert events == [] and not (tmp_path / "c.jpg").exists()
    with pytest.raises(TooLarge):  # header checks come before admission
        render_file(src, tmp_path / "c.jpg", BRIGHTER, admit=refuse, max_pixels=100)


def test_render_file_checks_a_chosen_output_too(tmp_path):
    src = _png(tmp_path / "a.png")
    with pytest.raises(UnsupportedFormat, match=r"\.gif"):
        render_file(src, lambda fmt: tmp_path / "o.gif", IDENTITY)
    with pytest.raises(MediaError, match="overwrite the input"):
        render_file(src, lambda fmt: src, IDENTITY)
    with pytest.raises(MediaError, match="overwrite the input"):
        render_file(src, src, IDENTITY)


def test_render_file_video_kind_and_progress(tmp_path):
    clip = make_test_clip(tmp_path / "c.mp4", seconds=0.3, size=(64, 48), fps=10, audio=False)
    src = tmp_path / "input.video"  # a job's saved upload: the caller knows it is a video
    clip.rename(src)
    seen = []
    res = render_file(src, tmp_path / "out.mp4", BRIGHTER, kind="video", progress=lambda d, t: seen.append(d))
    assert res.kind == "video" and res.frames == 3 and seen == [1, 2, 3]
    assert probe_video(res.output).frames == 3

    class Stop(Exception):
        pass

    def stop(done, total):
        raise Stop()

    with pytest.raises(Stop):  # an exception from the callback abandons the render and propagates
        render_file(src, tmp_path / "out2.mp4", BRIGHTER, kind="video", progress=stop)
    assert not (tmp_path / "out2.mp4").exists()
