"""The web editor's conversation (refine line, history list, undo/redo, reload) in headless Chromium.

Same set-up as test_web_editor.py: the real app under uvicorn on loopback with a temporary SQLite event
store, driven through Playwright in Debian's /usr/bin/chromium. The refiner is the fake one of
tests/fakes/refiner.py (a keyword table, NOT the refinement model: "warmer" = temperature +25, "less" =
every setting x0.6, "undo"/"redo"/"reset"), put in through the service's ``get_refiner`` dependency.
"""

from __future__ import annotations

import json

import pytest

from tests.fakes.refiner import LESS_FACTOR, WARMER_STEP, FakeRefiner

from .helpers import CHROMIUM, NO_CHROMIUM_REASON, chromium, editor_page, live_server

if not CHROMIUM.exists():
    pytest.skip(NO_CHROMIUM_REASON, allow_module_level=True)

from vibegrade.serve.app import Settings, create_app  # noqa: E402
from vibegrade.serve.deps import get_refiner  # noqa: E402

TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web-refine")
    app = create_app(Settings(database_url=f"sqlite:///{tmp / 'events.db'}", jobs_dir=tmp / "jobs"))
    fake = FakeRefiner()
    app.dependency_overrides[get_refiner] = lambda: fake
    with live_server(app) as base:
        yield base, app


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, server):
    with editor_page(browser, server[0], TIMEOUT_MS) as pg:
        yield pg


# ------------------------------------------------------------------------------------------- helpers

def _grade_sample(page, sample: str, look: str) -> tuple[str, dict]:
    page.get_by_role("button", name=f"Sample: {sample}").click()
    page.wait_for_selector("#before-img:not([hidden])")
    page.fill("#look", look)
    with page.expect_response(lambda r: r.url.endswith("/v1/edit")) as resp_info:
        page.press("#look", "Enter")
    resp = resp_info.value
    assert resp.status == 200, resp.text()
    page.wait_for_selector("#after-img:not([hidden])")
    return resp.headers["x-project-id"], json.loads(resp.headers["x-tools"])


def _refine(page, text: str) -> dict:
    """Type a follow-up and press Enter; returns the service's answer once the page shows it."""
    page.fill("#refine-input", text)
    with page.expect_response(lambda r: r.url.endswith("/refine")) as resp_info:
        page.press("#refine-input", "Enter")
    resp = resp_info.value
    assert resp.status == 200, resp.text()
    body = resp.json()
    _wait_history(page, len(body["history"]["entries"]), body["history"]["cursor"])
    return body


def _wait_history(page, count: int, cursor: int) -> None:
    page.wait_for_function(
        "([n, c]) => { const h = document.querySelector('#history');"
        " return h.dataset.count === String(n) && h.dataset.cursor === String(c); }", arg=[count, cursor])


def _history(page) -> list[tuple[str, str, bool]]:
    """(request, op, is current) of every entry the list shows."""
    rows = page.eval_on_selector_all(
        "#history .history-item",
        "els => els.map(b => [b.querySelector('.history-request').textContent,"
        " b.querySelector('.history-op').textContent, b.getAttribute('aria-current') === 'step'])")
    return [tuple(r) for r in rows]


def _slider(page, param: str) -> int:
    return int(page.input_value(f"input[data-param={param}]"))


def _wait_after(page, js_condition: str) -> dict:
    """Wait until the after image shows a render whose X-Tools ``t`` satisfies ``js_condition``."""
    page.wait_for_function(
        "() => { const el = document.querySelector('#after-img');"
        " if (!el.dataset.tools || el.hidden) return false;"
        f" const t = JSON.parse(el.dataset.tools); return {js_condition}; }}")
    return json.loads(page.get_attribute("#after-img", "data-tools"))


def _temp(chain: dict) -> int:
    return chain["adjust"].get("temperature", 0)


# --------------------------------------------------------------------------------------------- flows

