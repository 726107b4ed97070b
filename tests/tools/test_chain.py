"""The render path: identity, order, filter blending, and baked LUT vs direct per-pixel evaluation."""

import numpy as np
import pytest

from vibegrade.schema import parse_chain
from vibegrade.tools.chain import Renderer, bake_lut, color_transform, render, render_direct
from vibegrade.tools.filters import load_preset, preset_names
from vibegrade.tools.lut import apply_lut

LOOK = {  # a realistic graded look touching every tool
    "adjust": {"exposure": 12, "contrast": 25, "brightness": 5, "highlights": -30, "shadows": 25,
               "saturation": 10, "vibrance": 30, "temperature": 25, "tint": 5, "hue": 0, "linearOffset": 10},
    "selective_adjust": {"orange": {"saturation": 20, "luminance": 10},
                         "blue": {"saturation": -30, "luminance": -20}},
    "filter": {"name": "teal_and_orange_2", "intensity": 50},
}

STRONG = [
    {"adjust": {"exposure": 100}}, {"adjust": {"exposure": -100}}, {"adjust": {"contrast": 100}},
    {"adjust": {"contrast": -100}}, {"adjust": {"brightness": 100}}, {"adjust": {"brightness": -100}},
    {"adjust": {"highlights": -100, "shadows": 100}}, {"adjust": {"highlights": 100, "shadows": -100}},
    {"adjust": {"saturation": 100}}, {"adjust": {"saturation": -100}}, {"adjust": {"vibrance": 100}},
    {"adjust": {"vibrance": -100}}, {"adjust": {"temperature": 100, "tint": -100}},
    {"adjust": {"temperature": -100, "tint": 100}}, {"adjust": {"hue": 180}}, {"adjust": {"hue": 45}},
    {"adjust": {"linearOffset": 100}}, {"adjust": {"linearOffset": -100}},
    {"selective_adjust": {c: {"saturation": 100, "luminance": 60} for c in ("red", "yellow", "cyan")}},
    {"selective_adjust": {c: {"saturation": -100, "luminance": -60} for c in ("orange", "green", "blue")}},
    LOOK,
]


def test_identity_chain_returns_exact_copy(samples):
    chain = parse_chain({"filter": {"name": "winter", "intensity": 0}})
    for img in samples.values():
        out = render(img, chain)
        assert np.array_equal(out, img) and out is not img


@pytest.mark.parametrize("spec", STRONG, ids=lambda s: "+".join(f"{k}" for t in s.values() for k in t))
def test_baked_lut_matches_direct_evaluation(spec, samples, rgb_cube_u8):
    """Baked 65^3 LUT with tetrahedral interpolation vs per-pixel maths: max error <= 1/255 on 8-bit."""
    chain = parse_chain(spec)
    r = Renderer(chain, lut_size=65, interpolation="tetrahedral", u8_fast=False)
    for img in [samples["astronaut"], samples["coffee"], rgb_cube_u8]:
        err = np.abs(r(img).astype(int) - render_direct(img, chain).astype(int)).max()
        assert err <= 1, f"max error {err}/255"


def test_default_fast_path_is_close_to_direct(samples):
    """The default 8-bit path (33^3, Pillow trilinear) on a realistic look: mean error well under 1/255."""
    chain = parse_chain(LOOK)
    for img in samples.values():
        diff = np.abs(render(img, chain).astype(int) - render_direct(img, chain).astype(int))
        assert diff.mean() < 0.5 and diff.max() <= 6


def test_filter_intensity_blends_preset_with_input():
    x = np.random.default_rng(3).random((2000, 3), dtype=np.float32)
    preset = load_preset("winter")
    full = color_transform(parse_chain({"filter": {"name": "winter", "intensity": 100}}))(x)
    half = color_transform(parse_chain({"filter": {"name": "winter", "intensity": 50}}))(x)
    np.testing.assert_allclose(full, apply_lut(x, preset), atol=1e-6)
    np.testing.assert_allclose(half, 0.5 * x + 0.5 * full, atol=1e-5)


def test_tools_apply_in_fixed_order():
    """adjust runs before the filter: swapping would give a different result for non-commuting tools."""
    x = np.random.default_rng(4).random((500, 3), dtype=np.float32)
    chain = parse_chain({"adjust": {"exposure": 60}, "filter": {"name": "negative", "intensity": 100}})
    from vibegrade.tools.adjust import exposure
    expected = apply_lut(exposure(x, 60), load_preset("negative"))
    np.testing.assert_allclose(color_transform(chain)(x), expected, atol=1e-5)


def test_sixteen_bit_and_float_paths(samples):
    img8 = samples["coffee"]
    img16 = img8.astype(np.uint16) * 257
    chain = parse_chain(LOOK)
    out16 = render(img16, chain)
    assert out16.dtype == np.uint16
    out8 = render(img8, chain, u8_fast=False)
    assert np.abs((out16 / 257.0) - out8).max() <= 1.5  # same look at both depths
    assert len(np.unique(out16)) > len(np.unique(out8))  # the extra precision is kept
    outf = render(img8.astype(np.float32) / 255, chain)
    assert outf.dtype == np.float32 and outf.min() >= 0 and outf.max() <= 1


def test_spatial_only_chain_skips_the_lut(samples):
    chain = parse_chain({"adjust": {"sharpen": 60}})
    assert bake_lut(chain, 5).shape == (5, 5, 5, 3)
    np.testing.assert_allclose(bake_lut(chain, 5),
                               __import__("vibegrade.tools.lut").tools.lut.identity_grid(5),
                               atol=1e-6)
    out = render(samples["chelsea"], chain)
    assert np.array_equal(out, render_direct(samples["chelsea"], chain))


def test_bad_arrays_are_rejected():
    chain = parse_chain(LOOK)
    with pytest.raises(ValueError, match="RGB"):
        render(np.zeros((4, 4), np.uint8), chain)
    with pytest.raises(ValueError, match="pixel type"):
        render(np.zeros((4, 4, 3), np.int32), chain)


def test_all_presets_render(samples):
    img = samples["rocket"]
    for name in preset_names():
        out = render(img, parse_chain({"filter": {"name": name, "intensity": 100}}))
        assert not np.array_equal(out, img), name
