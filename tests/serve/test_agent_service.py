"""The agent over HTTP: ``POST /v1/agent`` starts a run as a job, ``GET /v1/agent/{id}`` follows it and gives
its plan and trace, ``.../result`` the graded photo, ``.../masks/{region}.png`` a region mask, ``.../render``
the photo with steps switched off. Runs are real (masks, the student's baseline, the judge-guided search,
the judge, the renders) on a small shared photo; only the plan is fixed (tests/fakes/agent.py) so that the
tests know what the run works on.
"""

from __future__ import annotations

import io
import json
import threading
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.conftest import shared_photo
from tests.fakes.agent import TWO_REGIONS_PLAN, FixedPlanner
from vibegrade.schema import parse_chain
from vibegrade.serve.app import Settings, create_app
from vibegrade.serve.services.agent import AgentModels, chain_without

from .helpers import assert_error

PHOTO = "beach_couple_sky.jpg"  # people under a wide sky


def _encode(rgb: np.ndarray, fmt: str = "JPEG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format=fmt, quality=92)
    return buf.getvalue()


def _decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


@pytest.fixture(scope="module")
def photo() -> bytes:
    rgb = shared_photo(PHOTO)
    small = Image.fromarray(rgb).resize((rgb.shape[1] // 2, rgb.shape[0] // 2), Image.Resampling.LANCZOS)
    return _encode(np.asarray(small))


@pytest.fixture(scope="module")
def student():
    from vibegrade.students import load_student

    return load_student()


def _client(tmp_path, student, planner=None, **settings) -> TestClient:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'events.db'}", jobs_dir=tmp_path / "jobs",
                              **settings))
    app.state.jobs.runner.agent_models = AgentModels(planner=planner or FixedPlanner(), student=student)
    return TestClient(app)


@pytest.fixture
def make_client(tmp_path, student):
    """Clients of fresh apps whose lifespan runs (the job queue is stopped at the end of the test)."""
    opened: list[TestClient] = []

    def make(planner=None, **settings) -> TestClient:
        client = _client(tmp_path, student, planner, **settings)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def _start(client: TestClient, photo: bytes, **form) -> dict:
    r = client.post("/v1/agent", files={"file": ("beach.jpg", photo, "image/jpeg")},
                    data={"request": "a cool blue sky but warm light on the people", **form})
    assert r.status_code == 202, r.text
    body = r.json()
    assert r.headers["location"] == body["status_url"] == f"/v1/agent/{body['job_id']}"
    return body


def _wait(client: TestClient, url: str, states=("done", "failed"), timeout: float = 120.0,
          stage: str | None = None) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = client.get(url).json()
        if st["state"] in states and (stage is None or st["stage"] == stage):
            return st
        time.sleep(0.1)
    raise AssertionError(f"the run did not reach {states} in {timeout} s: {st}")


@pytest.fixture(scope="module")
def done_run(tmp_path_factory, photo, student):
    """One finished run shared by the read-only tests: (client, status)."""
    with _client(tmp_path_factory.mktemp("agent-run"), student) as client:
        job = _start(client, photo, budget="3", mode="search")
        st = _wait(client, job["status_url"])
        assert st["state"] == "done", st
        yield client, st


def test_a_run_reports_its_plan_steps_and_trace(done_run):
    _, st = done_run
    res = st["result"]
    assert st["progress"] == 1.0 and st["error"] is None
    assert res["request"] == "a cool blue sky but warm light on the people"
    assert res["mode"] == "search" and res["budget"] == 3
    # the plan: every item, the infeasible one with its reason, the others with their state
    items = {i["id"]: i for i in res["items"]}
    assert set(items) == {"sky_cooler", "warm_shadows", "add_birds"}
    assert items["add_birds"]["feasible"] is False and "cannot add objects" in items["add_birds"]["reason"]
    assert items["sky_cooler"]["applicable"] and items["warm_shadows"]["applicable"]
    # the steps: each kept one raised the judge's score; regional ones name the mask that shows where
    assert res["steps"], res
    assert res["steps"][-1]["score_after"] > res["steps"][0]["score_before"]
    for n, s in enumerate(res["steps"]):
        assert s["index"] == n and {"tool", "region", "params", "score_before", "score_after"} <= set(s)
    regional = [s for s in res["steps"] if s["tool"] == "regional"]
    assert regional, res["steps"]  # no global move cools the sky and warms the shadows
    assert all(s["mask"] == s["region"] and s["mask_url"].endswith(f"/masks/{s['region']}.png")
               for s in regional)
    assert all(s["mask"] is None for s in res["steps"] if s["tool"] == "adjust")
    # the trace has what the issue names
    tr = res["trace"]
    assert {"request", "checklist", "steps", "final", "baseline"} <= set(tr)
    assert all({"id", "text", "region", "feasible"} <= set(i) for i in tr["checklist"])
    assert all({"tool", "region", "params", "score_before", "score_after"} <= set(s) for s in tr["steps"])
    assert 0.0 <= tr["final"]["checklist_satisfied"] <= 1.0 and "judge" in tr["final"]
    assert {"chain", "checklist_satisfied", "judge"} <= set(tr["baseline"]["single_shot"])
    assert "service" not in tr


