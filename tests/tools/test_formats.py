"""LUT and preset formats (#14): HaldCLUT, .3dl, .cube through independent readers; strict rejection of
malformed files; preset import; Camera Raw XMP export/import; the CLI's one-line errors."""

from __future__ import annotations

import json
import struct
import zlib

import numpy as np
import pytest
from typer.testing import CliRunner

from vibegrade.cli.main import app
from vibegrade.media.image import read_image
from vibegrade.samples import sample_path
from vibegrade.schema import parse_chain
from vibegrade.tools.chain import bake_lut, render
from vibegrade.tools.formats import install_preset, read_lut_file
from vibegrade.tools.formats import readers as R
from vibegrade.tools.formats.hald import hald_image, read_hald, write_hald
from vibegrade.tools.formats.threedl import mesh_values, parse_3dl, read_3dl, threedl_text, write_3dl
from vibegrade.tools.formats.xmp import MAPPING, chain_to_xmp, xmp_to_chain
from vibegrade.tools.lut import CubeError, apply_lut, identity_grid, write_cube

LOOK = {"adjust": {"exposure": 10, "contrast": 20, "highlights": -20, "shadows": 15, "vibrance": 25,
                   "temperature": 20},
        "selective_adjust": {"blue": {"saturation": -20, "luminance": -10}},
        "filter": {"name": "teal_and_orange_3", "intensity": 60}}


@pytest.fixture(scope="module")
def chain():
    return parse_chain(json.dumps(LOOK))


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return read_image(sample_path("coffee")).rgb[::2, ::2].copy()  # 200 x 300, keeps the tests quick


def _levels(ours: np.ndarray, theirs: np.ndarray) -> tuple[float, float]:
    """(max, mean) absolute difference in 8-bit levels; float inputs are rounded to 8 bits first."""
    def u8(a):
        return a.astype(np.float64) if a.dtype == np.uint8 else np.rint(np.clip(a, 0, 1) * 255)
    d = np.abs(u8(ours) - u8(theirs))
    return float(d.max()), float(d.mean())


def _ours(image, lut):
    return apply_lut(image.astype(np.float32) / 255, lut, "tetrahedral")


# ---------------------------------------------------------------------------------------------------------
# HaldCLUT
# ---------------------------------------------------------------------------------------------------------

def test_hald_layout_red_fastest():
    img = hald_image(identity_grid(4), bits=8)  # level 2: 8 x 8 pixels, 4-point lattice
    assert img.shape == (8, 8, 3) and img.dtype == np.uint8
    assert img[0, 0].tolist() == [0, 0, 0]
    assert img[0, 1].tolist() == [85, 0, 0]        # index 1: r = 1
    assert img[0, 4].tolist() == [0, 85, 0]        # index 4: g = 1
    assert img[2, 0].tolist() == [0, 0, 85]        # index 16: b = 1
    assert img[7, 7].tolist() == [255, 255, 255]


@pytest.mark.parametrize("bits", [8, 16])
def test_hald_round_trip_and_ffmpeg_haldclut(tmp_path, chain, image, bits):
    lut = bake_lut(chain, 64)
    path = tmp_path / "look.png"
    write_hald(path, lut, bits)
    back = read_hald(path)
    assert back.shape == (64, 64, 64, 3)
    assert np.abs(back - lut).max() <= 0.5 / (255 if bits == 8 else 65535) + 1e-6
    theirs = R.ffmpeg_haldclut(image, path)  # the PNG decoded by OpenCV's libpng
    mx, mean = _levels(_ours(image, lut), theirs)
    assert mx <= 1 and mean <= 0.6, (mx, mean)  # ffmpeg truncates to 8 bits: mean about 0.5


def test_hald_level_is_configurable(tmp_path, chain):
    res = CliRunner().invoke(app, ["export-lut", str(tmp_path / "l4.png"), "--tools", json.dumps(LOOK),
                                   "--level", "4", "--bits", "8"])
    assert res.exit_code == 0, res.output
    from PIL import Image
    with Image.open(tmp_path / "l4.png") as im:
        assert im.size == (64, 64) and im.mode == "RGB"
    assert np.abs(read_hald(tmp_path / "l4.png") - bake_lut(chain, 16)).max() <= 0.5 / 255 + 1e-6


