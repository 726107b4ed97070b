"""Issue #12's findings from probing the running service: each test reproduces one and checks the fix.

Bad input of every kind gets a JSON 4xx naming the problem (never a 500, never Python internals); ids are
checked at the edge on SQLite and PostgreSQL alike; no path can answer a non-JSON 500.
"""

from __future__ import annotations

import io
import logging

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.store_helpers import isolated_pg_store
from vibegrade.serve.app import Settings, create_app

from .helpers import assert_error


def _png(w: int = 16, h: int = 12) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


DEEP = "[" * 1000 + "]" * 1000
DEEP_TOOLS = '{"adjust": ' + DEEP + "}"


@pytest.fixture
def client(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'events.db'}", jobs_dir=tmp_path / "jobs"))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(params=["sqlite", "postgresql"])
def db_client(request, tmp_path):
    """A client of a service whose event store is SQLite or PostgreSQL (a throwaway schema)."""
    if request.param == "sqlite":
        app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'events.db'}",
                                  jobs_dir=tmp_path / "jobs"))
        with TestClient(app, raise_server_exceptions=False) as c:
            yield c
        return
    url = request.getfixturevalue("pg_url")
    app = create_app(Settings(database_url=url, jobs_dir=tmp_path / "jobs"))
    app.state.store.close()
    with isolated_pg_store(url, prefix="vg_hard") as store:
        app.state.store = store
        with TestClient(app, raise_server_exceptions=False) as c:
            yield c


# ------------------------------------------------------------------- 3: deep nesting, catch-all handler

@pytest.mark.parametrize("path", ["/v1/render", "/v1/edit"])
def test_deeply_nested_tools_is_422_not_a_recursion_500(client, path):
    data = {"tools": DEEP_TOOLS, **({"intent": "warm"} if path == "/v1/edit" else {})}
    r = client.post(path, files={"file": ("p.png", _png(), "image/png")}, data=data)
    err = assert_error(r, 422, "invalid_tools", "tools")
    assert "nested more than" in err["message"] and "Recursion" not in err["message"]


def test_deeply_nested_json_body_gets_the_right_message(client):
    for body in ('{"intent": ' + DEEP + "}", '{"a":' * 5000 + "1" + "}" * 5000):
        r = client.post("/v1/predict", content=body, headers={"content-type": "application/json"})
        err = assert_error(r, 422, "malformed_body")
        assert "nested too deeply" in err["message"] and "UTF-8" not in err["message"]


def test_unexpected_errors_are_json_500_with_an_id(client, caplog, monkeypatch):
    def boom(*_a, **_k):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(client.app.state.store.projects, "record", boom)
    with caplog.at_level(logging.ERROR, logger="vibegrade.serve"):
        r = client.post("/v1/predict", json={"intent": "warm"})
    err = assert_error(r, 500, "internal_error")
    assert "secret" not in r.text
    error_id = err["message"].split("(id ")[1].split(")")[0]
    logged = [rec for rec in caplog.records if error_id in rec.getMessage()]
    assert logged and logged[0].exc_info and "secret internal detail" in str(logged[0].exc_info[1])


# ------------------------------------------------------------------- 4: ids checked at the edge