def test_result_is_the_graded_photo_and_a_rerender_with_every_step_matches_it(done_run, photo):
    client, st = done_run
    res = st["result"]
    r = client.get(res["result_url"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    graded = _decode(r.content)
    original = _decode(photo)
    assert graded.shape == original.shape == (res["height"], res["width"], 3)
    assert np.abs(graded.astype(int) - original.astype(int)).mean() > 1.0  # it was graded
    assert parse_chain(json.loads(r.headers["x-tools"])) == parse_chain(res["tools"])
    same = client.post(res["render_url"], json={"off": []})
    assert same.status_code == 200, same.text
    assert np.array_equal(_decode(same.content), graded)
    verdict = json.loads(same.headers["x-agent-verdict"])
    assert verdict["checklist_satisfied"] == pytest.approx(res["checklist_satisfied"], abs=0.01)


def test_switching_a_step_off_changes_the_picture_and_the_ticks_follow(done_run):
    client, st = done_run
    res = st["result"]
    full = _decode(client.get(res["result_url"]).content)
    everything_off = list(range(len(res["steps"])))
    r = client.post(res["render_url"], json={"off": everything_off})
    assert r.status_code == 200, r.text
    assert parse_chain(json.loads(r.headers["x-tools"])).is_identity
    verdict = json.loads(r.headers["x-agent-verdict"])
    assert verdict["met"] == [] and verdict["checklist_satisfied"] == 0.0
    # one region's steps off: the picture changes where that region's mask is on, not elsewhere
    region = next(s["region"] for s in res["steps"] if s["tool"] == "regional")
    off = [s["index"] for s in res["steps"] if s["tool"] == "regional" and s["region"] == region]
    r = client.post(res["render_url"], json={"off": off})
    without = _decode(r.content)
    chain = parse_chain(json.loads(r.headers["x-tools"]))
    assert all(e.region != region or not e.used for e in chain.regional)
    mask = _decode(client.get(f"/v1/agent/{st['job_id']}/masks/{region}.png").content)[..., 0] / 255.0
    diff = np.abs(without.astype(float) - full.astype(float)).mean(axis=2)
    inside, outside = diff[mask > 0.8].mean(), diff[mask < 0.2].mean()
    assert inside > 2.0 and inside > 3 * outside, (region, inside, outside)


def test_chain_without_replays_the_saved_actions_like_the_agent_result(photo, student):
    from vibegrade.agent.run import run_agent

    rgb = _decode(photo)
    result = run_agent(rgb, "cool sky", planner=FixedPlanner(), student=student, mode="search", budget=3)
    assert len(result.actions) >= 2
    trace = {**result.trace(), "service": {"actions": [a.to_dict() for a in result.actions]}}
    for off in ([], [0], [len(result.actions) - 1], list(range(len(result.actions)))):
        assert chain_without(trace, off) == result.chain_without(off)


def test_masks_are_the_runs_masks_as_8bit_png_at_the_photo_size(done_run, photo):
    from vibegrade.tools.regions import compute_masks

    client, st = done_run
    res = st["result"]
    assert {"sky", "shadows", "skin", "faces"} <= set(res["masks"])
    r = client.get(res["masks"]["sky"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(r.content)) as im:
        assert im.mode == "L" and im.size == (res["width"], res["height"])
        m = np.asarray(im)
    expected = compute_masks(_decode(photo), ["sky"])["sky"]
    assert np.abs(m / 255.0 - expected).max() <= 0.5 / 255 + 1e-6
    assert m.max() == 255 and m.min() == 0
    base = f"/v1/agent/{st['job_id']}/masks"
    assert_error(client.get(f"{base}/center.png"), 404, "mask_not_found")  # a region this run did not use
    assert_error(client.get(f"{base}/nowhere.png"), 404, "mask_not_found")
    assert_error(client.get(f"{base}/..%2Ftrace.json.png"), 404)


def test_render_validation(done_run):
    client, st = done_run
    url = st["result"]["render_url"]
    n = len(st["result"]["steps"])
    assert_error(client.post(url, json={"off": [n]}), 422, "invalid_steps", "off")
    assert_error(client.post(url, json={"off": [-1]}), 422, "invalid_steps", "off")
    assert_error(client.post(url, json={"off": "all"}), 422)
    assert_error(client.post(url, json={"off": [], "extra": 1}), 422)
    assert_error(client.post(url, content=b"{", headers={"content-type": "application/json"}), 422)


def test_unknown_and_malformed_runs_are_404(done_run):
    client, st = done_run
    for path in ("/v1/agent/nope", "/v1/agent/" + "0" * 32, "/v1/agent/" + "0" * 32 + "/result",
                 "/v1/agent/" + "0" * 32 + "/masks/sky.png"):
        assert_error(client.get(path), 404, "job_not_found")
    assert_error(client.post("/v1/agent/" + "0" * 32 + "/render", json={"off": []}), 404, "job_not_found")
    # an agent run is not a video job, and the other way round
    assert_error(client.get(f"/v1/jobs/{st['job_id']}"), 404, "job_not_found")


@pytest.mark.parametrize(("form", "code", "field"), [
    ({"request": "  "}, "invalid_request", "request"),
    ({"request": "x" * 501}, "invalid_request", "request"),
    ({"budget": "many"}, "invalid_budget", "budget"),
    ({"budget": "0"}, "invalid_budget", "budget"),
    ({"budget": "65"}, "invalid_budget", "budget"),
    ({"mode": "fastest"}, "invalid_mode", "mode"),
])
def test_bad_fields_are_422_naming_the_field(tmp_path, photo, make_client, form, code, field):
    client = make_client()
    data = {"request": "cool sky", **form}
    r = client.post("/v1/agent", files={"file": ("beach.jpg", photo, "image/jpeg")}, data=data)
    assert_error(r, 422, code, field)
    assert not list((tmp_path / "jobs").glob("*")) if (tmp_path / "jobs").exists() else True


def test_bad_uploads(tmp_path, photo, make_client):
    client = make_client(agent_max_pixels=100 * 100)
    post = lambda name, data, ctype="image/jpeg": client.post(  # noqa: E731
        "/v1/agent", files={"file": (name, data, ctype)}, data={"request": "cool sky"})
    assert_error(client.post("/v1/agent", data={"request": "cool sky"}), 422)  # no file
    assert_error(post("notes.txt", b"just some words", "text/plain"), 415, "unsupported_media_type", "file")
    assert_error(post("empty.jpg", b""), 422, "invalid_image", "file")
    assert_error(post("cut.jpg", photo[:400]), 422, "invalid_image", "file")
    err = assert_error(post("beach.jpg", photo), 413, "image_too_large", "file")
    assert "beach.jpg" in err["message"] and str(tmp_path) not in err["message"]
    assert not [p for p in (tmp_path / "jobs").iterdir()]  # nothing left behind


def test_a_running_run_reports_its_stage_and_is_not_ready(tmp_path, photo, make_client):
    gate = threading.Event()
    client = make_client(planner=FixedPlanner(gate=gate))
    job = _start(client, photo)
    try:
        st = _wait(client, job["status_url"], states=("running",), timeout=30, stage="planning")
        assert 0.0 <= st["progress"] < 1.0 and st["result"] is None
        base = job["status_url"]
        assert_error(client.get(f"{base}/result"), 409, "job_not_ready")
        assert_error(client.get(f"{base}/masks/sky.png"), 409, "job_not_ready")
        assert_error(client.post(f"{base}/render", json={"off": []}), 409, "job_not_ready")
    finally:
        gate.set()
    assert _wait(client, job["status_url"])["state"] == "done"


def test_a_refused_request_fails_the_run_with_its_reason(tmp_path, photo, make_client):
    client = make_client(planner=FixedPlanner(fail="the request is longer than 500 characters"))
    job = _start(client, photo)
    st = _wait(client, job["status_url"])
    assert st["state"] == "failed" and st["result"] is None
    assert st["error"] == {"code": "invalid_request", "message": "the request is longer than 500 characters"}
    err = assert_error(client.get(f"{job['status_url']}/result"), 410, "job_failed")
    assert "500 characters" in err["message"]


def test_runs_count_toward_the_per_client_job_limit(tmp_path, photo, make_client):
    gate = threading.Event()
    client = make_client(planner=FixedPlanner(gate=gate), max_jobs_per_client=1)
    client.cookies.set("vg_uid", "agent-test-user-1")
    try:
        _start(client, photo)
        r = client.post("/v1/agent", files={"file": ("b.jpg", photo, "image/jpeg")}, data={"request": "cool"})
        assert_error(r, 429, "too_many_jobs")
        assert r.headers["retry-after"]
    finally:
        gate.set()


def test_fixed_plan_is_what_the_run_worked_on(done_run):
    _, st = done_run
    assert [i["id"] for i in st["result"]["trace"]["checklist"]] == [i.id for i in TWO_REGIONS_PLAN.items]
