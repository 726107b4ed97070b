"""Memory ceiling of a real `vibegrade serve` process under N concurrent worst-case uploads.

Usage: .venv/bin/python scripts/measure_memory.py [N]   (default 8; prints JSON)

Worst cases sent at once, N of each: the largest image the default decode budget admits (an 8-bit
5400×5400 JPEG, 29 megapixels, graded with the spatial tools), and a 10000×9999 PNG of zeros
(a few hundred KB claiming 100 megapixels). The server's resident memory (VmRSS of its process) is
sampled every 20 ms; the answer codes are counted.
"""

from __future__ import annotations

import concurrent.futures as cf
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.serve.test_hardening import zeros_png  # noqa: E402

SIDE = 5400  # 29 megapixels: the largest square 8-bit image the default budget (1536 MB at 52 B/pixel) admits
TOOLS = ('{"adjust": {"exposure": 10, "structure": 30, "bloom": 20}, '
         '"filter": {"name": "enchanted", "intensity": 50}}')


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def multipart(fields: dict[str, str], name: str, data: bytes, ctype: str) -> tuple[bytes, str]:
    b = "vgboundary7d1e"
    out = io.BytesIO()
    for k, v in fields.items():
        out.write(f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    out.write(f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
              f"Content-Type: {ctype}\r\n\r\n".encode())
    out.write(data + f"\r\n--{b}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={b}"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    g = np.linspace(0, 255, SIDE, dtype=np.float32)
    big = np.stack([np.add.outer(g, g) / 2, np.add.outer(g, -g) / 2 + 128, np.tile(g, (SIDE, 1))], -1)
    buf = io.BytesIO()
    Image.fromarray(big.clip(0, 255).astype(np.uint8)).save(buf, "JPEG", quality=85)
    jpeg = buf.getvalue()
    bomb = zeros_png(10000, 9999)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = tempfile.mkdtemp(prefix="vg-mem-")
    env = {**os.environ, "VIBEGRADE_DATA_DIR": tmp}
    proc = subprocess.Popen([sys.executable, "-m", "vibegrade.cli.main", "serve", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        # warm up: models, LUTs and the renderer are loaded once
        body, ctype = multipart({"tools": TOOLS}, "w.jpg", jpeg[:0] or _small_jpeg(), "image/jpeg")
        urllib.request.urlopen(urllib.request.Request(base + "/v1/render", body, {"Content-Type": ctype}))
        idle = rss_mb(proc.pid)
        peak = [idle]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], rss_mb(proc.pid))
                time.sleep(0.02)

        def send(kind: str) -> int:
            data, name, ct = (jpeg, "big.jpg", "image/jpeg") if kind == "big" else (bomb,
                                                                                    "z.png", "image/png")
            body, ctype = multipart({"tools": TOOLS}, name, data, ct)
            req = urllib.request.Request(base + "/v1/render", body, {"Content-Type": ctype})
            try:
                with urllib.request.urlopen(req, timeout=600) as r:
                    r.read()
                    return r.status
            except urllib.error.HTTPError as e:
                return e.code

        t = threading.Thread(target=sample, daemon=True)
        t.start()
        t0 = time.monotonic()
        with cf.ThreadPoolExecutor(2 * n) as ex:
            codes = list(ex.map(send, ["big"] * n + ["bomb"] * n))
        elapsed = time.monotonic() - t0
        stop.set()
        t.join()
        print(json.dumps({"concurrent_uploads": 2 * n,
                          "big_jpeg": f"{SIDE}x{SIDE} ({len(jpeg) / 1e6:.1f} MB)",
                          "bomb_png": f"10000x9999 zeros ({len(bomb) / 1e3:.0f} KB)",
                          "codes_big": {c: codes[:n].count(c) for c in sorted(set(codes[:n]))},
                          "codes_bomb": {c: codes[n:].count(c) for c in sorted(set(codes[n:]))},
                          "rss_idle_mb": round(idle), "rss_peak_mb": round(peak[0]),
                          "seconds": round(elapsed, 1)}, indent=2))
    finally:
        proc.terminate()
        proc.wait(30)


def _small_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 90, 40)).save(buf, "JPEG")
    return buf.getvalue()


if __name__ == "__main__":
    main()
