import numpy as np
import pytest

from vibegrade.tools.lut import (
    CubeError,
    apply_lut,
    apply_lut_u8,
    cube_text,
    identity_grid,
    parse_cube,
    read_cube,
    set_max_threads,
    write_cube,
)


def test_cube_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    lut = np.clip(identity_grid(9) ** 1.3 + rng.normal(0, 0.01, (9, 9, 9, 3)), 0, 1).astype(np.float32)
    p = tmp_path / "look.cube"
    write_cube(p, lut, title="look", comment="test")
    back, title = read_cube(p)
    assert title == "look" and back.shape == (9, 9, 9, 3)
    np.testing.assert_allclose(back, lut, atol=1e-6)
    assert not list(tmp_path.glob(".*"))  # no temp file left behind


def test_cube_order_is_red_fastest():
    text = cube_text(identity_grid(2))
    rows = [line for line in text.splitlines() if line and line[0].isdigit()]
    assert rows[:3] == ["0.000000 0.000000 0.000000", "1.000000 0.000000 0.000000",
                        "0.000000 1.000000 0.000000"]


@pytest.mark.parametrize("text, msg", [
    ("0 0 0\n", "before LUT_3D_SIZE"),
    ("LUT_3D_SIZE 2\n0 0 0\n", "expected 8 rows"),
    ("LUT_3D_SIZE x\n", "bad LUT_3D_SIZE"),
    ("LUT_1D_SIZE 4\n", "1D LUTs"),
    ("LUT_3D_SIZE 2\n0 0\n", "cannot parse"),
    ("", "missing LUT_3D_SIZE"),
])
def test_bad_cube_files(text, msg):
    with pytest.raises(CubeError, match=msg):
        parse_cube(text)


def test_binary_file_is_rejected(tmp_path):
    p = tmp_path / "x.cube"
    p.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CubeError):
        read_cube(p)


@pytest.mark.parametrize("interp", ["trilinear", "tetrahedral"])
def test_identity_lut_is_identity_and_linear_functions_exact(interp):
    x = np.random.default_rng(0).random((1000, 3), dtype=np.float32)
    np.testing.assert_allclose(apply_lut(x, identity_grid(5), interp), x, atol=1e-6)
    m = np.array([[0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]], np.float32)
    lut = identity_grid(3) @ m.T  # a linear map is reproduced exactly by both interpolators
    np.testing.assert_allclose(apply_lut(x, lut, interp), x @ m.T, atol=1e-5)


def test_pillow_fast_path_matches_numpy(rgb_cube_u8):
    lut = (identity_grid(17) ** 0.8).astype(np.float32)
    fast = apply_lut_u8(rgb_cube_u8, lut).astype(int)
    ref = np.round(apply_lut(rgb_cube_u8 / 255.0, lut, "trilinear") * 255).astype(int)
    assert np.abs(fast - ref).max() <= 1


def test_one_thread_gives_the_same_pixels(astronaut):
    import os

    from vibegrade.tools import lut as lut_module

    lut = (identity_grid(17) ** 0.8).astype(np.float32)
    spread = apply_lut_u8(astronaut, lut, threads=4)
    try:
        set_max_threads(1)  # what each worker of folder grading does
        assert lut_module._pool()._max_workers == 1
        one = apply_lut_u8(astronaut, lut)
    finally:
        set_max_threads(None)
    assert lut_module._pool()._max_workers == max(1, min(8, os.cpu_count() or 1))
    assert np.array_equal(one, spread)


def test_domain_sets_input_range_and_is_resampled():
    """DOMAIN_MAX 2 means lattice points sit at inputs 0, 1, 2: input 1 must give the middle entry."""
    text = "LUT_3D_SIZE 3\nDOMAIN_MIN 0 0 0\nDOMAIN_MAX 2 2 2\n" + "\n".join(
        f"{r / 4} {g / 4} {b / 4}" for b in range(3) for g in range(3) for r in range(3))
    lut, _ = parse_cube(text)  # output = input / 4 over [0, 2]
    np.testing.assert_allclose(apply_lut(np.array([[1.0, 0.5, 0.0]], np.float32), lut), [[0.25, 0.125, 0.0]],
                               atol=1e-6)
    text2 = text.replace("DOMAIN_MIN 0 0 0\nDOMAIN_MAX 2 2 2", "LUT_3D_INPUT_RANGE 0 2")
    np.testing.assert_allclose(parse_cube(text2)[0], lut)


def test_written_files_get_normal_permissions(tmp_path):
    import os
    p = tmp_path / "a.cube"
    write_cube(p, identity_grid(2))
    umask = os.umask(0)
    os.umask(umask)
    assert (p.stat().st_mode & 0o777) == (0o666 & ~umask)
