"""The web editor at / driven in headless Chromium (Debian's /usr/bin/chromium through Playwright).

A real uvicorn server on loopback with a temporary SQLite event store; each test opens the page in a
fresh browser context and checks what the user sees, what the browser downloads and what reached the
database. Skipped when /usr/bin/chromium is missing (scripts/test.sh installs it).
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from .helpers import CHROMIUM, NO_CHROMIUM_REASON, chromium, editor_page, live_server

if not CHROMIUM.exists():
    pytest.skip(NO_CHROMIUM_REASON, allow_module_level=True)
from playwright import sync_api  # noqa: E402

from vibegrade.media.image import read_image  # noqa: E402
from vibegrade.schema import parse_chain  # noqa: E402
from vibegrade.serve.app import Settings, create_app  # noqa: E402
from vibegrade.tools.chain import Renderer, bake_lut  # noqa: E402
from vibegrade.tools.lut import read_cube  # noqa: E402

TIMEOUT_MS = 20_000
PHOTO_SIZE = (1600, 1000)  # larger than the editor's 1280 px preview, so preview and download differ


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web")
    app = create_app(Settings(database_url=f"sqlite:///{tmp / 'events.db'}", jobs_dir=tmp / "jobs"))
    with live_server(app) as base:
        yield base, app


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, server):
    with editor_page(browser, server[0], TIMEOUT_MS, accept_downloads=True) as pg:
        yield pg


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> Path:
    """A 1600x1000 JPEG with colour gradients (every tool visibly changes it)."""
    w, h = PHOTO_SIZE
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([xx * 255 // w, yy * 255 // h, 80 + (xx + yy) * 100 // (w + h)], -1).astype(np.uint8)
    path = tmp_path_factory.mktemp("photo") / "holiday.jpg"
    Image.fromarray(rgb).save(path, quality=92)
    return path


# ------------------------------------------------------------------------------------------- helpers

def _store(server):
    return server[1].state.store


def _project(server, project_id: str):
    return next(p for p in _store(server).projects.iter_all() if p.id == project_id)


def _wait_exports(server, project_id: str, n: int = 1, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        exports = _project(server, project_id).exports
        if len(exports) >= n or time.monotonic() > deadline:
            return exports
        time.sleep(0.1)


def _after_tools(page) -> dict:
    return json.loads(page.get_attribute("#after-img", "data-tools"))


def _wait_after(page, js_condition: str) -> dict:
    """Wait until the after image shows a render whose X-Tools ``t`` satisfies ``js_condition``."""
    page.wait_for_function(
        "() => { const el = document.querySelector('#after-img');"
        " if (!el.dataset.tools || el.hidden) return false;"
        f" const t = JSON.parse(el.dataset.tools); return {js_condition}; }}")
    return _after_tools(page)


def _grade(page, look: str, *, submit: str = "click") -> tuple[str, dict]:
    """Type the look and grade; returns (project id, suggested chain) from the /v1/edit answer."""
    page.fill("#look", look)
    with page.expect_response(lambda r: r.url.endswith("/v1/edit")) as resp_info:
        if submit == "click":
            page.click("#grade")
        else:
            page.press("#look", "Enter")
    resp = resp_info.value
    assert resp.status == 200, resp.text()
    page.wait_for_selector("#after-img:not([hidden])")
    return resp.headers["x-project-id"], json.loads(resp.headers["x-tools"])


def _tab_to(page, selector: str, limit: int = 120) -> None:
    """Press Tab until ``selector`` has the focus (fails when it is not reachable by keyboard)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with Tab")


def _focus_ring_visible(page, selector: str | None = None) -> bool:
    return page.evaluate(
        "(s) => { const el = s ? document.querySelector(s) : document.activeElement;"
        " const st = getComputedStyle(el);"
        " return st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) > 0; }",
        selector)


def _alert(page) -> str:
    page.wait_for_selector("#alert[data-empty=false]")
    return page.inner_text("#alert-text")


# --------------------------------------------------------------------------------------------- flows

