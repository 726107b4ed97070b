"""The regional tool's soft masks on real photos: ranges, shapes, the colour regions' definitions,
sky / faces found where they are and not where they are not, edge-aware upsampling, bad input."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.conftest import shared_photo
from vibegrade.schema import REGION_NAMES
from vibegrade.tools.regions import compute_masks
from vibegrade.tools.regions.guided import guided_upsample
from vibegrade.tools.regions.hue import HUE_NAMES
from vibegrade.tools.selective import color_weights


def _small(name: str, long_side: int = 320) -> np.ndarray:
    im = shared_photo(name)
    s = long_side / max(im.shape[:2])
    return cv2.resize(im, (round(im.shape[1] * s), round(im.shape[0] * s)), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def girl() -> np.ndarray:
    return _small("portrait_girl_red_hat.jpg", 384)


@pytest.fixture(scope="module")
def girl_masks(girl) -> dict[str, np.ndarray]:
    return compute_masks(girl)


def test_every_region_float32_in_unit_range_at_input_size(girl, girl_masks):
    assert tuple(girl_masks) == REGION_NAMES
    for name, m in girl_masks.items():
        assert m.shape == girl.shape[:2] and m.dtype == np.float32, name
        assert float(m.min()) >= 0.0 and float(m.max()) <= 1.0, name


@pytest.mark.parametrize("dtype", ["uint16", "float32", "float64"])
def test_uint16_and_float_inputs_give_the_uint8_masks(astronaut, dtype):
    img = astronaut[::2, ::2]
    ref = compute_masks(img, ["midtones", "reds", "sky", "top"])
    x = img.astype(np.uint16) * 257 if dtype == "uint16" else img.astype(dtype) / 255.0
    got = compute_masks(x, ["midtones", "reds", "sky", "top"])
    for k in ref:
        assert got[k].shape == img.shape[:2] and got[k].dtype == np.float32
        np.testing.assert_allclose(got[k], ref[k], atol=1e-6, err_msg=k)


def test_names_subset_in_the_asked_order(girl):
    m = compute_masks(girl, ["top", "shadows", "faces"])
    assert list(m) == ["top", "shadows", "faces"]


def test_tonal_bands_sum_to_one_directly_and_through_the_table():
    small = _small("night_san_francisco_skyline_dusk.jpg", 320)  # evaluated per pixel directly
    big = shared_photo("night_san_francisco_skyline_dusk.jpg")  # > 2^18 px: through the 64^3 table
    for img in (small, big):
        m = compute_masks(img, ["shadows", "midtones", "highlights"])
        np.testing.assert_allclose(m["shadows"] + m["midtones"] + m["highlights"], 1.0, atol=1e-5)
        assert m["shadows"].mean() > 0.3  # a night scene is mostly shadow


def test_hue_regions_are_the_selective_adjust_weights():
    small = _small("caps_colourful_wall_sky.jpg", 320)
    w = color_weights(small.astype(np.float32) / 255.0)
    m = compute_masks(small, HUE_NAMES)
    for i, name in enumerate(HUE_NAMES):
        np.testing.assert_allclose(m[name], w[..., i], atol=1e-6, err_msg=name)
    big = shared_photo("caps_colourful_wall_sky.jpg")
    big = cv2.resize(big, (1024, 683), interpolation=cv2.INTER_AREA)  # through the table
    w = color_weights(big.astype(np.float32) / 255.0)
    m = compute_masks(big, HUE_NAMES)
    for i, name in enumerate(HUE_NAMES):
        err = np.abs(m[name] - w[..., i])  # the 64^3 table is within 2/255 per channel of each colour
        assert float(err.mean()) < 0.02 and float(np.percentile(err, 99)) < 0.12, name
    # the yellow cap is yellow, the sky is not red
    assert m["yellows"].max() > 0.9 and m["greens"].max() > 0.9


def test_sky_found_on_a_sky_photo_and_not_indoors():
    img = _small("coast_lighthouse_sky.jpg")
    sky = compute_masks(img, ["sky"])["sky"]
    h = sky.shape[0]
    assert sky[: h // 5].mean() > 0.8      # the upper part of the frame is sky
    assert sky[-h // 4:].mean() < 0.02     # the rocks and sea at the bottom are not
    indoor = compute_masks(_small("indoor_hospital_navy_nurse_patient.jpg"), ["sky"])["sky"]
    assert indoor.mean() < 0.005


def test_faces_found_on_a_portrait_and_absent_from_a_landscape(girl, girl_masks):
    faces, people, skin = girl_masks["faces"], girl_masks["people"], girl_masks["skin"]
    h, w = faces.shape
    assert 0.05 < faces.mean() < 0.4
    ys, xs = np.nonzero(faces > 0.5)
    assert 0.3 * h < ys.mean() < 0.65 * h and 0.3 * w < xs.mean() < 0.75 * w  # the face is mid-frame
    assert (people[faces > 0.5] > 0.5).mean() > 0.9   # a face belongs to its person
    assert skin[faces > 0.5].mean() > 0.5
    land = compute_masks(_small("mountains_snow_peaks_sky.jpg"), ["faces", "people", "skin"])
    for k, m in land.items():
        assert m.max() == 0.0, k


def test_background_is_one_minus_subject_and_geometry(girl_masks):
    np.testing.assert_allclose(girl_masks["background"], 1.0 - girl_masks["subject"], atol=1e-6)
    c, top, bottom = girl_masks["center"], girl_masks["top"], girl_masks["bottom"]
    h, w = c.shape
    assert c[h // 2, w // 2] == pytest.approx(1.0) and c[0, 0] == pytest.approx(0.0)
    np.testing.assert_allclose(girl_masks["edges"], 1.0 - c, atol=1e-6)
    assert top[0, 0] == pytest.approx(1.0) and top[-1, 0] == pytest.approx(0.0)
    assert np.all(np.diff(top[:, 0]) <= 0) and np.all(np.diff(bottom[:, 0]) >= 0)


def test_deterministic(girl):
    a, b = compute_masks(girl), compute_masks(girl.copy())
    for k in a:
        assert np.array_equal(a[k], b[k]), k


def test_guided_upsampling_puts_the_edge_on_the_full_size_edge():
    """A blocky 1/8-size step mask comes back with its edge exactly on the full-size picture's edge
    (no halo on the dark side), where a plain bilinear upsample smears it over 8 pixels each way."""
    full = np.zeros((256, 256, 3), np.float32)
    full[:, 101:] = (0.9, 0.5, 0.2)
    lo = cv2.resize(full, (32, 32), interpolation=cv2.INTER_AREA)
    mask_lo = (lo[..., 0] > 0.45).astype(np.float32)
    up = guided_upsample(lo, mask_lo, [np.ascontiguousarray(full[..., c]) for c in range(3)], radius=2)
    assert up[:, :101].max() < 0.02 and up[:, 101:].min() > 0.6 and up[:, 112:].min() > 0.9
    plain = cv2.resize(mask_lo, (256, 256), interpolation=cv2.INTER_LINEAR)
    assert plain[:, 92:101].max() > 0.3 or plain[:, 101:110].min() < 0.7


@pytest.mark.parametrize("bad, match", [
    (np.zeros((8, 8), np.uint8), r"shape \(H, W, 3\)"),
    (np.zeros((8, 8, 4), np.uint8), r"shape \(H, W, 3\)"),
    (np.zeros((0, 8, 3), np.uint8), "empty"),
    (np.zeros((8, 8, 3), np.int32), "uint8, uint16 or float"),
    (np.full((8, 8, 3), np.nan, np.float32), "NaN"),
    ([[0, 0, 0]], "numpy array"),
])
def test_bad_images_raise_value_error(bad, match):
    with pytest.raises(ValueError, match=match):
        compute_masks(bad)


def test_bad_names_and_working_size_raise_value_error(girl):
    with pytest.raises(ValueError, match="unknown region name.*'clouds'"):
        compute_masks(girl, ["sky", "clouds"])
    with pytest.raises(ValueError, match="working_size"):
        compute_masks(girl, working_size=8)
