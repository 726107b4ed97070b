"""Video edit jobs: in-process through the API, on Dramatiq over a real Redis (shared by apps and workers,
worker processes killed for real), the CLI worker.

The Redis tests use the server at ``$VIBEGRADE_TEST_REDIS_URL`` (default ``redis://localhost:6379/0``)
with a unique key prefix each, removed afterwards; they are skipped only when no Redis answers there.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.media.video_helpers import audio_packets, make_clip, video_frames
from tests.serve.helpers import assert_error as _assert_error
from vibegrade.serve.app import USER_COOKIE, Settings, create_app
from vibegrade.serve.jobs import InProcessJobQueue, JobSpec, is_job_id, new_job_id, run_worker
from vibegrade.serve.jobs_dramatiq import QUEUE_NAME, DramatiqJobQueue

REDIS_URL = os.environ.get("VIBEGRADE_TEST_REDIS_URL", "redis://localhost:6379/0")
FRAMES = 32
GREY = json.dumps({"adjust": {"saturation": -100}})
TIMEOUT_S = 60.0  # a guard against hangs, not a speed requirement


# ------------------------------------------------------------------------------------------ helpers

@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """32 frames of 64x48 at 24 fps with an AAC stereo track."""
    return make_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=FRAMES / 24, size=(64, 48), fps=24)


def _settings(tmp_path: Path, **kw) -> Settings:
    kw.setdefault("jobs_dir", tmp_path / "jobs")
    return Settings(database_url=f"sqlite:///{tmp_path / 'events.db'}", **kw)


def _upload(clip: Path, name: str = "holiday clip.mp4") -> dict:
    return {"file": (name, clip.read_bytes(), "video/mp4")}


def _wait(client: TestClient, job_id: str) -> tuple[dict, list[dict]]:
    """Poll the job until it is done or failed; returns the last status and every status seen."""
    seen = []
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        r = client.get(f"/v1/jobs/{job_id}")
        assert r.status_code == 200, r.text
        body = r.json()
        seen.append(body)
        if body["state"] in ("done", "failed"):
            return body, seen
        assert time.monotonic() < deadline, f"job still {body['state']} after {TIMEOUT_S} s"
        time.sleep(0.02)


def _submit_clip(queue, clip: Path, **spec) -> str:
    """Put a copy of ``clip`` in a new job folder of ``queue`` and submit it; returns the job id."""
    job_id, job_dir = queue.create_job_dir()
    (job_dir / "input.mp4").write_bytes(clip.read_bytes())
    queue.submit(JobSpec(job_id=job_id, input_name="input.mp4", download_name="x.mp4",
                         **{"tools": {}, **spec}))
    return job_id


def _hold_at_frame(queue, frame: int = 1) -> tuple[threading.Event, threading.Event]:
    """Make ``queue``'s worker stop after reporting ``frame`` frames until ``gate`` is set.

    Returns ``(gate, reached)``; ``reached`` is set once the worker is held there.
    """
    gate, reached = threading.Event(), threading.Event()
    original = queue._progress

    def progress(spec, done, total):
        original(spec, done, total)
        if done == frame:
            reached.set()
            gate.wait(TIMEOUT_S)

    queue._progress = progress
    return gate, reached


def _wait_until(predicate) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {predicate}"
        time.sleep(0.01)


def _download(client: TestClient, body: dict, dst: Path) -> Path:
    r = client.get(body["download_url"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "video/mp4"
    assert r.headers["content-disposition"].startswith("attachment;")
    dst.write_bytes(r.content)
    return dst


def _assert_grey_copy_of(out: Path, clip: Path) -> None:
    """``out`` has the clip's frames (count), in greyscale, and the clip's audio packets unchanged."""
    frames, _ = video_frames(out)
    assert len(frames) == FRAMES
    src_frames, _ = video_frames(clip)
    assert _chroma(src_frames[0]) > 30  # the source is colourful...
    assert max(_chroma(f) for f in frames) <= 3  # ...the result is grey
    assert int(frames[0].max()) - int(frames[0].min()) > 30  # (and not a flat frame)
    assert [p for p, _ in audio_packets(out)] == [p for p, _ in audio_packets(clip)]


def _chroma(rgb: np.ndarray) -> int:
    """Largest distance of a channel from the pixel's mean (0 for a grey image)."""
    return int(np.abs(rgb.astype(np.float32) - rgb.mean(axis=2, keepdims=True)).max())


def _job_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("vibegrade-job")]


# ------------------------------------------------------------------------------------- in-process