def test_upload_grade_tweak_download_records_export(page, server, photo):
    page.set_input_files("#file", str(photo))
    page.wait_for_selector("#before-img:not([hidden])")
    project_id, suggested = _grade(page, "golden hour, warm and soft")
    assert _after_tools(page) == suggested
    # the sliders work on a preview: long edge 1280 px, not the 1600 px original
    assert page.evaluate("document.querySelector('#after-img').naturalWidth") == 1280
    first_src = page.get_attribute("#after-img", "src")
    assert first_src.startswith("blob:")

    adjust_switch = page.get_by_role("switch", name="Adjust")
    adjust_switch.check()
    page.get_by_label("Exposure").fill("60")
    tools = _wait_after(page, "t.adjust.exposure === 60")
    assert page.get_attribute("#after-img", "src") != first_src  # a new render replaced the old one
    assert page.locator("#after-img").evaluate("el => el.complete && el.naturalWidth") == 1280

    filter_switch = page.get_by_role("switch", name="Filter")
    filter_was_on = filter_switch.is_checked()
    filter_switch.click()
    if filter_was_on:
        tools = _wait_after(page, "t.filter.name === 'none'")
    else:
        tools = _wait_after(page, "t.filter.name !== 'none' && t.filter.intensity > 0")
    assert tools["adjust"]["exposure"] == 60
    selective_on = page.get_by_role("switch", name="Selective colour").is_checked()
    kept = {"adjust": True, "selective_adjust": selective_on, "filter": not filter_was_on}

    # the first export POST is lost on the network: the editor retries with the same event id
    event_ids: list[str] = []

    def flaky(route):
        event_ids.append(json.loads(route.request.post_data)["event_id"])
        if len(event_ids) == 1:
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/v1/projects/*/export", flaky)
    with page.expect_download() as dl_info:
        page.click("#download")
    download = dl_info.value
    assert download.suggested_filename == "holiday-vibegrade.jpg"
    data = Path(download.path()).read_bytes()
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG" and im.size == PHOTO_SIZE  # the ORIGINAL resolution
        got = np.asarray(im.convert("RGB")).astype(np.int16)
    # ... graded with the chain on screen (compared with rendering the original here)
    expected = Renderer(parse_chain(tools))(read_image(photo).rgb).astype(np.int16)
    assert np.abs(got - expected).mean() < 3.0

    # (route handlers only run while Playwright is called: wait in the page, not in Python)
    page.wait_for_function("() => document.querySelector('#status').textContent"
                           " === 'Saved holiday-vibegrade.jpg.'")
    exports = _wait_exports(server, project_id)
    assert len(event_ids) == 2 and event_ids[0] == event_ids[1]
    assert [(e.event_id, e.tools_kept) for e in exports] == [(event_ids[0], kept)]
    project = _project(server, project_id)
    assert project.intent == "golden hour, warm and soft"
    assert project.tools == parse_chain(suggested).to_wire()


def _open_chooser_with_space(page, attempts: int = 3):
    """Space on the focused file input opens the chooser. Headless Chromium now and then drops that
    first key press (about 1 run in 12 here, never the page's fault: the native input has no script), so
    the press is repeated a few times before the test gives up."""
    for attempt in range(attempts):
        try:
            with page.expect_file_chooser(timeout=5_000) as fc_info:
                page.keyboard.press("Space")
            return fc_info.value
        except sync_api.TimeoutError:
            if attempt == attempts - 1:
                raise
            assert page.evaluate("document.activeElement.id") == "file"
    raise AssertionError("unreachable")


def test_keyboard_only_flow(page, server, photo):
    # choose the file: focus the file input with Tab, open the chooser with Space
    _tab_to(page, "#file")
    assert _focus_ring_visible(page, "label[for=file]")  # the visible label shows the input's focus
    _open_chooser_with_space(page).set_files(str(photo))
    page.wait_for_selector("#before-img:not([hidden])")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "look"  # the look comes right after the file
    assert _focus_ring_visible(page)
    page.keyboard.type("cool blue winter morning")
    with page.expect_response(lambda r: r.url.endswith("/v1/edit")) as resp_info:
        page.keyboard.press("Enter")
    project_id = resp_info.value.headers["x-project-id"]
    page.wait_for_selector("#after-img:not([hidden])")

    # switch Adjust on if the suggestion left it off (Space), then nudge a slider with the arrow keys
    _tab_to(page, "#switch-adjust")
    assert _focus_ring_visible(page)
    if not page.is_checked("#switch-adjust"):
        page.keyboard.press("Space")
        assert page.is_checked("#switch-adjust")
    _tab_to(page, "input[data-param=contrast]")
    assert _focus_ring_visible(page)
    start = int(page.input_value("input[data-param=contrast]"))
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    target = min(100, start + 5)
    assert int(page.input_value("input[data-param=contrast]")) == target
    _wait_after(page, f"t.adjust.contrast === {target}")

    # the filter's switch with Space
    _tab_to(page, "#switch-filter")
    filter_was_on = page.is_checked("#switch-filter")
    page.keyboard.press("Space")
    assert page.is_checked("#switch-filter") is not filter_was_on
    _wait_after(page, "t.filter.name === 'none'" if filter_was_on else "t.filter.name !== 'none'")
    kept = {"adjust": True, "selective_adjust": page.is_checked("#switch-selective_adjust"),
            "filter": not filter_was_on}

    # download with Enter: Tab wraps around from the tool panel to the page's buttons
    _tab_to(page, "#download", limit=200)
    assert _focus_ring_visible(page)
    with page.expect_download() as dl_info:
        page.keyboard.press("Enter")
    with Image.open(dl_info.value.path()) as im:
        assert im.size == PHOTO_SIZE
    exports = _wait_exports(server, project_id)
    assert [e.tools_kept for e in exports] == [kept]


def test_errors_are_shown(page, tmp_path):
    # nothing chosen yet: a client-side message, focus on the file picker
    page.fill("#look", "moody film")
    page.press("#look", "Enter")
    assert "Choose a photo or video first" in _alert(page)
    assert page.evaluate("document.activeElement.id") == "file"

    # a text file named .jpg: the browser cannot decode it, the server's own message is shown
    fake = tmp_path / "notes.jpg"
    fake.write_text("these are my holiday notes, not a picture\n" * 20)
    page.set_input_files("#file", str(fake))
    page.wait_for_selector("#alert[data-empty=true]", state="attached")  # choosing a file clears the alert
    with page.expect_response(lambda r: r.url.endswith("/v1/edit")) as resp_info:
        page.click("#grade")
    resp = resp_info.value
    assert resp.status == 415
    server_message = resp.json()["error"]["message"]
    assert "notes.jpg" in server_message
    assert server_message in _alert(page)

    # empty look: a client-side message and the look field is focused and marked invalid
    page.get_by_role("button", name="Sample: coffee").click()
    page.wait_for_selector("#before-img:not([hidden])")
    page.fill("#look", "   ")
    page.click("#grade")
    assert "Type the look you want first" in _alert(page)
    assert page.evaluate("document.activeElement.id") == "look"
    assert page.get_attribute("#look", "aria-invalid") == "true"

    # the network goes down while tweaking: said so; Escape dismisses the message
    _grade(page, "bright and airy")
    page.route("**/v1/render", lambda route: route.abort("internetdisconnected"))
    page.get_by_role("switch", name="Adjust").check()
    page.get_by_label("Brightness").fill("40")
    assert "Cannot reach the vibegrade service" in _alert(page)
    page.keyboard.press("Escape")
    page.wait_for_selector("#alert[data-empty=true]", state="attached")


