"""`vibegrade teacher label|ask` end to end over HTTP, including interrupt and resume of a real process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.fakes.replay import ReplayServer
from vibegrade.cli.teacher import app

from .helpers import RECORDED_INTENTS, check_row, read_rows

runner = CliRunner()


def invoke(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def write_intents(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_label_end_to_end_and_resume(server: ReplayServer, tmp_path: Path) -> None:
    intents = write_intents(tmp_path / "intents.txt",
                            ["golden hour", "", "x" * 301, "the matrix\tfilm", "Golden Hour", "x-ray"])
    out = tmp_path / "out.jsonl"
    r = invoke("label", intents, "-o", out, "--base-url", server.base_url, "--model", "gpt-4o", "--api-key",
               "k", "--concurrency", "2", "--no-progress")
    assert r.exit_code == 0, r.stderr
    assert "intents.txt:2: empty line" in r.stderr
    assert "intents.txt:3: longer than 300 characters" in r.stderr
    assert "1 repeated request" in r.stderr
    assert "wrote 3 row(s)" in r.stderr and "2 bad line(s)" in r.stderr
    rows = read_rows(out)
    assert sorted(r["intent"] for r in rows) == ["golden hour", "the matrix", "x-ray"]
    for row in rows:
        check_row(row)
        assert row["model"] == "gpt-4o" and row["usage"]["cost_usd"] > 0
    assert next(r for r in rows if r["intent"] == "the matrix")["category"] == "film"
    assert server.http_calls == 9
    # run again with one more request: the old ones are skipped
    write_intents(intents, ["golden hour", "THE matrix", "x-ray", "Morocco"])
    r = invoke("label", intents, "-o", out, "--base-url", server.base_url, "--model", "gpt-4o", "--api-key",
               "k", "--no-progress")
    assert r.exit_code == 0, r.stderr
    assert "resuming: 3 request(s) already in" in r.stderr and "wrote 1 row(s)" in r.stderr
    assert len(read_rows(out)) == 4 and server.http_calls == 12


def test_label_twice_into_new_file_uses_the_cache(server: ReplayServer, tmp_path: Path) -> None:
    intents = write_intents(tmp_path / "i.txt", list(RECORDED_INTENTS[:3]))
    args = ["--base-url", server.base_url, "--model", "gpt-4o", "--no-progress"]
    assert invoke("label", intents, "-o", tmp_path / "a.jsonl", *args).exit_code == 0
    calls = server.http_calls
    r = invoke("label", intents, "-o", tmp_path / "b.jsonl", *args)
    assert r.exit_code == 0 and server.http_calls == calls
    assert "cached 9" in r.stderr and "cost $0.0000" in r.stderr
    assert all(row["usage"]["cost_usd"] == 0 and row["usage"]["cached_calls"] == 3
               for row in read_rows(tmp_path / "b.jsonl"))


def test_label_with_progress_bar(server: ReplayServer, tmp_path: Path) -> None:
    intents = write_intents(tmp_path / "i.txt", ["winter", "cool morning"])
    r = invoke("label", intents, "-o", tmp_path / "o.jsonl", "--base-url", server.base_url, "--model", "m")
    assert r.exit_code == 0, r.stderr
    assert "2/2" in r.stderr


def test_ask(server: ReplayServer) -> None:
    r = invoke("ask", "winter", "--base-url", server.base_url, "--model", "gpt-4o")
    assert r.exit_code == 0, r.stderr
    assert "[filter] The winter preset is an exact match" in r.stdout
    assert '{"name": "winter", "intensity": 80}' in r.stdout
    assert "flags: " in r.stdout and "unknown_key:adjust.clarity" in r.stdout
    r = invoke("ask", "x-ray", "--base-url", server.base_url, "--model", "gpt-4o", "--json")
    row = json.loads(r.stdout)
    check_row(row)
    assert row["filter"] == {"name": "negative", "intensity": 85}


def test_config_from_environment(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIBEGRADE_TEACHER_BASE_URL", server.base_url)
    monkeypatch.setenv("VIBEGRADE_TEACHER_MODEL", "from-env")
    r = invoke("ask", "golden hour", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["model"] == "from-env"
    assert "no price known for model 'from-env'" in r.stderr


def _one_line_error(r: Any, code: int, needle: str) -> None:
    assert r.exit_code == code, (r.exit_code, r.stderr)
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and needle in lines[0], r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_errors_are_one_line(make_server: Callable[..., ReplayServer], tmp_path: Path) -> None:
    intents = write_intents(tmp_path / "i.txt", ["golden hour"])
    out = tmp_path / "o.jsonl"
    _one_line_error(invoke("label", tmp_path / "nope.txt", "-o", out, "--model", "m"), 2,
                    "intents file not found")
    _one_line_error(invoke("label", intents, "-o", out, "--base-url", "http://x"), 2, "no model")
    _one_line_error(invoke("label", intents, "-o", tmp_path / "no" / "o.jsonl", "--model", "m"), 2,
                    "output folder does not exist")
    _one_line_error(invoke("ask", "x", "--model", "m"), 1, "no API key")
    _one_line_error(invoke("ask", "x", "--model", "m", "--base-url", "localhost:8000"), 2, "http://")
    _one_line_error(invoke("ask", "x", "--model", "m", "--config", tmp_path / "missing.toml"), 2,
                    "config file not found")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    _one_line_error(invoke("label", intents, "-o", out, "--base-url", dead, "--model", "m", "--max-retries",
                           "0", "--no-progress"), 1, "cannot reach")
    srv = make_server(api_key="sk-right")
    _one_line_error(invoke("label", intents, "-o", out, "--base-url", srv.base_url, "--model", "m",
                           "--api-key", "sk-wrong", "--no-progress"), 1, "authentication failed")
    _one_line_error(invoke("ask", "   ", "--model", "m"), 2, "empty")


def test_failed_requests_give_nonzero_exit(make_server: Callable[..., ReplayServer], tmp_path: Path) -> None:
    srv = make_server(faults=["500"] * 4)
    intents = write_intents(tmp_path / "i.txt", ["golden hour"])
    out = tmp_path / "o.jsonl"
    r = invoke("label", intents, "-o", out, "--base-url", srv.base_url, "--model", "m", "--max-retries", "1",
               "--concurrency", "1", "--no-progress")
    assert r.exit_code == 1
    assert "failed line 1 'golden hour'" in r.stderr and "run the same command again" in r.stderr
    r = invoke("label", intents, "-o", out, "--base-url", srv.base_url, "--model", "m", "--no-progress")
    assert r.exit_code == 0 and len(read_rows(out)) == 1


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_interrupted_process_resumes(make_server: Callable[..., ReplayServer], tmp_path: Path,
                                     sig: signal.Signals) -> None:
    # slow enough answers (~6 s for the whole batch) that the signal always lands mid-run, even on a busy
    # machine
    srv = make_server(delay=0.3)
    intents = [f"request {i}" for i in range(40)]
    path = write_intents(tmp_path / "i.txt", intents)
    out = tmp_path / "o.jsonl"
    cmd = [sys.executable, "-m", "vibegrade.cli.teacher", "label", str(path), "-o", str(out), "--base-url",
           srv.base_url, "--model", "m", "--concurrency", "2", "--no-progress"]
    env = {**os.environ, "VIBEGRADE_CACHE_DIR": str(tmp_path / "cache")}
    # A parent started in the background by a non-interactive shell (as CI runners may be) passes SIGINT on
    # as ignored, and Python then installs no Ctrl-C handler; give the child the default disposition.
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if out.exists() and len(out.read_bytes().splitlines()) >= 4:
                break
            time.sleep(0.02)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    if sig == signal.SIGINT:
        assert proc.returncode == 130, err
        assert "interrupted" in err and "Traceback" not in err
    data = out.read_text(encoding="utf-8")
    if sig == signal.SIGINT:
        assert data.endswith("\n")
        first = read_rows(out)  # valid JSONL after Ctrl-C
    else:  # a hard kill could in theory cut the last line; the next run repairs it
        first = [json.loads(x) for x in data.split("\n")[:-1]]
    assert 4 <= len(first) < len(intents)
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    rows = read_rows(out)
    assert sorted(x["intent"] for x in rows) == sorted(intents)  # each exactly once
    for row in rows:
        check_row(row)
