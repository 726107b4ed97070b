"""``POST /v1/match``: a fitted chain as JSON and a recorded project; the upload limits of /v1/edit, with
errors naming the field (``file`` or ``reference``)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from vibegrade.media.image import read_image
from vibegrade.samples import sample_path
from vibegrade.schema import parse_chain
from vibegrade.serve.app import USER_COOKIE, Settings, create_app
from vibegrade.serve.services.matching import match_intent
from vibegrade.tools.chain import render

from .helpers import assert_error


def _encode(rgb: np.ndarray, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format=fmt)
    return buf.getvalue()


@pytest.fixture(scope="module")
def photos() -> tuple[bytes, bytes]:
    """The coffee sample (JPEG) and the same photo graded warm and bright (PNG)."""
    rgb = read_image(sample_path("coffee")).rgb
    graded = render(rgb, parse_chain({"adjust": {"exposure": 30, "temperature": 40}}))
    return _encode(rgb, "JPEG"), _encode(graded)


def _client(tmp_path, **kw) -> TestClient:
    return TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path / 'events.db'}",
                                          jobs_dir=tmp_path / "jobs", **kw)))


def test_match_returns_the_chain_and_records_a_project(tmp_path, photos):
    client = _client(tmp_path)
    src, ref = photos
    r = client.post("/v1/match", files={"file": ("coffee.jpg", src, "image/jpeg"),
                                        "reference": ("warm look.png", ref, "image/png")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"project_id", "tools", "fit"}
    chain = parse_chain(body["tools"])
    assert chain.to_wire() == body["tools"]
    assert chain.adjust.temperature > 10 and chain.adjust.exposure > 0
    fit = body["fit"]
    assert fit["after"]["bands_de00"] < fit["before"]["bands_de00"] / 3 and fit["seconds"] > 0
    assert r.headers["set-cookie"].startswith(f"{USER_COOKIE}=")
    rec = next(iter(client.app.state.store.projects.iter_all()))
    assert rec.id == body["project_id"] and rec.intent == "match: warm look.png"
    assert rec.source == "match" and rec.model == "match" and rec.tools == body["tools"]
    assert rec.user_id == client.cookies[USER_COOKIE]


def test_match_intent_keeps_a_clean_file_name():
    assert match_intent("C:\\\\photos\\\\ref.jpg") == "match: ref.jpg"
    assert match_intent("/etc/x\x00y.png") == "match: x y.png"
    assert match_intent(None) == match_intent("") == "match: reference image"
    long = match_intent("a" * 1000 + ".jpg")
    assert len(long) == 300 and long.endswith("...")


def test_bad_uploads_name_their_field_and_record_nothing(tmp_path, photos):
    client = _client(tmp_path)
    src, ref = photos
    cases = [
        ({"file": ("a.jpg", src, "image/jpeg")}, 422, "validation_error", "reference"),
        ({"file": ("a.jpg", src, "image/jpeg"), "reference": ("r.png", b"", "image/png")}, 422,
         "invalid_image", "reference"),
        ({"file": ("a.jpg", src, "image/jpeg"), "reference": ("r.png", b"plain text", "image/png")}, 415,
         "unsupported_media_type", "reference"),
        ({"file": ("a.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\0" * 64, "video/mp4"),
          "reference": ("r.png", ref, "image/png")}, 415, "unsupported_media_type", "file"),
        ({"file": ("a.jpg", src[: len(src) // 3], "image/jpeg"), "reference": ("r.png", ref, "image/png")},
         422, "invalid_image", "file"),
        ({"file": ("a.jpg", src, "image/jpeg"), "reference": ("r.png", ref[: len(ref) // 2], "image/png")},
         422, "invalid_image", "reference"),
    ]
    for files, status, code, field in cases:
        err = assert_error(client.post("/v1/match", files=files), status, code, field)
        assert "vibegrade-upload" not in err["message"]  # no server paths
        if code != "validation_error":
            assert err["message"].startswith(f"{field}: ")
    assert client.app.state.store.counts()["projects"] == 0


def test_match_limits(tmp_path, photos):
    src, ref = photos
    files = {"file": ("a.jpg", src, "image/jpeg"), "reference": ("r.png", ref, "image/png")}
    assert_error(_client(tmp_path / "a", max_upload_bytes=len(src) + 100).post("/v1/match", files=files),
                 413, "payload_too_large")
    assert_error(_client(tmp_path / "b", max_pixels=1000).post("/v1/match", files=files), 413,
                 "image_too_large", "file")
