"""HEIC/HEIF (pillow-heif) and camera RAW (rawpy/LibRaw) inputs, on real files made from bundled photos."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.media.formats_helpers import srgb_to_linear, write_dng, write_heic
from tests.media.icc_helpers import adobe_rgb_like
from vibegrade.media.errors import Corrupt, TooLarge, UnsupportedFormat
from vibegrade.media.exif import apply_orientation
from vibegrade.media.image import read_image, read_image_header, write_image
from vibegrade.media.pipeline import render_file
from vibegrade.samples import sample_path
from vibegrade.schema import ToolChain


@pytest.fixture(scope="module")
def coffee() -> np.ndarray:
    with Image.open(sample_path("coffee")) as im:  # 600 x 400 photo, CC0
        return np.asarray(im.convert("RGB"))


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference in 8-bit levels (16-bit arrays are scaled down)."""
    scale = [1.0 if x.dtype == np.uint8 else 1 / 257 for x in (a, b)]
    return float(np.abs(a.astype(np.float64) * scale[0] - b.astype(np.float64) * scale[1]).mean())


def _typical(a: np.ndarray, b: np.ndarray) -> float:
    """Median absolute difference in 8-bit levels: demosaicing misses fine detail at edges (a few percent of
    the pixels, 10+ levels there), the rest of a good development is within a level or so."""
    return float(np.median(np.abs(a.astype(np.float64) / 257 - b.astype(np.float64))))


# ------------------------------------------------------------------------------------------------- HEIF


def test_heic_decodes_8bit_close_to_the_photo(tmp_path, coffee):
    p = write_heic(tmp_path / "photo.heic", coffee)
    header = read_image_header(p)
    assert (header.width, header.height, header.format, header.bits) == (600, 400, "HEIF", 8)
    img = read_image(p)
    assert img.format == "HEIF" and img.rgb.dtype == np.uint8 and img.rgb.shape == coffee.shape
    assert img.alpha is None
    assert _diff(img.rgb, coffee) < 3.0  # lossy HEVC at quality 90


@pytest.mark.parametrize("orientation", [2, 3, 5, 6, 8])
def test_heic_orientation_is_applied_once(tmp_path, coffee, orientation):
    p = write_heic(tmp_path / f"o{orientation}.heic", coffee, orientation=orientation)
    img = read_image(p)
    expected = apply_orientation(coffee, orientation)
    assert img.rgb.shape == expected.shape
    assert _diff(img.rgb, expected) < 3.0
    if expected.shape == coffee.shape:
        assert _diff(img.rgb, coffee) > 10.0  # really turned, not left as stored
    kept = Image.Exif()
    kept.load(img.metadata["exif"][6:])
    assert kept[0x0112] == 1  # the written file must not turn it again


def test_heic_10bit_gives_full_range_16bit(tmp_path, coffee):
    src16 = coffee.astype(np.uint16) * 257
    src16[0, 0] = 65535
    p = write_heic(tmp_path / "ten.heic", src16)
    assert read_image_header(p).bits == 16
    img = read_image(p)
    assert img.rgb.dtype == np.uint16 and img.rgb.shape == coffee.shape
    assert img.rgb.max() == 65535  # 10-bit 1023 spread to 65535, not left at 1023 << 6
    assert len(np.unique(img.rgb)) > 256  # more than 8 bits of levels
    assert _diff(img.rgb, coffee) < 3.0


def test_heic_icc_profile_converted_like_any_image(tmp_path, coffee):
    icc = adobe_rgb_like()
    a = read_image(write_heic(tmp_path / "argb.heic", coffee, icc=icc))
    stored = read_image(write_heic(tmp_path / "plain.heic", coffee)).rgb  # the same pixels, no profile
    png = tmp_path / "argb.png"
    Image.fromarray(stored).save(png, icc_profile=icc)
    b = read_image(png)
    assert a.metadata["icc_converted_from"] == b.metadata["icc_converted_from"]
    assert _diff(a.rgb, b.rgb) < 0.01  # the same LittleCMS conversion as a PNG with that profile
    assert _diff(a.rgb, stored) > 1.0  # and the conversion did change the colours


def test_heic_nclx_display_p3_matches_colour_science(tmp_path, coffee):
    printing = np.get_printoptions()
    colour = pytest.importorskip("colour")  # colour-science, an independent implementation
    np.set_printoptions(**printing)  # importing it switches NumPy's printing to its 1.13 style
    p = write_heic(tmp_path / "p3.heic", coffee, nclx=(12, 13), quality=100)
    img = read_image(p)
    assert "Display P3" in img.metadata["icc_converted_from"]
    stored = read_image(write_heic(tmp_path / "plain.heic", coffee, quality=100)).rgb  # same, as sRGB
    ref = colour.RGB_to_RGB(stored / 255.0, colour.RGB_COLOURSPACES["Display P3"],
                            colour.RGB_COLOURSPACES["sRGB"], apply_cctf_decoding=True,
                            apply_cctf_encoding=True)
    ref8 = np.rint(np.clip(ref, 0, 1) * 255).astype(np.uint8)
    assert _diff(img.rgb, ref8) < 0.6
    assert _diff(img.rgb, stored) > 1.0


def test_heic_hdr_pq_is_refused(tmp_path, coffee):
    p = write_heic(tmp_path / "pq.heic", coffee.astype(np.uint16) * 257, nclx=(9, 16))
    with pytest.raises(UnsupportedFormat, match="PQ"):
        read_image(p)


