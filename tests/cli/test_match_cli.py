"""``vibegrade match``: fit a chain to a reference photo, print it, write it and the graded image; bad input
is one line on stderr with exit code 2."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from vibegrade.cli.main import app
from vibegrade.media.image import read_image, write_image
from vibegrade.samples import sample_path
from vibegrade.schema import parse_chain
from vibegrade.tools.chain import render
from vibegrade.tools.match.stats import compare, working_pixels


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The coffee sample graded cool and dark, as a PNG."""
    path = tmp_path_factory.mktemp("ref") / "cool reference.png"
    graded = render(read_image(sample_path("coffee")).rgb,
                    parse_chain({"adjust": {"exposure": -25, "temperature": -45, "contrast": 20}}))
    write_image(path, graded)
    return path


def test_match_writes_the_image_and_the_chain(run, tmp_path, reference):
    out, look = tmp_path / "out.png", tmp_path / "look.json"
    r = run("match", "sample:coffee", reference, out, "--tools-out", look, "--no-filters")
    assert r.exit_code == 0, r.output
    printed = parse_chain(json.loads(r.stdout.splitlines()[0]))
    stored = parse_chain(json.loads(look.read_text()))
    assert printed == stored
    assert stored.adjust.temperature < -15 and stored.adjust.exposure < 0
    assert "band dE00" in r.stderr and "wrote" in r.stderr
    graded = read_image(out).rgb
    assert np.array_equal(graded, render(read_image(sample_path("coffee")).rgb, stored))  # PNG: exact
    ref_px = working_pixels(read_image(reference).rgb)
    before = compare(working_pixels(read_image(sample_path("coffee")).rgb), ref_px).bands_de00
    assert compare(working_pixels(graded), ref_px).bands_de00 < before / 3
    # the stored chain renders the same way through `vibegrade render`
    again = tmp_path / "again.png"
    assert run("render", "sample:coffee", again, "--tools", look).exit_code == 0
    assert np.array_equal(read_image(again).rgb, graded)


def test_match_quiet_prints_no_chain(run, tmp_path):
    r = run("match", "sample:coffee", "sample:coffee", tmp_path / "same.jpg", "--quiet")
    assert r.exit_code == 0, r.output
    assert r.stdout == "" and "0.00 -> 0.00" in r.stderr


@pytest.mark.parametrize("args, message", [
    (["sample:coffee", "missing.jpg", "out.jpg"], "REFERENCE missing.jpg: no such file"),
    (["missing.png", "sample:coffee", "out.jpg"], "INPUT missing.png: no such file"),
    (["clip.mp4", "sample:coffee", "out.jpg"], "match works on images"),
    (["sample:coffee", "sample:rocket", "out.gif"], "unsupported output type .gif"),
    (["sample:coffee", "sample:rocket", "nowhere/out.jpg"], "does not exist"),
    (["sample:coffee", "sample:rocket", "out.jpg", "--tools-out", "nowhere/look.json"], "does not exist"),
    (["sample:nosuch", "sample:rocket", "out.jpg"], "unknown sample"),
    (["sample:coffee", "text.png", "out.jpg"], "text.png"),
    (["sample:coffee", ".", "out.jpg"], "not a file"),
])
def test_match_bad_input_is_one_line_and_exit_2(run, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\0" * 64)
    (tmp_path / "text.png").write_text("not an image")
    r = run("match", *args)
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], r.stderr
    assert not (tmp_path / "out.jpg").exists() and not (tmp_path / "look.json").exists()


def test_match_does_not_overwrite_its_input(run, tmp_path):
    src = tmp_path / "in.png"
    write_image(src, read_image(sample_path("coffee")).rgb)
    before = src.read_bytes()
    r = run("match", src, "sample:rocket", src)
    assert r.exit_code == 2 and "overwrite the input" in r.stderr
    assert src.read_bytes() == before
