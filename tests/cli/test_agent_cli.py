"""``vibegrade agent``: plan, steps and verdict printed, the graded photo written (orientation, 16-bit and
alpha kept), the JSON trace written; bad input is one line on stderr with exit code 2 before any work.

The first test uses the shipped offline planner (what a fresh install runs); the others put a fixed plan in
its place (tests/fakes/agent.py) so that they know what the run does. Everything else is real.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from tests.conftest import shared_photo
from tests.fakes.agent import FixedPlanner
from vibegrade.cli.main import app
from vibegrade.media.image import read_image, write_image


@pytest.fixture
def cli():
    runner = CliRunner()

    def run(*args):
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return run


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    """The beach photo (people under a sky) at 384x256, as a JPEG."""
    path = tmp_path_factory.mktemp("agent-cli") / "beach.jpg"
    rgb = shared_photo("beach_couple_sky.jpg")
    Image.fromarray(rgb).resize((384, 256), Image.Resampling.LANCZOS).save(path, quality=92)
    return path


@pytest.fixture
def fixed_plan(monkeypatch):
    planner = FixedPlanner()
    monkeypatch.setattr("vibegrade.agent.planner.load_planner", lambda *a, **k: planner)
    return planner


def test_agent_prints_the_run_and_writes_the_photo_and_the_trace(cli, tmp_path, photo):
    out, trace = tmp_path / "graded.jpg", tmp_path / "trace.json"
    r = cli("agent", photo, out, "a cold winter morning but keep the faces warm", "--trace", trace)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith("plan: ")
    assert any(line.startswith("steps (") for line in lines)
    final = next(line for line in lines if line.startswith("final: checklist satisfied "))
    assert "judge: adherence" in final
    assert any(line.startswith("baseline (single-shot student") for line in lines)
    assert f"wrote {out}" in r.stderr and f"wrote {trace}" in r.stderr
    graded, original = read_image(out).rgb, read_image(photo).rgb
    assert graded.shape == original.shape
    t = json.loads(trace.read_text())
    assert t["request"] == "a cold winter morning but keep the faces warm"
    assert t["checklist"] and all({"id", "text", "region", "feasible"} <= set(i) for i in t["checklist"])
    assert all({"tool", "region", "params", "score_before", "score_after"} <= set(s) for s in t["steps"])
    assert 0.0 <= t["final"]["checklist_satisfied"] <= 1.0 and "judge" in t["final"]
    assert final.startswith(f"final: checklist satisfied {t['final']['checklist_satisfied']:.2f} (")
    assert {"chain", "checklist_satisfied", "judge"} <= set(t["baseline"]["single_shot"])
    # each printed step is a step of the trace, in order
    printed = [line for line in lines if re.match(r"\s+\d+\. ", line)]
    assert len(printed) == len(t["steps"])
    for line, step in zip(printed, t["steps"]):
        assert f"{step['tool']} on {step['region']}:" in line and f"for {step['item']}" in line


def test_agent_plan_lists_infeasible_items_with_their_reason(cli, tmp_path, photo, fixed_plan):
    out = tmp_path / "graded.png"
    r = cli("agent", photo, out, "cool sky, warm shadows, and birds", "--budget", 3, "--mode", "search")
    assert r.exit_code == 0, r.output
    assert "plan: 3 items, 1 not doable with colour tools" in r.stdout
    assert "[-] add_birds: add a flock of birds -- not feasible: colour tools cannot add objects" in r.stdout
    assert "steps (search, budget 3):" in r.stdout
    assert "regional on sky" in r.stdout or "regional on shadows" in r.stdout
    assert fixed_plan.requests == ["cool sky, warm shadows, and birds"]
    assert out.is_file()


def test_agent_keeps_orientation_16_bits_and_alpha(cli, tmp_path, fixed_plan):
    rgb = shared_photo("beach_couple_sky.jpg")[::4, ::4]
    rgb16 = rgb.astype(np.uint16) * 257
    alpha = np.full(rgb.shape[:2], 65535, np.uint16)
    alpha[:, : rgb.shape[1] // 3] = 20000
    src, out = tmp_path / "beach16.png", tmp_path / "graded16.png"
    write_image(src, rgb16, alpha)
    r = cli("agent", src, out, "cool sky, warm shadows")
    assert r.exit_code == 0, r.output
    res = read_image(out)
    assert res.rgb.dtype == np.uint16 and res.rgb.shape == rgb16.shape
    assert np.array_equal(res.alpha, alpha)
    assert not np.array_equal(res.rgb, rgb16)
    # an EXIF-rotated JPEG: the agent sees (and writes) the upright picture
    rot_src, rot_out = tmp_path / "rot.jpg", tmp_path / "rot_out.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    Image.fromarray(rgb).save(rot_src, exif=exif.tobytes(), quality=92)
    r = cli("agent", rot_src, rot_out, "cool sky, warm shadows")
    assert r.exit_code == 0, r.output
    assert read_image(rot_out).rgb.shape[:2] == (rgb.shape[1], rgb.shape[0])


def test_teacher_planner_without_a_teacher_plans_offline(cli, tmp_path, photo, fixed_plan, monkeypatch):
    for var in ("VIBEGRADE_TEACHER_BASE_URL", "VIBEGRADE_TEACHER_MODEL", "VIBEGRADE_TEACHER_API_KEY",
                "OPENAI_BASE_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    r = cli("agent", photo, tmp_path / "o.jpg", "cool sky", "--planner", "teacher")
    assert r.exit_code == 0, r.output
    assert "note: no teacher configured" in r.stderr and "planning offline" in r.stderr
    assert fixed_plan.requests == ["cool sky"]


@pytest.mark.parametrize(("args", "message"), [
    (["{missing}", "{out}", "cool"], "no such file"),
    (["{photo}", "{out}", "   "], "empty request"),
    (["{photo}", "{out}", "x" * 501], "the limit is 500"),
    (["{photo}", "{out}", "cool", "--mode", "fastest"], "--mode 'fastest': choose one of rules, search"),
    (["{photo}", "{out}", "cool", "--budget", "0"], "--budget 0: must be within 1..64"),
    (["{photo}", "{out}", "cool", "--budget", "65"], "--budget 65: must be within 1..64"),
    (["{photo}", "{out}", "cool", "--planner", "oracle"], "--planner 'oracle'"),
    (["{photo}", "{tmp}/nowhere/o.jpg", "cool"], "does not exist"),
    (["{photo}", "{tmp}/o.txt", "cool"], "unsupported output type .txt"),
    (["{photo}", "{tmp}", "cool"], "is a folder"),
    (["{photo}", "{photo}", "cool"], "would overwrite the input"),
    (["{photo}", "{out}", "cool", "--trace", "{tmp}/nowhere/t.json"], "--trace"),
    (["{tmp}/clip.mp4", "{out}", "cool"], "grades photos"),
    (["{notimage}", "{out}", "cool"], "not a readable image"),
])
def test_bad_input_is_one_line_and_exit_2(cli, tmp_path, photo, args, message):
    (tmp_path / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    (tmp_path / "notes.jpg").write_text("not a picture")
    subst = {"missing": tmp_path / "missing.jpg", "out": tmp_path / "o.jpg", "photo": photo, "tmp": tmp_path,
             "notimage": tmp_path / "notes.jpg"}
    r = cli("agent", *[a.format(**subst) for a in args])
    assert r.exit_code == 2, r.output
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], r.stderr
    assert not (tmp_path / "o.jpg").exists()


def test_bench_agent_rejects_bad_figures_and_makes_a_1080p_photo(cli, tmp_path):
    from vibegrade.agent.bench import bench_photo

    for args, message in ((["--runs", "1"], "--runs 1: must be within 3..200"),
                          (["--cores", "0"], "--cores 0"), (["--budget", "0"], "--budget 0"),
                          (["--photo", tmp_path / "none.jpg"], "no such file")):
        r = cli("bench", "agent", "--json", *args)
        assert r.exit_code == 2 and message in r.stderr, r.output
    rgb, name = bench_photo()
    assert rgb.shape == (1080, 1920, 3) and rgb.dtype == np.uint8 and name
