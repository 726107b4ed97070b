"""``vibegrade edit FOLDER OUT "look"`` and HEIC/RAW files through ``edit`` and ``render``."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

import vibegrade.api
from tests.media.formats_helpers import write_dng, write_heic
from vibegrade.media.image import read_image
from vibegrade.samples import SAMPLE_IMAGES, sample_path


@pytest.fixture(scope="module")
def coffee() -> np.ndarray:
    with Image.open(sample_path("coffee")) as im:
        return np.asarray(im.convert("RGB"))


@pytest.fixture
def folder(tmp_path, coffee):
    d = tmp_path / "photos"
    d.mkdir()
    for p in SAMPLE_IMAGES.values():
        shutil.copy(p, d / p.name)
    write_heic(d / "phone.heic", coffee[:160, :240])
    write_dng(d / "camera.dng", coffee[:160, :240])
    return d


def test_edit_folder_predicts_once_grades_all_and_summarises(cli, folder, tmp_path, monkeypatch):
    calls = []
    real = vibegrade.api.predict

    def counting(*a, **kw):
        calls.append(a)
        return real(*a, **kw)

    monkeypatch.setattr(vibegrade.api, "predict", counting)
    out = tmp_path / "graded"
    res = cli("edit", folder, out, "golden hour", "--jobs", "2")
    assert res.exit_code == 0, res.output
    assert len(calls) == 1
    json.loads(res.stdout.splitlines()[0])  # the chain, printed once
    assert f"graded 6 images into {out}" in res.stderr and "2 processes" in res.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [p.name for p in SAMPLE_IMAGES.values()] + ["phone.jpg", "camera.tif"])


def test_edit_folder_with_a_broken_file_exits_2_and_names_it(cli, folder, tmp_path):
    data = (folder / "camera.dng").read_bytes()
    (folder / "cut.dng").write_bytes(data[:5000])
    (folder / "notes.txt").write_text("x")
    res = cli("edit", folder, tmp_path / "out", "film look", "--quiet", "--format", "png", "-j", "2")
    assert res.exit_code == 2
    assert "failed: cut.dng: truncated RAW file" in res.stderr
    assert "skipped: notes.txt: not an image type" in res.stderr
    assert "Traceback" not in res.output
    written = sorted(p.suffix for p in (tmp_path / "out").iterdir())
    assert written == [".png"] * 6  # the others were graded all the same


@pytest.mark.parametrize("args, message", [
    (["--compare", "ba.jpg"], "--compare works with one image"),
    (["--format", "gif"], "unknown output format 'gif'"),
])
def test_edit_folder_bad_options_one_line(cli, folder, tmp_path, args, message):
    res = cli("edit", folder, tmp_path / "out", "warm", *args)
    assert res.exit_code == 2 and message in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_edit_folder_into_itself_is_refused(cli, folder):
    res = cli("edit", folder, folder, "warm")
    assert res.exit_code == 2 and "is the input folder" in res.stderr


def test_folder_options_need_a_folder(cli, tmp_path):
    res = cli("edit", sample_path("coffee"), tmp_path / "o.jpg", "warm", "--jobs", "2")
    assert res.exit_code == 2 and "need a folder as input" in res.stderr


def test_edit_and_render_heic_and_raw_files(cli, tmp_path, coffee):
    heic = write_heic(tmp_path / "p.heic", coffee, orientation=6)
    res = cli("edit", heic, tmp_path / "p.jpg", "golden hour", "--quiet")
    assert res.exit_code == 0, res.output
    assert read_image(tmp_path / "p.jpg").rgb.shape == (600, 400, 3)
    dng = tmp_path / "c.dng"
    write_dng(dng, coffee)
    res = cli("render", dng, tmp_path / "c.tif", "--tools", '{"adjust": {"contrast": 10}}')
    assert res.exit_code == 0, res.output
    assert read_image(tmp_path / "c.tif").rgb.dtype == np.uint16


@pytest.mark.parametrize("kind", ["heic", "dng"])
def test_truncated_heic_or_raw_exits_2_with_one_line(cli, tmp_path, coffee, kind):
    full = tmp_path / f"full.{kind}"
    write_heic(full, coffee) if kind == "heic" else write_dng(full, coffee)
    cut = tmp_path / f"cut.{kind}"
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    res = cli("edit", cut, tmp_path / "o.jpg", "warm", "--quiet")
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert res.stderr.startswith(f"error: {cut}: ") and "truncated" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.jpg").exists()


def test_edit_folder_then_grades_every_image_with_the_refined_look(cli, folder, tmp_path):
    base = json.loads(cli("edit", folder, tmp_path / "a", "golden hour", "-j", "1").stdout.splitlines()[0])
    res = cli("edit", folder, tmp_path / "b", "golden hour", "--then", "much cooler", "-j", "1")
    assert res.exit_code == 0, res.output
    refined = json.loads(res.stdout.splitlines()[0])
    assert refined["adjust"]["temperature"] < base["adjust"]["temperature"]
    assert "[1] 'much cooler' -> edit: temperature" in res.stderr
    a = read_image(tmp_path / "a" / "coffee.png").rgb.astype(int)
    b = read_image(tmp_path / "b" / "coffee.png").rgb.astype(int)
    assert (b[..., 2] - a[..., 2]).mean() > 1  # cooler: bluer than the plain golden hour