def test_heic_truncated_or_garbage_is_corrupt(tmp_path, coffee):
    data = write_heic(tmp_path / "full.heic", coffee).read_bytes()
    cut = tmp_path / "cut.heic"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(Corrupt, match="corrupt or truncated HEIF"):
        read_image(cut)
    junk = tmp_path / "junk.heic"
    junk.write_bytes(data[:32] + bytes(range(256)) * 8)
    with pytest.raises(Corrupt):
        read_image(junk)


def test_heic_pixel_limit_is_checked_before_decoding(tmp_path, coffee):
    data = write_heic(tmp_path / "full.heic", coffee).read_bytes()
    cut = tmp_path / "cut.heic"
    cut.write_bytes(data[: len(data) // 2])  # the header is whole, the pixels are not
    with pytest.raises(TooLarge, match="over the limit"):
        read_image(cut, max_pixels=600 * 400 - 1)  # refused from the header: no decode, so no Corrupt
    with pytest.raises(TooLarge):
        read_image_header(cut, max_pixels=1000)


def test_heic_named_jpg_and_jpeg_named_heic_read_by_content(tmp_path, coffee):
    heic_as_jpg = write_heic(tmp_path / "really_heic.jpg", coffee)
    assert read_image(heic_as_jpg).format == "HEIF"
    jpeg_as_heic = tmp_path / "really_jpeg.heic"
    Image.fromarray(coffee).save(jpeg_as_heic, format="JPEG", quality=95)
    assert read_image(jpeg_as_heic).format == "JPEG"


# -------------------------------------------------------------------------------------------------- RAW


def test_dng_develops_at_16_bits_close_to_the_photo(tmp_path, coffee):
    p = tmp_path / "photo.dng"
    photo = write_dng(p, coffee)
    header = read_image_header(p)
    assert (header.width, header.height, header.format, header.bits) == (600, 400, "RAW", 16)
    img = read_image(p)
    assert img.format == "RAW" and img.rgb.dtype == np.uint16 and img.rgb.shape == photo.shape
    assert np.count_nonzero(img.rgb % 257) > img.rgb.size // 2  # real 16-bit levels, not 8-bit ones × 257
    assert _typical(img.rgb, photo) < 1.5 and _diff(img.rgb, photo) < 5.0  # demosaicing costs at edges
    means = img.rgb.reshape(-1, 3).mean(0) / 257
    assert np.abs(means - photo.reshape(-1, 3).mean(0)).max() < 2.0  # camera white balance applied
    assert img.metadata["icc_profile"]  # tagged sRGB


def test_dng_is_not_auto_brightened(tmp_path, coffee):
    p = tmp_path / "dark.dng"
    photo = write_dng(p, coffee, exposure=0.25)  # two stops under: the brightest pixel well below white
    lin_out = srgb_to_linear(read_image(p).rgb / 65535.0).mean()
    lin_src = srgb_to_linear(photo / 255.0).mean()
    assert lin_out / lin_src == pytest.approx(0.25, abs=0.02)


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_dng_orientation_from_libraw_flip(tmp_path, coffee, orientation):
    p = tmp_path / f"o{orientation}.dng"
    photo = write_dng(p, coffee, orientation=orientation)
    expected = apply_orientation(photo, orientation)
    h = read_image_header(p)
    assert (h.height, h.width) == expected.shape[:2]
    img = read_image(p)
    assert img.rgb.shape == expected.shape and _typical(img.rgb, expected) < 1.5
    if expected.shape == photo.shape:
        assert _typical(img.rgb, photo) > 10  # really turned


def test_dng_read_by_content_whatever_its_name(tmp_path, coffee):
    p = tmp_path / "scan.tif"
    write_dng(p, coffee)
    assert read_image(p).format == "RAW"  # not Pillow's reading of the raw mosaic as a grey TIFF


def test_raw_truncated_garbage_and_over_the_limit(tmp_path, coffee):
    full = tmp_path / "full.dng"
    write_dng(full, coffee)
    data = full.read_bytes()
    cut = tmp_path / "cut.dng"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(Corrupt, match="truncated RAW file"):
        read_image(cut)
    with pytest.raises(TooLarge, match="over the limit"):
        read_image(cut, max_pixels=1000)  # the size is checked from the header, before anything else
    junk = tmp_path / "junk.nef"
    junk.write_bytes(b"II*\x00" + bytes(range(256)) * 40)
    with pytest.raises(Corrupt):
        read_image(junk)


# --------------------------------------------------------------------------------------- through render


def test_render_file_writes_heic_and_raw_to_the_usual_formats(tmp_path, coffee):
    heic = write_heic(tmp_path / "in.heic", coffee, orientation=6)
    dng = tmp_path / "in.dng"
    write_dng(dng, coffee)
    chain = ToolChain.model_validate({"adjust": {"contrast": 20}})
    res = render_file(heic, tmp_path / "h.jpg", chain)
    assert res.source_format == "HEIF" and (res.width, res.height) == (400, 600)
    assert read_image(tmp_path / "h.jpg").rgb.shape == (600, 400, 3)
    for ext, dtype in ((".tif", np.uint16), (".png", np.uint16), (".jpg", np.uint8)):
        render_file(dng, tmp_path / f"r{ext}", chain)
        out = read_image(tmp_path / f"r{ext}")
        assert out.rgb.dtype == dtype and out.rgb.shape == (400, 600, 3)
    with pytest.raises(UnsupportedFormat):
        render_file(dng, tmp_path / "r.heic", chain)  # we read HEIC and RAW, we do not write them


def test_written_heic_metadata_keeps_exif_upright(tmp_path, coffee):
    img = read_image(write_heic(tmp_path / "o8.heic", coffee, orientation=8))
    out = tmp_path / "o8.jpg"
    write_image(out, img.rgb, source=img)
    again = read_image(out)
    assert again.rgb.shape == img.rgb.shape  # not turned a second time by the JPEG's EXIF
