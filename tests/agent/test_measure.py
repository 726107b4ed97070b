"""CIELAB, CIEDE2000 and the checklist's properties (vibegrade.agent.measure), against scikit-image and
Sharma et al.'s published test pairs, on real photos."""

from __future__ import annotations

import numpy as np
import pytest

from tests.agent.sharma_pairs import SHARMA_PAIRS
from tests.conftest import shared_photo
from vibegrade.agent.measure import chroma, clipped, delta_e00, hue_degrees, lab_view, measure, to_lab

skcolor = pytest.importorskip("skimage.color")  # the eval extra: the reference implementation


@pytest.fixture(scope="module")
def barn() -> np.ndarray:
    """The barn photo, 160 px wide, float32."""
    import cv2

    img = shared_photo("red_barn_pond_sky.jpg")
    small = cv2.resize(img, (160, round(160 * img.shape[0] / img.shape[1])), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32) / 255.0


def test_lab_matches_scikit_image_on_the_whole_gamut(rgb_cube_u8: np.ndarray) -> None:
    ours = to_lab(rgb_cube_u8)  # uint8 in
    ref = skcolor.rgb2lab(rgb_cube_u8)
    assert ours.dtype == np.float32 and ours.shape == rgb_cube_u8.shape
    assert np.abs(ours - ref).max() < 2e-3


def test_lab_matches_scikit_image_on_a_photo_and_any_shape(barn: np.ndarray) -> None:
    ref = skcolor.rgb2lab(barn.astype(np.float64))
    assert np.abs(to_lab(barn) - ref).max() < 2e-3
    flat = to_lab(barn.reshape(-1, 3))
    assert flat.shape == (barn.shape[0] * barn.shape[1], 3)
    assert np.array_equal(flat, to_lab(barn).reshape(-1, 3))
    u16 = (barn * 65535 + 0.5).astype(np.uint16)
    assert np.abs(to_lab(u16) - ref).max() < 2e-2


def test_lab_known_values_clipping_and_nan() -> None:
    lab = to_lab(np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.5, 0.5, 0.5], [2.0, -1.0, np.nan]],
                          np.float32))
    assert np.allclose(lab[0], 0.0, atol=1e-4)
    assert np.allclose(lab[1], [100.0, 0.0, 0.0], atol=1e-2)  # as scikit-image: the matrix rounds
    assert abs(lab[2, 0] - 53.389) < 2e-3  # sRGB 0.5 grey
    assert np.allclose(lab[3], to_lab(np.array([1.0, 0.0, 0.0], np.float32)), atol=1e-4)  # clipped, NaN as 0


def test_lab_view_is_reused_and_to_lab_is_not(barn: np.ndarray) -> None:
    a = to_lab(barn)
    v1 = lab_view(barn)
    v2 = lab_view(barn[::-1].copy())
    assert np.shares_memory(v1, v2)  # the same buffer, overwritten
    assert np.array_equal(to_lab(barn), a) and not np.shares_memory(to_lab(barn), a)


def test_delta_e00_reproduces_sharmas_table() -> None:
    p = np.array(SHARMA_PAIRS)
    lab1, lab2, want = p[:, :3], p[:, 3:6], p[:, 6]
    assert np.abs(delta_e00(lab1, lab2) - want).max() < 1e-4
    assert np.abs(delta_e00(lab2, lab1) - want).max() < 1e-4  # symmetric, branches included
    assert np.abs(delta_e00(lab1.astype(np.float32), lab2.astype(np.float32)) - want).max() < 1e-3
    assert np.abs(skcolor.deltaE_ciede2000(lab1, lab2) - want).max() < 1e-4  # the reference agrees


def test_delta_e00_matches_scikit_image_on_photo_edits(barn: np.ndarray) -> None:
    from vibegrade.api import render

    lab1 = to_lab(barn)
    for chain in ({"adjust": {"temperature": 40}}, {"adjust": {"saturation": -60, "exposure": 30}},
                  {"adjust": {"hue": 40}}):
        lab2 = to_lab(render(barn, chain))
        ref = skcolor.deltaE_ciede2000(lab1.astype(np.float64), lab2.astype(np.float64))
        exact = delta_e00(lab1.astype(np.float64), lab2.astype(np.float64))
        fast = delta_e00(lab1, lab2)
        assert exact.shape == fast.shape == barn.shape[:2] and fast.dtype == np.float32
        assert np.abs(exact - ref).max() < 1e-8
        assert np.abs(fast - ref).max() < 3e-3 and abs(float(fast.mean() - ref.mean())) < 1e-4
        assert ref.mean() > 2.0  # the edits are visible


