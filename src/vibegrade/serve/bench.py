"""Service benchmark (``vibegrade bench serve``): latency and throughput over real HTTP on loopback.

The service is started the way it runs in production (``vibegrade serve``, uvicorn, one worker) in a
subprocess on a free loopback port, with a throwaway SQLite event store. Clients use keep-alive
connections (``http.client``, one per client thread) and a fixed user cookie.

Figures (milliseconds are wall-clock per request, as a client sees it):

* ``predict`` -- ``POST /v1/predict`` with one client: p50/p95 over ``requests`` calls.
* ``edit`` -- ``POST /v1/edit`` with a 1920x1080 JPEG (the bundled rocket photo, resized, quality 95)
  and one client: p50/p95 over ``edit_requests`` calls. The answer is the graded JPEG.
* ``in_process`` baselines, same run, same inputs, no HTTP: ``student.predict`` for predict, and
  predict + read JPEG + :class:`~vibegrade.tools.chain.Renderer` + encode JPEG for edit. The
  difference is what the service adds (HTTP, multipart parsing, the event store, copies).
* ``concurrency`` -- for each number of concurrent clients: throughput (requests/s over the whole
  batch) and p50 latency for both endpoints.

Targets: ``/v1/predict`` p50 <= 20 ms and ``/v1/edit`` p50 <= 150 ms (one client). The load average
before and after is part of the result: figures from a busy machine are not comparable.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["TARGETS", "bench_serve", "parse_concurrency", "format_table", "ServiceProcess", "HttpClient"]

#: Target p50 latencies in milliseconds (one client).
TARGETS = {"predict_p50_ms": 20.0, "edit_p50_ms": 150.0}
EDIT_INTENT = "golden hour, warm and soft"
MAX_CONCURRENCY = 64


def parse_concurrency(text: str) -> list[int]:
    """``"1,2,4,8"`` -> ``[1, 2, 4, 8]``; each 1..64, no repeats. Raises ValueError with a clear message."""
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            n = int(part)
        except ValueError:
            raise ValueError(f"--concurrency: {part!r} is not a whole number (example: 1,2,4,8)") from None
        if not 1 <= n <= MAX_CONCURRENCY:
            raise ValueError(f"--concurrency: {n} is out of range 1..{MAX_CONCURRENCY}")
        if n not in out:
            out.append(n)
    if not out:
        raise ValueError("--concurrency: give at least one number of clients (example: 1,2,4,8)")
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _multipart(fields: dict[str, str], file_field: str, filename: str, data: bytes, media_type: str
               ) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                     .encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"'
                 f'\r\nContent-Type: {media_type}\r\n\r\n'.encode())
    parts.append(data)
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class HttpClient:
    """One keep-alive connection to the service with a fixed user cookie (not thread-safe: one per thread)."""

    def __init__(self, port: int, user: str, timeout: float = 120.0) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.cookie = f"vg_uid={user}"

    def post(self, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        """POST and read the whole answer; returns ``(status, body)``."""
        self.conn.request("POST", path, body=body,
                          headers={"Content-Type": content_type, "Cookie": self.cookie})
        r = self.conn.getresponse()
        return r.status, r.read()

    def close(self) -> None:
        self.conn.close()


class ServiceProcess:
    """``vibegrade serve`` in a subprocess on a free loopback port with a temporary event store."""

    def __init__(self, workdir: Path, startup_timeout: float = 120.0) -> None:
        self.port = _free_port()
        self.log_path = workdir / "server.log"
        # everything the service keeps (event store, job files) goes under workdir
        env = {**os.environ, "VIBEGRADE_DATABASE_URL": f"sqlite:///{workdir / 'events.db'}",
               "VIBEGRADE_DATA_DIR": str(workdir)}
        cmd = [sys.executable, "-c", "from vibegrade.cli.main import app; app(prog_name='vibegrade')",
               "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + startup_timeout
        while True:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"the service exited with code {self.proc.returncode}: {self.log_tail()}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the service did not answer /healthz within {startup_timeout:.0f} s")
            time.sleep(0.1)

    def log_tail(self, n: int = 400) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:].strip() or "(no output)"
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def __enter__(self) -> ServiceProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def bench_jpeg(width: int = 1920, height: int = 1080) -> bytes:
    """A natural-looking JPEG (bundled rocket photo resized to ``width``x``height``, quality 95)."""
    from vibegrade.media.bench import test_frame
    from vibegrade.media.image import write_image

    with tempfile.TemporaryDirectory(prefix="vibegrade-bench-") as tmp:
        p = Path(tmp) / "frame.jpg"
        write_image(p, test_frame(width, height), quality=95)
        return p.read_bytes()


def _ms_stats(times_ms: Sequence[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(times_ms), 2),
            "p95_ms": round(float(np.percentile(times_ms, 95)), 2)}


def _timed(fn: Callable[[int], Any], n: int) -> list[float]:
    """Milliseconds of ``fn(0)``, ``fn(1)``, ... ``fn(n - 1)``."""
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000.0)
    return out


def _in_process(intents: Sequence[str], jpeg: bytes, n_predict: int, n_edit: int
                ) -> dict[str, dict[str, float]]:
    """The same work without HTTP: student.predict, and predict + read + render + encode the JPEG."""
    from vibegrade.media.pipeline import render_file
    from vibegrade.students import load_student

    student = load_student(None)
    for s in intents:  # warm-up
        student.predict([s])
    predict = _timed(lambda i: student.predict([intents[i % len(intents)]]), n_predict)
    with tempfile.TemporaryDirectory(prefix="vibegrade-bench-") as tmp:
        src, dst = Path(tmp) / "in.jpg", Path(tmp) / "out.jpg"
        src.write_bytes(jpeg)

        def edit(_i: int = 0) -> bytes:
            chain = student.predict([EDIT_INTENT])[0]
            render_file(src, dst, chain, kind="image")
            return dst.read_bytes()

        edit()
        edits = _timed(edit, n_edit)
    return {"predict": _ms_stats(predict), "edit": _ms_stats(edits)}


def _check(status: int, body: bytes, what: str) -> None:
    if status != 200:
        raise RuntimeError(f"{what} answered {status}: {body[:300].decode(errors='replace')}")


def _run_clients(port: int, clients: int, total: int, make_request: Callable[[HttpClient, int], None]
                 ) -> tuple[float, list[float]]:
    """``total`` requests spread over ``clients`` threads; returns (requests/s, latencies in ms)."""
    per = [total // clients + (1 if k < total % clients else 0) for k in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[BaseException] = []
    start = threading.Barrier(clients + 1)

    def worker(k: int) -> None:
        c = HttpClient(port, f"bench-client-{k:04d}")
        try:
            make_request(c, k)  # connect and warm this connection before the clock starts
            start.wait()
            for j in range(per[k]):
                t = time.perf_counter()
                make_request(c, j)
                latencies[k].append((time.perf_counter() - t) * 1000.0)
        except BaseException as e:  # noqa: BLE001 - reported to the caller below
            errors.append(e)
            start.abort()
        finally:
            c.close()

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    try:
        start.wait()
    except threading.BrokenBarrierError:
        pass
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise RuntimeError(str(errors[0])) from errors[0]
    flat = [x for lat in latencies for x in lat]
    return total / wall, flat


def bench_serve(requests: int = 200, edit_requests: int = 40, concurrency: Sequence[int] = (1, 2, 4, 8),
                progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the service benchmark; see the module docstring for the figures.

    Args:
        requests: ``/v1/predict`` calls per measurement (>= 10).
        edit_requests: ``/v1/edit`` calls per measurement (>= 5).
        concurrency: numbers of concurrent clients for the throughput table (each 1..64).
        progress: called with a short note before each step (e.g. to print to stderr).
    """
    from vibegrade.students.bench import REQUESTS

    if requests < 10 or edit_requests < 5:
        raise ValueError("requests must be >= 10 and edit_requests >= 5")
    note = progress or (lambda _msg: None)
    load_before = [round(x, 2) for x in os.getloadavg()]
    note("making the 1920x1080 JPEG")
    jpeg = bench_jpeg()
    note("in-process baseline")
    inproc = _in_process(REQUESTS, jpeg, requests, edit_requests)

    def predict(c: HttpClient, i: int) -> None:
        body = json.dumps({"intent": REQUESTS[i % len(REQUESTS)]}).encode()
        _check(*c.post("/v1/predict", body, "application/json"), "/v1/predict")

    edit_body, edit_type = _multipart({"intent": EDIT_INTENT}, "file", "photo.jpg", jpeg, "image/jpeg")

    def edit(c: HttpClient, _i: int) -> None:
        status, data = c.post("/v1/edit", edit_body, edit_type)
        _check(status, data, "/v1/edit")
        if not data.startswith(b"\xff\xd8\xff"):
            raise RuntimeError("/v1/edit did not answer with a JPEG")

    with tempfile.TemporaryDirectory(prefix="vibegrade-bench-serve-") as tmp:
        note("starting the service")
        with ServiceProcess(Path(tmp)) as svc:
            note("warming up")
            warm = HttpClient(svc.port, "bench-warmup-0000")
            for i in range(len(REQUESTS)):
                predict(warm, i)
            for i in range(3):
                edit(warm, i)
            warm.close()
            note("one client")
            _, p_lat = _run_clients(svc.port, 1, requests, predict)
            _, e_lat = _run_clients(svc.port, 1, edit_requests, edit)
            table = []
            for n in concurrency:
                note(f"{n} concurrent clients")
                p_rps, p_all = _run_clients(svc.port, n, max(requests, 4 * n), predict)
                e_rps, e_all = _run_clients(svc.port, n, max(edit_requests, 2 * n), edit)
                table.append({"clients": n,
                              "predict_rps": round(p_rps, 1),
                              "predict_p50_ms": round(statistics.median(p_all), 2),
                              "edit_rps": round(e_rps, 2),
                              "edit_p50_ms": round(statistics.median(e_all), 2)})

    predict_http, edit_http = _ms_stats(p_lat), _ms_stats(e_lat)
    out: dict[str, Any] = {
        "predict": {"http": predict_http, "in_process": inproc["predict"], "requests": requests,
                    "overhead_p50_ms": round(predict_http["p50_ms"] - inproc["predict"]["p50_ms"], 2)},
        "edit": {"http": edit_http, "in_process": inproc["edit"], "requests": edit_requests,
                 "overhead_p50_ms": round(edit_http["p50_ms"] - inproc["edit"]["p50_ms"], 2),
                 "image": f"1920x1080 JPEG q95, {len(jpeg)} bytes"},
        "concurrency": table,
        "targets": {
            "predict_p50_ms": {"target": TARGETS["predict_p50_ms"], "measured": predict_http["p50_ms"],
                               "met": predict_http["p50_ms"] <= TARGETS["predict_p50_ms"]},
            "edit_p50_ms": {"target": TARGETS["edit_p50_ms"], "measured": edit_http["p50_ms"],
                            "met": edit_http["p50_ms"] <= TARGETS["edit_p50_ms"]},
        },
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        # BLAS threading changes both the service and the baseline (see docs/benchmarks.md)
        "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
    }
    return out


