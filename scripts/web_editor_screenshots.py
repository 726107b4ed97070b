"""Screenshots of the web editor for docs/web_editor.md, taken in Debian's headless Chromium.

    .venv/bin/python scripts/web_editor_screenshots.py [--out docs/images]

Starts the real service (temporary SQLite event store, the installed look and refinement models) on a free
loopback port and drives the page like a user:

* ``web_editor.png``: the chelsea sample graded "golden hour, warm and soft", then refined "a bit warmer";
* ``web_editor_match.png``: the chelsea sample matched to a reference photo (the CC0 "dusk pier" of
  /work/shared/photos, see its LICENSES.md), then refined "less saturated".

Needs /usr/bin/chromium and Playwright (``pip install -e ".[test]"``); never downloads a browser.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = Path("/work/shared/photos/dusk_pier_lake_sunset_sky.jpg")
TIMEOUT_MS = 60_000


def _refine(page, text: str) -> None:
    count = int(page.get_attribute("#history", "data-count") or 0)
    page.fill("#refine-input", text)
    page.press("#refine-input", "Enter")
    page.wait_for_function("n => Number(document.querySelector('#history').dataset.count) > n", arg=count)
    _settle(page)


def _settle(page) -> None:
    """Wait until no request of the page is running and the after image shows the sliders' chain."""
    page.wait_for_function("() => document.querySelector('#after-pane').getAttribute('aria-busy') === 'false'"
                           " && !document.querySelector('#after-img').hidden")
    page.wait_for_timeout(300)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="folder for the PNG files")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from playwright import sync_api

    from tests.serve.helpers import CHROMIUM, CHROMIUM_ARGS, live_server
    from vibegrade.serve.app import Settings, create_app

    if not CHROMIUM.exists() or not REFERENCE.exists():
        print(f"needs {CHROMIUM} and {REFERENCE}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vibegrade-shots-") as tmp:
        folder = Path(tmp)
        app = create_app(Settings(database_url=f"sqlite:///{folder / 'events.db'}", jobs_dir=folder / "jobs"))
        with live_server(app) as base, sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for name, flow in (("web_editor.png", "words"), ("web_editor_match.png", "reference")):
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.set_default_timeout(TIMEOUT_MS)
                page.goto(base + "/")
                page.wait_for_selector("body[data-ready=true]")
                page.get_by_role("button", name="Sample: chelsea").click()
                page.wait_for_selector("#before-img:not([hidden])")
                if flow == "words":
                    page.fill("#look", "golden hour, warm and soft")
                    page.press("#look", "Enter")
                    _settle(page)
                    _refine(page, "a bit warmer")
                else:
                    page.set_input_files("#reference-file", str(REFERENCE))
                    page.wait_for_selector("#history[data-count='1']", state="attached")
                    _settle(page)
                    _refine(page, "less saturated")
                page.mouse.move(0, 0)
                page.evaluate("document.activeElement.blur()")  # no focus ring in the picture
                page.screenshot(path=str(args.out / name))
                print(f"{args.out / name}: {page.inner_text('#status')}")
                page.close()
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