def test_edit_video_is_a_job_end_to_end(tmp_path, clip):
    threads_before = set(_job_threads())
    app = create_app(_settings(tmp_path))
    with TestClient(app) as client:
        r = client.post("/v1/edit", files=_upload(clip), data={"intent": "warm golden film look"})
        assert r.status_code == 202, r.text
        body = r.json()
        assert set(body) >= {"job_id", "status_url", "project_id", "experiment", "variant", "model", "tools"}
        job_id = body["job_id"]
        assert is_job_id(job_id) and body["status_url"] == f"/v1/jobs/{job_id}"
        assert r.headers["location"] == body["status_url"]
        assert r.headers["x-project-id"] == body["project_id"]
        assert body["model"] == "default" and body["variant"] is None
        assert r.headers["set-cookie"].startswith(f"{USER_COOKIE}=")  # a new user gets the cookie
        store = app.state.store
        rec = next(iter(store.projects.iter_all()))
        assert rec.id == body["project_id"] and rec.source == "student" and rec.tools == body["tools"]
        assert rec.user_id == client.cookies[USER_COOKIE]

        status, seen = _wait(client, job_id)
        assert status["state"] == "done", status
        assert status["progress"] == 1.0
        assert status["frames_done"] == FRAMES and status["frames_total"] == FRAMES
        assert status["error"] is None and status["project_id"] == body["project_id"]
        assert status["download_url"] == f"/v1/jobs/{job_id}/result"
        assert status["updated_at"] >= status["created_at"]
        for s in seen[:-1]:
            assert s["state"] in ("queued", "running") and s["download_url"] is None and s["progress"] < 1.0
        progress = [s["progress"] for s in seen]
        assert progress == sorted(progress)

        r = client.get(status["download_url"])
        assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
        assert r.headers["content-disposition"] == "attachment; filename*=utf-8''holiday%20clip-vibegrade.mp4"
        out = tmp_path / "out.mp4"
        out.write_bytes(r.content)
        frames, _ = video_frames(out)
        assert len(frames) == FRAMES and frames[0].shape == (48, 64, 3)
        assert [p for p, _ in audio_packets(out)] == [p for p, _ in audio_packets(clip)]  # audio kept as is
        assert store.counts() == {"projects": 1, "exports": 0}
        # the input upload is deleted once the job ends; the output stays for the download
        assert sorted(p.name for p in (tmp_path / "jobs" / job_id).iterdir()) == ["job.json", "output.mp4"]
    assert app.state.jobs.running_threads == 0
    assert set(_job_threads()) <= threads_before  # the app's lifespan stopped its workers


def test_edit_video_with_tools_override_and_render_records_nothing(tmp_path, clip):
    app = create_app(_settings(tmp_path))
    with TestClient(app) as client:
        r = client.post("/v1/edit", files=_upload(clip), data={"intent": "black and white", "tools": GREY})
        assert r.status_code == 202, r.text
        assert r.json()["tools"]["adjust"]["saturation"] == -100
        status, _ = _wait(client, r.json()["job_id"])
        _assert_grey_copy_of(_download(client, status, tmp_path / "edit.mp4"), clip)
        rec = next(iter(app.state.store.projects.iter_all()))
        assert rec.source == "user" and rec.id == status["project_id"]

        r = client.post("/v1/render", files=_upload(clip, "c.mov"), data={"tools": GREY})
        assert r.status_code == 202, r.text
        body = r.json()
        assert body["project_id"] is None and body["model"] is None and "x-project-id" not in r.headers
        assert json.loads(r.headers["x-tools"]) == body["tools"]
        status, _ = _wait(client, body["job_id"])
        assert status["state"] == "done" and status["project_id"] is None
        _assert_grey_copy_of(_download(client, status, tmp_path / "render.mp4"), clip)
        assert app.state.store.counts()["projects"] == 1  # only the /v1/edit one


@pytest.mark.parametrize("job_id", ["0" * 32, "abc", "F" * 32, "g" * 32, "0" * 33, "not-a-job", "a.b"])
def test_unknown_or_malformed_job_id_404(tmp_path, job_id):
    client = TestClient(create_app(_settings(tmp_path)))
    _assert_error(client.get(f"/v1/jobs/{job_id}"), 404, "job_not_found")
    _assert_error(client.get(f"/v1/jobs/{job_id}/result"), 404, "job_not_found")


def test_result_409_while_running_or_queued(tmp_path, clip):
    app = create_app(_settings(tmp_path))
    jobs = app.state.jobs
    gate = threading.Event()
    original_run = jobs.run

    def gated_run(spec):
        assert gate.wait(TIMEOUT_S)
        original_run(spec)

    jobs.run = gated_run  # the (single) worker claims the first job, then waits
    with TestClient(app) as client:
        first = client.post("/v1/render", files=_upload(clip), data={"tools": GREY}).json()["job_id"]
        second = client.post("/v1/render", files=_upload(clip), data={"tools": "{}"}).json()["job_id"]
        _wait_until(lambda: client.get(f"/v1/jobs/{first}").json()["state"] == "running")
        assert client.get(f"/v1/jobs/{second}").json()["state"] == "queued"
        for job_id, state in ((first, "running"), (second, "queued")):
            err = _assert_error(client.get(f"/v1/jobs/{job_id}/result"), 409, "job_not_ready")
            assert state in err["message"]
            assert client.get(f"/v1/jobs/{job_id}").json()["download_url"] is None
        gate.set()
        assert _wait(client, first)[0]["state"] == "done"
        assert _wait(client, second)[0]["state"] == "done"
        assert client.get(f"/v1/jobs/{second}/result").status_code == 200


