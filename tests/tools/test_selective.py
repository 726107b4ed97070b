"""selective_adjust changes its own hue range, a little of the neighbours, nothing far away."""

import numpy as np
import pytest

from vibegrade.schema import SELECTIVE_COLORS, SELECTIVE_HUES, SelectiveAdjust
from vibegrade.tools.color import chroma, hsv_to_rgb, luma
from vibegrade.tools.selective import apply_selective, color_weights


def wheel(n: int = 360, s: float = 0.8, v: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    h = np.arange(n, dtype=np.float32) * (360.0 / n)
    hsv = np.stack([h, np.full(n, s, np.float32), np.full(n, v, np.float32)], -1)
    return h, hsv_to_rgb(hsv)


def test_weights_partition_unity_and_ignore_greys():
    _, rgb = wheel()
    w = color_weights(rgb)
    np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-5)
    grey = np.array([[0.3, 0.3, 0.3], [0.9, 0.9, 0.9]], np.float32)
    assert np.all(color_weights(grey) == 0)


def test_orange_boost_changes_oranges_a_little_of_reds_yellows_nothing_of_blues():
    h, rgb = wheel(s=0.5)
    out = apply_selective(rgb, SelectiveAdjust(orange={"saturation": 80}))
    gain = chroma(out) / chroma(rgb) - 1
    at = lambda deg: gain[int(deg)]  # noqa: E731
    assert at(30) > 0.3                       # orange: full effect
    assert 0 < at(10) < at(30) and 0 < at(50) < at(30)  # reddish-orange and yellowish-orange: some
    assert abs(at(0)) < 1e-3 and abs(at(60)) < 1e-3     # pure red / yellow centres: none
    assert np.all(np.abs(gain[(h > 90) & (h < 330)]) < 1e-3)  # greens, cyans, blues, magentas: none


@pytest.mark.parametrize("color", SELECTIVE_COLORS)
def test_each_colour_mostly_changes_its_own_range(color):
    h, rgb = wheel()
    out = apply_selective(rgb, SelectiveAdjust(**{color: {"saturation": -100, "luminance": 60}}))
    change = np.abs(out - rgb).sum(-1)
    centre = SELECTIVE_HUES[color]
    dist = np.abs((h - centre + 180) % 360 - 180)
    own = change[dist <= 10].mean()
    assert own > 0.1
    # beyond the neighbouring colour centres nothing changes (red and blue share the magenta gap)
    reach = 120 if color in ("red", "blue") else 60
    assert change[dist >= reach].max() < 1e-3
    assert own > 3 * change[(dist > 30) & (dist < reach)].mean()  # neighbours change much less


def test_luminance_moves_luma_keeps_hue():
    _, rgb = wheel()
    blue = rgb[240:241]
    darker = apply_selective(blue, SelectiveAdjust(blue={"luminance": -80}))
    brighter = apply_selective(blue, SelectiveAdjust(blue={"luminance": 80}))
    assert luma(darker)[0] < luma(blue)[0] - 0.02 < luma(blue)[0] + 0.02 < luma(brighter)[0]
    from vibegrade.tools.color import hue_degrees
    assert hue_degrees(darker)[0] == pytest.approx(240, abs=1) and hue_degrees(brighter)[0] == pytest.approx(
        240, abs=1)


def test_unused_is_identity():
    _, rgb = wheel()
    assert apply_selective(rgb, SelectiveAdjust()) is rgb
