"""The render, presets, export-lut and schema commands, including bad input."""

from __future__ import annotations

import json
from fractions import Fraction

import av
import numpy as np
import pytest
from PIL import Image

from tests.cli.conftest import LOOK
from vibegrade.media.image import read_image
from vibegrade.samples import sample_path
from vibegrade.schema import parse_chain
from vibegrade.tools.chain import render
from vibegrade.tools.filters import BUNDLED_PRESETS


def test_render_image_with_file_and_inline_chain(cli, tmp_path, look_file):
    src = sample_path("coffee")
    out1, out2 = tmp_path / "a.png", tmp_path / "b.png"
    r1 = cli("render", src, out1, "--tools", look_file)
    r2 = cli("render", src, out2, "--tools", json.dumps(LOOK))
    assert r1.exit_code == 0 and r2.exit_code == 0, r1.output + r2.output
    a, b = read_image(out1).rgb, read_image(out2).rgb
    assert np.array_equal(a, b)
    expected = render(read_image(src).rgb, parse_chain(LOOK))
    assert np.array_equal(a, expected)  # PNG is lossless: the file holds exactly the render


def test_render_keeps_alpha_and_16_bit(cli, tmp_path):
    rng = np.random.default_rng(0)
    rgb = (rng.random((40, 60, 3)) * 65535).astype(np.uint16)
    alpha = (rng.random((40, 60)) * 65535).astype(np.uint16)
    from vibegrade.media.image import write_image
    src = tmp_path / "in16.png"
    write_image(src, rgb, alpha)
    out = tmp_path / "out16.png"
    assert cli("render", src, out, "--tools", '{"adjust": {"exposure": 30}}').exit_code == 0
    got = read_image(out)
    assert got.rgb.dtype == np.uint16 and np.array_equal(got.alpha, alpha)
    assert got.rgb.mean() > rgb.mean()


def test_zero_chain_is_bit_identical_through_the_cli(cli, tmp_path):
    src = sample_path("astronaut")
    out = tmp_path / "same.png"
    assert cli("render", src, out, "--tools",
               '{"adjust": {"exposure": 0}, "filter": {"name": "none"}}').exit_code == 0
    assert np.array_equal(read_image(out).rgb, read_image(src).rgb)


def test_presets_lists_bundled_and_user_presets(cli, tmp_path, monkeypatch):
    from vibegrade.tools.filters import refresh_presets
    from vibegrade.tools.lut import identity_grid, write_cube

    monkeypatch.setenv("VIBEGRADE_PRESETS_DIR", str(tmp_path))
    write_cube(tmp_path / "my_look.cube", identity_grid(5) ** 1.5)
    refresh_presets()
    try:
        res = cli("presets")
        names = res.output.split()
        assert names[:33] == list(BUNDLED_PRESETS) and names[-1] == "my_look"
        # the user preset is a real filter now
        out = tmp_path / "x.png"
        assert cli("render", sample_path("chelsea"), out, "--tools",
                   '{"filter": {"name": "my_look", "intensity": 100}}').exit_code == 0
    finally:
        monkeypatch.delenv("VIBEGRADE_PRESETS_DIR")
        refresh_presets()


def _ffmpeg_lut3d(rgb: np.ndarray, cube_path) -> np.ndarray:
    """Apply a .cube with ffmpeg's own lut3d filter (through PyAV's libavfilter)."""
    h, w = rgb.shape[:2]
    graph = av.filter.Graph()
    src = graph.add_buffer(width=w, height=h, format="rgb24", time_base="1/25")
    lut = graph.add("lut3d", f"file={cube_path}:interp=tetrahedral")
    sink = graph.add("buffersink")
    src.link_to(lut)
    lut.link_to(sink)
    graph.configure()
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    frame.pts = 0
    frame.time_base = Fraction(1, 25)
    graph.push(frame)
    return graph.pull().to_ndarray(format="rgb24")


def test_export_lut_matches_render_in_ffmpeg_lut3d(cli, tmp_path, look_file):
    cube = tmp_path / "look.cube"
    res = cli("export-lut", cube, "--tools", look_file)
    assert res.exit_code == 0, res.output
    text = cube.read_text()
    assert "LUT_3D_SIZE 33" in text and text.count("\n") > 33**3
    for name in ("rocket", "astronaut"):
        img = read_image(sample_path(name)).rgb
        ours = render(img, parse_chain(LOOK)).astype(float)
        theirs = _ffmpeg_lut3d(img, cube).astype(float)
        assert np.abs(ours - theirs).mean() <= 2.0, name
        assert np.abs(ours - img).mean() > 5  # the look really changed the image


def test_export_lut_warns_about_spatial_and_checks_suffix(cli, tmp_path):
    res = cli("export-lut", tmp_path / "a.cube", "--tools", '{"adjust": {"sharpen": 50, "exposure": 10}}')
    assert res.exit_code == 0 and "cannot be expressed" in res.output
    res = cli("export-lut", tmp_path / "a.txt", "--tools", "{}")
    assert res.exit_code == 2 and "must end in .cube" in res.output


def test_schema_command(cli):
    res = cli("schema")
    s = json.loads(res.output)
    assert "winter" in s["$defs"]["Filter"]["properties"]["name"]["enum"]


@pytest.mark.parametrize("tools, message", [
    ('{"adjust": {"exposure": 500}}', "adjust.exposure"),
    ('{"adjust": {"exposure": 5,}', "not valid JSON"),
    ('{"filter": {"name": "sepia_dream", "intensity": 50}}', "unknown filter preset 'sepia_dream'"),
    ("missing.json", "neither an existing JSON file nor an inline JSON object"),
    ("[1, 2]", "neither an existing JSON file"),
])
def test_bad_chains_give_one_line_errors(cli, tmp_path, tools, message):
    out = tmp_path / "out.png"
    res = cli("render", sample_path("coffee"), out, "--tools", tools)
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1
    assert not out.exists()


def test_bad_files_give_one_line_errors(cli, tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"this is not a jpeg")
    trunc = tmp_path / "trunc.jpg"
    trunc.write_bytes(sample_path("rocket").read_bytes()[:2000])
    cases = [
        (tmp_path / "nope.jpg", tmp_path / "o.png", "no such file"),
        (tmp_path, tmp_path / "o.png", "folder"),
        (bad, tmp_path / "o.png", "bad.jpg"),
        (trunc, tmp_path / "o.png", "trunc.jpg"),
        (sample_path("coffee"), tmp_path / "o.xyz", "unsupported output"),
        (sample_path("coffee"), tmp_path / "missing_dir" / "o.png", "missing_dir"),
    ]
    for src, out, msg in cases:
        res = cli("render", src, out, "--tools", "{}")
        assert res.exit_code == 2, (src, res.output)
        assert msg in res.output and "Traceback" not in res.output, res.output
        assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_decompression_bomb_is_refused(cli, tmp_path):
    big = tmp_path / "big.png"
    Image.new("RGB", (3000, 3000)).save(big)
    res = cli("render", big, tmp_path / "o.png", "--tools", '{"adjust": {"exposure": 10}}',
              "--max-pixels", "1000000")
    assert res.exit_code == 2 and "pixel" in res.output.lower()