@pytest.mark.parametrize("name,data", [
    ("fake.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\0" * 64),  # an MP4 signature and nothing else
    ("notes.mp4", b"hello, this is not a video\n"),  # named like a video
    ("half.mp4", None),  # a real clip cut in half (its index is at the end)
    ("empty.mp4", b""),
])
def test_corrupt_video_422_up_front(tmp_path, clip, name, data):
    if data is None:
        raw = clip.read_bytes()
        data = raw[: len(raw) // 2]
    app = create_app(_settings(tmp_path))
    client = TestClient(app)
    r = client.post("/v1/edit", files={"file": (name, data, "video/mp4")}, data={"intent": "warm"})
    err = _assert_error(r, 422, "invalid_video")
    assert err["field"] == "file"
    assert str(tmp_path) not in err["message"]  # no server paths...
    assert name in err["message"] or "empty" in err["message"]  # ...the upload is named as the user named it
    assert app.state.store.counts()["projects"] == 0  # nothing recorded
    assert list((tmp_path / "jobs").iterdir()) == []  # the job folder was removed
    _assert_error(client.post("/v1/render", files={"file": (name, data, "video/mp4")}, data={"tools": "{}"}),
                  422, "invalid_video")


def test_bad_tools_or_intent_rejected_before_the_upload_is_kept(tmp_path, clip):
    app = create_app(_settings(tmp_path))
    client = TestClient(app)
    bad = '{"adjust": {"saturation": 900}}'
    _assert_error(client.post("/v1/render", files=_upload(clip), data={"tools": bad}), 422, "invalid_tools")
    _assert_error(client.post("/v1/edit", files=_upload(clip), data={"intent": "   "}), 422, "invalid_intent")
    assert not (tmp_path / "jobs").exists() or list((tmp_path / "jobs").iterdir()) == []


def test_too_long_or_too_large_video_413(tmp_path, clip):
    app = create_app(_settings(tmp_path, max_video_seconds=0.5))  # the clip lasts 1.33 s
    client = TestClient(app)
    r = client.post("/v1/edit", files=_upload(clip), data={"intent": "warm"})
    err = _assert_error(r, 413, "video_too_long")
    assert "0.5 s" in err["message"]
    assert app.state.store.counts()["projects"] == 0
    client = TestClient(create_app(_settings(tmp_path / "b", max_pixels=64 * 47)))
    r = client.post("/v1/render", files=_upload(clip), data={"tools": "{}"})
    err = _assert_error(r, 413, "video_too_large")
    assert "64×48" in err["message"]


def test_decode_failure_becomes_a_failed_job_with_a_message(tmp_path):
    """A video that gets past the probe but cannot be graded ends as 'failed', and /result says why (410)."""
    app = create_app(_settings(tmp_path))
    jobs = app.state.jobs
    with TestClient(app) as client:
        job_id, job_dir = jobs.create_job_dir()
        (job_dir / "input.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4096))
        jobs.submit(JobSpec(job_id=job_id, input_name="input.mp4", source_name="broken.mp4",
                            download_name="broken-vibegrade.mp4", tools={}, frames_total=10))
        status, _ = _wait(client, job_id)
        assert status["state"] == "failed" and status["download_url"] is None
        assert status["error"]["code"] == "invalid_video"
        assert "broken.mp4" in status["error"]["message"] and str(tmp_path) not in status["error"]["message"]
        err = _assert_error(client.get(f"/v1/jobs/{job_id}/result"), 410, "job_failed")
        assert "broken.mp4" in err["message"]
        assert not (job_dir / "input.mp4").exists() and not (job_dir / "output.mp4").exists()


def test_old_jobs_are_swept(tmp_path, clip):
    app = create_app(_settings(tmp_path, job_ttl_seconds=3600))
    jobs = app.state.jobs
    with TestClient(app) as client:
        old = client.post("/v1/render", files=_upload(clip), data={"tools": "{}"}).json()["job_id"]
        assert _wait(client, old)[0]["state"] == "done"
        stray = tmp_path / "jobs" / new_job_id()  # a folder whose job this process never knew
        stray.mkdir()
        keep = tmp_path / "jobs" / "not-a-job"
        keep.mkdir()
        past = time.time() - 2 * 3600
        for d in (tmp_path / "jobs" / old, stray, keep):
            os.utime(d, (past, past))
        assert jobs.sweep() == 0  # the submit just swept: at most one sweep a minute
        assert jobs.sweep(force=True) == 2
        assert not (tmp_path / "jobs" / old).exists() and not stray.exists() and keep.exists()
        _assert_error(client.get(f"/v1/jobs/{old}"), 404, "job_not_found")


def test_shutdown_interrupts_a_running_in_process_job(tmp_path, clip):
    jobs = InProcessJobQueue(tmp_path / "jobs", workers=1)
    gate, seen_progress = _hold_at_frame(jobs)
    job_id = _submit_clip(jobs, clip)
    assert seen_progress.wait(TIMEOUT_S)
    assert jobs.get(job_id).state == "running" and jobs.get(job_id).frames_done >= 1
    stopper = threading.Thread(target=jobs.stop, kwargs={"grace": 0})
    stopper.start()
    _wait_until(jobs._abort.is_set)  # release the render only once the stop has asked it to end
    gate.set()
    stopper.join(TIMEOUT_S)
    rec = jobs.get(job_id)
    assert rec.state == "failed" and rec.error_code == "interrupted"
    assert not jobs.output_path(job_id).exists() and jobs.running_threads == 0
    with pytest.raises(RuntimeError, match="shutting down"):
        jobs.submit(JobSpec(job_id=new_job_id(), input_name="input.mp4", download_name="x.mp4", tools={}))


def test_job_workers_zero_needs_redis(tmp_path):
    with pytest.raises(ValueError, match="job_workers"):
        create_app(_settings(tmp_path, job_workers=0))


# ------------------------------------------------------------------------------------------- Redis

@pytest.fixture
def redis_prefix():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as e:
        client.close()
        pytest.skip(f"no Redis server at {REDIS_URL} ({e}); the Redis-backed job tests need one")
    prefix = f"vgtest-{uuid.uuid4().hex[:12]}"
    yield prefix
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def _redis_settings(tmp_path: Path, prefix: str, name: str, **kw) -> Settings:
    kw.setdefault("job_workers", 0)
    return Settings(database_url=f"sqlite:///{tmp_path / f'{name}.db'}", redis_url=REDIS_URL,
                    redis_prefix=prefix, jobs_dir=tmp_path / "shared-jobs", **kw)


def _start_worker(
    settings: Settings, **kw) -> tuple[threading.Thread, threading.Event, list[DramatiqJobQueue]]:
    """``run_worker`` (what ``vibegrade worker`` runs) in a thread; returns (thread, stop event, [queue])."""
    stop, ready = threading.Event(), threading.Event()
    started: list[DramatiqJobQueue] = []

    def on_ready(q: DramatiqJobQueue) -> None:
        started.append(q)
        ready.set()

    t = threading.Thread(target=run_worker, args=(settings, stop), kwargs={"on_ready": on_ready, **kw},
                         daemon=True)
    t.start()
    assert ready.wait(TIMEOUT_S)
    return t, stop, started


def _queued_messages(q: DramatiqJobQueue) -> list[str]:
    """Job ids of the messages waiting in Dramatiq's queue (its Redis list and message hash)."""
    ns = q.namespace
    ids = q.redis.lrange(f"{ns}:{QUEUE_NAME}", 0, -1)
    raw = q.redis.hmget(f"{ns}:{QUEUE_NAME}.msgs", ids) if ids else []
    return [json.loads(m)["args"][0] for m in raw if m]


def _unacked(q: DramatiqJobQueue) -> int:
    """Messages fetched by some worker and not acknowledged yet (Dramatiq's ack sets)."""
    return sum(q.redis.scard(k) for k in q.redis.scan_iter(f"{q.namespace}:__acks__.*"))


# Fast death detection for tests: a worker silent for 3 s is dead, and every broker command runs Dramatiq's
# queue maintenance (which re-queues dead workers' messages).
FAST = {"heartbeat_timeout_s": 3.0, "maintenance_chance": 1_000_000}


def test_redis_two_api_apps_and_a_separate_worker(tmp_path, clip, redis_prefix):
    threads_before = set(_job_threads())
    app_a = create_app(_redis_settings(tmp_path, redis_prefix, "a"))
    app_b = create_app(_redis_settings(tmp_path, redis_prefix, "b"))
    with TestClient(app_a) as a, TestClient(app_b) as b:
        r = a.post("/v1/edit", files=_upload(clip), data={"intent": "bw", "tools": GREY})
        assert r.status_code == 202, r.text
        job_id, project_id = r.json()["job_id"], r.json()["project_id"]
        assert app_a.state.store.counts()["projects"] == 1
        # no worker anywhere yet: the job waits, and the other app sees it
        status = b.get(f"/v1/jobs/{job_id}").json()
        assert status["state"] == "queued" and status["project_id"] == project_id
        assert status["frames_total"] == FRAMES
        _assert_error(b.get(f"/v1/jobs/{job_id}/result"), 409, "job_not_ready")
        assert _queued_messages(app_a.state.jobs) == [job_id]  # one Dramatiq message

        thread, stop, (worker_q,) = _start_worker(
            Settings(redis_url=REDIS_URL, redis_prefix=redis_prefix, jobs_dir=tmp_path / "shared-jobs"),
            concurrency=1, grace=5)
        try:
            assert isinstance(worker_q, DramatiqJobQueue) and worker_q.running_threads == 1
            status, _ = _wait(b, job_id)
            assert status["state"] == "done" and status["progress"] == 1.0
            assert status["frames_done"] == FRAMES == status["frames_total"]
            _assert_grey_copy_of(_download(b, status, tmp_path / "out.mp4"), clip)
            assert a.get(f"/v1/jobs/{job_id}").json()["state"] == "done"
            assert worker_q.get(job_id).attempts == 1
            _wait_until(lambda: _unacked(worker_q) == 0)  # acknowledged once done
            assert _queued_messages(worker_q) == []
            # the worker heartbeats under its id in Dramatiq's set of workers
            assert worker_q.redis.zscore(f"{worker_q.namespace}:__heartbeats__", worker_q.worker_id)
            assert 0 < worker_q.redis.ttl(worker_q.job_key(job_id)) <= 24 * 3600
        finally:
            stop.set()
            thread.join(TIMEOUT_S)
        assert not thread.is_alive() and worker_q.running_threads == 0
    assert set(_job_threads()) <= threads_before  # Dramatiq's threads of the worker and both apps ended


def test_redis_api_process_threads_run_jobs(tmp_path, clip, redis_prefix):
    """With job_workers ≥ 1 an API process is also a Dramatiq worker."""
    app = create_app(_redis_settings(tmp_path, redis_prefix, "a", job_workers=1))
    with TestClient(app) as client:
        r = client.post("/v1/render", files=_upload(clip), data={"tools": GREY})
        assert r.status_code == 202, r.text
        status, seen = _wait(client, r.json()["job_id"])
        assert status["state"] == "done", status
        progress = [s["progress"] for s in seen]
        assert progress == sorted(progress)
        _assert_grey_copy_of(_download(client, status, tmp_path / "out.mp4"), clip)
    assert app.state.jobs.running_threads == 0


def test_redis_progress_is_shared_while_running(tmp_path, clip, redis_prefix):
    api = DramatiqJobQueue(REDIS_URL, tmp_path / "jobs", prefix=redis_prefix, workers=0)
    worker = DramatiqJobQueue(REDIS_URL, tmp_path / "jobs", prefix=redis_prefix, workers=1)
    worker.progress_interval_s = 0.0
    gate, at_frame = _hold_at_frame(worker, 10)
    job_id = _submit_clip(api, clip, frames_total=FRAMES)
    worker.start()
    try:
        assert at_frame.wait(TIMEOUT_S)
        rec = api.get(job_id)
        assert rec.state == "running" and rec.frames_done == 10 and rec.progress == pytest.approx(10 / FRAMES)
        gate.set()
        _wait_until(lambda: api.get(job_id).state == "done")
        assert api.get(job_id).frames_done == FRAMES
    finally:
        gate.set()
        worker.stop()
        worker.close()
        api.close()


# A worker process that takes one job and then hangs ("hang") or kills itself with SIGKILL ("die") once it
# has graded a frame: a worker lost mid-job, as when its machine goes away.
_MORTAL_WORKER = """
import os, signal, sys, time
from vibegrade.serve.jobs_dramatiq import DramatiqJobQueue
url, prefix, jobs_dir, mode, max_attempts = sys.argv[1:6]
jobs = DramatiqJobQueue(url, jobs_dir, prefix=prefix, workers=1, max_attempts=int(max_attempts),
                        heartbeat_timeout_s=3.0, maintenance_chance=1_000_000)
jobs.progress_interval_s = 0.0
def progress(spec, done, total):
    print("running", spec.job_id, flush=True)
    if mode == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(3600)
jobs._progress = progress
jobs.start()
time.sleep(3600)
"""


def _mortal_worker(redis_prefix: str, jobs_dir: Path, mode: str, max_attempts: int = 3) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _MORTAL_WORKER, REDIS_URL, redis_prefix, str(jobs_dir),
                             mode, str(max_attempts)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})