def _png(width: int, height: int, ctype: int = 2, depth: int = 8, rows: bytes | None = None) -> bytes:
    ch = {0: 1, 2: 3, 4: 2, 6: 4}[ctype] * depth // 8
    raw = rows if rows is not None else b"".join(b"\0" + bytes(width * ch) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, ctype, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("make, message", [
    (lambda: _png(500, 500), "not a HaldCLUT size"),
    (lambda: _png(512, 64), "is square"),
    (lambda: _png(64, 64, ctype=0), "greyscale"),
    (lambda: _png(64, 64)[:-30], "truncated PNG"),
    (lambda: _png(64, 64)[:40] + b"X" + _png(64, 64)[41:], "bad checksum"),
    (lambda: b"GIF89a" + bytes(100), "not a PNG"),
    (lambda: _png(64, 64, ctype=6, rows=b"".join(b"\0" + bytes(64 * 4) for _ in range(64))), "opaque"),
])
def test_hald_rejects_malformed(tmp_path, make, message):
    p = tmp_path / "bad.png"
    p.write_bytes(make())
    with pytest.raises(CubeError, match=message):
        read_hald(p)


# ---------------------------------------------------------------------------------------------------------
# .3dl
# ---------------------------------------------------------------------------------------------------------

def test_3dl_text_layout():
    text = threedl_text(identity_grid(17))
    lines = text.splitlines()
    assert lines[0] == "0 64 128 192 256 320 384 448 512 576 640 704 768 832 896 960 1023"
    assert len(lines) == 1 + 17**3
    assert lines[1] == "0 0 0" and lines[2] == "0 0 256" and lines[-1] == "4095 4095 4095"  # blue fastest
    assert mesh_values(33)[:3] == [0, 32, 64] and mesh_values(33)[-1] == 1023


def test_3dl_through_opencolorio_and_ffmpeg(tmp_path, chain, image):
    ocio = pytest.importorskip("PyOpenColorIO")
    del ocio
    lut = bake_lut(chain, 17)
    path = tmp_path / "look.3dl"
    write_3dl(path, lut)
    assert np.abs(read_3dl(path) - lut).max() <= 0.5 / 4095 + 1e-6
    ours = _ours(image, lut)
    mx, mean = _levels(ours, R.ocio_apply(image.astype(np.float32) / 255, path))
    assert mx <= 1 and mean <= 0.05, (mx, mean)
    mx, mean = _levels(ours, R.ffmpeg_lut3d(image, path))
    assert mx <= 1 and mean <= 0.6, (mx, mean)


@pytest.mark.parametrize("fmt", ["flame", "lustre"])
def test_3dl_reads_files_baked_by_opencolorio(tmp_path, fmt):
    """An independent writer: OpenColorIO's Baker writes .3dl (Flame, and Lustre with its 3DMESH header)."""
    ocio = pytest.importorskip("PyOpenColorIO")
    cube = tmp_path / "src.cube"
    lut = np.clip(identity_grid(17) ** 1.4 * np.array([1.0, 0.9, 0.7], np.float32), 0, 1)
    write_cube(cube, lut)
    cfg = ocio.Config()
    # not the raw config's "raw": data spaces are never converted
    cfg.addColorSpace(ocio.ColorSpace(name="in"))
    cs = ocio.ColorSpace(name="look")
    cs.setTransform(ocio.FileTransform(src=str(cube), interpolation=ocio.INTERP_TETRAHEDRAL),
                    ocio.COLORSPACE_DIR_FROM_REFERENCE)
    cfg.addColorSpace(cs)
    baker = ocio.Baker()
    baker.setConfig(cfg)
    baker.setFormat(fmt)
    baker.setInputSpace("in")
    baker.setTargetSpace("look")
    baker.setCubeSize(17)
    path = tmp_path / f"{fmt}.3dl"
    path.write_text(baker.bake())
    if fmt == "lustre":
        assert "3DMESH" in path.read_text()
    got = read_3dl(path)
    assert got.shape == (17, 17, 17, 3)
    assert np.abs(got - lut).max() * 255 < 0.5


@pytest.mark.parametrize("text, message", [
    ("0 512 1023\n" + "0 0 0\n" * 26, "expected 27 rows"),
    ("0 512 1023\n" + "0 0 0\n" * 26 + "0 0\n", "expected 3 integers"),
    ("0 512 1023\n" + "0 0 0\n" * 26 + "0.5 0 0\n", "holds integers"),
    ("0 512 1023\n" + "0 0 0\n" * 26 + "nan 0 0\n", "holds integers"),
    ("0 512 1023\n" + "0 0 0\n" * 26 + "-4 0 0\n", "negative"),
    ("0 100 1023\n" + "0 0 0\n" * 27, "non-uniform"),
    ("0 512 1023\n" + "0 0 0\n" * 26 + "99999 0 0\n", "exceeds 16 bits"),
    ("3DMESH\nMesh 1 10\n0 512 1023\n" + "0 0 0\n" * 26 + "2000 0 0\n", "exceeds the 10-bit"),
    ("", "empty file"),
])
def test_3dl_rejects_malformed(text, message):
    with pytest.raises(CubeError, match=message):
        parse_3dl(text, "bad.3dl")


# ---------------------------------------------------------------------------------------------------------
# .cube through independent readers and writers
# ---------------------------------------------------------------------------------------------------------

def test_cube_through_opencolorio_and_colour_science(tmp_path, chain, image):
    pytest.importorskip("PyOpenColorIO")
    pytest.importorskip("colour")
    lut = bake_lut(chain, 33)
    path = tmp_path / "look.cube"
    write_cube(path, lut)
    ours = _ours(image, lut)
    f = image.astype(np.float32) / 255
    for theirs in (R.ocio_apply(f, path), R.colour_apply(f, path)):
        mx, mean = _levels(ours, theirs)
        assert mx <= 1 and mean <= 0.01, (mx, mean)


def test_import_cube_written_by_colour_science(tmp_path, monkeypatch):
    colour = pytest.importorskip("colour")
    monkeypatch.setenv("VIBEGRADE_PRESETS_DIR", str(tmp_path / "presets"))
    table = np.clip(identity_grid(9) ** 0.8, 0, 1).astype(np.float64)
    src = tmp_path / "theirs.cube"
    colour.write_LUT(colour.LUT3D(table=table, name="theirs"), str(src))
    dest = install_preset(src, "their look")
    assert dest.parent == tmp_path / "presets" and dest.name == "their look.cube"
    assert np.abs(read_lut_file(dest) - table).max() < 1e-5
    img = read_image(sample_path("chelsea")).rgb[::4, ::4].copy()
    out = render(img, parse_chain('{"filter": {"name": "their look", "intensity": 100}}'))
    assert np.abs(out.astype(float) - _ours(img, table.astype(np.float32)) * 255).max() <= 1.0


@pytest.mark.parametrize("text, message", [
    ("LUT_3D_SIZE 2\n" + "0 0 0\n" * 7 + "nan 0 0\n", "cannot parse"),
    ("LUT_3D_SIZE 2\n" + "0 0 0\n" * 5, "expected 8 rows"),
    ("LUT_3D_SIZE 2\n" + "0 0 0\n" * 7 + "0 0\n", "cannot parse"),
    ("LUT_1D_SIZE 4\n0 0 0\n", "1D LUTs are not supported"),
])
def test_cube_import_rejects_malformed(tmp_path, monkeypatch, text, message):
    monkeypatch.setenv("VIBEGRADE_PRESETS_DIR", str(tmp_path / "p"))
    src = tmp_path / "bad.cube"
    src.write_text(text)
    res = CliRunner().invoke(app, ["presets", "import", str(src)])
    assert res.exit_code == 2 and message in res.output and len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "p").exists()


