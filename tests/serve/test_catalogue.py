"""The editor's page and catalogue endpoints (vibegrade.serve.routes.web) through FastAPI's TestClient."""

from __future__ import annotations

import io
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from vibegrade.samples import SAMPLE_IMAGES
from vibegrade.schema import (
    ADJUST_KEYS,
    ADJUST_PARAMS,
    INTENSITY,
    SELECTIVE_CHANNELS,
    SELECTIVE_COLORS,
    chain_json_schema,
    parse_chain,
)
from vibegrade.serve.app import Settings, create_app
from vibegrade.serve.routes.web import WEB_DIR
from vibegrade.tools.chain import bake_lut
from vibegrade.tools.filters import preset_descriptions, preset_names
from vibegrade.tools.lut import identity_grid, parse_cube

from .helpers import assert_error as _assert_error

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def client(tmp_path):
    return TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path / 'events.db'}",
                                          jobs_dir=tmp_path / "jobs")))


# ------------------------------------------------------------------------------------------ page

def test_index_is_served_with_csp_and_revalidation(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "img-src 'self' blob: data:" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["cache-control"] == "no-cache" and r.headers["x-content-type-options"] == "nosniff"
    again = client.get("/", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_page_references_only_shipped_files(client):
    html = client.get("/").text
    refs = re.findall(r'(?:src|href)="(/[^"]*)"', html)
    assert "/static/app.js" in refs and "/static/style.css" in refs
    for ref in refs:
        r = client.get(ref)
        assert r.status_code == 200, ref
    # ES module imports between the scripts resolve to served files too
    for js in WEB_DIR.glob("*.js"):
        for imp in re.findall(r'from "\./([^"]+)"', js.read_text()):
            assert client.get(f"/static/{imp}").headers["content-type"].startswith("text/javascript")
    # no inline scripts or styles (the CSP would block them)
    assert "<script>" not in html and "style=" not in html and "<style" not in html


def test_static_files_and_404s(client):
    r = client.get("/static/app.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert client.get("/static/style.css").headers["content-type"].startswith("text/css")
    _assert_error(client.get("/static/missing.js"), 404)
    _assert_error(client.get("/static/..%2Fapp.py"), 404)
    _assert_error(client.get("/static/.hidden.js"), 404)


def test_web_files_ship_in_the_wheel():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["vibegrade"]
    web = [p for p in patterns if p.startswith("serve/web/")]
    for f in WEB_DIR.iterdir():
        assert any(f.match(p.removeprefix("serve/web/")) for p in web), f"{f.name} is not in package-data"


def test_html_routes_are_not_in_openapi(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/tools", "/v1/samples", "/v1/samples/{name}", "/v1/lut"} <= set(paths)
    assert "/" not in paths and not any(p.startswith("/static") for p in paths)


def test_scripts_do_not_hard_code_parameters():
    """The controls come from /v1/tools: no parameter name, preset or range is written in the scripts."""
    text = "\n".join(p.read_text() for p in WEB_DIR.glob("*.js"))
    for name in [*ADJUST_KEYS, *SELECTIVE_COLORS, "luminance", *preset_names()]:
        assert not re.search(rf"[\"'`]{re.escape(name)}\b", text), name
    assert not re.search(r"-100\b|\b360\b", text)


# ------------------------------------------------------------------------------------------ /v1/tools

def test_tools_catalogue_derives_from_the_schema(client):
    r = client.get("/v1/tools")
    assert r.status_code == 200
    body = r.json()
    assert body["order"] == ["adjust", "selective_adjust", "filter"]
    params = body["adjust"]["params"]
    assert [p["name"] for p in params] == list(ADJUST_KEYS)
    for p, spec in zip(params, ADJUST_PARAMS):
        assert (p["min"], p["max"], p["default"], p["step"]) == (spec.lo, spec.hi, spec.neutral, 1)
        assert p["unit"] == spec.unit and p["description"] == spec.doc and p["spatial"] == spec.spatial
    hue = next(p for p in params if p["name"] == "hue")
    assert (hue["min"], hue["max"]) == (0, 360)
    assert [p["label"] for p in params if p["name"] == "linearOffset"] == ["Linear offset"]
    sel = body["selective_adjust"]
    assert [c["name"] for c in sel["colors"]] == list(SELECTIVE_COLORS)
    assert [(c["name"], c["min"], c["max"]) for c in sel["channels"]] == [
        (s.name, s.lo, s.hi) for s in SELECTIVE_CHANNELS]
    filt = body["filter"]
    assert filt["none"] == "none"
    assert [p["name"] for p in filt["presets"]] == preset_names()
    descriptions = preset_descriptions()
    assert all(p["description"] == descriptions[p["name"]] for p in filt["presets"])
    assert (filt["intensity"]["min"], filt["intensity"]["max"]) == (INTENSITY.lo, INTENSITY.hi)
    assert body["chain_schema"] == chain_json_schema(preset_names())


# ---------------------------------------------------------------------------------------- /v1/samples

def test_samples_list_and_files(client):
    samples = client.get("/v1/samples").json()
    assert [s["name"] for s in samples] == list(SAMPLE_IMAGES)
    for s in samples:
        r = client.get(s["url"])
        assert r.status_code == 200 and r.headers["content-type"] == s["media_type"]
        assert r.content == SAMPLE_IMAGES[s["name"]].read_bytes()
        with Image.open(io.BytesIO(r.content)) as im:
            assert im.size[0] > 0
        assert "max-age" in r.headers["cache-control"]


def test_unknown_sample_is_a_json_404(client):
    msg = _assert_error(client.get("/v1/samples/unicorn"), 404, "sample_not_found", "name")["message"]
    assert "unicorn" in msg and "astronaut" in msg


# -------------------------------------------------------------------------------------------- /v1/lut

def test_lut_is_the_baked_colour_chain(client):
    tools = {"adjust": {"exposure": 20, "temperature": 30},
             "selective_adjust": {"blue": {"saturation": -40, "luminance": 10}},
             "filter": {"name": preset_names()[0], "intensity": 70}}
    r = client.post("/v1/lut", json={"tools": tools, "size": 9})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    assert r.headers["content-disposition"] == 'attachment; filename="vibegrade-look.cube"'
    assert "x-lut-omitted" not in r.headers
    lut, title = parse_cube(r.text)
    assert title == "vibegrade look" and lut.shape == (9, 9, 9, 3)
    np.testing.assert_allclose(lut, bake_lut(parse_chain(tools), 9), atol=1e-6)
    assert not np.allclose(lut, identity_grid(9), atol=1e-3)


def test_lut_default_size_and_identity(client):
    r = client.post("/v1/lut", json={"tools": {}, "title": "plain"})
    assert r.status_code == 200
    lut, title = parse_cube(r.text)
    assert lut.shape == (33, 33, 33, 3) and title == "plain"
    np.testing.assert_allclose(lut, identity_grid(33), atol=1e-5)


def test_lut_names_the_spatial_parameters_it_leaves_out(client):
    r = client.post("/v1/lut", json={"tools": {"adjust": {"bloom": 30, "sharpen": 10, "contrast": 15}},
                                     "size": 5})
    assert r.status_code == 200
    assert r.headers["x-lut-omitted"] == "bloom,sharpen"
    assert "bloom, sharpen" in r.text.splitlines()[0]
    # the LUT is the colour part only: the same as without the spatial parameters
    lut, _ = parse_cube(r.text)
    np.testing.assert_allclose(lut, bake_lut(parse_chain({"adjust": {"contrast": 15}}), 5), atol=1e-6)


@pytest.mark.parametrize("body,code,field", [
    ({"tools": {}, "size": 1}, "validation_error", "size"),
    ({"tools": {}, "size": 66}, "validation_error", "size"),
    ({"tools": {}, "size": "big"}, "validation_error", "size"),
    ({"size": 33}, "validation_error", "tools"),
    ({"tools": "warm"}, "validation_error", "tools"),
    ({"tools": {}, "colour": 1}, "validation_error", "colour"),
    ({"tools": {}, "title": 'a"b'}, "validation_error", "title"),
    ({"tools": {"adjust": {"exposure": 101}}}, "invalid_tools", "tools"),
    ({"tools": {"filter": {"name": "no-such-look", "intensity": 50}}}, "invalid_tools", "tools"),
    ({"tools": {"adjust": {"glow": 5}}}, "invalid_tools", "tools"),
])
def test_lut_rejects_bad_requests(client, body, code, field):
    msg = _assert_error(client.post("/v1/lut", json=body), 422, code, field)["message"]
    if code == "invalid_tools":
        assert msg.startswith(("tools: adjust.", "tools: filter."))


def test_lut_rejects_a_body_that_is_not_json(client):
    r = client.post("/v1/lut", content=b"{not json", headers={"Content-Type": "application/json"})
    _assert_error(r, 422)