def test_refine_history_undo_redo_and_reload(page, server):
    base, app = server
    project_id, suggested = _grade_sample(page, "coffee", "golden hour, warm and soft")
    assert _history(page) == [("golden hour, warm and soft", "first look", True)]
    assert page.is_disabled("#undo") and page.is_disabled("#redo")
    t0 = _temp(suggested)
    assert _slider(page, "temperature") == t0

    # "warmer": the temperature slider rises by the fake's step and the preview is rendered with it
    warm = _refine(page, "warmer")
    t1 = min(100, t0 + WARMER_STEP)
    assert _temp(warm["tools"]) == t1 and _slider(page, "temperature") == t1 > t0
    assert page.is_checked("#switch-adjust")
    _wait_after(page, f"t.adjust.temperature === {t1}")
    assert page.input_value("#refine-input") == ""  # the line is cleared for the next request

    # "less": every setting scaled down; the sliders follow
    less = _refine(page, "less")
    t2 = round(t1 * LESS_FACTOR)
    assert _slider(page, "temperature") == t2 < t1
    contrast = warm["tools"]["adjust"].get("contrast", 0)
    assert _slider(page, "contrast") == less["tools"]["adjust"].get("contrast", 0)
    assert abs(_slider(page, "contrast")) <= abs(contrast)
    _wait_after(page, f"t.adjust.temperature === {t2}")
    assert _history(page) == [("golden hour, warm and soft", "first look", False), ("warmer", "edit", False),
                              ("less", "edit", True)]

    # click the first entry: back to the suggestion, the later entries stay (dimmed) for redo
    with page.expect_response(lambda r: r.url.endswith("/history/0")):
        page.locator("#history .history-item").nth(0).click()
    _wait_history(page, 3, 0)
    assert _slider(page, "temperature") == t0
    _wait_after(page, f"(t.adjust.temperature || 0) === {t0}")
    assert page.is_disabled("#undo") and page.is_enabled("#redo")

    # Ctrl+Shift+Z redoes (the focus is on the history button, not in a text field)
    page.keyboard.press("Control+Shift+Z")
    _wait_history(page, 3, 1)
    assert _slider(page, "temperature") == t1
    # the buttons: undo, then redo twice
    page.click("#undo")
    _wait_history(page, 3, 0)
    page.click("#redo")
    _wait_history(page, 3, 1)
    page.click("#redo")
    _wait_history(page, 3, 2)
    assert _slider(page, "temperature") == t2 and page.is_disabled("#redo")
    # Ctrl+Z undoes from the page, but not while typing in a text field
    page.keyboard.press("Control+z")
    _wait_history(page, 3, 1)
    page.fill("#refine-input", "something")
    page.focus("#refine-input")
    page.keyboard.press("Control+z")
    page.wait_for_timeout(300)  # a step would have been sent at once; nothing must change
    assert page.get_attribute("#history", "data-cursor") == "1"

    # the address keeps the project and the sample: a reload brings the conversation back
    assert f"project={project_id}" in page.url and "sample=coffee" in page.url
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    _wait_history(page, 3, 1)
    assert _history(page)[1] == ("warmer", "edit", True)
    assert _slider(page, "temperature") == t1
    page.wait_for_selector("#before-img:not([hidden])")  # the sample came back and is graded again
    _wait_after(page, f"t.adjust.temperature === {t1}")
    assert page.input_value("#look") == "golden hour, warm and soft"
    # and it goes on: a new request from entry 1 replaces the redo branch
    again = _refine(page, "warmer")
    assert [e["request"] for e in again["history"]["entries"]] == ["golden hour, warm and soft", "warmer",
                                                                  "warmer"]
    assert _slider(page, "temperature") == min(100, t1 + WARMER_STEP)

    turns = app.state.store.turns.for_project(project_id)
    assert [t.op for t in turns] == ["edit", "edit", "go", "go", "go", "go", "go", "go", "edit"]


def test_slider_changes_are_refined_not_lost(page, server):
    _, app = server
    project_id, suggested = _grade_sample(page, "astronaut", "cold blue night")
    page.get_by_role("switch", name="Adjust").check()
    page.get_by_label("Exposure").fill("40")
    _wait_after(page, "t.adjust.exposure === 40")
    body = _refine(page, "warmer")
    assert _history(page) == [("cold blue night", "first look", False), ("Slider changes", "sliders", False),
                              ("warmer", "edit", True)]
    assert _slider(page, "exposure") == 40 and body["tools"]["adjust"]["exposure"] == 40
    assert _slider(page, "temperature") == min(100, _temp(suggested) + WARMER_STEP)
    assert [t.op for t in app.state.store.turns.for_project(project_id)] == ["tweak", "edit"]
    # undo goes back to the slider state, not to the suggestion
    page.click("#undo")
    _wait_history(page, 3, 1)
    assert _slider(page, "exposure") == 40 and _slider(page, "temperature") == _temp(suggested)


def test_refine_messages(page, server):
    # nothing graded yet: the line is off
    assert page.is_disabled("#refine-input") and page.is_disabled("#refine-send")
    _grade_sample(page, "coffee", "bright and airy")
    page.fill("#refine-input", "   ")
    page.press("#refine-input", "Enter")
    page.wait_for_selector("#alert[data-empty=false]")
    assert "Say how to change the look first" in page.inner_text("#alert-text")
    assert page.evaluate("document.activeElement.id") == "refine-input"

    # typed "undo" on the first look: recorded, nothing moves, the page says so
    body = _refine(page, "undo")
    assert (body["op"], body["changed"]) == ("undo", False)
    page.wait_for_function("() => document.querySelector('#status').textContent.includes('Nothing to undo')")

    # the service's own message when a request is refused (too long)
    page.fill("#refine-input", "w" * 301)
    with page.expect_response(lambda r: r.url.endswith("/refine")) as resp_info:
        page.press("#refine-input", "Enter")
    assert resp_info.value.status == 422
    page.wait_for_selector("#alert[data-empty=false]")
    assert "Could not refine the look" in page.inner_text("#alert-text")
    assert "300" in page.inner_text("#alert-text")

    # a new photo starts a new look: the history and the address are cleared
    page.get_by_role("button", name="Sample: astronaut").click()
    page.wait_for_selector("#history[data-count='0']", state="attached")
    assert "project=" not in page.url and page.is_disabled("#refine-input")