# ---------------------------------------------------------------------------------------------------------
# Preset import: validation and atomic install
# ---------------------------------------------------------------------------------------------------------

def test_install_validates_names_and_refuses_overwrites(tmp_path, monkeypatch):
    from vibegrade.tools.formats import PresetExists
    monkeypatch.setenv("VIBEGRADE_PRESETS_DIR", str(tmp_path / "p"))
    src = tmp_path / "x.3dl"
    write_3dl(src, identity_grid(17) ** 1.2)
    install_preset(src)
    with pytest.raises(PresetExists):
        install_preset(src)
    install_preset(src, force=True)
    for bad in ("none", "../evil", ".hidden", "a/b", ""):
        with pytest.raises(ValueError, match="invalid preset name"):
            install_preset(src, bad)
    with pytest.raises(ValueError, match="bundled preset"):
        install_preset(src, "winter")
    # an invalid file leaves nothing behind
    bad = tmp_path / "bad.cube"
    bad.write_text("LUT_3D_SIZE 2\n0 0 0\n")
    with pytest.raises(CubeError, match="expected 8 rows"):
        install_preset(bad)
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["x.cube"]


# ---------------------------------------------------------------------------------------------------------
# Camera Raw XMP
# ---------------------------------------------------------------------------------------------------------

def test_xmp_round_trip_of_every_mappable_parameter():
    rng = np.random.default_rng(14)
    for _ in range(25):
        adjust = {"exposure": int(rng.integers(-100, 101)), "contrast": int(rng.integers(-100, 101)),
                  "highlights": int(rng.integers(-100, 101)), "shadows": int(rng.integers(-100, 101)),
                  "temperature": int(rng.integers(-100, 101)), "tint": int(rng.integers(-100, 101)),
                  "vibrance": int(rng.integers(-100, 101)), "saturation": int(rng.integers(-100, 101)),
                  "structure": int(rng.integers(0, 101)), "sharpen": int(rng.integers(0, 101))}
        sel = {c: {"saturation": int(rng.integers(-100, 101)), "luminance": int(rng.integers(-100, 101))}
               for c in ("red", "orange", "yellow", "green", "cyan", "blue")}
        chain = parse_chain(json.dumps({"adjust": adjust, "selective_adjust": sel}))
        text, left_out = chain_to_xmp(chain)
        assert left_out == []
        res = xmp_to_chain(text)
        assert res.chain == chain and res.ignored == [] and res.notes == []


