"""Each adjust parameter moves the image the way its slider promises."""

import numpy as np
import pytest

from vibegrade.schema import ADJUST_PARAMS, parse_chain
from vibegrade.tools import adjust as A
from vibegrade.tools.chain import render
from vibegrade.tools.color import REC709, hue_degrees, rgb_to_hsv, srgb_to_linear


def lum(img: np.ndarray) -> float:
    """Mean linear luminance of an 8-bit image."""
    return float((srgb_to_linear(img.astype(np.float32) / 255) @ REC709).mean())


def r(img, **adjust):
    return render(img, parse_chain({"adjust": adjust}))


def test_zero_parameters_give_exact_identity(samples):
    chain = parse_chain({"adjust": {p.name: 0 for p in ADJUST_PARAMS},
                         "filter": {"name": "none", "intensity": 0}})
    for img in samples.values():
        out = render(img, chain)
        assert out.dtype == np.uint8 and np.array_equal(out, img)
    img16 = (samples["coffee"].astype(np.uint16) * 257)
    assert np.array_equal(render(img16, chain), img16)


def test_every_neutral_operation_returns_input():
    x = np.random.default_rng(1).random((50, 3), dtype=np.float32)
    for fn, args in [(A.exposure, (0,)), (A.contrast, (0,)), (A.brightness, (0,)), (A.highlights, (0,)),
                     (A.shadows, (0,)), (A.saturation, (0,)), (A.vibrance, (0,)), (A.hue, (0,)), (
                         A.hue, (360,)),
                     (A.linear_offset, (0,)), (A.white_balance, (0, 0))]:
        assert np.array_equal(fn(x, *args), x), fn.__name__


def test_exposure_in_stops_of_linear_light():
    x = np.array([[0.1, 0.1, 0.1]], np.float32)  # encoded
    up = A.exposure(x, 50)  # +1 stop
    assert srgb_to_linear(up)[0, 0] == pytest.approx(2 * srgb_to_linear(x)[0, 0], rel=1e-3)
    down = A.exposure(x, -100)  # -2 stops
    assert srgb_to_linear(down)[0, 0] == pytest.approx(srgb_to_linear(x)[0, 0] / 4, rel=1e-3)
    # brightening rolls off: white stays white, no value exceeds 1, order is kept
    ramp = np.linspace(0, 1, 256, dtype=np.float32)[:, None].repeat(3, 1)
    out = A.exposure(ramp, 100)[:, 0]
    assert out[-1] == pytest.approx(1.0, abs=1e-5) and np.all(np.diff(out) >= -1e-6)


def test_exposure_up_raises_mean_luminance(astronaut):
    assert lum(r(astronaut, exposure=40)) > lum(astronaut) * 1.3
    assert lum(r(astronaut, exposure=-40)) < lum(astronaut) / 1.3


def test_temperature_and_tint(astronaut):
    def rb(img):
        m = img.reshape(-1, 3).astype(float).mean(0)
        return m[0] / m[2]

    assert rb(r(astronaut, temperature=60)) > rb(astronaut) * 1.15
    assert rb(r(astronaut, temperature=-60)) < rb(astronaut) / 1.15
    g = lambda img: img[..., 1].astype(float).mean() / img.astype(float).mean()  # noqa: E731
    assert g(r(astronaut, tint=60)) < g(astronaut) and g(r(astronaut, tint=-60)) > g(astronaut)


def test_contrast_is_an_s_curve_around_middle_grey():
    ramp = np.linspace(0, 1, 101, dtype=np.float32)[:, None].repeat(3, 1)
    p = A.MIDDLE_GREY
    hi = A.contrast(ramp, 80)[:, 0]
    lo = A.contrast(ramp, -80)[:, 0]
    x = ramp[:, 0]
    dark, light = x < p - 0.05, x > p + 0.05
    assert np.all(hi[dark] <= x[dark] + 1e-6) and np.all(hi[light] >= x[light] - 1e-6)
    assert np.all(lo[dark] >= x[dark] - 1e-6) and np.all(lo[light] <= x[light] + 1e-6)
    assert A.contrast(np.full((1, 3), p, np.float32), 80)[0, 0] == pytest.approx(p, abs=1e-5)
    assert hi[0] == pytest.approx(0) and hi[-1] == pytest.approx(1)
    assert np.all(np.diff(hi) >= 0)


def test_brightness_moves_midtones_keeps_endpoints():
    ramp = np.linspace(0, 1, 11, dtype=np.float32)[:, None].repeat(3, 1)
    up, down = A.brightness(ramp, 60)[:, 0], A.brightness(ramp, -60)[:, 0]
    assert up[0] == 0 and up[-1] == pytest.approx(1) and up[5] > 0.6
    assert down[5] < 0.4
    np.testing.assert_allclose(A.brightness(A.brightness(ramp, 60), -60), ramp, atol=1e-5)