def format_table(res: dict[str, Any]) -> str:
    """The result as a plain-text table (what ``vibegrade bench serve`` prints without --json)."""
    lines = [f"{'one client':22s} {'HTTP p50':>10s} {'HTTP p95':>10s} {'in-proc p50':>12s} "
             f"{'in-proc p95':>12s} {'overhead':>9s}"]
    for name in ("predict", "edit"):
        r = res[name]
        lines.append(f"{'/v1/' + name:22s} {r['http']['p50_ms']:>8.2f}ms {r['http']['p95_ms']:>8.2f}ms "
                     f"{r['in_process']['p50_ms']:>10.2f}ms {r['in_process']['p95_ms']:>10.2f}ms "
                     f"{r['overhead_p50_ms']:>7.2f}ms")
    lines.append("")
    lines.append(f"{'clients':>7s} {'predict req/s':>14s} {'predict p50':>12s} {'edit req/s':>11s} "
                 f"{'edit p50':>10s}")
    for row in res["concurrency"]:
        lines.append(f"{row['clients']:>7d} {row['predict_rps']:>14.1f} {row['predict_p50_ms']:>10.2f}ms "
                     f"{row['edit_rps']:>11.2f} {row['edit_p50_ms']:>8.2f}ms")
    lines.append("")
    for key, t in res["targets"].items():
        verdict = "PASS" if t["met"] else "FAIL"
        lines.append(f"{key:16s} {t['measured']:.2f} ms (target <= {t['target']:.0f} ms): {verdict}")
    env = ", ".join(f"{k}={v}" for k, v in res.get("env", {}).items() if v is not None)
    lines.append(f"load average before {res['load_average_before']}, after {res['load_average_after']}; "
                 f"{res['machine']}" + (f"; {env}" if env else ""))
    return "\n".join(lines)
