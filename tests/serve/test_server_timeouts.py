"""Issue #12, finding 6: slow or idle clients cannot hold connections open (a real uvicorn on loopback)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from typer.testing import CliRunner

from vibegrade.serve.app import Settings, create_app
from vibegrade.serve.server import HEADER_TIMEOUT_ENV, HeaderTimeoutH11Protocol

from .helpers import free_port

HEADER_TIMEOUT = 1.0
GUARD_S = 10.0  # bounds every wait: a failing test ends instead of hanging


@contextmanager
def server(tmp_path, *, protocol=HeaderTimeoutH11Protocol, **settings) -> Iterator[int]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'events.db'}", jobs_dir=tmp_path / "jobs",
                              **settings))
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", http=protocol,
                            timeout_keep_alive=2)
    config.header_timeout = HEADER_TIMEOUT
    srv = uvicorn.Server(config)
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started
    try:
        yield port
    finally:
        srv.should_exit = True
        t.join(15)


def _closed_after(sock: socket.socket, limit: float = GUARD_S) -> tuple[float, bytes]:
    """Seconds until the server closes ``sock`` (reading whatever it sends), at most ``limit``."""
    t0 = time.monotonic()
    sock.settimeout(limit)
    got = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
    except TimeoutError:
        return float("inf"), got
    except ConnectionResetError:
        pass
    return time.monotonic() - t0, got


def test_a_connection_idling_mid_headers_is_closed_within_the_timeout(tmp_path):
    with server(tmp_path) as port:
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            elapsed, _ = _closed_after(s)
        assert 0.5 * HEADER_TIMEOUT <= elapsed <= HEADER_TIMEOUT + 3
        with socket.create_connection(("127.0.0.1", port)) as s:  # a connection that never sends a byte
            elapsed, _ = _closed_after(s)
        assert elapsed <= HEADER_TIMEOUT + 3


def test_plain_uvicorn_keeps_such_a_connection_open(tmp_path):
    """Why the protocol exists: uvicorn alone has no header read timeout."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    with server(tmp_path, protocol=H11Protocol) as port:
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            elapsed, _ = _closed_after(s, limit=HEADER_TIMEOUT + 2)
        assert elapsed == float("inf")


def test_keep_alive_still_works_and_a_slow_second_request_is_closed(tmp_path):
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    with server(tmp_path) as port:
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.settimeout(GUARD_S)
            for pause in (0.0, HEADER_TIMEOUT * 1.5):  # idle between requests: keep-alive (2 s) applies
                time.sleep(pause)
                s.sendall(request)
                answer = b""
                while not answer.endswith(b'{"ok":true}'):
                    chunk = s.recv(65536)
                    assert chunk, f"connection closed after {answer!r}"
                    answer += chunk
                assert answer.startswith(b"HTTP/1.1 200")
            s.sendall(b"GET /healthz HTTP/1.1\r\n")  # then half a request, and nothing more
            elapsed, _ = _closed_after(s)
        assert elapsed <= HEADER_TIMEOUT + 3


def test_a_body_that_stops_arriving_gets_a_408(tmp_path):
    with server(tmp_path, body_timeout_seconds=1.0) as port:
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100\r\n\r\n{\"intent\": ")
            elapsed, got = _closed_after(s)
        assert elapsed <= 1.0 + 3
        head, _, body = got.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408")
        assert json.loads(body)["error"]["code"] == "request_timeout"


def test_serve_command_configures_the_timeouts(monkeypatch):
    from vibegrade.cli.main import app

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    monkeypatch.delenv(HEADER_TIMEOUT_ENV, raising=False)
    res = CliRunner().invoke(app, ["serve", "--header-timeout", "3", "--limit-concurrency", "50",
                                   "--keep-alive", "4", "--max-header-bytes", "8192"])
    assert res.exit_code == 0, res.output
    assert seen["http"] is HeaderTimeoutH11Protocol and seen["limit_concurrency"] == 50
    assert seen["timeout_keep_alive"] == 4 and seen["h11_max_incomplete_event_size"] == 8192
    import os

    assert float(os.environ[HEADER_TIMEOUT_ENV]) == 3.0
    monkeypatch.delenv(HEADER_TIMEOUT_ENV)
    res = CliRunner().invoke(app, ["serve", "--header-timeout", "0"])
    assert res.exit_code == 2 and "header-timeout" in res.output