BAD_IDS = ["a\x00b", "x" * 129, "a b", "é", "a/b"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_bad_event_id_is_422_on_every_database(db_client, bad):
    pid = db_client.post("/v1/predict", json={"intent": "warm"}).json()["project_id"]
    kept = {"adjust": True, "selective_adjust": True, "filter": True}
    r = db_client.post(f"/v1/projects/{pid}/export", json={"event_id": bad, "tools_kept": kept})
    assert_error(r, 422, field="event_id")
    # the connection and the store still work afterwards
    r = db_client.post(f"/v1/projects/{pid}/export", json={"event_id": "ev-1:ok.A_b", "tools_kept": kept})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("bad", ["a%00b", "x" * 129, "a%20b", "%C3%A9"])
def test_bad_path_ids_are_422_on_every_database(db_client, bad):
    kept = {"adjust": True, "selective_adjust": True, "filter": True}
    r = db_client.post(f"/v1/projects/{bad}/export", json={"event_id": "ev1", "tools_kept": kept})
    assert_error(r, 422, field="project_id")
    for url in (f"/v1/annotate/tasks/{bad}/images/source",):
        assert_error(db_client.get(url), 422, field="task_id")
    r = db_client.post(f"/v1/annotate/tasks/{bad}/answers",
                       json={"relevant": "yes", "student_matches_teacher": "no"})
    assert r.status_code in (401, 422) and r.headers["content-type"].startswith("application/json")
    # a well-formed unknown id is a 404, as before
    assert_error(db_client.post("/v1/projects/no-such-project/export",
                                json={"event_id": "ev1", "tools_kept": kept}), 404, "project_not_found")


# ------------------------------------------------------------------- 8: assorted input checks

def test_multipart_field_not_utf8_is_422(client):
    r = client.post("/v1/edit", files={"file": ("p.png", _png(), "image/png")},
                    data={"intent": "caf\xe9 au lait".encode("latin-1")})
    err = assert_error(r, 422, "malformed_body")
    assert "utf-8" in err["message"].lower()
    assert client.app.state.store.counts()["projects"] == 0
    # real UTF-8 is fine
    r = client.post("/v1/edit", files={"file": ("p.png", _png(), "image/png")},
                    data={"intent": "café au lait".encode()})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("value, word", [("true", "true/false"), ('"10"', "text"), ("10.5", "fraction")])
def test_tool_params_must_be_whole_numbers(client, value, word):
    r = client.post("/v1/render", files={"file": ("p.png", _png(), "image/png")},
                    data={"tools": '{"adjust": {"exposure": ' + value + "}}"})
    err = assert_error(r, 422, "invalid_tools", "tools")
    assert "adjust.exposure" in err["message"] and word in err["message"]


def test_huge_integer_message_has_no_python_internals(client):
    r = client.post("/v1/render", files={"file": ("p.png", _png(), "image/png")},
                    data={"tools": '{"adjust": {"exposure": ' + "9" * 5000 + "}}"})
    err = assert_error(r, 422, "invalid_tools")
    assert "more than 4300 digits" in err["message"]
    assert "sys." not in err["message"] and "set_int_max_str_digits" not in err["message"]
    r = client.post("/v1/predict", content='{"intent": ' + "9" * 5000 + "}",
                    headers={"content-type": "application/json"})
    err = assert_error(r, 422, "malformed_body")
    assert "digits" in err["message"] and "sys." not in err["message"]


def test_event_id_reused_on_another_project_is_409(db_client):
    kept = {"adjust": True, "selective_adjust": False, "filter": True}
    p1 = db_client.post("/v1/predict", json={"intent": "warm"}).json()["project_id"]
    p2 = db_client.post("/v1/predict", json={"intent": "cold"}).json()["project_id"]
    assert db_client.post(f"/v1/projects/{p1}/export",
                          json={"event_id": "ev", "tools_kept": kept}).status_code == 201
    r = db_client.post(f"/v1/projects/{p1}/export", json={"event_id": "ev", "tools_kept": kept})
    assert r.status_code == 200 and r.json() == {"recorded": False}  # a retry of the same download
    assert_error(db_client.post(f"/v1/projects/{p2}/export", json={"event_id": "ev", "tools_kept": kept}),
                 409, "event_id_conflict", "event_id")
    assert db_client.app.state.store.counts()["exports"] == 1


def test_docs_page_works_offline(client):
    r = client.get("/docs")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "cdn" not in r.text.lower() and "http://" not in r.text and "https://" not in r.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        assert f"/docs/assets/{asset}" in r.text
        a = client.get(f"/docs/assets/{asset}")
        assert a.status_code == 200 and len(a.content) > 500
    assert client.get("/docs/assets/swagger-ui-bundle.js").headers["content-type"].startswith(
        "text/javascript")
    assert_error(client.get("/docs/assets/..%2Fpyproject.toml"), 404)
    assert client.get("/openapi.json").status_code == 200


# ------------------------------------------------------------------- 1: memory

def zeros_png(w: int, h: int) -> bytes:
    """A valid 8-bit greyscale PNG of ``w``×``h`` zeros: a few hundred KB claiming ``w*h`` pixels."""
    import struct
    import zlib

    comp = zlib.compressobj(9)
    row = b"\x00" * (w + 1)
    data = b"".join(comp.compress(row) for _ in range(h)) + comp.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def short_jpeg(claimed_h: int = 1500, w: int = 65000) -> bytes:
    """A JPEG of ``w``×16 pixels whose header claims ``claimed_h`` rows (the data ends with a proper EOI)."""
    import struct

    buf = io.BytesIO()
    Image.new("RGB", (w, 16), (120, 30, 200)).save(buf, "JPEG", quality=50)
    d = bytearray(buf.getvalue())
    sof = d.find(b"\xff\xc0")
    struct.pack_into(">H", d, sof + 5, claimed_h)
    return bytes(d)


def test_huge_zero_png_is_refused_from_its_header_without_decoding(client, monkeypatch):
    import time

    import vibegrade.media.pipeline as pipeline_mod

    data = zeros_png(10000, 9999)
    assert len(data) < 400_000
    decoded = []
    real = pipeline_mod.read_image  # where the one render entry point looks it up
    monkeypatch.setattr(pipeline_mod, "read_image", lambda *a, **k: decoded.append(a) or real(*a, **k))
    t0 = time.perf_counter()
    r = client.post("/v1/render", files={"file": ("z.png", data, "image/png")}, data={"tools": "{}"})
    elapsed = time.perf_counter() - t0
    err = assert_error(r, 413, "image_too_large", "file")
    assert "10000×9999" in err["message"] and "MB" in err["message"]
    assert decoded == [] and elapsed < 5.0


def test_jpeg_shorter_than_its_header_is_422(client):
    data = short_jpeg()
    assert len(data) < 70_000
    r = client.post("/v1/render", files={"file": ("s.jpg", data, "image/jpeg")}, data={"tools": "{}"})
    err = assert_error(r, 422, "invalid_image", "file")
    assert "truncated JPEG" in err["message"] and "65000×1500" in err["message"]
    # the same picture with all its rows is fine (the check does not reject real files)
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), 0).save(buf, "JPEG", optimize=True, quality=1)
    r = client.post("/v1/render", files={"file": ("ok.jpg", buf.getvalue(), "image/jpeg")},
                    data={"tools": "{}"})
    assert r.status_code == 200, r.text


