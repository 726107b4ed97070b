"""The job runner on its own (vibegrade.serve.jobs.runner): no queue, no transport; what it reports."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from tests.media.video_helpers import make_clip
from vibegrade.serve.jobs import OUTPUT_NAME, JobReport, JobRunner, JobSpec

FRAMES = 12


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=FRAMES / 24, size=(32, 24), fps=24)


class Recorder:
    """A transport stand-in: keeps every report."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def report(self, interval_s: float = 0.0) -> JobReport:
        return JobReport(
            progress=lambda spec, done, total: self.calls.append(("progress", spec.job_id, done, total)),
            finish=lambda spec, state, *, frames=None, error=None: self.calls.append(
                ("finish", spec.job_id, state, frames, error)),
            interrupted=lambda spec: self.calls.append(("interrupted", spec.job_id)),
            interval_s=interval_s)


def _job(tmp_path: Path, clip: Path, **spec: Any) -> tuple[JobSpec, Path]:
    job_dir = tmp_path / "jobs" / ("a" * 32)
    job_dir.mkdir(parents=True)
    (job_dir / "input.mp4").write_bytes(clip.read_bytes())
    return JobSpec(job_id="a" * 32, input_name="input.mp4", download_name="x.mp4",
                   tools={"adjust": {"saturation": -100}}, **spec), job_dir


def test_runner_renders_and_reports_progress_then_done(tmp_path, clip):
    spec, job_dir = _job(tmp_path, clip, frames_total=FRAMES)
    rec = Recorder()
    JobRunner(tmp_path / "jobs", threading.Event()).run(spec, rec.report())
    progress = [c for c in rec.calls if c[0] == "progress"]
    assert [c[2] for c in progress] == list(range(1, FRAMES + 1))
    assert all(c[3] == FRAMES for c in progress)
    assert rec.calls[-1] == ("finish", spec.job_id, "done", FRAMES, None)
    assert (job_dir / OUTPUT_NAME).stat().st_size > 0
    assert not (job_dir / "input.mp4").exists()  # the upload is removed once the job ended


def test_runner_interval_limits_progress_reports(tmp_path, clip):
    spec, _ = _job(tmp_path, clip)
    rec = Recorder()
    JobRunner(tmp_path / "jobs", threading.Event()).run(spec, rec.report(interval_s=3600.0))
    assert [c[0] for c in rec.calls] == ["progress", "finish"]  # the first frame only, then the outcome


def test_runner_fails_a_video_over_its_frame_limit(tmp_path, clip):
    spec, job_dir = _job(tmp_path, clip, max_frames=5)
    rec = Recorder()
    JobRunner(tmp_path / "jobs", threading.Event()).run(spec, rec.report())
    kind, _, state, frames, error = rec.calls[-1]
    assert (kind, state, frames) == ("finish", "failed", None)
    assert error[0] == "video_too_long" and "more than 5 frames" in error[1]
    assert not (job_dir / OUTPUT_NAME).exists()


def test_runner_reports_a_missing_upload_without_server_paths(tmp_path, clip):
    spec, job_dir = _job(tmp_path, clip)
    (job_dir / "input.mp4").unlink()
    rec = Recorder()
    JobRunner(tmp_path / "jobs", threading.Event()).run(spec.model_copy(update={"source_name": "mine.mp4"}),
                                                        rec.report())
    [(kind, _, state, _, error)] = rec.calls
    assert (kind, state, error[0]) == ("finish", "failed", "invalid_video")
    assert "mine.mp4" in error[1] and str(tmp_path) not in error[1]


def test_aborted_runner_reports_interrupted_and_keeps_the_upload(tmp_path, clip):
    spec, job_dir = _job(tmp_path, clip)
    abort = threading.Event()
    abort.set()
    rec = Recorder()
    JobRunner(tmp_path / "jobs", abort).run(spec, rec.report())
    assert rec.calls == [("interrupted", spec.job_id)]
    assert (job_dir / "input.mp4").exists()  # the job may run again (the distributed queue puts it back)
