"""The HTTP service (vibegrade.serve.app) through FastAPI's TestClient, with the shipped default model."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from vibegrade.schema import parse_chain
from vibegrade.serve.app import USER_COOKIE, Settings, create_app

from .helpers import assert_error as _assert_error


def _png(w: int = 24, h: int = 16) -> bytes:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    return buf.getvalue()


def _jpeg(w: int = 24, h: int = 16) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((h, w, 3), (200, 90, 40), np.uint8)).save(buf, format="JPEG")
    return buf.getvalue()


def _make(tmp_path: Path, **kw) -> TestClient:
    kw.setdefault("jobs_dir", tmp_path / "jobs")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'events.db'}", **kw)
    return TestClient(create_app(settings))


@pytest.fixture
def client(tmp_path):
    return _make(tmp_path)


def _store(client: TestClient):
    return client.app.state.store


# ------------------------------------------------------------------------------------------ predict

def test_healthz(client):
    assert client.get("/healthz").json() == {"ok": True}


def test_predict_returns_chain_records_project_and_sets_cookie(client):
    r = client.post("/v1/predict", json={"intent": "golden hour, warm and soft"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) >= {"project_id", "variant", "model", "tools", "latency_ms"}
    assert body["variant"] is None and body["model"] == "default"
    assert parse_chain(body["tools"]).to_wire() == body["tools"]
    assert body["latency_ms"] >= 0
    set_cookie = r.headers["set-cookie"]
    assert set_cookie.startswith(f"{USER_COOKIE}=") and "HttpOnly" in set_cookie
    assert "samesite=lax" in set_cookie.lower()
    assert _store(client).counts() == {"projects": 1, "exports": 0}
    rec = next(iter(_store(client).projects.iter_all()))
    assert rec.id == body["project_id"] and rec.user_id == client.cookies[USER_COOKIE]
    # the same cookie is reused, not replaced
    r2 = client.post("/v1/predict", json={"intent": "moody teal"})
    assert r2.status_code == 200 and "set-cookie" not in r2.headers
    assert _store(client).counts()["projects"] == 2


def test_sticky_variant_under_experiment(tmp_path):
    exp = tmp_path / "experiments.json"
    exp.write_text(json.dumps({"experiments": [{"name": "exp1", "variants": [
        {"name": "control", "model": "default"}, {"name": "treat", "model": "default"}]}]}))
    client = _make(tmp_path, experiments_file=exp)
    seen = set()
    for i in range(6):
        client.cookies.set(USER_COOKIE, f"user-number-{i:04d}")
        variants = {client.post("/v1/predict", json={"intent": "film look"}).json()["variant"]
                    for _ in range(3)}
        assert len(variants) == 1  # sticky per user
        seen |= variants
    assert seen <= {"control", "treat"} and None not in seen
    recs = list(_store(client).projects.iter_all())
    assert len(recs) == 18 and {r.experiment for r in recs} == {"exp1"}


# --------------------------------------------------------------------------------------------- edit

def test_edit_png_same_size_and_headers(client):
    r = client.post("/v1/edit", files={"file": ("photo.png", _png(), "image/png")},
                    data={"intent": "cinematic teal and orange"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(r.content)) as im:
        assert im.format == "PNG" and im.size == (24, 16)
    assert parse_chain(r.headers["x-tools"])
    assert " " not in r.headers["x-tools"]
    assert r.headers["x-project-id"] == next(iter(_store(client).projects.iter_all())).id
    assert r.headers["set-cookie"].startswith(f"{USER_COOKIE}=")


def test_edit_tools_override_greyscale_and_jpeg(client):
    tools = json.dumps({"adjust": {"saturation": -100}})
    r = client.post("/v1/edit", files={"file": ("p.jpg", _jpeg(), "image/jpeg")},
                    data={"intent": "black and white", "tools": tools})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/jpeg"
    assert json.loads(r.headers["x-tools"])["adjust"]["saturation"] == -100
    with Image.open(io.BytesIO(r.content)) as im:
        a = np.asarray(im.convert("RGB")).astype(int)
    assert a.shape == (16, 24, 3)
    assert np.abs(a[..., 0] - a[..., 1]).max() <= 3 and np.abs(a[..., 1] - a[..., 2]).max() <= 3
    assert _store(client).counts()["projects"] == 1


def test_render_no_project(client):
    r = client.post("/v1/render", files={"file": ("p.png", _png(), "image/png")},
                    data={"tools": json.dumps({"adjust": {"saturation": -100}})})
    assert r.status_code == 200, r.text
    with Image.open(io.BytesIO(r.content)) as im:
        a = np.asarray(im.convert("RGB")).astype(int)
    assert a.shape == (16, 24, 3) and np.abs(a[..., 0] - a[..., 2]).max() <= 2
    assert _store(client).counts()["projects"] == 0


# ------------------------------------------------------------------------------------------- export

def test_export_201_then_200_and_404(client):
    pid = client.post("/v1/predict", json={"intent": "vintage"}).json()["project_id"]
    body = {"event_id": "ev-1", "tools_kept": {"adjust": True, "selective_adjust": False, "filter": True}}
    r = client.post(f"/v1/projects/{pid}/export", json=body)
    assert r.status_code == 201 and r.json() == {"recorded": True}
    r = client.post(f"/v1/projects/{pid}/export", json=body)
    assert r.status_code == 200 and r.json() == {"recorded": False}
    assert _store(client).counts() == {"projects": 1, "exports": 1}
    _assert_error(client.post("/v1/projects/nope/export", json={**body, "event_id": "ev-2"}), 404)
    err = _assert_error(client.post(f"/v1/projects/{pid}/export",
                                    json={"event_id": "ev-3", "tools_kept": {"adjust": "yes"}}), 422)
    assert "tools_kept" in err["message"]


# ------------------------------------------------------------------------------------------- errors

def test_oversized_upload_413(tmp_path):
    client = _make(tmp_path, max_upload_bytes=200)
    r = client.post("/v1/edit", files={"file": ("p.png", _png(64, 64), "image/png")}, data={"intent": "warm"})
    _assert_error(r, 413, "payload_too_large")


def test_oversized_streamed_body_413(tmp_path):
    client = _make(tmp_path, max_upload_bytes=1000)

    def chunks():
        for _ in range(10):
            yield b"x" * 500

    r = client.post("/v1/predict", content=chunks(), headers={"content-type": "application/json"})
    _assert_error(r, 413, "payload_too_large")


def test_text_file_as_image_415(client):
    r = client.post("/v1/edit", files={"file": ("notes.png", b"hello, not an image\n", "image/png")},
                    data={"intent": "warm"})
    _assert_error(r, 415, "unsupported_media_type")
    assert _store(client).counts()["projects"] == 0


def test_fake_video_422_before_any_job(client):
    r = client.post("/v1/edit", files={"file": ("clip.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\0" * 64,
                                                "video/mp4")}, data={"intent": "warm"})
    err = _assert_error(r, 422, "invalid_video")
    assert err["message"] and str(client.app.state.settings.jobs_dir) not in err["message"]  # no server paths
    assert _store(client).counts()["projects"] == 0


def test_truncated_png_422(client):
    data = _png(64, 64)
    r = client.post("/v1/edit", files={"file": ("p.png", data[: len(data) // 2], "image/png")},
                    data={"intent": "warm"})
    err = _assert_error(r, 422, "invalid_image")
    assert "vibegrade-upload" not in err["message"]  # temp paths do not leak


@pytest.mark.parametrize("intent", ["", "   ", "x" * 301])
def test_bad_intent_422(client, intent):
    _assert_error(client.post("/v1/predict", json={"intent": intent}), 422)
    err = _assert_error(client.post("/v1/edit", files={"file": ("p.png", _png(), "image/png")},
                                    data={"intent": intent}), 422)
    assert "intent" in err["message"]


def test_missing_fields_422(client):
    err = _assert_error(client.post("/v1/predict", json={}), 422, "validation_error")
    assert err["field"] == "intent"
    err = _assert_error(client.post("/v1/edit", data={"intent": "warm"}), 422)
    assert "file" in err["message"]


def test_bad_tools_json_422(client):
    err = _assert_error(client.post("/v1/render", files={"file": ("p.png", _png(), "image/png")},
                                    data={"tools": "{not json"}), 422, "invalid_tools")
    assert "JSON" in err["message"]


def test_out_of_range_tools_422_names_field(client):
    err = _assert_error(client.post("/v1/edit", files={"file": ("p.png", _png(), "image/png")},
                                    data={"intent": "warm",
                                          "tools": json.dumps({"adjust": {"saturation": 500}})}),
                        422, "invalid_tools")
    assert "adjust.saturation" in err["message"]


# ------------------------------------------------------------------------------------------------ CLI

def test_serve_cli_runs_uvicorn_factory(monkeypatch):
    import uvicorn

    from vibegrade.cli.serve import serve
    from vibegrade.serve.server import HEADER_TIMEOUT_ENV, HeaderTimeoutH11Protocol

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append((a, k)))
    monkeypatch.setenv(HEADER_TIMEOUT_ENV, "")
    serve(host="0.0.0.0", port=9001, workers=2, blas_threads=1, header_timeout=10.0, keep_alive=5.0,
          limit_concurrency=200, max_header_bytes=16384)
    (args, kwargs), = calls
    assert args == ("vibegrade.serve.app:create_app",)
    assert kwargs == {"factory": True, "host": "0.0.0.0", "port": 9001, "workers": 2,
                      "http": HeaderTimeoutH11Protocol, "timeout_keep_alive": 5.0, "limit_concurrency": 200,
                      "h11_max_incomplete_event_size": 16384, "timeout_graceful_shutdown": None}


def test_too_many_pixels_413(tmp_path):
    client = _make(tmp_path, max_pixels=100)
    r = client.post("/v1/render", files={"file": ("p.png", _png(), "image/png")}, data={"tools": "{}"})
    _assert_error(r, 413, "image_too_large")