def test_redis_killed_worker_job_is_delivered_again_and_finished(tmp_path, clip, redis_prefix):
    jobs_dir = tmp_path / "jobs"
    api = DramatiqJobQueue(REDIS_URL, jobs_dir, prefix=redis_prefix, workers=0)
    job_id = _submit_clip(api, clip, tools=json.loads(GREY))
    proc = _mortal_worker(redis_prefix, jobs_dir, "hang")
    try:
        assert proc.stdout.readline().split() == ["running", job_id]
        assert api.get(job_id).state == "running" and api.get(job_id).attempts == 1
        assert _unacked(api) == 1 and _queued_messages(api) == []  # held by that worker, not acknowledged
    finally:
        proc.kill()  # SIGKILL: the worker cannot put anything back
        proc.wait(TIMEOUT_S)
    live = DramatiqJobQueue(REDIS_URL, jobs_dir, prefix=redis_prefix, workers=1, **FAST)
    live.start()  # once the dead worker's heartbeat is 3 s old, Dramatiq re-queues its message
    try:
        _wait_until(lambda: api.get(job_id).state == "done")
        rec = api.get(job_id)
        assert rec.attempts == 2 and rec.frames_done == FRAMES
        _assert_grey_copy_of(api.output_path(job_id), clip)
        assert not (api.job_dir(job_id) / "input.mp4").exists()
        _wait_until(lambda: _unacked(api) == 0)
    finally:
        live.stop()
        live.close()
        api.close()


