"""The web editor's Agent mode in headless Chromium: run the agent on a photo, see the plan ticked, switch a
step off (the picture changes, the ticks follow), see a step's region over the picture.

Same set-up as test_web_editor.py: the real app under uvicorn on loopback, driven through Playwright in
Debian's /usr/bin/chromium. The run is real (masks, search, judge, renders) except its plan, which is the
fixed one of tests/fakes/agent.py (a cooler sky, warmer shadows, and birds no colour tool can add), so
that the test knows the run works region by region on the bundled rocket photo.
"""

from __future__ import annotations

import json

import pytest

from tests.fakes.agent import FixedPlanner

from .helpers import CHROMIUM, NO_CHROMIUM_REASON, chromium, editor_page, live_server

if not CHROMIUM.exists():
    pytest.skip(NO_CHROMIUM_REASON, allow_module_level=True)

from vibegrade.serve.app import Settings, create_app  # noqa: E402
from vibegrade.serve.services.agent import AgentModels  # noqa: E402

TIMEOUT_MS = 30_000
# the mean of the after picture's pixels, drawn into a canvas (the page's blob URL is same-origin)
AFTER_MEAN = """() => { const img = document.querySelector('#after-img');
  const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
  const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, c.width, c.height).data; let s = [0, 0, 0];
  for (let i = 0; i < d.length; i += 4) { s[0] += d[i]; s[1] += d[i + 1]; s[2] += d[i + 2]; }
  return s.map((x) => x / (d.length / 4)); }"""
OVERLAY_ALPHA = """() => { const c = document.querySelector('#mask-overlay');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let on = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 100) on++;
  return on / (d.length / 4); }"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web-agent")
    app = create_app(Settings(database_url=f"sqlite:///{tmp / 'events.db'}", jobs_dir=tmp / "jobs"))
    app.state.jobs.runner.agent_models = AgentModels(planner=FixedPlanner())
    with live_server(app) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, server):
    with editor_page(browser, server, TIMEOUT_MS) as pg:
        yield pg


def _run_agent(page, text: str) -> dict:
    """Pick the rocket sample, switch Agent on, send ``text``; returns the finished run's view."""
    page.get_by_role("button", name="Sample: rocket").click()
    page.wait_for_selector("#before-img:not([hidden])")
    page.get_by_role("switch", name="Agent").check()
    assert page.get_by_role("button", name="Run agent").is_visible()
    page.fill("#look", text)
    posted = lambda r: r.url.endswith("/v1/agent") and r.request.method == "POST"  # noqa: E731
    with page.expect_response(posted) as started:
        page.press("#look", "Enter")
    assert started.value.status == 202, started.value.text()
    status_url = started.value.json()["status_url"]
    page.wait_for_selector("#agent:not([hidden])", timeout=TIMEOUT_MS * 2)
    page.wait_for_selector("#after-img:not([hidden])")
    base = started.value.url.rsplit("/v1/agent", 1)[0]
    st = page.request.get(base + status_url).json()
    assert st["state"] == "done", st
    return st["result"]


def test_agent_run_shows_the_plan_ticked_and_the_steps(page):
    view = _run_agent(page, "a cool blue sky but warm shadows")
    plan = page.locator("#agent-plan li")
    assert plan.count() == len(view["items"]) == 3
    states = {li.get_attribute("data-id"): li.get_attribute("data-state") for li in plan.all()}
    expected = {i["id"]: ("infeasible" if not i["feasible"] else "met" if i["satisfied"] else "unmet")
                for i in view["items"]}
    assert states == expected
    birds = page.locator('#agent-plan li[data-id="add_birds"]')
    assert "cannot add objects" in birds.inner_text()
    met = sum(s == "met" for s in states.values())
    assert page.locator("#agent-plan").get_attribute("data-met") == str(met)
    assert "met" in page.locator("#agent-summary").inner_text()
    steps = page.locator("#agent-steps li")
    assert steps.count() == len(view["steps"]) >= 1
    assert all(box.is_checked() for box in page.locator("#agent-steps .step-toggle").all())
    assert "score" in steps.first.inner_text()
    assert page.locator("#status").inner_text().startswith("The agent took")


def test_switching_a_step_off_changes_the_picture_and_the_ticks(page):
    view = _run_agent(page, "a cool blue sky but warm shadows")
    before = page.evaluate(AFTER_MEAN)
    step = view["steps"][0]
    with page.expect_response(lambda r: r.url.endswith("/render")) as rendered:
        page.locator(f"#agent-step-{step['index']}").uncheck()
    assert rendered.value.status == 200
    assert json.loads(rendered.value.request.post_data) == {"off": [step["index"]]}
    page.wait_for_function("i => document.querySelector('#after-img').dataset.off === String(i)",
                           arg=step["index"])
    after = page.evaluate(AFTER_MEAN)
    assert max(abs(a - b) for a, b in zip(after, before)) > 0.5, (before, after)
    # every step off: the untouched photo meets none of the plan
    for box in page.locator("#agent-steps .step-toggle").all():
        if box.is_checked():
            box.uncheck()
    n = len(view["steps"])
    page.wait_for_function("n => document.querySelector('#after-img').dataset.off === "
                           "Array.from({length: n}, (_, i) => i).join(',')", arg=n)
    page.wait_for_function("() => document.querySelector('#agent-plan').dataset.met === '0'")
    assert page.locator('#agent-plan li[data-state="met"]').count() == 0
    # and back on: the agent's picture again
    for box in page.locator("#agent-steps .step-toggle").all():
        box.check()
    page.wait_for_function("() => document.querySelector('#after-img').dataset.off === ''")
    assert page.evaluate(AFTER_MEAN) == pytest.approx(before, abs=0.01)


def test_hovering_or_pinning_a_step_overlays_its_region(page):
    view = _run_agent(page, "a cool blue sky but warm shadows")
    step = next(s for s in view["steps"] if s["mask"])
    overlay = page.locator("#mask-overlay")
    assert overlay.is_hidden()
    row = page.locator(f'#agent-steps li[data-index="{step["index"]}"]')
    row.hover()
    page.wait_for_selector("#mask-overlay:not([hidden])")
    assert overlay.get_attribute("data-region") == step["mask"]
    share = page.evaluate(OVERLAY_ALPHA)
    assert 0.05 < share < 0.95, share  # a part of the picture, not all of it
    # laid over the picture: the same box as the displayed image
    ob, ib = overlay.bounding_box(), page.locator("#after-img").bounding_box()
    assert abs(ob["width"] - ib["width"]) < 2 and abs(ob["y"] - ib["y"]) < 2
    page.locator("#look").hover()
    page.wait_for_selector("#mask-overlay", state="hidden")
    # pinned with "Show area": it stays while the pointer is elsewhere, and goes on a second click
    pin = row.get_by_role("button", name="Show where")
    pin.click()
    page.locator("#look").hover()
    assert overlay.is_visible() and pin.get_attribute("aria-pressed") == "true"
    pin.click()
    page.wait_for_selector("#mask-overlay", state="hidden")


def test_agent_mode_refuses_an_empty_request_and_the_switch_restores_grading(page):
    page.get_by_role("button", name="Sample: rocket").click()
    page.wait_for_selector("#before-img:not([hidden])")
    switch = page.get_by_role("switch", name="Agent")
    switch.check()
    page.press("#look", "Enter")
    assert "feel" in page.locator("#alert-text").inner_text()
    assert page.locator("#look").get_attribute("aria-invalid") == "true"
    switch.uncheck()
    assert page.get_by_role("button", name="Grade").is_visible()
    assert page.locator("#agent").is_hidden()