def test_cube_download_matches_the_chain(page, server):
    page.get_by_role("button", name="Sample: astronaut").click()
    page.wait_for_selector("#before-img:not([hidden])")
    _grade(page, "teal and orange blockbuster", submit="enter")
    page.get_by_role("switch", name="Adjust").check()
    page.get_by_label("Bloom").fill("30")
    tools = _wait_after(page, "t.adjust.bloom === 30")
    assert "Bloom" in page.inner_text("#lut-note")  # the UI says the spatial part is left out

    with page.expect_download() as dl_info:
        page.click("#download-cube")
    download = dl_info.value
    assert download.suggested_filename == "astronaut-look.cube"
    lut, title = read_cube(download.path())
    assert lut.shape == (33, 33, 33, 3) and title == "vibegrade look"
    np.testing.assert_allclose(lut, bake_lut(parse_chain(tools), 33), atol=2e-6)
    page.wait_for_function("() => document.querySelector('#status').textContent.includes('without bloom')")


def test_drop_a_transparent_png_and_reset_to_suggestion(page):
    rgba = np.zeros((60, 90, 4), np.uint8)
    rgba[..., 0], rgba[..., 1], rgba[..., 3] = 200, 120, 255
    rgba[:, :30, 3] = 0  # a transparent band
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG")
    page.evaluate(
        """(bytes) => {
          const dt = new DataTransfer();
          dt.items.add(new File([new Uint8Array(bytes)], 'logo.png', {type: 'image/png'}));
          const zone = document.querySelector('#before-pane');
          for (const type of ['dragenter', 'dragover', 'drop'])
            zone.dispatchEvent(new DragEvent(type, {dataTransfer: dt, bubbles: true, cancelable: true}));
        }""", list(buf.getvalue()))
    page.wait_for_selector("#before-img:not([hidden])")
    assert page.inner_text("#file-name").startswith("logo.png")
    _grade(page, "punchy and vivid")
    suggested = page.get_attribute("#after-img", "data-tools")
    # transparency survives the round trip: alpha of the shown image left and right of the band's edge
    alpha = page.evaluate(
        """() => { const img = document.querySelector('#after-img');
          const c = document.createElement('canvas');
          c.width = img.naturalWidth; c.height = img.naturalHeight;
          const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
          const a = (x) => ctx.getImageData(x, 30, 1, 1).data[3];
          return [c.width, c.height, a(10), a(60)]; }""")
    assert alpha == [90, 60, 0, 255]

    page.get_by_role("switch", name="Adjust").check()
    page.get_by_label("Shadows").fill("-70")
    _wait_after(page, "t.adjust.shadows === -70")
    page.click("#reset")
    page.wait_for_function(
        "(s) => document.querySelector('#after-img').dataset.tools === s", arg=suggested)
    suggested_shadows = json.loads(suggested)["adjust"].get("shadows", 0)
    assert page.input_value("input[data-param=shadows]") == str(suggested_shadows)


