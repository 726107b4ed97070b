"""Bundled filter presets: installed, valid, reproducible from design.py, and looking like their names."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from vibegrade.tools.filters import (
    BUNDLED_DESCRIPTIONS,
    BUNDLED_PRESETS,
    CubeError,
    bundled_dir,
    design,
    load_preset,
    preset_descriptions,
    preset_names,
    preset_paths,
    refresh_presets,
)
from vibegrade.tools.lut import apply_lut, identity_grid, read_cube, write_cube

SIZE = 33


@pytest.fixture(autouse=True)
def _isolated_user_presets(tmp_path_factory, monkeypatch):
    """Point the user presets folder at an empty folder so a developer's own presets cannot interfere."""
    monkeypatch.setenv("VIBEGRADE_PRESETS_DIR", str(tmp_path_factory.mktemp("no_user_presets")))
    refresh_presets()
    yield
    refresh_presets()


@cache
def shipped_lut(name: str) -> np.ndarray:
    """A bundled .cube file as stored, read straight from the package folder (parsed once per run)."""
    return read_cube(bundled_dir() / f"{name}.cube")[0]


@pytest.fixture(scope="module")
def shipped() -> dict[str, np.ndarray]:
    return {n: shipped_lut(n) for n in BUNDLED_PRESETS}


