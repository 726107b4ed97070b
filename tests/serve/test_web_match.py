"""The web editor's reference flow ("Match a reference photo") in headless Chromium.

Same set-up as test_web_refine.py: the real app under uvicorn on loopback with a temporary SQLite event
store, Debian's /usr/bin/chromium through Playwright, and the fake refiner of tests/fakes/refiner.py (a
keyword table, NOT the refinement model: "warmer" = temperature +25). The match itself is the real fit
(POST /v1/match) on small images: a bundled sample against copies of it rendered with a warm or a cool look.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.fakes.refiner import WARMER_STEP, FakeRefiner

from .helpers import CHROMIUM, NO_CHROMIUM_REASON, chromium, editor_page, live_server

if not CHROMIUM.exists():
    pytest.skip(NO_CHROMIUM_REASON, allow_module_level=True)

import vibegrade  # noqa: E402
from vibegrade.samples import sample_path  # noqa: E402
from vibegrade.serve.app import Settings, create_app  # noqa: E402
from vibegrade.serve.deps import get_refiner  # noqa: E402

from .test_web_refine import _history, _refine, _slider, _wait_after, _wait_history  # noqa: E402

TIMEOUT_MS = 20_000
REFERENCE_SIDE = 256  # px: the references are small (the fit measures copies about 100 px wide)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web-match")
    app = create_app(Settings(database_url=f"sqlite:///{tmp / 'events.db'}", jobs_dir=tmp / "jobs"))
    fake = FakeRefiner()
    app.dependency_overrides[get_refiner] = lambda: fake
    with live_server(app) as base:
        yield base, app, fake


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, server):
    with editor_page(browser, server[0], TIMEOUT_MS) as pg:
        yield pg


def _reference(folder: Path, name: str, temperature: int) -> Path:
    """The astronaut sample, REFERENCE_SIDE px wide, graded with ``temperature`` only (warm or cool)."""
    photo = Image.open(sample_path("astronaut")).convert("RGB").resize((REFERENCE_SIDE, REFERENCE_SIDE))
    graded = vibegrade.render(np.asarray(photo), {"adjust": {"temperature": temperature}})
    path = folder / name
    Image.fromarray(graded).save(path)
    return path


@pytest.fixture(scope="module")
def references(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("references")
    notes = folder / "notes.txt"
    notes.write_text("not a photo, just some words\n")
    return {"warm": _reference(folder, "warm-look.jpg", 70), "cool": _reference(folder, "cool-look.png", -70),
            "text": notes}


def _sliders(page) -> dict[str, str]:
    """Every slider and menu of the tool panel (and each switch) as the page shows it."""
    return page.eval_on_selector_all(
        "#tool-controls input, #tool-controls select",
        "els => Object.fromEntries(els.map((e, i) => [e.id || String(i),"
        " e.type === 'checkbox' ? String(e.checked) : e.value]))")


def _drop(page, selector: str, path: Path, media_type: str) -> None:
    """Drop ``path`` onto ``selector`` as a file dragged from the desktop would be."""
    page.evaluate(
        """([selector, bytes, name, type]) => {
          const dt = new DataTransfer();
          dt.items.add(new File([new Uint8Array(bytes)], name, {type}));
          const zone = document.querySelector(selector);
          for (const t of ['dragenter', 'dragover', 'drop'])
            zone.dispatchEvent(new DragEvent(t, {dataTransfer: dt, bubbles: true, cancelable: true}));
        }""", [selector, list(path.read_bytes()), path.name, media_type])


def test_match_a_reference_then_refine_it(page, server, references):
    _, app, fake = server
    page.set_input_files("#file", str(sample_path("astronaut")))
    page.wait_for_selector("#before-img:not([hidden])")

    # hold the match request, to see the page while it waits: busy, its controls off
    held: list = []
    page.route("**/v1/match", lambda route: held.append(route))
    page.set_input_files("#reference-file", str(references["warm"]))
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(25)
    assert held, "the page did not post to /v1/match"
    assert page.get_attribute("#reference", "aria-busy") == "true"
    assert page.get_attribute("#after-pane", "aria-busy") == "true"
    assert page.is_disabled("#reference-file") and page.is_disabled("#grade")
    assert "Matching the look of warm-look.jpg" in page.inner_text("#status")
    with page.expect_response(lambda r: r.url.endswith("/v1/match")) as resp_info:
        held[0].continue_()
    page.unroute("**/v1/match")
    resp = resp_info.value
    assert resp.status == 200, resp.text()
    body = resp.json()
    warm = body["tools"]["adjust"].get("temperature", 0)
    assert warm > 10  # the reference is clearly warmer than the photo, and the fit says so

    # the page applies the fitted chain: the sliders, a re-render, the history, the address, the thumbnail
    _wait_history(page, 1, 0)
    assert _history(page) == [("match: warm-look.jpg", "reference", True)]
    assert _slider(page, "temperature") == warm
    _wait_after(page, f"t.adjust.temperature === {warm}")
    assert page.get_attribute("#reference", "aria-busy") == "false" and page.is_enabled("#reference-file")
    assert page.evaluate("document.querySelector('#reference-thumb').naturalWidth") > 0
    assert page.get_attribute("#reference-thumb", "alt") == "Reference: warm-look.jpg"
    assert f"project={body['project_id']}" in page.url
    record = app.state.store.projects.get(body["project_id"])
    assert record.intent == "match: warm-look.jpg" and record.source == "match"

    # the refine line refines the matched look
    refined = _refine(page, "warmer")
    assert fake.calls[-1][0].adjust.temperature == warm  # the fake was given the fitted chain
    assert _history(page) == [("match: warm-look.jpg", "reference", False), ("warmer", "edit", True)]
    warmer = min(100, warm + WARMER_STEP)
    assert _slider(page, "temperature") == refined["tools"]["adjust"]["temperature"] == warmer
    _wait_after(page, f"t.adjust.temperature === {warmer}")
    page.click("#reset")  # "Reset to suggestion" is the fitted chain
    assert _slider(page, "temperature") == warm

    # a cool reference dropped on the control: a new look, the slider goes the other way
    with page.expect_response(lambda r: r.url.endswith("/v1/match")) as resp_info:
        _drop(page, "#reference", references["cool"], "image/png")
    cool_body = resp_info.value.json()
    cool = cool_body["tools"]["adjust"].get("temperature", 0)
    assert cool < -10 and cool_body["project_id"] != body["project_id"]
    _wait_history(page, 1, 0)
    assert _history(page) == [("match: cool-look.png", "reference", True)]
    assert _slider(page, "temperature") == cool
    _wait_after(page, f"t.adjust.temperature === {cool}")
    assert page.get_attribute("#reference-thumb", "alt") == "Reference: cool-look.png"

    # a reload brings the matched conversation back; the look field stays empty (it was not asked in words)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    _wait_history(page, 1, 0)
    assert _history(page) == [("match: cool-look.png", "reference", True)]
    assert _slider(page, "temperature") == cool and page.input_value("#look") == ""
    assert "cool-look.png" in page.inner_text("#reference-note")


def test_bad_reference_leaves_the_look_as_it_was(page, server, references):
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.url.endswith("/v1/match") else None)
    # no photo yet: the page says what to do first and sends nothing
    page.set_input_files("#reference-file", str(references["warm"]))
    page.wait_for_selector("#alert[data-empty=false]")
    assert "Choose the photo to grade first" in page.inner_text("#alert-text") and not posted

    page.get_by_role("button", name="Sample: coffee").click()
    page.wait_for_selector("#before-img:not([hidden])")
    page.fill("#look", "golden hour, warm and soft")
    with page.expect_response(lambda r: r.url.endswith("/v1/edit")):
        page.press("#look", "Enter")
    page.wait_for_selector("#after-img:not([hidden])")
    before, temperature = _sliders(page), _slider(page, "temperature")
    shown = page.get_attribute("#after-img", "data-tools")
    url, history = page.url, _history(page)

    with page.expect_response(lambda r: r.url.endswith("/v1/match")) as resp_info:
        page.set_input_files("#reference-file", str(references["text"]))
    resp = resp_info.value
    assert resp.status == 415
    err = resp.json()["error"]
    assert err["field"] == "reference"
    page.wait_for_selector("#alert[data-empty=false]")
    text = page.inner_text("#alert-text")
    assert text.startswith("Could not match the reference") and err["message"] in text and "notes.txt" in text
    assert page.evaluate("document.activeElement.id") == "reference-file"
    assert page.get_attribute("#reference-file", "aria-invalid") == "true"
    # nothing was applied: the sliders, the preview, the history, the address, no thumbnail
    assert _sliders(page) == before
    assert page.get_attribute("#after-img", "data-tools") == shown
    assert page.url == url and _history(page) == history
    assert page.is_hidden("#reference-thumb")
    assert page.get_attribute("#reference", "aria-busy") == "false" and page.is_enabled("#grade")
    # the look goes on as before
    body = _refine(page, "warmer")
    assert [e["request"] for e in body["history"]["entries"]] == ["golden hour, warm and soft", "warmer"]
    assert _slider(page, "temperature") == min(100, temperature + WARMER_STEP)
    assert json.loads(shown)["adjust"].get("temperature", 0) == temperature
