"""The regional tool: adjust subsets inside soft masks, rendered after selective_adjust, before the filter."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vibegrade.schema import ToolChain, parse_chain
from vibegrade.tools.chain import RegionalInLutError, bake_lut, color_transform, render, render_direct
from vibegrade.tools.regional import apply_regional_float, support


@pytest.fixture(scope="module")
def img(samples) -> np.ndarray:
    return samples["chelsea"][::2, ::2].copy()


def _top_mask(img: np.ndarray) -> dict[str, np.ndarray]:
    h, w = img.shape[:2]
    ramp = np.clip(np.linspace(1.5, -0.5, h), 0, 1).astype(np.float32)
    return {"sky": np.repeat(ramp[:, None], w, axis=1)}


def _chain(regional, **rest) -> ToolChain:
    return parse_chain({**rest, "regional": regional})


def test_wire_without_regional_is_unchanged_and_round_trips() -> None:
    plain = parse_chain({"adjust": {"exposure": 10}})
    assert "regional" not in plain.to_wire()
    assert parse_chain({"adjust": {"exposure": 10}, "regional": []}) == plain
    c = _chain([{"region": "sky", "adjust": {"temperature": -20}}], adjust={"exposure": 10})
    wire = c.to_wire()
    assert wire["regional"] == [{"region": "sky", "adjust": {"temperature": -20}}]
    assert list(wire) == ["adjust", "selective_adjust", "regional", "filter"]
    assert parse_chain(json.loads(json.dumps(wire))) == c
    # an edit that sets nothing is not written and not rendered
    assert "regional" not in _chain([{"region": "sky", "adjust": {}}]).to_wire()


@pytest.mark.parametrize("bad, message", [
    ({"regional": [{"region": "skies"}]}, "unknown region 'skies'"),
    ({"regional": [{"region": "sky", "adjust": {"hue": 10}}]}, "regional.0.adjust.hue: unknown field"),
    ({"regional": [{"region": "sky", "adjust": {"exposure": 150}}]}, "regional.0.adjust.exposure"),
    ({"regional": "sky"}, "regional: must be a list"),
    ({"regional": [{"region": "sky"}] * 9}, "at most 8"),
])
def test_invalid_regional_edits_are_rejected_with_the_field(bad, message) -> None:
    with pytest.raises(ValueError, match=message):
        parse_chain(bad)


def test_an_unused_edit_renders_exactly_like_the_chain_without_it(img) -> None:
    c = parse_chain({"adjust": {"contrast": 20, "saturation": -10},
                     "filter": {"name": "winter", "intensity": 60}})
    with_empty = c.model_copy(update={"regional": _chain([{"region": "sky", "adjust": {}}]).regional})
    assert np.array_equal(render(img, with_empty, masks=_top_mask(img)), render(img, c))


def test_a_full_mask_equals_the_global_adjustment_and_an_empty_one_changes_nothing(img) -> None:
    h, w = img.shape[:2]
    edit = [{"region": "sky", "adjust": {"exposure": 25, "temperature": -30}}]
    full = render(img, _chain(edit), masks={"sky": np.ones((h, w), np.float32)})
    glob = render(img, parse_chain({"adjust": {"exposure": 25, "temperature": -30}}))
    assert np.abs(full.astype(int) - glob).max() <= 2
    none = render(img, _chain(edit), masks={"sky": np.zeros((h, w), np.float32)})
    assert np.array_equal(none, img)


def test_the_edit_stays_inside_its_mask_and_runs_before_the_filter(img) -> None:
    masks = _top_mask(img)
    c = _chain([{"region": "sky", "adjust": {"temperature": -60}}], adjust={"contrast": 15},
               filter={"name": "winter", "intensity": 50})
    out = render(img, c, masks=masks).astype(int)
    without = render(img, c.without_regional()).astype(int)
    h = img.shape[0]
    bottom, top = slice(3 * h // 4, h), slice(0, h // 8)
    # mask 0 there: only the 8-bit rounding between the two LUT passes (adjust, then the filter) differs
    assert np.abs(out[bottom] - without[bottom]).max() <= 1
    # cooler at the top: blue up relative to red
    assert (out[top, :, 2] - out[top, :, 0]).mean() > (without[top, :, 2] - without[top, :, 0]).mean() + 5


def test_lut_path_matches_the_direct_reference_and_the_bit_depths_agree(img) -> None:
    masks = _top_mask(img)
    c = _chain([{"region": "sky", "adjust": {"exposure": -20, "saturation": 30, "shadows": 20}},
                {"region": "sky", "adjust": {"tint": 15, "contrast": 20}}],
               adjust={"brightness": 10}, selective_adjust={"orange": {"saturation": 20}})
    fast = render(img, c, masks=masks).astype(int)
    ref = render_direct(img, c, masks=masks).astype(int)
    assert np.abs(fast - ref).max() <= 3 and np.abs(fast - ref).mean() < 0.5
    u16 = render(img.astype(np.uint16) * 257, c, masks=masks)
    assert u16.dtype == np.uint16
    assert np.abs(u16 / 257.0 - fast).max() <= 3
    f32 = render(img.astype(np.float32) / 255, c, masks=masks)
    assert f32.dtype == np.float32 and np.abs(f32 * 255 - fast).max() <= 3


def test_masks_of_another_size_are_resized(img) -> None:
    h, w = img.shape[:2]
    small = {"sky": np.ones((h // 4, w // 4), np.float32)}
    c = _chain([{"region": "sky", "adjust": {"exposure": 20}}])
    assert np.abs(render(img, c, masks=small).astype(int)
                  - render(img, c, masks={"sky": np.ones((h, w), np.float32)})).max() <= 1


def test_a_missing_mask_is_a_clear_error(img) -> None:
    with pytest.raises(ValueError, match="no mask for region 'faces'"):
        render(img, _chain([{"region": "faces", "adjust": {"exposure": 20}}]), masks={})
    with pytest.raises(ValueError, match="2-D"):
        apply_regional_float(img / 255.0, _chain([{"region": "sky", "adjust": {"exposure": 5}}]).regional,
                             {"sky": np.ones((3, 3, 3))})


def test_a_lut_cannot_hold_regional_edits() -> None:
    c = _chain([{"region": "sky", "adjust": {"temperature": -20}}])
    with pytest.raises(RegionalInLutError, match="cannot live in a LUT"):
        bake_lut(c)
    with pytest.raises(RegionalInLutError):
        color_transform(c)
    assert bake_lut(c.without_regional()).shape == (33, 33, 33, 3)


def test_support_is_the_bounding_box_of_the_mask() -> None:
    m = np.zeros((40, 60), np.float32)
    assert support(m) is None
    m[5:9, 10:30] = 0.5
    assert support(m) == (slice(5, 9), slice(10, 30))


def test_per_channel_edits_run_as_exact_tone_curves(img) -> None:
    from vibegrade.schema import RegionalAdjust
    from vibegrade.tools.adjust import apply_color
    from vibegrade.tools.regional import apply_regional_u8, edit_curves

    per_channel = RegionalAdjust(exposure=-25, temperature=30, tint=-10, contrast=15, brightness=5)
    assert edit_curves(per_channel) is not None
    # saturation, vibrance, highlights and shadows mix the channels: they keep the 3-D LUT
    for mixing in ({"saturation": 20}, {"vibrance": -30}, {"highlights": -40}, {"shadows": 30},
                   {"temperature": 10, "saturation": 5}):
        assert edit_curves(RegionalAdjust(**mixing)) is None
    h, w = img.shape[:2]
    edit = _chain([{"region": "sky", "adjust": per_channel.model_dump()}]).regional
    out = apply_regional_u8(img, edit, {"sky": np.ones((h, w), np.float32)}).astype(int)
    exact = np.rint(np.clip(apply_color(img / 255.0, per_channel.as_adjust()), 0, 1) * 255).astype(int)
    # each level is the curve's own value (no interpolation between LUT nodes): at most one level of
    # float32-vs-float64 rounding
    assert np.abs(out - exact).max() <= 1 and (out != exact).mean() < 0.01


def test_bands_leave_out_the_rows_where_the_mask_is_empty() -> None:
    from vibegrade.tools.regional import bands

    m = np.zeros((400, 50), np.float32)
    assert bands(m) == []
    m[:100, 5:20] = 0.3  # top band
    m[300:330, 10:40] = 1.0  # and one lower down: the rows between are left out
    got = bands(m, rows=64)
    assert got[0][0].start == 0 and got[0][0].stop >= 100
    assert got[-1][0].start <= 300 and got[-1][0].stop >= 330
    covered = np.zeros(400, bool)
    for r, c in got:
        covered[r] = True
        assert c == slice(5, 40)
    assert covered[:100].all() and covered[300:330].all() and not covered[140:250].any()


def test_the_banded_render_equals_one_pass_over_the_bounding_box(img) -> None:
    from vibegrade.tools.regional import apply_regional_u8

    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.hypot((yy - h / 2) / (h / 2), (xx - w / 2) / (w / 2))
    vignette = np.clip((r - 0.6) / 0.5, 0, 1).astype(np.float32)  # zero in the middle rows' centre
    stripes = np.zeros((h, w), np.float32)
    stripes[: h // 5] = 0.7
    stripes[3 * h // 5: 4 * h // 5] = 0.4
    edits = _chain([{"region": "edges", "adjust": {"exposure": -30}},
                    {"region": "sky", "adjust": {"saturation": 40, "temperature": -20}}]).regional
    masks = {"edges": vignette, "sky": stripes}
    out = apply_regional_u8(img, edits, masks).astype(int)
    ref = (np.clip(apply_regional_float(img / 255.0, edits, masks), 0, 1) * 255).astype(int)
    assert np.abs(out - ref).max() <= 3
    assert np.array_equal(out[2 * h // 5: 3 * h // 5, w // 3: 2 * w // 3],
                          img[2 * h // 5: 3 * h // 5, w // 3: 2 * w // 3].astype(int))
