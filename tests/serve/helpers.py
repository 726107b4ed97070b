"""Shared test helpers for the service: JSON error checks, a live uvicorn server, the browser set-up."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's chromium (scripts/test.sh installs it); browser tests never download a browser."""
# Without the background-networking flags Chromium tries to reach Google and this closed network refuses it.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NO_CHROMIUM_REASON = ("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium; "
                      "scripts/test.sh does it)")


def assert_error(r: Any, status: int, code: str | None = None, field: str | None = None) -> dict:
    """Check ``r`` is the service's JSON error with ``status`` (and ``code``/``field``); returns the error."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["error"]
    assert isinstance(err["code"], str) and isinstance(err["message"], str) and err["message"]
    if code is not None:
        assert err["code"] == code
    if field is not None:
        assert err.get("field") == field
    return err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def live_server(app: Any, *, stop_timeout: float = 15.0) -> Iterator[str]:
    """Run ``app`` under uvicorn on a free loopback port in a thread; yields the base URL."""
    import uvicorn

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=stop_timeout)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright (imported here: callers skip without Chromium)."""
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def editor_page(browser: Any, base: str, timeout_ms: int, **context: Any) -> Iterator[Any]:
    """A fresh browser context on the web editor at ``base``, ready to use; on a normal exit, fails if the
    page raised an uncaught error. ``context``: extra ``new_context`` options (e.g. accept_downloads)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, **context)
    ctx.set_default_timeout(timeout_ms)
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(base + "/")
    pg.wait_for_selector("body[data-ready=true]")
    yield pg
    ctx.close()
    assert not errors, f"uncaught errors in the page: {errors}"
