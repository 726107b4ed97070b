"""Tests for vibegrade.media.image: formats, bit depth, alpha, EXIF orientation, ICC, metadata, errors."""

from __future__ import annotations

import io
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps, PngImagePlugin, TiffImagePlugin

from tests.media.icc_helpers import adobe_rgb_like
from vibegrade.media import exif as exif_mod
from vibegrade.media import icc as icc_mod
from vibegrade.media import image as image_mod
from vibegrade.media import image_encode as encode_mod
from vibegrade.media.bitdepth import to_8bit
from vibegrade.media.image import (
    DEFAULT_MAX_PIXELS,
    IMAGE_EXTENSIONS,
    LoadedImage,
    MediaError,
    is_image_path,
    max_pixels_limit,
    read_image,
    write_image,
)

RNG = np.random.default_rng(1234)


def smooth_rgb(h: int = 48, w: int = 64) -> np.ndarray:
    """A smooth colour image (compresses predictably with JPEG/WebP)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    rgb = np.stack([x / w * 255, y / h * 255, (x + y) / (w + h) * 255], axis=-1)
    return rgb.round().astype(np.uint8)


def asymmetric(h: int = 6, w: int = 10) -> np.ndarray:
    """Every pixel distinct so any wrong flip/rotation is detected."""
    v = np.arange(h * w * 3, dtype=np.uint16).reshape(h, w, 3)
    return (v % 251).astype(np.uint8)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


# ----------------------------------------------------------------------------------------------------
# round trips
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ext", [".png", ".tif", ".tiff"])
def test_lossless_8bit_round_trip(tmp_path, ext):
    rgb = RNG.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    out = tmp_path / f"a{ext}"
    write_image(out, rgb)
    img = read_image(out)
    assert img.rgb.dtype == np.uint8 and img.bit_depth == 8
    assert np.array_equal(img.rgb, rgb)
    assert img.alpha is None
    assert img.format == ("PNG" if ext == ".png" else "TIFF")


@pytest.mark.parametrize("ext,fmt,min_psnr",
                         [(".jpg", "JPEG", 38), (".jpeg", "JPEG", 38), (".webp", "WEBP", 35)])
def test_lossy_8bit_round_trip(tmp_path, ext, fmt, min_psnr):
    rgb = smooth_rgb()
    out = tmp_path / f"a{ext}"
    write_image(out, rgb, quality=95)
    img = read_image(out)
    assert img.format == fmt and img.rgb.shape == rgb.shape and img.rgb.dtype == np.uint8
    assert psnr(img.rgb, rgb) > min_psnr


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_16bit_round_trip_keeps_all_bits(tmp_path, ext):
    rgb = RNG.integers(0, 65536, (31, 45, 3), dtype=np.uint16)
    rgb[0, 0] = (1, 2, 3)  # low bits that an 8-bit detour would destroy
    rgb[0, 1] = (65535, 65534, 257)
    out = tmp_path / f"deep{ext}"
    write_image(out, rgb)
    img = read_image(out)
    assert img.rgb.dtype == np.uint16 and img.bit_depth == 16
    assert np.array_equal(img.rgb, rgb)
    # an independent decoder agrees
    ref = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert ref.dtype == np.uint16 and np.array_equal(ref[:, :, ::-1], rgb)


def test_reads_16bit_png_written_by_another_encoder(tmp_path):
    rgb = RNG.integers(0, 65536, (20, 30, 3), dtype=np.uint16)
    out = tmp_path / "cv.png"
    assert cv2.imwrite(str(out), rgb[:, :, ::-1])
    assert np.array_equal(read_image(out).rgb, rgb)


@pytest.mark.parametrize("ext", [".png", ".tif", ".webp"])
def test_alpha_8bit_bit_exact(tmp_path, ext):
    rgb = smooth_rgb()
    alpha = RNG.integers(0, 256, rgb.shape[:2], dtype=np.uint8)
    out = tmp_path / f"alpha{ext}"
    write_image(out, rgb, alpha)
    img = read_image(out)
    assert img.alpha is not None and img.alpha.dtype == np.uint8
    assert np.array_equal(img.alpha, alpha)
    if ext != ".webp":
        assert np.array_equal(img.rgb, rgb)


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_alpha_16bit_bit_exact(tmp_path, ext):
    rgb = RNG.integers(0, 65536, (21, 33, 3), dtype=np.uint16)
    alpha = RNG.integers(0, 65536, (21, 33), dtype=np.uint16)
    out = tmp_path / f"alpha16{ext}"
    write_image(out, rgb, alpha)
    img = read_image(out)
    assert img.alpha.dtype == np.uint16
    assert np.array_equal(img.alpha, alpha) and np.array_equal(img.rgb, rgb)


def test_la_and_palette_and_grey_inputs_become_rgb(tmp_path):
    grey = RNG.integers(0, 256, (12, 14), dtype=np.uint8)
    a = RNG.integers(0, 256, (12, 14), dtype=np.uint8)
    Image.fromarray(grey, "L").save(tmp_path / "g.png")
    Image.merge("LA", [Image.fromarray(grey), Image.fromarray(a)]).save(tmp_path / "la.png")
    pal = Image.fromarray(smooth_rgb(12, 14)).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    pal.save(tmp_path / "p.png")
    pal.save(tmp_path / "pt.png", transparency=0)
    g16 = RNG.integers(0, 65536, (12, 14), dtype=np.uint16)
    cv2.imwrite(str(tmp_path / "g16.png"), g16)

    img = read_image(tmp_path / "g.png")
    assert img.rgb.shape == (12, 14, 3) and np.array_equal(img.rgb[:, :, 1], grey) and img.alpha is None
    img = read_image(tmp_path / "la.png")
    assert np.array_equal(img.rgb[:, :, 0], grey) and np.array_equal(img.alpha, a)
    img = read_image(tmp_path / "p.png")
    assert np.array_equal(img.rgb, np.asarray(pal.convert("RGB"))) and img.alpha is None
    img = read_image(tmp_path / "pt.png")
    assert img.alpha is not None and set(np.unique(img.alpha)) <= {0, 255}
    assert np.array_equal(img.alpha == 0, np.asarray(pal) == 0)
    img = read_image(tmp_path / "g16.png")
    assert img.rgb.dtype == np.uint16 and np.array_equal(img.rgb[:, :, 2], g16)


def test_16bit_to_jpeg_and_webp_rounds_to_8bit(tmp_path):
    v = np.array([0, 128, 129, 257, 385, 386, 65535, 32767, 32768], dtype=np.uint16)
    rgb = np.repeat(np.repeat(v[None, :, None], 8, axis=0), 3, axis=2)
    assert np.array_equal(to_8bit(v), np.round(v / 257).astype(np.uint8))
    write_image(tmp_path / "a.jpg", rgb)
    write_image(tmp_path / "a.webp", rgb, quality=100)
    for name in ("a.jpg", "a.webp"):
        img = read_image(tmp_path / name)
        assert img.rgb.dtype == np.uint8
        assert np.abs(img.rgb.astype(int) - np.round(rgb / 257)).max() <= 3


def test_alpha_to_jpeg(tmp_path):
    rgb = smooth_rgb()
    with pytest.raises(MediaError, match="JPEG cannot store transparency"):
        write_image(tmp_path / "a.jpg", rgb, np.full(rgb.shape[:2], 7, np.uint8))
    assert not (tmp_path / "a.jpg").exists()
    # an opaque alpha carries no information and is dropped
    write_image(tmp_path / "b.jpg", rgb, np.full(rgb.shape[:2], 255, np.uint8))
    assert read_image(tmp_path / "b.jpg").alpha is None


# ----------------------------------------------------------------------------------------------------
# EXIF orientation and metadata
# ----------------------------------------------------------------------------------------------------

def _exif(orientation: int) -> Image.Exif:
    ex = Image.Exif()
    ex[0x010F] = "TestCam"  # Make
    ex[0x0110] = "Model 7"  # Model
    ex[0x0112] = orientation
    ex.get_ifd(0x8769)[0x829A] = TiffImagePlugin.IFDRational(1, 250)  # ExposureTime
    return ex


def _expected(stored: np.ndarray, orientation: int) -> np.ndarray:
    ex = Image.Exif()
    ex[0x0112] = orientation
    buf = io.BytesIO()
    Image.fromarray(stored).save(buf, "PNG", exif=ex.tobytes())
    buf.seek(0)
    return np.asarray(ImageOps.exif_transpose(Image.open(buf)).convert("RGB"))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_all_eight_png(tmp_path, orientation):
    stored = asymmetric()
    src = tmp_path / "o.png"
    Image.fromarray(stored).save(src, exif=_exif(orientation).tobytes())
    img = read_image(src)
    assert np.array_equal(img.rgb, _expected(stored, orientation))
    if orientation >= 5:
        assert img.rgb.shape[:2] == stored.shape[1::-1]


@pytest.mark.parametrize("orientation", [3, 6, 8])
@pytest.mark.parametrize("ext", [".jpg", ".webp", ".tif"])
def test_exif_orientation_written_back_as_1(tmp_path, orientation, ext):
    stored = np.zeros((40, 64, 3), np.uint8)
    stored[:8, :16] = 255  # bright block in the stored top-left corner
    src = tmp_path / f"o{ext}"
    kw = {"quality": 95} if ext != ".tif" else {}
    Image.fromarray(stored).save(src, exif=_exif(orientation).tobytes(), **kw)
    img = read_image(src)
    exp = _expected(stored, orientation)
    assert img.rgb.shape == exp.shape
    assert np.abs(img.rgb.astype(int) - exp).mean() < 6

    for out_ext in (".jpg", ".png", ".webp", ".tif"):
        out = tmp_path / f"out{out_ext}"
        write_image(out, img.rgb, source=img)
        with Image.open(out) as im:
            ex = im.getexif()
            assert ex.get(0x0112) == 1, out_ext
            assert ex.get(0x010F) == "TestCam" and ex.get(0x0110) == "Model 7", out_ext
            assert ex.get_ifd(0x8769).get(0x829A) == pytest.approx(1 / 250), out_ext
        again = read_image(out)  # no second rotation
        assert again.rgb.shape == img.rgb.shape


def test_exif_reset_patches_only_orientation():
    body = _exif(6).tobytes()[6:]
    patched = exif_mod.exif_reset_orientation(body)
    assert len(patched) == len(body)
    assert sum(a != b for a, b in zip(body, patched)) == 1
    ex = Image.Exif()
    ex.load(b"Exif\x00\x00" + patched)
    assert ex[0x0112] == 1 and ex[0x010F] == "TestCam"


def test_xmp_orientation_reset_and_kept(tmp_path):
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/">'
           b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6" '
           b'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="image/jpeg"/></rdf:RDF></x:xmpmeta>')
    src = tmp_path / "x.jpg"
    Image.fromarray(smooth_rgb()).save(src, exif=_exif(6).tobytes(), xmp=xmp)
    img = read_image(src)
    assert b'tiff:Orientation="1"' in img.metadata["xmp"] and b"dc:format" in img.metadata["xmp"]
    for ext in (".jpg", ".png", ".webp", ".tif"):
        out = tmp_path / f"x_out{ext}"
        write_image(out, img.rgb, source=img)
        back = read_image(out)
        assert b"dc:format" in back.metadata["xmp"], ext
        assert b'tiff:Orientation="1"' in back.metadata["xmp"], ext


def test_metadata_png_text_dpi_exif(tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_text("Title", "Sunset")
    info.add_itxt("Description", "Fjällbacka at dusk")
    src = tmp_path / "meta.png"
    Image.fromarray(smooth_rgb()).save(src, pnginfo=info, dpi=(300, 300), exif=_exif(1).tobytes())
    img = read_image(src)
    assert img.metadata["png_text"] == {"Title": "Sunset", "Description": "Fjällbacka at dusk"}
    assert img.metadata["dpi"] == pytest.approx((300, 300), abs=0.01)

    out = tmp_path / "meta_out.png"
    write_image(out, img.rgb, source=img)
    with Image.open(out) as im:
        im.load()
        assert im.text["Title"] == "Sunset" and im.text["Description"] == "Fjällbacka at dusk"
        assert im.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        assert im.getexif()[0x010F] == "TestCam"
    # 16-bit PNG carries the same metadata (chunks inserted by us)
    out16 = tmp_path / "meta16.png"
    write_image(out16, img.rgb.astype(np.uint16) * 257, source=img)
    back = read_image(out16)
    assert back.bit_depth == 16
    assert back.metadata["png_text"]["Description"] == "Fjällbacka at dusk"
    assert back.metadata["dpi"] == pytest.approx((300, 300), abs=0.01)
    assert b"TestCam" in back.metadata["exif"]


@pytest.mark.parametrize("ext", [".jpg", ".tif"])
def test_dpi_and_comment_kept(tmp_path, ext):
    src = tmp_path / "d.jpg"
    Image.fromarray(smooth_rgb()).save(src, dpi=(240, 240), comment=b"graded", exif=_exif(1).tobytes())
    img = read_image(src)
    assert img.metadata["dpi"] == (240, 240) and img.metadata["comment"] == b"graded"
    out = tmp_path / f"d_out{ext}"
    write_image(out, img.rgb, source=img)
    with Image.open(out) as im:
        assert tuple(round(v) for v in im.info["dpi"]) == (240, 240)
        if ext == ".jpg":
            assert im.info["comment"] == b"graded"
        assert im.getexif()[0x010F] == "TestCam"


def test_16bit_tiff_metadata(tmp_path):
    src = tmp_path / "s.jpg"
    Image.fromarray(smooth_rgb()).save(src, dpi=(300, 300), exif=_exif(1).tobytes(),
                                       icc_profile=icc_mod.srgb_profile_bytes())
    img = read_image(src)
    out = tmp_path / "deep.tif"
    write_image(out, img.rgb.astype(np.uint16) * 257, source=img)
    back = read_image(out)
    assert back.bit_depth == 16 and np.array_equal(back.rgb, img.rgb.astype(np.uint16) * 257)
    assert back.metadata["dpi"] == (300, 300)
    assert back.metadata["icc_profile"] == icc_mod.srgb_profile_bytes()
    ex = Image.Exif()
    ex.load(back.metadata["exif"])
    assert ex[0x010F] == "TestCam" and ex.get_ifd(0x8769)[0x829A] == pytest.approx(1 / 250)
    # no pixel-layout tags leak into the EXIF we carry
    assert 256 not in ex and 273 not in ex


# ----------------------------------------------------------------------------------------------------
# ICC
# ----------------------------------------------------------------------------------------------------

def _cms_reference(rgb8: np.ndarray, icc: bytes) -> np.ndarray:
    src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    return np.asarray(ImageCms.profileToProfile(
        Image.fromarray(rgb8), src, ImageCms.createProfile("sRGB"),
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC, flags=ImageCms.Flags.BLACKPOINTCOMPENSATION))


def test_icc_non_srgb_is_converted_8bit(tmp_path):
    icc = adobe_rgb_like()
    rgb = RNG.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    src = tmp_path / "adobe.png"
    Image.fromarray(rgb).save(src, icc_profile=icc)
    img = read_image(src)
    ref = _cms_reference(rgb, icc)
    assert np.abs(img.rgb.astype(int) - ref).max() <= 1
    assert np.abs(img.rgb.astype(int) - rgb).max() > 20  # really converted (Adobe RGB is wider)
    assert "Adobe" in img.metadata["icc_converted_from"]
    assert img.metadata["icc_profile"] == icc_mod.srgb_profile_bytes()
    # written as sRGB, so reading it again is a no-op
    out = tmp_path / "out.jpg"
    write_image(out, img.rgb, source=img, quality=100)
    again = read_image(out)
    assert "icc_converted_from" not in again.metadata
    assert psnr(again.rgb, img.rgb) > 40


def test_icc_non_srgb_is_converted_16bit_in_float(tmp_path):
    icc = adobe_rgb_like()
    rgb8 = RNG.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    rgb16 = rgb8.astype(np.uint16) * 257
    src = tmp_path / "adobe16.png"
    src.write_bytes(encode_mod.encode_png(rgb16, None, {"icc_profile": icc}))  # 16-bit PNG with iCCP
    img = read_image(src)
    assert img.bit_depth == 16
    ref = _cms_reference(rgb8, icc)
    assert np.abs(img.rgb / 257.0 - ref).max() < 1.0  # LittleCMS 8-bit result within 1 code value
    # the float path really yields more than 8 bits of precision
    assert np.any(img.rgb % 257 != 0)


def test_icc_16bit_lut_profile_fallback(tmp_path, monkeypatch):
    """Profiles that are not matrix/TRC go through a LittleCMS-sampled table: ~8-bit accurate."""
    icc = adobe_rgb_like()
    rgb = RNG.integers(0, 65536, (48, 48, 3), dtype=np.uint16)
    exact, _ = icc_mod.convert_icc_16(tmp_path / "x.tif", rgb, icc)  # float matrix/TRC path
    real = icc_mod.parse_matrix_shaper
    monkeypatch.setattr(icc_mod, "parse_matrix_shaper",
                        lambda b: real(b) if b == icc_mod.srgb_profile_bytes() else None)
    out, meta = icc_mod.convert_icc_16(tmp_path / "x.tif", rgb, icc)
    assert meta["icc_profile"] == icc_mod.srgb_profile_bytes()
    err = np.abs(out / 257.0 - exact / 257.0)  # in 8-bit code values
    assert err.mean() < 0.5 and np.percentile(err, 99) < 1.5


def test_srgb_profile_is_not_reconverted(tmp_path):
    rgb = RNG.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    src = tmp_path / "s.png"
    Image.fromarray(rgb).save(src, icc_profile=icc_mod.srgb_profile_bytes())
    img = read_image(src)
    assert np.array_equal(img.rgb, rgb)
    assert img.metadata["icc_profile"] == icc_mod.srgb_profile_bytes()
    assert "icc_converted_from" not in img.metadata


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    src = tmp_path / "cmyk.jpg"
    Image.fromarray(smooth_rgb()).convert("CMYK").save(src)
    img = read_image(src)
    assert img.rgb.shape == (48, 64, 3) and img.rgb.dtype == np.uint8


def test_no_profile_means_no_profile_written(tmp_path):
    src = tmp_path / "n.png"
    write_image(src, smooth_rgb())
    img = read_image(src)
    assert "icc_profile" not in img.metadata
    write_image(tmp_path / "n2.png", img.rgb, source=img)
    with Image.open(tmp_path / "n2.png") as im:
        assert "icc_profile" not in im.info


# ----------------------------------------------------------------------------------------------------
# bad inputs and limits
# ----------------------------------------------------------------------------------------------------

def _one_line(err: pytest.ExceptionInfo, name: str) -> str:
    msg = str(err.value)
    assert "\n" not in msg and name in msg and "Traceback" not in msg
    return msg


def test_missing_file(tmp_path):
    with pytest.raises(MediaError) as e:
        read_image(tmp_path / "nope.jpg")
    assert "not found" in _one_line(e, "nope.jpg")


def test_folder(tmp_path):
    d = tmp_path / "photos.jpg"
    d.mkdir()
    with pytest.raises(MediaError) as e:
        read_image(d)
    assert "folder" in _one_line(e, "photos.jpg")


def test_text_file_named_jpg(tmp_path):
    f = tmp_path / "notes.jpg"
    f.write_text("this is not a picture\n")
    with pytest.raises(MediaError) as e:
        read_image(f)
    assert "not a readable image" in _one_line(e, "notes.jpg")


def test_zero_byte_file(tmp_path):
    f = tmp_path / "empty.png"
    f.write_bytes(b"")
    with pytest.raises(MediaError) as e:
        read_image(f)
    assert "empty" in _one_line(e, "empty.png")


@pytest.mark.parametrize("ext", [".jpg", ".png", ".webp", ".tif"])
def test_truncated_file(tmp_path, ext):
    good = tmp_path / f"good{ext}"
    write_image(good, RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    data = good.read_bytes()
    bad = tmp_path / f"cut{ext}"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError) as e:
        read_image(bad)
    _one_line(e, f"cut{ext}")


def test_truncated_16bit_png(tmp_path):
    good = tmp_path / "g16.png"
    write_image(good, RNG.integers(0, 65536, (64, 64, 3), dtype=np.uint16))
    bad = tmp_path / "c16.png"
    bad.write_bytes(good.read_bytes()[:3000])
    with pytest.raises(MediaError) as e:
        read_image(bad)
    _one_line(e, "c16.png")


def test_unsupported_input_format(tmp_path):
    f = tmp_path / "a.gif"
    Image.fromarray(smooth_rgb()).save(f)
    with pytest.raises(MediaError, match="unsupported image format GIF"):
        read_image(f)


def test_unsupported_output_extension(tmp_path):
    with pytest.raises(MediaError) as e:
        write_image(tmp_path / "out.bmp", smooth_rgb())
    assert ".bmp" in _one_line(e, "out.bmp")
    assert list(tmp_path.iterdir()) == []


def test_bad_arrays(tmp_path):
    with pytest.raises(MediaError, match="uint8 or uint16"):
        write_image(tmp_path / "f.png", smooth_rgb().astype(np.float32))
    with pytest.raises(MediaError, match=r"\(H, W, 3\)"):
        write_image(tmp_path / "f.png", np.zeros((4, 4, 5), np.uint8))
    with pytest.raises(MediaError, match="alpha shape"):
        write_image(tmp_path / "f.png", smooth_rgb(), np.zeros((3, 3), np.uint8))
    with pytest.raises(MediaError, match="quality"):
        write_image(tmp_path / "f.jpg", smooth_rgb(), quality=0)
    assert list(tmp_path.iterdir()) == []


def test_missing_output_folder(tmp_path):
    with pytest.raises(MediaError, match="folder does not exist"):
        write_image(tmp_path / "no" / "such" / "x.png", smooth_rgb())


def test_pixel_limit_checked_before_decoding(tmp_path, monkeypatch):
    f = tmp_path / "big.png"
    write_image(f, np.zeros((100, 200, 3), np.uint8))
    called = []
    monkeypatch.setattr(Image.Image, "load", lambda self: called.append(1))
    with pytest.raises(MediaError) as e:
        read_image(f, max_pixels=19_999)
    assert "megapixels" in _one_line(e, "big.png")
    assert called == []  # header only
    monkeypatch.undo()
    assert read_image(f, max_pixels=20_000).rgb.shape == (100, 200, 3)


def test_pixel_limit_from_env(tmp_path, monkeypatch):
    f = tmp_path / "big.jpg"
    write_image(f, np.zeros((100, 200, 3), np.uint8))
    monkeypatch.setenv("VIBEGRADE_MAX_PIXELS", "10000")
    assert max_pixels_limit() == 10_000
    with pytest.raises(MediaError, match="over the limit"):
        read_image(f)
    assert read_image(f, max_pixels=10**6).rgb.shape == (100, 200, 3)
    monkeypatch.setenv("VIBEGRADE_MAX_PIXELS", "lots")
    with pytest.raises(MediaError, match="VIBEGRADE_MAX_PIXELS"):
        read_image(f)
    monkeypatch.delenv("VIBEGRADE_MAX_PIXELS")
    assert max_pixels_limit() == DEFAULT_MAX_PIXELS == 100_000_000


def test_limit_above_pillows_own_bomb_limit(tmp_path, monkeypatch):
    f = tmp_path / "wide.png"
    write_image(f, np.zeros((10, 100, 3), np.uint8))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow alone would refuse 1000 pixels
    assert read_image(f, max_pixels=5000).rgb.shape == (10, 100, 3)
    assert Image.MAX_IMAGE_PIXELS == 100


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    out = tmp_path / "x.png"

    class Boom(OSError):
        pass

    real_open = open

    def failing_open(file, mode="r", *a, **k):
        fh = real_open(file, mode, *a, **k)
        if "w" in mode and str(file).startswith(str(tmp_path)):
            fh.write(b"partial")
            fh.close()
            raise Boom("disk full")
        return fh

    monkeypatch.setattr("builtins.open", failing_open)
    with pytest.raises(MediaError, match="disk full"):
        write_image(out, smooth_rgb())
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_failed_encode_keeps_existing_file(tmp_path, monkeypatch):
    out = tmp_path / "keep.tif"
    write_image(out, smooth_rgb())
    before = out.read_bytes()

    def boom(*a, **k):
        raise ValueError("encoder exploded")

    monkeypatch.setattr(encode_mod, "encode_tiff", boom)
    with pytest.raises(MediaError, match="encoder exploded"):
        write_image(out, smooth_rgb())
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.tif"]


def test_helpers():
    assert is_image_path("a/B.JPG") and is_image_path("x.tiff") and not is_image_path("clip.mp4")
    assert {".jpg", ".png", ".webp", ".tif"} <= IMAGE_EXTENSIONS
    img = LoadedImage(rgb=np.zeros((2, 3, 3), np.uint16), alpha=None, format="PNG", metadata={})
    assert img.bit_depth == 16 and img.size == (3, 2)


def test_bundled_samples_read():
    samples = Path(image_mod.__file__).parents[1] / "samples"
    for p in sorted(samples.glob("*")):
        if is_image_path(p):
            img = read_image(p)
            assert img.rgb.ndim == 3 and img.rgb.shape[2] == 3 and img.rgb.dtype == np.uint8
            assert os.fspath(p)


@pytest.mark.parametrize("ext", [".tif", ".png"])
@pytest.mark.parametrize("orientation", [3, 6, 7])
def test_16bit_orientation(tmp_path, ext, orientation):
    stored = RNG.integers(0, 65536, (6, 10, 3), dtype=np.uint16)
    meta = {"exif": _exif(orientation).tobytes()}
    encode = encode_mod.encode_tiff if ext == ".tif" else encode_mod.encode_png
    data = encode(stored, None, meta)
    src = tmp_path / f"o16{ext}"
    src.write_bytes(data)
    img = read_image(src)
    assert img.bit_depth == 16
    assert np.array_equal(img.rgb, exif_mod.apply_orientation(stored, orientation))
    ex = Image.Exif()
    ex.load(img.metadata["exif"])
    assert ex[0x0112] == 1 and ex[0x010F] == "TestCam"