def test_redis_job_that_keeps_killing_workers_fails(tmp_path, clip, redis_prefix):
    jobs_dir = tmp_path / "jobs"
    api = DramatiqJobQueue(REDIS_URL, jobs_dir, prefix=redis_prefix, workers=0, max_attempts=2)
    job_id = _submit_clip(api, clip)
    for attempt in (1, 2):  # each worker takes the job (the second once the first is found dead), and dies
        proc = _mortal_worker(redis_prefix, jobs_dir, "die", max_attempts=2)
        try:
            assert proc.stdout.readline().split() == ["running", job_id]
            assert proc.wait(TIMEOUT_S) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert api.get(job_id).attempts == attempt and api.get(job_id).state == "running"
    live = DramatiqJobQueue(REDIS_URL, jobs_dir, prefix=redis_prefix, workers=1, max_attempts=2, **FAST)
    ran = []
    live.run = ran.append  # type: ignore[method-assign]  # the job must not be started a third time
    live.start()
    try:
        _wait_until(lambda: api.get(job_id).state == "failed")
        rec = api.get(job_id)
        assert rec.error_code == "worker_lost" and rec.attempts == 2 and ran == []
        _wait_until(lambda: _unacked(api) == 0)
        assert _queued_messages(api) == []
        assert not (api.job_dir(job_id) / "input.mp4").exists()
    finally:
        live.stop()
        live.close()
        api.close()