def grey_ramp(n: int = 21, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    return np.repeat(np.linspace(lo, hi, n, dtype=np.float32)[:, None], 3, axis=1)


def through(name: str, rgb) -> np.ndarray:
    """Probe colours through the shipped LUT of a bundled preset (tetrahedral, as in the render path)."""
    return apply_lut(np.asarray(rgb, np.float32), shipped_lut(name))


# ------------------------------------------------------------------------------------------------------------
# installation and validity
# ------------------------------------------------------------------------------------------------------------


def test_every_bundled_name_has_a_recipe_and_a_file():
    assert list(design.RECIPES) == list(BUNDLED_PRESETS)
    assert sorted(p.stem for p in bundled_dir().glob("*.cube")) == sorted(BUNDLED_PRESETS)
    assert preset_names() == list(BUNDLED_PRESETS)
    for name, fn in design.RECIPES.items():
        assert fn.__doc__ and fn.__doc__.strip(), f"{name} recipe needs a one-line description"


def test_the_static_descriptions_are_the_recipes_first_lines():
    """The catalogue's descriptions are a static table (no recipe is imported to serve them); it must say
    what the recipes' docstrings say."""
    assert list(BUNDLED_DESCRIPTIONS) == list(design.RECIPES)
    for name, fn in design.RECIPES.items():
        assert BUNDLED_DESCRIPTIONS[name] == fn.__doc__.strip().splitlines()[0].rstrip("."), name
    assert {n: preset_descriptions()[n] for n in BUNDLED_PRESETS} == BUNDLED_DESCRIPTIONS


def test_the_registry_does_not_import_the_designs():
    """tools.filters must not import tools.filters.design (which imports it): listing and describing the
    presets needs no recipe. (An import contract cannot say this of a package and its own child.)"""
    code = ("import sys; from vibegrade.tools.filters import preset_descriptions, preset_names; "
            "preset_names(); preset_descriptions(); print('vibegrade.tools.filters.design' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_presets_load_as_33_cubed_luts_in_range(shipped):
    ident = identity_grid(SIZE)
    for name in BUNDLED_PRESETS:
        assert preset_paths()[name] == bundled_dir() / f"{name}.cube"
        lut = load_preset(name)
        np.testing.assert_array_equal(lut, shipped[name])
        assert lut.shape == (SIZE, SIZE, SIZE, 3), name
        assert lut.dtype == np.float32
        assert np.all(np.isfinite(lut)) and lut.min() >= 0.0 and lut.max() <= 1.0, name
        assert float(np.abs(lut - ident).mean()) > 0.01, f"{name} is (almost) the identity"
        with open(preset_paths()[name], encoding="utf-8") as f:
            head = [f.readline().strip() for _ in range(2)]
        assert head == [f"# {design.GENERATED_COMMENT}", f'TITLE "{name}"'], name


def test_design_reproduces_shipped_cubes(shipped):
    """Regenerating from the recipes gives the shipped files to within their 6-decimal rounding."""
    for name in BUNDLED_PRESETS:
        err = float(np.abs(design.generate(name, SIZE) - shipped[name]).max())
        assert err < 1e-5, f"{name}.cube is stale ({err:.2e}): run python -m vibegrade.tools.filters.design"


def test_luts_are_smooth(shipped):
    """No jumps between neighbouring grid entries (the identity step is 1/32 ≈ 0.031)."""
    for name, lut in shipped.items():
        assert design.max_step(lut) < 0.12, name


def test_no_two_presets_are_twins(shipped):
    names = list(shipped)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert float(np.abs(shipped[a] - shipped[b]).mean()) > 0.015, f"{a} and {b} are near-identical"


def test_greys_stay_ordered_except_negative():
    """Brighter grey in, brighter (or equal) out: no tone reversals or solarisation."""
    ramp = grey_ramp(256)
    for name in BUNDLED_PRESETS:
        y = design.luma(through(name, ramp))
        steps = np.diff(y) if name != "negative" else -np.diff(y)
        assert steps.min() > -1e-3, name


# ------------------------------------------------------------------------------------------------------------
# looks behave as named
# ------------------------------------------------------------------------------------------------------------


def test_negative_inverts():
    out = through("negative", [[1, 1, 1], [0, 0, 0], [1, 0.5, 0], [0.2, 0.4, 0.9]])
    assert np.all(out[0] < 0.02)
    assert np.all(out[1] > 0.98)
    np.testing.assert_allclose(out[2:], 1 - np.array([[1, 0.5, 0], [0.2, 0.4, 0.9]]), atol=0.01)


def test_night_vision_is_green_dominant():
    out = through("night_vision", grey_ramp(21, 0.05, 1.0))
    r, g, b = out[:, 0], out[:, 1], out[:, 2]
    assert np.all(g > 1.2 * np.maximum(r, b)) and np.all(g - np.maximum(r, b) > 0.08)
    # gain is lifted: a mid grey comes out brighter
    assert design.luma(through("night_vision", [[0.5, 0.5, 0.5]]))[0] > 0.55


@pytest.mark.parametrize("name,channel", [("duotone_red", 0), ("duotone_green", 1)])
def test_duotones_tint_a_grey_ramp(name, channel):
    out = through(name, grey_ramp(17, 0.1, 0.9))
    others = [c for c in range(3) if c != channel]
    for c in others:
        assert np.all(out[:, channel] > out[:, c] + 0.05), name


def test_duotone_red_is_reddish_throughout():
    out = through("duotone_red", grey_ramp(17, 0.1, 0.9))
    assert np.all(out[:, 0] > 1.2 * np.maximum(out[:, 1], out[:, 2]))
    # still a tonal map: brighter in, brighter out
    assert np.all(np.diff(design.luma(out)) > 0)


def test_winter_cools_a_neutral_grey():
    out = through("winter", [[0.5, 0.5, 0.5]])[0]
    assert out[0] / out[2] < 0.85


def test_darkness_darkens_mid_grey():
    y = design.luma(through("darkness", [[0.5, 0.5, 0.5]]))[0]
    assert y < 0.4


def test_cyberpunk_pushes_greys_to_cyan_and_magenta():
    shadows = through("cyberpunk", grey_ramp(5, 0.15, 0.35))
    highlights = through("cyberpunk", grey_ramp(5, 0.75, 0.95))
    r, g, b = shadows.T
    assert np.all(np.minimum(g, b) - r > 0.03), "shadows should go cyan"
    r, g, b = highlights.T
    assert np.all(np.minimum(r, b) - g > 0.03), "highlights should go magenta"


def test_warm_and_cool_presets_shift_white_balance():
    grey = [[0.6, 0.6, 0.6]]
    for warm in ("lovely_day", "fortune", "firecracker", "faded_Retro", "teal_and_orange_3"):
        r, _, b = through(warm, grey)[0]
        assert r > b + 0.05, warm
    for cool in ("winter", "north", "faded_Mist", "teal_and_orange_4"):
        r, _, b = through(cool, grey)[0]
        assert b > r + 0.03, cool


def test_faded_presets_lift_blacks_and_compress_whites():
    for name in BUNDLED_PRESETS:
        if name.startswith("faded_"):
            black, white = through(name, [[0, 0, 0], [1, 1, 1]])
            assert design.luma(black) > 0.05, name
            assert design.luma(white) < 0.99, name


def test_teal_and_orange_keeps_skin_orange_and_shadows_teal():
    skin = np.array([[0.9, 0.7, 0.55], [0.8, 0.55, 0.42], [0.55, 0.36, 0.26]], np.float32)
    for k in range(1, 7):
        name = f"teal_and_orange_{k}"
        out = through(name, skin)
        assert np.all(out[:, 0] > out[:, 1]) and np.all(out[:, 1] > out[:, 2]), name  # still orange
        dark = through(name, [[0.12, 0.12, 0.12]])[0]
        assert dark[2] > dark[0] and dark[1] > dark[0], name  # teal shadows


def test_vivid_and_ultra_saturate():
    c = np.array([[0.7, 0.45, 0.35], [0.3, 0.5, 0.7]], np.float32)

    def chroma(x):
        return x.max(axis=-1) - x.min(axis=-1)

    base = chroma(c)
    vivid, ultra = chroma(through("vivid", c)), chroma(through("ultra", c))
    assert np.all(vivid > base * 1.2)
    assert np.all(ultra > vivid)


# ------------------------------------------------------------------------------------------------------------
# building blocks
# ------------------------------------------------------------------------------------------------------------


def test_curve_passes_through_points_and_is_monotone():
    pts = [(0, 0.05), (0.25, 0.1), (0.5, 0.6), (1, 0.95)]
    c = design.Curve(pts)
    np.testing.assert_allclose(c(np.array([p[0] for p in pts])), [p[1] for p in pts], atol=1e-6)
    y = c(np.linspace(0, 1, 1001))
    assert np.all(np.diff(y) >= -1e-7) and y.min() >= 0.05 - 1e-6 and y.max() <= 0.95 + 1e-6


def test_blocks_keep_shape_and_range_and_leave_greys_alone_where_they_should():
    rng = np.random.default_rng(0)
    x = rng.random((7, 5, 3), dtype=np.float32)
    grey = grey_ramp(11)
    for fn in (lambda v: design.saturation(v, 1.8), lambda v: design.hue_pull(v, (30, 195), 0.8),
               lambda v: design.hue_band(v, 120, 60, shift=40, sat=1.5),
               lambda v: design.channel_mix(v, [[0.9, 0.1, 0], [0, 1, 0], [0.1, 0, 0.9]])):
        out = fn(x)
        assert out.shape == x.shape and out.dtype == np.float32
        assert out.min() >= 0 and out.max() <= 1
        np.testing.assert_allclose(fn(grey), grey, atol=1e-5)
    np.testing.assert_allclose(design.fit_gamut(x), x, atol=1e-6)
    assert design.fit_gamut(np.array([1.2, 0.6, 0.0], np.float32)).tolist() == pytest.approx([1.0, 0.5, 0.0])


# ------------------------------------------------------------------------------------------------------------
# user presets
# ------------------------------------------------------------------------------------------------------------


def test_user_preset_is_listed_and_loads(tmp_path: Path, monkeypatch):
    lut = identity_grid(9)
    lut = lut * np.array([1.0, 0.9, 0.7], np.float32)
    write_cube(tmp_path / "my warm look.cube", lut, title="my warm look")
    monkeypatch.setenv("VIBEGRADE_PRESETS_DIR", str(tmp_path))
    refresh_presets()
    names = preset_names()
    assert names[: len(BUNDLED_PRESETS)] == list(BUNDLED_PRESETS)
    assert "my warm look" in names
    np.testing.assert_allclose(load_preset("my warm look"), lut, atol=1e-6)


def test_user_preset_overrides_bundled_name(tmp_path: Path, monkeypatch):
    lut = identity_grid(5)
    write_cube(tmp_path / "vivid.cube", lut)
    monkeypatch.setenv("VIBEGRADE_PRESETS_DIR", str(tmp_path))
    refresh_presets()
    assert preset_names().count("vivid") == 1
    assert load_preset("vivid").shape == (5, 5, 5, 3)


def test_invalid_user_cube_raises_cube_error(tmp_path: Path, monkeypatch):
    (tmp_path / "broken.cube").write_text("TITLE \"broken\"\nLUT_3D_SIZE 2\n0 0 0\n1 1 1\n", encoding="utf-8")
    (tmp_path / "garbage.cube").write_text("LUT_3D_SIZE 2\n0 0 zero\n", encoding="utf-8")
    (tmp_path / "prose.cube").write_text("just some notes\n", encoding="utf-8")
    monkeypatch.setenv("VIBEGRADE_PRESETS_DIR", str(tmp_path))
    refresh_presets()
    assert {"broken", "garbage", "prose"} <= set(preset_names())
    with pytest.raises(CubeError, match=r"broken\.cube: expected 8 rows"):
        load_preset("broken")
    with pytest.raises(CubeError, match=r"garbage\.cube:2: cannot parse '0 0 zero'"):
        load_preset("garbage")
    with pytest.raises(CubeError, match=r"prose\.cube:1: cannot parse 'just some notes'"):
        load_preset("prose")
