"""HEIC/HEIF and camera RAW uploads: graded and answered as JPEG; broken ones 422, too large ones 413."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.media.formats_helpers import write_dng, write_heic
from vibegrade.samples import sample_path
from vibegrade.serve.app import Settings, create_app

from .helpers import assert_error

TOOLS = {"tools": '{"adjust": {"contrast": 20}}'}


def _client(tmp_path: Path, **kw) -> TestClient:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'events.db'}", jobs_dir=tmp_path / "jobs", **kw)
    return TestClient(create_app(settings))


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, bytes]:
    d = tmp_path_factory.mktemp("uploads")
    with Image.open(sample_path("coffee")) as im:
        coffee = np.asarray(im.convert("RGB"))
    write_heic(d / "p.heic", coffee, orientation=6)
    write_dng(d / "c.dng", coffee)
    return {"heic": (d / "p.heic").read_bytes(), "dng": (d / "c.dng").read_bytes()}


def _size(r) -> tuple[int, int]:
    return Image.open(io.BytesIO(r.content)).size


@pytest.mark.parametrize("kind, name, ctype, size", [
    ("heic", "IMG_0001.HEIC", "image/heic", (400, 600)),
    ("dng", "DSC_0001.dng", "image/x-adobe-dng", (600, 400)),
    ("dng", "upload", "application/octet-stream", (600, 400)),  # a DNG is known by its content too
])
def test_heic_and_raw_uploads_answer_jpeg(tmp_path, files, kind, name, ctype, size):
    r = _client(tmp_path).post("/v1/render", files={"file": (name, files[kind], ctype)}, data=TOOLS)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/jpeg"
    assert _size(r) == size


def test_edit_records_a_heic_project(tmp_path, files):
    client = _client(tmp_path)
    r = client.post("/v1/edit", files={"file": ("p.heic", files["heic"], "image/heic")},
                    data={"intent": "golden hour"})
    assert r.status_code == 200, r.text
    assert r.headers["X-Project-Id"] and _size(r) == (400, 600)


@pytest.mark.parametrize("kind, name", [("heic", "p.heic"), ("dng", "c.dng")])
def test_truncated_heic_or_raw_422(tmp_path, files, kind, name):
    data = files[kind]
    r = _client(tmp_path).post("/v1/render", files={"file": (name, data[: len(data) // 2], "image/heic")},
                               data=TOOLS)
    err = assert_error(r, 422, "invalid_image", "file")
    assert name in err["message"] and "vibegrade-upload" not in err["message"]


@pytest.mark.parametrize("kind, name", [("heic", "p.heic"), ("dng", "c.dng")])
def test_heic_or_raw_over_the_pixel_limit_413(tmp_path, files, kind, name):
    client = _client(tmp_path, max_pixels=10_000)
    r = client.post("/v1/render", files={"file": (name, files[kind], "image/x")}, data=TOOLS)
    assert_error(r, 413, "image_too_large")
