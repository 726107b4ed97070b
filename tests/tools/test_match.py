"""Reference looks (vibegrade.tools.match): colour statistics, their distances and the chain fit, on real
photos (/work/shared/photos, licences in LICENSES.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vibegrade.media.image import read_image
from vibegrade.schema import ADJUST_KEYS, SELECTIVE_KEYS, parse_chain
from vibegrade.tools.chain import color_stages, color_transform, render
from vibegrade.tools.match import compare, match_look
from vibegrade.tools.match.fit import FITTED_ADJUST, initial_guess
from vibegrade.tools.match.stats import (
    FIT_BANDS,
    ciede2000,
    describe,
    to_lab,
    wasserstein1,
    working_pixels,
)

PHOTOS = Path("/work/shared/photos")


def _photo(name: str) -> np.ndarray:
    path = PHOTOS / f"{name}.jpg"
    if not path.is_file():
        pytest.skip(f"shared photo {path} missing")
    return read_image(path).rgb


@pytest.fixture(scope="module")
def lighthouse() -> np.ndarray:
    return _photo("coast_lighthouse_sky")


@pytest.fixture(scope="module")
def street() -> np.ndarray:
    return _photo("street_timbered_houses")


# ------------------------------------------------------------------------------------------------ statistics

# G. Sharma, W. Wu, E. N. Dalal (2005), supplementary test data: pairs 1, 7, 17, 25 and 34 of their table
SHARMA = [((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
          ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
          ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
          ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
          ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082)]


def test_ciede2000_matches_published_pairs_and_scikit_image():
    a = np.array([p[0] for p in SHARMA])
    b = np.array([p[1] for p in SHARMA])
    np.testing.assert_allclose(ciede2000(a, b), [p[2] for p in SHARMA], atol=1e-4)
    np.testing.assert_allclose(ciede2000(b, a), [p[2] for p in SHARMA], atol=1e-4)  # symmetric
    from skimage.color import deltaE_ciede2000

    rng = np.random.default_rng(0)
    x = np.column_stack([rng.uniform(0, 100, 2000), rng.uniform(-90, 90, 2000), rng.uniform(-90, 90, 2000)])
    y = x + rng.normal(0, 8, x.shape)
    y[:50, 1:] = 0.0  # greys, where hue is undefined
    np.testing.assert_allclose(ciede2000(x, y), deltaE_ciede2000(x, y), atol=1e-9)


def test_lab_of_known_colours():
    lab = to_lab(np.array([[1, 1, 1], [0, 0, 0], [1, 0, 0]], np.float32))
    np.testing.assert_allclose(lab[0], [100, 0, 0], atol=0.5)
    np.testing.assert_allclose(lab[1], [0, 0, 0], atol=0.5)
    np.testing.assert_allclose(lab[2], [53.2, 80.1, 67.2], atol=0.5)  # sRGB red


def test_working_pixels_downscale_and_validate(lighthouse):
    px = working_pixels(lighthouse, 96)
    h, w = lighthouse.shape[:2]
    s = 96 / max(h, w)
    assert px.dtype == np.float32 and px.shape == (round(h * s) * round(w * s), 3)
    assert 0.0 <= px.min() and px.max() <= 1.0
    np.testing.assert_allclose(px.mean(0), lighthouse.reshape(-1, 3).mean(0) / 255, atol=0.01)
    small = working_pixels(np.full((5, 17, 4), 65535, np.uint16))  # smaller images are kept, alpha dropped
    assert small.shape == (85, 3) and np.all(small == 1.0)
    tiny = working_pixels(np.array([[[255, 0, 0], [0, 0, 255]]], np.uint8))  # tiled: every band is defined
    assert len(tiny) >= 64 and np.mean(tiny[:, 0]) == 0.5 and np.isfinite(describe(tiny).bands).all()
    for bad in (np.zeros((4, 4), np.uint8), np.zeros((0, 4, 3), np.uint8), np.zeros((4, 4, 3), np.int32)):
        with pytest.raises(ValueError):
            working_pixels(bad)


def test_statistics_follow_the_grade(street):
    """Warming raises b* in every band; darkening lowers every L* percentile; desaturating lowers chroma."""
    px = working_pixels(street)
    base = describe(px)
    warm = describe(color_transform(parse_chain({"adjust": {"temperature": 60}}))(px))
    dark = describe(color_transform(parse_chain({"adjust": {"exposure": -40}}))(px))
    grey = describe(color_transform(parse_chain({"adjust": {"saturation": -70}}))(px))
    assert base.bands.shape == (FIT_BANDS, 3) and base.casts.shape == (FIT_BANDS, 2)
    assert np.all(warm.bands[:, 1] > base.bands[:, 1] + 2) and np.all(warm.casts[:, 1] > base.casts[:, 1] + 2)
    assert np.all(dark.l_pct[1:] < base.l_pct[1:] - 2)
    assert np.all(grey.c_pct < base.c_pct) and grey.hue_chroma[np.argmax(base.hue_share)] < \
        base.hue_chroma[np.argmax(base.hue_share)]
    assert 0 < base.hue_share.sum() <= 1
    greys = describe(np.repeat(np.linspace(0, 1, 50, dtype=np.float32)[:, None], 3, axis=1))
    assert np.all(greys.hue_share == 0) and np.all(np.abs(greys.casts) < 0.5)


def test_distance_is_zero_for_the_same_pixels_and_grows_with_the_grade(street):
    px = working_pixels(street)
    same = compare(px, px)
    assert same.bands_de00 == 0 and same.w1_lightness == 0 and same.w1_ab == 0
    mild = color_transform(parse_chain({"adjust": {"temperature": 20}}))(px)
    strong = color_transform(parse_chain({"adjust": {"temperature": 60}}))(px)
    assert 0 < compare(px, mild).bands_de00 < compare(px, strong).bands_de00
    assert compare(px, strong).w1_ab > compare(px, strong).w1_lightness
    assert wasserstein1(np.arange(100.0), np.arange(100.0) + 7) == pytest.approx(7.0)


def test_color_stages_compose_to_color_transform(lighthouse):
    chain = parse_chain({"adjust": {"exposure": 10, "contrast": 20}, "selective_adjust": {
        "blue": {"saturation": -30}}, "filter": {"name": "winter", "intensity": 40}})
    px = working_pixels(lighthouse)
    x = px
    for stage in color_stages(chain):
        x = stage(x)
    np.testing.assert_array_equal(np.clip(x, 0, 1).astype(np.float32), color_transform(chain)(px))


# ------------------------------------------------------------------------------------------------------- fit

KNOWN = {"adjust": {"exposure": 25, "contrast": 15, "saturation": -30, "temperature": -35, "tint": 10},
         "selective_adjust": {"blue": {"saturation": 30, "luminance": -10}}}


def test_a_rendered_chain_is_recovered(lighthouse):
    """The photo against itself graded with a known chain: the statistics distance drops by far, and the
    key sliders move the right way (the chain is not unique: contrast and the tone sliders share work)."""
    reference = render(lighthouse, parse_chain(KNOWN))
    res = match_look(lighthouse, reference, filters=False)
    assert res.before.bands_de00 > 3.0
    assert res.after.bands_de00 < 0.25 * res.before.bands_de00
    assert res.after.w1_lightness < 0.25 * res.before.w1_lightness
    assert res.after.w1_ab < 0.25 * res.before.w1_ab
    a = res.chain.adjust
    assert a.exposure > 5 and a.temperature < -15 and a.saturation < -10
    assert abs(a.temperature - KNOWN["adjust"]["temperature"]) <= 15
    assert a.hue == 0 and not a.spatial_used and not res.chain.filter.used and res.filters_tried == 0
    # the graded result, rendered the usual way, is close to the reference pixel by pixel
    out = render(lighthouse, res.chain)
    de = ciede2000(to_lab(working_pixels(out, 128)), to_lab(working_pixels(reference, 128)))
    assert de.mean() < 2.0


def test_identical_images_give_a_near_identity_chain(street):
    res = match_look(street, street.copy())
    assert res.before.bands_de00 == 0.0
    assert all(abs(v) <= 2 for v in res.chain.adjust.vector())
    assert all(abs(v) <= 2 for v in res.chain.selective_adjust.vector())
    assert not res.chain.filter.used and res.filters_tried == 0  # nothing left for a filter to do


def test_a_filter_look_is_matched_with_a_preset(lighthouse):
    """A reference graded mostly by a preset: among the candidates, that preset is chosen."""
    look = parse_chain({"adjust": {"contrast": 10}, "filter": {"name": "teal_and_orange_2", "intensity": 70}})
    reference = render(lighthouse, look)
    res = match_look(lighthouse, reference, filters=["winter", "teal_and_orange_2", "faded_Retro", "vivid"])
    assert res.filters_tried == 4
    assert res.chain.filter.name == "teal_and_orange_2" and 40 <= res.chain.filter.intensity <= 100
    assert res.after.bands_de00 < 0.25 * res.before.bands_de00


def test_another_photo_moves_toward_the_reference(lighthouse, street):
    """Two different photos: the fitted chain brings the statistics closer (the scenes differ, so not to
    zero, and the sliders' penalty keeps the chain moderate)."""
    res = match_look(street, _photo("dusk_pier_lake_sunset_sky"), filters=False)
    assert res.after.bands_de00 < 0.8 * res.before.bands_de00
    assert res.after.w1_lightness < 0.6 * res.before.w1_lightness
    assert res.after.w1_ab < 0.8 * res.before.w1_ab
    assert set(res.chain.to_wire()["adjust"]) == set(ADJUST_KEYS)


def test_initial_guess_reads_exposure_and_white_balance(lighthouse):
    px = working_pixels(lighthouse)
    ref = color_transform(parse_chain({"adjust": {"exposure": 40, "temperature": 50}}))(px)
    p = initial_guess(px, ref)
    assert p[FITTED_ADJUST.index("exposure")] > 0.05
    assert p[FITTED_ADJUST.index("temperature")] > 0.25
    assert len(p) == len(FITTED_ADJUST) + len(SELECTIVE_KEYS)


@pytest.mark.parametrize("kwargs, message", [
    ({"filters": ["no_such_preset"]}, "unknown filter preset"),
    ({"side": 8}, "side must be within"),
])
def test_bad_arguments(street, kwargs, message):
    with pytest.raises(ValueError, match=message):
        match_look(street, street, **kwargs)
    with pytest.raises(ValueError, match="expected an"):
        match_look(street[..., 0], street)


def test_range_weights_are_the_selective_tool_weights():
    """The statistics' colour-range weights are the selective tool's own, from a table over hue."""
    from vibegrade.tools.match.stats import range_weights
    from vibegrade.tools.selective import color_weights

    rng = np.random.default_rng(5)
    x = np.concatenate([rng.random((5000, 3), dtype=np.float32),
                        np.repeat(rng.random((50, 1), dtype=np.float32), 3, axis=1)])  # and greys
    np.testing.assert_allclose(range_weights(x), color_weights(x), atol=3e-4)