def test_redis_worker_stopping_puts_its_running_job_back(tmp_path, clip, redis_prefix):
    jobs_dir = tmp_path / "jobs"
    api = DramatiqJobQueue(REDIS_URL, jobs_dir, prefix=redis_prefix, workers=0)
    worker = DramatiqJobQueue(REDIS_URL, jobs_dir, prefix=redis_prefix, workers=1)
    worker.progress_interval_s = 0.0
    gate, running = _hold_at_frame(worker)
    job_id = _submit_clip(api, clip)
    worker.start()
    assert running.wait(TIMEOUT_S)
    stopper = threading.Thread(target=worker.stop, kwargs={"grace": 0})
    stopper.start()
    _wait_until(worker._abort.is_set)
    gate.set()
    stopper.join(TIMEOUT_S)
    assert not stopper.is_alive() and worker.running_threads == 0
    rec = api.get(job_id)
    assert rec.state == "queued" and rec.frames_done == 0
    assert rec.attempts == 0  # a shutdown does not count as an attempt
    assert _queued_messages(api) == [job_id] and _unacked(api) == 0
    assert not api.output_path(job_id).exists() and (api.job_dir(job_id) / "input.mp4").exists()
    worker.close()
    # another worker takes it from the start
    other = DramatiqJobQueue(REDIS_URL, jobs_dir, prefix=redis_prefix, workers=1)
    other.start()
    try:
        _wait_until(lambda: api.get(job_id).state == "done")
        assert api.get(job_id).attempts == 1
    finally:
        other.stop()
        other.close()
        api.close()


def test_redis_outdated_or_finished_deliveries_are_dropped(tmp_path, clip, redis_prefix):
    """A copy of a message whose job was re-sent (new ticket) or has finished does not run it again."""
    jobs_dir = tmp_path / "jobs"
    api = DramatiqJobQueue(REDIS_URL, jobs_dir, prefix=redis_prefix, workers=0)
    job_id = _submit_clip(api, clip)
    api._send(job_id, "0" * 16)  # an outdated ticket
    worker = DramatiqJobQueue(REDIS_URL, jobs_dir, prefix=redis_prefix, workers=1)
    runs = []
    original = worker.run

    def counting_run(spec):
        runs.append(spec.job_id)
        original(spec)

    worker.run = counting_run  # type: ignore[method-assign]
    worker.start()
    try:
        _wait_until(lambda: api.get(job_id).state == "done" and _queued_messages(api) == []
                    and _unacked(api) == 0)
        ticket = api.redis.hget(api.job_key(job_id), "ticket")
        api._send(job_id, ticket)  # a duplicate of the right message, after the job is done
        _wait_until(lambda: _queued_messages(api) == [] and _unacked(api) == 0)
        assert runs == [job_id] and api.get(job_id).attempts == 1
    finally:
        worker.stop()
        worker.close()
        api.close()


def test_redis_unreachable_is_a_503(tmp_path, clip):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'e.db'}", jobs_dir=tmp_path / "jobs",
                              redis_url="redis://127.0.0.1:1/0", job_workers=0))
    client = TestClient(app)
    r = client.post("/v1/render", files=_upload(clip), data={"tools": "{}"})
    _assert_error(r, 503, "jobs_unavailable")
    _assert_error(client.get(f"/v1/jobs/{new_job_id()}"), 503, "jobs_unavailable")
    assert not (tmp_path / "jobs").exists()  # checked before anything was saved


# --------------------------------------------------------------------------------------------- CLI

