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
