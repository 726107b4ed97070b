"""Folder grading (vibegrade.media.batch): naming, safety, parallel results equal to serial ones, failures."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.media.formats_helpers import write_dng, write_heic
from vibegrade.media.batch import grade_folder, grade_one, plan_folder
from vibegrade.media.errors import MediaError
from vibegrade.media.image import read_image
from vibegrade.media.pipeline import render_file
from vibegrade.samples import SAMPLE_IMAGES, sample_path
from vibegrade.schema import ToolChain

CHAIN = ToolChain.model_validate({"adjust": {"contrast": 25, "temperature": 30, "vibrance": 20},
                                  "filter": {"name": "teal_and_orange_3", "intensity": 50}})


def crash_on_boom(src: str, dst: str, *args):
    """A worker that dies outright (as a crashing decoder would) on files named ``boom*``."""
    if Path(src).name.startswith("boom"):
        os._exit(3)
    return grade_one(src, dst, *args)


def slow_worker(src: str, dst: str, *args):
    """A worker still busy long after the test interrupts it."""
    time.sleep(30)
    return grade_one(src, dst, *args)


@pytest.fixture(scope="module")
def coffee() -> np.ndarray:
    with Image.open(sample_path("coffee")) as im:
        return np.asarray(im.convert("RGB"))


@pytest.fixture
def photos(tmp_path, coffee) -> Path:
    """The four bundled photos, a HEIC, a DNG, a truncated DNG, a text file and a hidden file."""
    d = tmp_path / "photos"
    d.mkdir()
    for p in SAMPLE_IMAGES.values():
        shutil.copy(p, d / p.name)
    write_heic(d / "phone.heic", coffee[:200, :300], orientation=6)
    write_dng(d / "camera.dng", coffee[:200, :300])
    data = (d / "camera.dng").read_bytes()
    (d / "broken.dng").write_bytes(data[: len(data) // 3])
    (d / "notes.txt").write_text("not a photo\n")
    (d / ".DS_Store").write_bytes(b"\0" * 64)
    return d


def _names(items) -> dict[str, str]:
    return {i.src.name: str(i.dst.relative_to(i.dst.parents[0])) for i in items}


def test_plan_names_keep_extensions_and_convert_heic_and_raw(photos, tmp_path):
    items, skipped = plan_folder(photos, tmp_path / "out")
    names = _names(items)
    assert names["phone.heic"] == "phone.jpg" and names["camera.dng"] == "camera.tif"
    assert names["astronaut.png"] == "astronaut.png" and names["rocket.jpg"] == "rocket.jpg"
    assert {o.src.name for o in skipped} == {"notes.txt"}  # the hidden file is not even listed
    assert "not an image type" in skipped[0].reason
    items, _ = plan_folder(photos, tmp_path / "out", out_format="png")
    assert {Path(v).suffix for v in _names(items).values()} == {".png"}


def test_plan_name_clash_keeps_the_unchanged_name(tmp_path, coffee):
    d = tmp_path / "in"
    d.mkdir()
    Image.fromarray(coffee).save(d / "IMG_1.jpg")
    write_heic(d / "IMG_1.heic", coffee)
    items, _ = plan_folder(d, tmp_path / "out")
    assert _names(items) == {"IMG_1.heic": "IMG_1.heic.jpg", "IMG_1.jpg": "IMG_1.jpg"}


def test_plan_refuses_to_write_over_inputs(photos, tmp_path):
    with pytest.raises(MediaError, match="is the input folder"):
        plan_folder(photos, photos)
    with pytest.raises(MediaError, match="not a folder"):
        plan_folder(photos / "notes.txt", tmp_path / "out")
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(photos / "rocket.jpg", out / "rocket.jpg")  # an output path that leads back to an input
    items, skipped = plan_folder(photos, out)
    assert "rocket.jpg" not in _names(items)
    assert any(o.src.name == "rocket.jpg" and "overwrite an input" in o.reason for o in skipped)


def test_recursive_mirrors_subfolders_and_never_scans_the_output(photos, tmp_path, coffee):
    sub = photos / "trip" / "day1"
    sub.mkdir(parents=True)
    Image.fromarray(coffee).save(sub / "beach.png")
    os.symlink(photos, sub / "back_to_top")  # a loop, not followed
    out = photos / "graded"  # inside the input folder
    assert "beach.png" not in _names(plan_folder(photos, out)[0])  # not recursive by default
    report = grade_folder(photos, out, CHAIN, recursive=True, jobs=1)
    assert (out / "trip" / "day1" / "beach.png").is_file()
    again = grade_folder(photos, out, CHAIN, recursive=True, jobs=1)  # outputs are not inputs next time
    assert len(again.done) == len(report.done)


def test_parallel_grading_equals_serial_rendering_and_reports_failures(photos, tmp_path):
    seen = []
    report = grade_folder(photos, tmp_path / "out", CHAIN, jobs=2,
                          on_outcome=lambda o, i, n: seen.append((o.status, i, n)))
    assert report.jobs == 2
    assert {o.src.name for o in report.done} == {p.name for p in SAMPLE_IMAGES.values()} | {"phone.heic",
                                                                                           "camera.dng"}
    assert [o.src.name for o in report.skipped] == ["notes.txt"]
    assert [o.src.name for o in report.failed] == ["broken.dng"]
    assert report.failed[0].reason.startswith("truncated RAW file")
    assert [s[1] for s in seen] == list(range(1, len(seen) + 1)) and seen[-1][2] == len(seen)
    for o in report.done:  # bit-identical to the one-file pipeline
        ref = tmp_path / "ref" / o.dst.name
        ref.parent.mkdir(exist_ok=True)
        render_file(o.src, ref, CHAIN)
        assert np.array_equal(read_image(o.dst).rgb, read_image(ref).rgb), o.src.name
    assert read_image(tmp_path / "out" / "camera.tif").rgb.dtype == np.uint16
    assert read_image(tmp_path / "out" / "phone.jpg").rgb.shape == (300, 200, 3)  # turned upright
    leftovers = [p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]
    assert leftovers == []  # atomic writes leave no temporary file


def test_a_crashing_worker_fails_only_its_file(photos, tmp_path):
    shutil.copy(photos / "rocket.jpg", photos / "boom.jpg")
    report = grade_folder(photos, tmp_path / "out", CHAIN, jobs=2, worker=crash_on_boom)
    assert [(o.src.name, o.reason) for o in report.failed if o.src.name == "boom.jpg"] == [
        ("boom.jpg", "its worker process died (a decoder crashed or ran out of memory)")]
    assert {o.src.name for o in report.failed} == {"boom.jpg", "broken.dng"}
    assert len(report.done) == len(SAMPLE_IMAGES) + 2  # every other image graded


def test_empty_folder_and_bad_jobs(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "readme.md").write_text("hi")
    with pytest.raises(MediaError, match="no image to grade"):
        grade_folder(tmp_path / "in", tmp_path / "out", CHAIN)
    with pytest.raises(MediaError, match="jobs"):
        grade_folder(tmp_path / "in", tmp_path / "out", CHAIN, jobs=0)


def test_ctrl_c_ends_the_workers_and_leaves_no_partial_file(photos, tmp_path):
    out = tmp_path / "out"
    # Ctrl-C as in a terminal's foreground job: a run started in the background by a non-interactive
    # shell (a CI runner's "cmd &") inherits SIGINT ignored, and Python would never raise KeyboardInterrupt
    code = textwrap.dedent(f"""
        import signal
        signal.signal(signal.SIGINT, signal.default_int_handler)
        from tests.media.test_batch import CHAIN, slow_worker
        from vibegrade.media.batch import grade_folder
        grade_folder({str(photos)!r}, {str(out)!r}, CHAIN, jobs=2, worker=slow_worker)
    """)
    root = Path(__file__).resolve().parents[2]
    p = subprocess.Popen([sys.executable, "-c", code], cwd=root, start_new_session=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not out.exists() and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # the workers have their first files
        os.killpg(p.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
        _, err = p.communicate(timeout=25)  # not the 30 s the workers would still need
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    assert "KeyboardInterrupt" in err
    assert list(out.iterdir()) == []  # nothing written, no temporary file left