def test_delta_e00_identity_grey_and_shapes() -> None:
    rng = np.random.default_rng(0)
    lab = np.stack([rng.uniform(0, 100, 500), rng.uniform(-90, 90, 500), rng.uniform(-90, 90, 500)], -1)
    assert np.abs(delta_e00(lab, lab)).max() < 1e-6
    grey = np.zeros((4, 3))
    grey[:, 0] = [10, 20, 50, 90]
    assert np.all(np.isfinite(delta_e00(grey, grey[::-1])))
    with pytest.raises(ValueError, match="same shape"):
        delta_e00(lab, lab[:10])


def test_chroma_and_hue() -> None:
    lab = np.array([[50, 3, 4], [50, 0, -2], [50, -1, 0]], np.float32)
    assert np.allclose(chroma(lab), [5, 2, 1])
    assert np.allclose(hue_degrees(lab), [np.degrees(np.arctan2(4, 3)), 270, 180], atol=0.02)
    assert np.allclose(hue_degrees(lab.astype(np.float64)), [np.degrees(np.arctan2(4, 3)), 270, 180])


def test_measure_units_and_mask_weighting() -> None:
    rgb = np.zeros((10, 20, 3), np.float32)
    rgb[:, 10:] = 1.0  # left black, right white
    lab = to_lab(rgb)
    right = np.zeros((10, 20), np.float32)
    right[:, 10:] = 1
    ones = np.ones((10, 20), np.float32)
    assert measure(lab, rgb, right, "luminance") == pytest.approx(100.0, abs=1e-2)
    assert measure(lab, rgb, ones, "luminance") == pytest.approx(50.0, abs=1e-2)
    assert measure(lab, rgb, ones, "contrast") == pytest.approx(50.0, abs=1e-2)  # std of {0, 100}
    assert measure(lab, rgb, right, "contrast") == pytest.approx(0.0, abs=1e-2)
    assert measure(lab, rgb, ones, "clipping") == pytest.approx(100.0)  # black and white are both clipped
    half = ones * 0.5
    half[:, 10:] = 1.0  # the white half counts twice as much
    assert measure(lab, rgb, half, "luminance") == pytest.approx(100 * 2 / 3, abs=1e-2)
    # colour: a warm orange patch
    rgb2 = np.full((4, 4, 3), [0.9, 0.6, 0.3], np.float32)
    lab2 = to_lab(rgb2)
    m = np.ones((4, 4), np.float32)
    assert measure(lab2, rgb2, m, "warmth") == pytest.approx(float(lab2[0, 0, 2]), abs=1e-3)
    assert measure(lab2, rgb2, m, "tint") == pytest.approx(float(lab2[0, 0, 1]), abs=1e-3)
    assert measure(lab2, rgb2, m, "saturation") == pytest.approx(float(np.hypot(*lab2[0, 0, 1:])), abs=1e-3)
    assert measure(lab2, rgb2, m, "clipping") == 0.0


def test_measure_refuses_what_it_cannot_measure() -> None:
    rgb = np.full((4, 4, 3), 0.5, np.float32)
    lab = to_lab(rgb)
    m = np.ones((4, 4), np.float32)
    with pytest.raises(ValueError, match="delta_e00"):
        measure(lab, rgb, m, "color")
    with pytest.raises(ValueError, match="cannot measure"):
        measure(lab, rgb, m, "content")
    with pytest.raises(ValueError, match="empty"):
        measure(lab, rgb, np.zeros((4, 4), np.float32), "luminance")
    with pytest.raises(ValueError, match="does not match"):
        measure(lab, rgb, np.ones((3, 4), np.float32), "luminance")


def test_clipped_thresholds() -> None:
    px = np.array([[254, 0, 0], [253, 253, 253], [1, 1, 1], [1, 2, 1], [0, 0, 0]], np.uint8)
    assert clipped(px).tolist() == [True, False, True, False, True]