def test_highlights_and_shadows_are_masked_and_do_not_clip():
    ramp = np.linspace(0, 1, 101, dtype=np.float32)[:, None].repeat(3, 1)
    x = ramp[:, 0]
    sh = A.shadows(ramp, 100)[:, 0]
    hl = A.highlights(ramp, -100)[:, 0]
    assert sh[20] > x[20] + 0.05 and abs(sh[90] - x[90]) < 0.01  # lifts darks, leaves brights
    assert hl[80] < x[80] - 0.05 and abs(hl[10] - x[10]) < 0.01   # recovers brights, leaves darks
    for out in (sh, hl, A.shadows(ramp, -100)[:, 0], A.highlights(ramp, 100)[:, 0]):
        assert np.all(np.diff(out) >= -1e-6) and out.min() >= 0 and out.max() <= 1
        assert out[0] == pytest.approx(0, abs=1e-6) and out[-1] == pytest.approx(1, abs=1e-6)


def test_saturation_minus_100_is_greyscale(astronaut):
    out = r(astronaut, saturation=-100).astype(int)
    assert np.abs(out[..., 0] - out[..., 1]).max() <= 1 and np.abs(out[..., 1] - out[..., 2]).max() <= 1


def test_saturation_up_increases_chroma(astronaut):
    s = lambda img: rgb_to_hsv(img.astype(np.float32) / 255)[..., 1].mean()  # noqa: E731
    assert s(r(astronaut, saturation=50)) > s(astronaut) * 1.15
    assert s(r(astronaut, saturation=-50)) < s(astronaut) * 0.8


def test_vibrance_favours_muted_colours_and_protects_skin():
    muted = np.array([[0.45, 0.5, 0.6]], np.float32)  # muted blue
    vivid = np.array([[0.1, 0.3, 0.9]], np.float32)
    skin = np.array([[0.85, 0.62, 0.5]], np.float32)  # a light skin tone, hue ~ 22 deg
    gain = lambda c: A.chroma(A.vibrance(c, 80))[0] / A.chroma(c)[0]  # noqa: E731
    sat_gain = lambda c: A.chroma(A.saturation(c, 80))[0] / A.chroma(c)[0]  # noqa: E731
    assert gain(muted) > gain(vivid) > 1.0 - 1e-6
    assert gain(skin) - 1 < 0.6 * (gain(muted) - 1)
    assert gain(skin) < sat_gain(skin)


def test_hue_180_rotates_hues():
    red = np.array([[0.8, 0.2, 0.2]], np.float32)
    out = A.hue(red, 180)
    assert hue_degrees(out)[0] == pytest.approx(180, abs=1)  # red -> cyan
    assert A.hue(np.array([[0.5, 0.5, 0.5]], np.float32), 180)[0] == pytest.approx([0.5] * 3)
    ring = np.random.default_rng(0).random((500, 3), dtype=np.float32)
    ring = ring[A.chroma(ring) > 0.2]
    d = (hue_degrees(A.hue(ring, 90)) - hue_degrees(ring)) % 360
    assert np.all(np.abs(d - 90) < 1.0)


def test_linear_offset_lifts_or_crushes_blacks():
    ramp = np.linspace(0, 1, 11, dtype=np.float32)[:, None].repeat(3, 1)
    lift, crush = A.linear_offset(ramp, 100)[:, 0], A.linear_offset(ramp, -100)[:, 0]
    assert lift[0] == pytest.approx(0.25) and lift[-1] == pytest.approx(1)
    assert crush[1] < 0.02 and crush[0] == pytest.approx(0, abs=1e-6) and crush[-1] == pytest.approx(1)


def test_bloom_sharpen_structure(astronaut):
    from vibegrade.tools.spatial import bloom, sharpen, structure
    img = astronaut.astype(np.float32) / 255
    lap = lambda x: np.abs(np.diff(x.mean(-1), axis=1)).mean()  # noqa: E731
    assert lap(sharpen(img, 80)) > lap(img) * 1.2
    assert lap(structure(img, 80)) > lap(img) * 1.05
    b = bloom(img, 80)
    assert b.mean() > img.mean() and np.all(b >= img - 1e-3)  # glow only adds light
    for fn in (bloom, sharpen, structure):
        assert np.array_equal(fn(img, 0), img)
    out = r(astronaut, bloom=50, sharpen=50, structure=50)
    assert out.shape == astronaut.shape and out.dtype == np.uint8 and not np.array_equal(out, astronaut)