def test_xmp_tone_curve_carries_brightness_and_fade():
    misses = 0
    for b, o in [(17, 22), (-40, 0), (0, 60), (55, -30), (-100, 100), (100, -100), (3, 1)]:
        chain = parse_chain(json.dumps({"adjust": {"brightness": b, "linearOffset": o}}))
        res = xmp_to_chain(chain_to_xmp(chain)[0])
        got = (res.chain.adjust.brightness, res.chain.adjust.linearOffset)
        assert abs(got[0] - b) <= 2 and abs(got[1] - o) <= 2, (b, o, got)
        misses += got != (b, o)
    assert misses <= 2


def test_xmp_export_reports_what_does_not_map(chain):
    c = parse_chain(json.dumps({**LOOK, "adjust": {**LOOK["adjust"], "hue": 30, "bloom": 20}}))
    text, left_out = chain_to_xmp(c, "My <look>")
    assert "My &lt;look&gt;" in text and 'crs:Exposure2012="+0.20"' in text
    assert [s.split()[0] for s in left_out] == ["adjust.hue", "adjust.bloom", "filter"]
    assert {m.crs for m in MAPPING} >= {"Exposure2012", "Clarity2012", "Sharpness",
                                        "SaturationAdjustmentAqua"}


LIGHTROOM_STYLE = """<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0-c000">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
   crs:PresetType="Normal" crs:UUID="0123456789ABCDEF0123456789ABCDEF" crs:Version="15.0"
   crs:ProcessVersion="11.0" crs:WhiteBalance="As Shot" crs:Temperature="5500" crs:Tint="+10"
   crs:Exposure2012="+3.00" crs:Highlights2012="-45" crs:Whites2012="+12" crs:Blacks2012="0"
   crs:Dehaze="+15" crs:Clarity2012="-20" crs:HueAdjustmentRed="0" crs:SaturationAdjustmentPurple="-30"
   crs:HasSettings="True">
   <crs:Contrast2012>+25</crs:Contrast2012>
   <crs:LuminanceAdjustmentAqua>-12</crs:LuminanceAdjustmentAqua>
   <crs:Name><rdf:Alt><rdf:li xml:lang="x-default">Moody</rdf:li></rdf:Alt></crs:Name>
   <crs:ToneCurvePV2012><rdf:Seq><rdf:li>0, 0</rdf:li><rdf:li>64, 40</rdf:li><rdf:li>192, 220</rdf:li>
    <rdf:li>255, 255</rdf:li></rdf:Seq></crs:ToneCurvePV2012>
   <crs:ToneCurvePV2012Red><rdf:Seq><rdf:li>0, 0</rdf:li>
    <rdf:li>255, 255</rdf:li></rdf:Seq></crs:ToneCurvePV2012Red>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""


def test_xmp_import_of_a_lightroom_style_preset():
    res = xmp_to_chain(LIGHTROOM_STYLE)
    a = res.chain.adjust
    assert (a.exposure, a.contrast, a.highlights, a.structure) == (100, 25, -45, 0)
    assert res.chain.selective_adjust.cyan.luminance == -12
    assert any("Exposure2012 +3.00" in n and "clamped" in n for n in res.notes)
    assert any("Clarity2012 -20" in n for n in res.notes)
    ignored = " ".join(res.ignored)
    for key in ("Temperature=5500", "Tint=+10", "Whites2012", "Dehaze", "SaturationAdjustmentPurple",
                "ToneCurvePV2012 (not reproducible"):
        assert key in ignored
    assert "Blacks2012" not in ignored and "ToneCurvePV2012Red" not in ignored
    assert "WhiteBalance" not in ignored


@pytest.mark.parametrize("text, message", [
    ("not xml at all", "not valid XML"),
    ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>', "DOCTYPE"),
    ("<x:xmpmeta xmlns:x='adobe:ns:meta/'/>", "no Camera Raw"),
    ('s = {\n id = "x",\n}', "lrtemplate"),
    (LIGHTROOM_STYLE.replace("+25", "lots"), "Contrast2012 is not a number"),
    (LIGHTROOM_STYLE.replace("+25", "nan"), "not finite"),
])
def test_xmp_rejects_malformed(text, message):
    with pytest.raises(ValueError, match=message):
        xmp_to_chain(text)


# ---------------------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------------------

@pytest.fixture
def cli():
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_export_lut_formats_from_extension_and_flag(cli, tmp_path, chain):
    tools = json.dumps(LOOK)
    for name, check in [("a.3dl", lambda p: read_3dl(p).shape[0] == 17), ("a.png",
                                                                          lambda p: read_hald(p).shape[0]
                                                                          == 64),
                        ("a.cube", lambda p: "LUT_3D_SIZE 33" in p.read_text()),
                        ("a.xmp", lambda p: "crs:Contrast2012" in p.read_text())]:
        res = cli("export-lut", tmp_path / name, "--tools", tools)
        assert res.exit_code == 0 and check(tmp_path / name), (name, res.output)
    res = cli("export-lut", tmp_path / "b.3dl", "--format", "3dl", "--size", "33", "--tools", tools)
    assert res.exit_code == 0 and read_3dl(tmp_path / "b.3dl").shape[0] == 33
    res = cli("export-lut", tmp_path / "a.xmp", "--tools", tools)
    assert "note: not in the preset: filter teal_and_orange_3" in res.output


@pytest.mark.parametrize("args, message", [
    (["x.txt"], "must end in .cube, .3dl, .png (HaldCLUT) or .xmp"),
    (["x.cube", "--format", "3dl"], "--format 3dl writes a .3dl file"),
    (["x.lut", "--format", "lut"], "choose cube, 3dl, hald or xmp"),
    (["x.png", "--bits", "12"], "--bits 12 does not apply"),
    (["x.png", "--size", "33"], "use --level"),
])
def test_export_lut_one_line_errors(cli, tmp_path, args, message):
    res = cli("export-lut", tmp_path / args[0], *args[1:], "--tools", "{}")
    assert res.exit_code == 2 and message in res.output and len(res.output.strip().splitlines()) == 1


def test_presets_import_and_import_xmp_cli(cli, tmp_path, monkeypatch):
    from vibegrade.tools.filters import refresh_presets
    monkeypatch.setenv("VIBEGRADE_PRESETS_DIR", str(tmp_path / "p"))
    try:
        src = tmp_path / "mine.png"
        write_hald(src, identity_grid(16) ** 1.3, 8)
        res = cli("presets", "import", src, "--name", "hald_look")
        assert res.exit_code == 0 and "installed 'hald_look'" in res.output, res.output
        assert cli("presets").output.split()[-1] == "hald_look"
        res = cli("presets", "import", src, "--name", "hald_look")
        assert res.exit_code == 2 and "use --force" in res.output
        bad = tmp_path / "bad.png"
        bad.write_bytes(_png(500, 500))
        res = cli("presets", "import", bad)
        assert res.exit_code == 2 and len(
            res.output.strip().splitlines()) == 1 and "HaldCLUT size" in res.output
        res = cli("presets", "import", tmp_path / "missing.cube")
        assert res.exit_code == 2 and "no such file" in res.output
        xmp = tmp_path / "moody.xmp"
        xmp.write_text(LIGHTROOM_STYLE)
        out = tmp_path / "look.json"
        res = cli("import-xmp", xmp, "-o", out)
        assert res.exit_code == 0 and "ignored (no vibegrade equivalent)" in res.output
        assert parse_chain(out.read_text()).adjust.contrast == 25
        xmp.write_text("<oops")
        res = cli("import-xmp", xmp, "-o", tmp_path / "x.json")
        assert res.exit_code == 2 and "not valid XML" in res.output and len(
            res.output.strip().splitlines()) == 1
        assert not (tmp_path / "x.json").exists()
    finally:
        monkeypatch.delenv("VIBEGRADE_PRESETS_DIR")
        refresh_presets()