def test_worker_cli_help_and_missing_redis():
    from vibegrade.cli.main import app

    runner = CliRunner()
    res = runner.invoke(app, ["worker", "--help"])
    assert res.exit_code == 0
    for opt in ("--redis-url", "--jobs-dir", "--concurrency", "--grace"):
        assert opt in res.output
    env = {k: v for k, v in os.environ.items() if k != "VIBEGRADE_REDIS_URL"}
    res = subprocess.run([sys.executable, "-m", "vibegrade.cli.main", "worker"], capture_output=True,
                         text=True, env=env, timeout=TIMEOUT_S, check=False)
    assert res.returncode == 2 and "needs Redis" in res.stderr and "Traceback" not in res.stderr


def test_worker_cli_process_runs_a_job_and_stops_on_sigterm(tmp_path, clip, redis_prefix):
    jobs_dir = tmp_path / "shared-jobs"
    proc = subprocess.Popen(
        [sys.executable, "-m", "vibegrade.cli.main", "worker", "--redis-url", REDIS_URL,
         "--jobs-dir", str(jobs_dir), "--prefix", redis_prefix, "--grace", "5"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"})
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in proc.stderr:
            lines.append(line)
            if "ready" in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.wait(TIMEOUT_S), "".join(lines)
        with TestClient(create_app(_redis_settings(tmp_path, redis_prefix, "api"))) as client:
            r = client.post("/v1/render", files=_upload(clip), data={"tools": GREY})
            assert r.status_code == 202, r.text
            status, _ = _wait(client, r.json()["job_id"])
            assert status["state"] == "done", status
            _assert_grey_copy_of(_download(client, status, tmp_path / "out.mp4"), clip)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(TIMEOUT_S) == 0, "".join(lines)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(TIMEOUT_S)
    out = "".join(lines)
    assert "stopping" in out and "worker stopped" in out and "Traceback" not in out


# ------------------------------------------------------------------------- issue 12: cost of a video job

def test_too_many_frames_or_too_high_a_frame_rate_413(tmp_path, clip):
    client = TestClient(create_app(_settings(tmp_path, max_video_frames=FRAMES - 1)))
    err = _assert_error(client.post("/v1/render", files=_upload(clip), data={"tools": "{}"}), 413,
                        "video_too_long")
    assert f"{FRAMES} frames" in err["message"] and f"{FRAMES - 1}" in err["message"]
    client = TestClient(create_app(_settings(tmp_path / "b", max_video_fps=20)))
    err = _assert_error(client.post("/v1/render", files=_upload(clip), data={"tools": "{}"}), 413,
                        "frame_rate_too_high")
    assert "24 frames per second" in err["message"]
    client = TestClient(create_app(_settings(tmp_path / "c", max_video_pixels=64 * 47)))
    _assert_error(client.post("/v1/render", files=_upload(clip), data={"tools": "{}"}), 413,
                  "video_too_large")
    for d in ("jobs", "b/jobs", "c/jobs"):
        assert not (tmp_path / d).exists() or list((tmp_path / d).iterdir()) == []


def test_a_video_with_more_frames_than_its_index_says_stops_at_the_cap(tmp_path, clip):
    """The frame count checked up front comes from the container; the worker counts the real frames."""
    jobs = InProcessJobQueue(tmp_path / "jobs", workers=1)
    try:
        job_id = _submit_clip(jobs, clip, frames_total=4, max_frames=5)
        _wait_until(lambda: jobs.get(job_id).state in ("done", "failed"))
        rec = jobs.get(job_id)
        assert rec.state == "failed" and rec.error_code == "video_too_long"
        assert "5 frames" in rec.error_message
        assert not jobs.output_path(job_id).exists()
    finally:
        jobs.stop()


def test_each_client_has_a_bounded_number_of_queued_jobs(tmp_path, clip):
    app = create_app(_settings(tmp_path, max_jobs_per_client=2))
    gate, reached = _hold_at_frame(app.state.jobs)
    try:
        with TestClient(app) as alice, TestClient(app) as bob:
            alice.cookies.set(USER_COOKIE, "alice-0123456789")
            bob.cookies.set(USER_COOKIE, "bob-0123456789ab")
            for _ in range(2):
                assert alice.post("/v1/render", files=_upload(clip), data={"tools": "{}"}).status_code == 202
            assert reached.wait(TIMEOUT_S)
            r = alice.post("/v1/edit", files=_upload(clip), data={"intent": "warm"})
            err = _assert_error(r, 429, "too_many_jobs")
            assert "2 video job(s)" in err["message"] and r.headers["retry-after"]
            assert app.state.store.counts()["projects"] == 0  # refused before anything was recorded
            assert bob.post("/v1/render", files=_upload(clip), data={"tools": "{}"}).status_code == 202
            # clients without a cookie share their address's allowance (a fresh cookie each time does not
            # help)
            anon = TestClient(app)
            codes = []
            for _ in range(3):
                anon.cookies.clear()  # /v1/edit sets a new cookie each time: the client drops it
                codes.append(anon.post("/v1/edit", files=_upload(clip), data={"intent": "warm"}).status_code)
            assert codes == [202, 202, 429]
            assert len(list((tmp_path / "jobs").iterdir())) == 5  # the refused uploads left no folder
            gate.set()
    finally:
        gate.set()


def test_redis_counts_a_clients_active_jobs(tmp_path, clip, redis_prefix):
    jobs = DramatiqJobQueue(REDIS_URL, tmp_path / "jobs", prefix=redis_prefix, workers=0)
    try:
        a = _submit_clip(jobs, clip, client="user:a")
        _submit_clip(jobs, clip, client="user:a")
        assert jobs.active_for_client("user:a") == 2 and jobs.active_for_client("user:b") == 0
        with pytest.raises(RuntimeError, match="limit is 2"):
            job_id, job_dir = jobs.create_job_dir()
            jobs.submit(JobSpec(job_id=job_id, input_name="input.mp4", download_name="x.mp4", tools={},
                                client="user:a"), max_per_client=2)
        jobs.redis.hset(jobs.job_key(a), "state", "done")
        assert jobs.active_for_client("user:a") == 1
    finally:
        jobs.close()


_DYING_SERVER = """
import sys, threading, time
from pathlib import Path
from vibegrade.serve.jobs import InProcessJobQueue, JobSpec
jobs = InProcessJobQueue(sys.argv[1], workers=1)
reached = threading.Event()
original = jobs._progress
def progress(spec, done, total):
    original(spec, done, total)
    reached.set()
    time.sleep(3600)
jobs._progress = progress
ids = []
for _ in range(2):
    job_id, job_dir = jobs.create_job_dir()
    (job_dir / "input.mp4").write_bytes(Path(sys.argv[2]).read_bytes())
    jobs.submit(JobSpec(job_id=job_id, input_name="input.mp4", download_name="x.mp4", tools={}))
    ids.append(job_id)
reached.wait(60)
print(" ".join(ids), flush=True)
time.sleep(3600)
"""


def test_jobs_of_a_killed_server_are_failed_on_the_next_start(tmp_path, clip):
    jobs_dir = tmp_path / "jobs"
    proc = subprocess.Popen([sys.executable, "-c", _DYING_SERVER, str(jobs_dir), str(clip)],
                            stdout=subprocess.PIPE, text=True)
    try:
        running, queued = proc.stdout.readline().split()
    finally:
        proc.kill()  # SIGKILL: the process cannot record anything
        proc.wait(TIMEOUT_S)
    assert (jobs_dir / running / "input.mp4").exists() and (jobs_dir / queued / "input.mp4").exists()
    app = create_app(_settings(tmp_path))
    assert app.state.jobs.recovered == 2
    with TestClient(app) as client:
        for job_id, was in ((running, "running"), (queued, "queued")):
            body = client.get(f"/v1/jobs/{job_id}").json()
            assert body["state"] == "failed" and body["error"]["code"] == "interrupted", body
            assert f"while this job was {was}" in body["error"]["message"]
            assert not (jobs_dir / job_id / "input.mp4").exists()
            _assert_error(client.get(f"/v1/jobs/{job_id}/result"), 410, "job_failed")
        # a finished job of the earlier process stays downloadable; new jobs run as usual
        done = client.post("/v1/render", files=_upload(clip), data={"tools": "{}"}).json()["job_id"]
        assert _wait(client, done)[0]["state"] == "done"
    with TestClient(create_app(_settings(tmp_path))) as client:
        assert client.get(f"/v1/jobs/{done}").json()["state"] == "done"
        assert client.get(f"/v1/jobs/{done}/result").status_code == 200


def test_a_live_sibling_process_keeps_its_jobs(tmp_path, clip):
    """Several API processes may share the jobs folder: only the jobs of dead processes are failed."""
    jobs_dir = tmp_path / "jobs"
    proc = subprocess.Popen([sys.executable, "-c", _DYING_SERVER, str(jobs_dir), str(clip)],
                            stdout=subprocess.PIPE, text=True)
    try:
        running, _ = proc.stdout.readline().split()
        other = InProcessJobQueue(jobs_dir, workers=1)
        assert other.recovered == 0 and other.get(running) is None
        assert (jobs_dir / running / "input.mp4").exists()
    finally:
        proc.kill()
        proc.wait(TIMEOUT_S)


_WITHOUT_DRAMATIQ = """
import sys
sys.modules["dramatiq"] = None  # as if the 'redis' extra were not installed
from vibegrade.extras import MissingExtraError
from vibegrade.serve.app import Settings, create_app
create_app(Settings(database_url="sqlite://", jobs_dir=sys.argv[1]))  # in-process jobs need nothing more
try:
    create_app(Settings(database_url="sqlite://", jobs_dir=sys.argv[1], redis_url="redis://127.0.0.1:1/0"))
except MissingExtraError as e:
    print(e)
"""


def test_serving_without_the_redis_extra_runs_jobs_in_process(tmp_path):
    res = subprocess.run([sys.executable, "-c", _WITHOUT_DRAMATIQ, str(tmp_path / "jobs")],
                         capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    assert res.returncode == 0, res.stderr
    assert "pip install 'vibegrade[redis]'" in res.stdout and "dramatiq" in res.stdout