def test_jpeg_cut_before_its_end_is_422(client):
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(buf, "JPEG")
    r = client.post("/v1/render", files={"file": ("c.jpg", buf.getvalue()[:-600], "image/jpeg")},
                    data={"tools": "{}"})
    assert_error(r, 422, "invalid_image", "file")
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def _budget_client(tmp_path, **kw):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'b.db'}",
                              jobs_dir=tmp_path / "jobs", **kw))
    return TestClient(app, raise_server_exceptions=False)


def test_decodes_over_the_concurrency_cap_get_503_with_retry_after(tmp_path):
    import threading

    c = _budget_client(tmp_path, max_concurrent_decodes=1, decode_wait_seconds=0.3)
    budget = c.app.state.decode_budget
    held, release = threading.Event(), threading.Event()

    def hold():
        with budget.reserve(1):
            held.set()
            release.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert held.wait(5)
        r = c.post("/v1/render", files={"file": ("p.png", _png(), "image/png")}, data={"tools": "{}"})
        assert_error(r, 503, "busy")
        assert r.headers["retry-after"] == "1"
    finally:
        release.set()
        t.join()
    r = c.post("/v1/render", files={"file": ("p.png", _png(), "image/png")}, data={"tools": "{}"})
    assert r.status_code == 200 and budget.in_use == (0, 0)


def test_a_decode_waits_briefly_for_room(tmp_path):
    import threading

    c = _budget_client(tmp_path, max_concurrent_decodes=1, decode_wait_seconds=10)
    budget = c.app.state.decode_budget
    held = threading.Event()

    def hold():
        with budget.reserve(1):
            held.set()
            threading.Event().wait(0.5)

    t = threading.Thread(target=hold)
    t.start()
    assert held.wait(5)
    r = c.post("/v1/render", files={"file": ("p.png", _png(), "image/png")}, data={"tools": "{}"})
    t.join()
    assert r.status_code == 200, r.text


def test_budget_sizes_the_largest_image(tmp_path):
    # 1 MB of budget: 32 768 8-bit pixels at 32 B each
    c = _budget_client(tmp_path, decode_memory_mb=1)
    ok = c.post("/v1/render", files={"file": ("p.png", _png(160, 100), "image/png")}, data={"tools": "{}"})
    assert ok.status_code == 200
    big = c.post("/v1/render", files={"file": ("p.png", _png(200, 200), "image/png")}, data={"tools": "{}"})
    assert_error(big, 413, "image_too_large", "file")
