"""A white balance asked in Kelvin: the temperature slider that renders it
(``tools.adjust.temperature_for_kelvin``, the black-body white of ``tools.color.planckian_white``)."""

from __future__ import annotations

import numpy as np
import pytest

from vibegrade.tools.adjust import DAYLIGHT_K, temperature_for_kelvin, white_balance
from vibegrade.tools.color import planckian_white, srgb_to_linear


def test_the_planckian_white_follows_colour_science():
    """Kim et al.'s locus against colour-science's implementation of the same approximation (Kang 2002),
    in linear sRGB, normalised to Y = 1."""
    colour = pytest.importorskip("colour")
    for k in (2000, 3200, 4500, 5500, 6500, 10000):
        want = colour.XYZ_to_RGB(colour.xy_to_XYZ(colour.temperature.CCT_to_xy_Kang2002(k)),
                                 colour.RGB_COLOURSPACES["sRGB"], apply_cctf_encoding=False)
        got = planckian_white(k)
        assert np.allclose(got / got[1], want / want[1], atol=0.01), k


def test_the_kelvin_reading_follows_the_planckian_locus():
    """The slider's gains reproduce the change in blue over red of setting the balance: rendered on a grey
    card, blue over red moves by the daylight white's against the chosen Kelvin's."""
    def blue_red(k: float) -> float:
        r, _, b = planckian_white(k)
        return float(b / r)

    grey = np.full((1, 1, 3), 0.5, np.float32)
    for k in (4700, 5000, 6000, 7000, 7800):
        ratio = blue_red(DAYLIGHT_K) / blue_red(k)
        out = srgb_to_linear(white_balance(grey, round(temperature_for_kelvin(k)), 0))[0, 0]
        base = srgb_to_linear(grey)[0, 0]
        assert np.isclose((out[2] / out[0]) / (base[2] / base[0]), ratio, rtol=0.03), k
    values = [temperature_for_kelvin(k) for k in range(2000, 12001, 250)]
    assert values == sorted(values) and values[0] == -100 and values[-1] == 100