def test_video_job_progress_and_download(page, server, tmp_path):
    from tests.media.video_helpers import make_clip
    from vibegrade.media.video import probe_video

    clip = make_clip(tmp_path / "beach clip.mp4", seconds=0.5, size=(96, 64), fps=12, audio=None)
    page.set_input_files("#file", str(clip))
    page.wait_for_selector("#before-video:not([hidden])")
    page.wait_for_selector("#frame:not([disabled])")  # a frame was grabbed for slider previews
    page.fill("#look", "warm sunset")
    with page.expect_response(lambda r: r.url.endswith("/v1/edit")) as resp_info:
        page.press("#look", "Enter")
    resp = resp_info.value
    assert resp.status == 202, resp.text()
    job = resp.json()
    page.wait_for_selector("#job-bar[role=progressbar]")
    page.wait_for_selector("#after-video:not([hidden])")  # the graded clip, once the job is done
    assert page.get_attribute("#job-bar", "aria-valuenow") == "100"
    assert page.get_attribute("#after-video", "src").endswith(f"/v1/jobs/{job['job_id']}/result")

    # a slider change previews one frame; "Render video" grades the whole clip again with it
    page.get_by_role("switch", name="Adjust").check()
    page.get_by_label("Exposure").fill("-50")
    _wait_after(page, "t.adjust.exposure === -50")
    assert page.is_hidden("#after-video") and "one frame" in page.inner_text("#after-note")
    with page.expect_response(lambda r: r.url.endswith("/v1/render") and r.status == 202) as render_info:
        page.click("#render-video")
    job2 = render_info.value.json()
    assert job2["tools"]["adjust"]["exposure"] == -50 and job2["job_id"] != job["job_id"]
    page.wait_for_function(
        "(id) => { const v = document.querySelector('#after-video');"
        " return !v.hidden && v.getAttribute('src').endsWith('/v1/jobs/' + id + '/result'); }",
        arg=job2["job_id"])

    with page.expect_download() as dl_info:
        page.click("#download")
    download = dl_info.value
    assert download.suggested_filename == "beach clip-vibegrade.mp4"
    info = probe_video(download.path())
    assert (info.width, info.height) == (96, 64) and info.frames == 6
    page.wait_for_function("() => document.querySelector('#status').textContent"
                           " === 'Saved beach clip-vibegrade.mp4.'")
    exports = _wait_exports(server, job["project_id"])
    assert [e.tools_kept["adjust"] for e in exports] == [True]
