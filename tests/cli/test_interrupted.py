"""Issue #12: interrupted renders leave no hidden partial files; bad --tools JSON is a one-line error."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vibegrade.files import atomic_path, sweep_partial_files
from vibegrade.media.bench import make_test_clip

TIMEOUT_S = 60.0


def _vibegrade(*args: object, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "vibegrade.cli.main", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _wait_for_partial(folder: Path, proc: subprocess.Popen) -> Path:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        hidden = [p for p in folder.iterdir() if p.name.startswith(".") and p.stat().st_size > 0]
        if hidden:
            return hidden[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("no partial output appeared")


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    return make_test_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=8.0, size=(320, 240), fps=30,
                          audio=False)


def test_sigterm_during_a_video_render_removes_the_partial_file(tmp_path, long_clip):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = _vibegrade("render", long_clip, out_dir / "k_TERM.mp4", "--tools", '{"adjust": {"exposure": 10}}',
                      "--no-progress")
    partial = _wait_for_partial(out_dir, proc)
    assert ".vgtmp-" in partial.name
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=TIMEOUT_S)
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == "terminated" and "Traceback" not in err
    assert list(out_dir.iterdir()) == []


def test_partial_file_of_a_killed_render_is_swept_on_the_next_start(tmp_path, long_clip):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = _vibegrade("render", long_clip, out_dir / "k_KILL.mp4", "--tools", "{}", "--no-progress")
    partial = _wait_for_partial(out_dir, proc)
    proc.kill()  # SIGKILL: nothing can clean up
    proc.communicate(timeout=TIMEOUT_S)
    assert partial.exists()
    # someone else's partial file (a live process) and unrelated hidden files are kept
    live = out_dir / partial.name.replace(f"-{proc.pid}-", f"-{os.getpid()}-")
    live.write_bytes(b"in progress")
    other = out_dir / ".keep.me.mp4"
    other.write_bytes(b"x")
    with atomic_path(out_dir / "next.jpg") as tmp:  # the next write into the folder sweeps
        tmp.write_bytes(b"data")
    assert not partial.exists() and live.exists() and other.exists() and (out_dir / "next.jpg").exists()
    assert sweep_partial_files(out_dir) == 0


@pytest.mark.parametrize("tools", ['{"adjust": ' + "[" * 1000 + "]" * 1000 + "}",
                                   '{"adjust": {"exposure": ' + "9" * 5000 + "}}"])
def test_render_with_pathological_tools_json_is_a_one_line_error(tmp_path, tools):
    from typer.testing import CliRunner

    from vibegrade.cli.main import app

    src = tmp_path / "in.png"
    from PIL import Image

    Image.new("RGB", (8, 8)).save(src)
    for arg in (tools, str(tmp_path / "look.json")):
        (tmp_path / "look.json").write_text(tools)
        res = CliRunner().invoke(app, ["render", str(src), str(tmp_path / "out.png"), "--tools", arg])
        assert res.exit_code == 2, res.output
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in res.output
        assert "nested" in lines[0] or "digits" in lines[0]
        assert "sys." not in lines[0]
    assert not (tmp_path / "out.png").exists()
