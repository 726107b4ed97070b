"""A tiny local chat-completions server that replays recorded teacher answers.

A test double for tests of the teacher and of anything built on it (not part of the package). It speaks
the OpenAI wire format on ``POST /v1/chat/completions`` (and ``/chat/completions``), picks the answer by
the tool and request found in the prompt (:func:`vibegrade.llm.prompts.prompt_info`), and can misbehave on
purpose: delays, HTTP 429 with ``Retry-After``, HTTP 500/503, malformed bodies, dropped connections,
wrong API keys. It binds to 127.0.0.1 on an ephemeral port only and uses nothing but the standard
library::

    with ReplayServer.from_fixtures("tests/llm/fixtures", faults=["429", "500"]) as srv:
        client = TeacherClient(ClientConfig(base_url=srv.base_url, model="replay", api_key="x"))
        ...
        assert srv.http_calls == 5

Faults are strings: ``"429"``, ``"500"``, ``"503"``, ``"401"``, ``"malformed"`` (HTTP 200 with a body that
is not JSON), ``"empty"`` (HTTP 200 with an empty content), ``"drop"`` (close the connection without an
answer), ``"slow"`` (wait ``slow_delay`` seconds, then answer normally). ``faults`` are used by the first
calls in arrival order; a recorded answer's own ``faults`` are used by the first calls that match it.

Fixture files are JSON Lines (``*.jsonl``), one recorded answer per line::

    {"intent": "golden hour", "tool": "adjust", "content": "ADJUST: ...\\nJSON: {...}",
     "finish_reason": "stop", "delay": 0.0, "faults": [], "prompt_tokens": 812, "completion_tokens": 95}

Only ``intent``, ``tool`` and ``content`` are required. Token counts default to ``len(text) // 4``.
Requests without a recorded answer get a deterministic, plausible generated answer
(:func:`synthetic_answer`), or HTTP 404 when ``fallback`` is ``None``.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from vibegrade.llm.prompts import answer_label, prompt_info, prompt_intent
from vibegrade.schema import ADJUST_KEYS, FILTER_NONE, INTENSITY, SELECTIVE_CHANNELS, SELECTIVE_COLORS

__all__ = ["CallRecord", "RecordedAnswer", "ReplayServer", "estimate_tokens", "load_fixtures",
           "synthetic_answer"]

FAULTS = ("429", "500", "503", "401", "malformed", "empty", "drop", "slow")


@dataclass
class RecordedAnswer:
    """One scripted answer, matched by tool and request (case/whitespace-insensitive)."""

    intent: str
    tool: str
    content: str
    finish_reason: str = "stop"
    delay: float = 0.0
    faults: list[str] = field(default_factory=list)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RecordedAnswer:
        return cls(intent=str(d["intent"]), tool=str(d["tool"]), content=str(d["content"]),
                   finish_reason=str(d.get("finish_reason", "stop")), delay=float(d.get("delay", 0.0)),
                   faults=[str(f) for f in d.get("faults", [])],
                   prompt_tokens=d.get("prompt_tokens"), completion_tokens=d.get("completion_tokens"))


@dataclass
class CallRecord:
    """One HTTP request the server received."""

    path: str
    tool: str | None
    intent: str | None
    model: str | None
    status: int
    fault: str | None
    start: float
    end: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)


def _norm(s: str) -> str:
    return " ".join(s.split()).casefold()


def estimate_tokens(text: str) -> int:
    """The server's token count for a text: one token per four characters (at least one)."""
    return max(1, len(text) // 4)


def load_fixtures(path: str | Path) -> list[RecordedAnswer]:
    """Recorded answers from a ``.jsonl`` file or every ``*.jsonl`` file of a folder (blank lines skipped)."""
    p = Path(path)
    files = sorted(p.glob("*.jsonl")) if p.is_dir() else [p]
    out: list[RecordedAnswer] = []
    for f in files:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    out.append(RecordedAnswer.from_dict(json.loads(line)))
                except (ValueError, KeyError, TypeError) as e:
                    raise ValueError(f"{f}:{n}: bad fixture line: {e}") from None
    return out


def synthetic_answer(tool: str, intent: str) -> str:
    """A deterministic, well-formed teacher-style answer for any request (seeded by the request text)."""
    h = hashlib.sha256(f"{tool}|{_norm(intent)}".encode()).digest()
    label = answer_label(tool)

    def val(i: int, lo: int, hi: int) -> int:
        return lo + h[i % len(h)] % (hi - lo + 1)

    if tool == "adjust":
        settings: dict[str, Any] = {k: 0 for k in ADJUST_KEYS}
        for i, k in enumerate(("exposure", "contrast", "saturation", "temperature", "shadows")):
            settings[k] = val(i, -30, 30)
        why = (f"A balanced global grade for {prompt_intent(intent)!r}: moderate exposure, contrast and "
               "warmth.")
    elif tool == "selective_adjust":
        if h[0] % 2:
            settings = {}
            why = "The look does not hinge on particular colours, so this tool is not needed."
        else:
            settings = {c: {ch.name: val(j * 2 + k, -25, 25) for k, ch in enumerate(SELECTIVE_CHANNELS)}
                        for j, c in enumerate(SELECTIVE_COLORS)}
            why = "A few colour ranges carry the look, so they are nudged gently."
    else:
        settings = {"name": FILTER_NONE, INTENSITY.name: 0}
        why = "No preset is a close match; the other tools build the look."
    return f"{label}: {why}\nJSON: {json.dumps(settings)}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    replay: ReplayServer

    def handle_error(self, request: Any, client_address: Any) -> None:  # quiet when clients hang up
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 -- silence the access log
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
              content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            pass  # the client gave up (timeout) -- nothing to do

    def _error(self, status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> None:
        body = json.dumps({"error": {"message": message, "type": kind, "param": None, "code": None}}).encode()
        self._send(status, body, headers)

    def do_GET(self) -> None:  # noqa: N802 -- http.server's naming
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            r = self.server.replay
            data = {"object": "list", "data": [{"id": r.model or "replay", "object": "model", "created": 0,
                                                "owned_by": "vibegrade-replay"}]}
            self._send(200, json.dumps(data).encode())
        else:
            self._error(404, f"no route {self.path}", "not_found_error")

    def do_POST(self) -> None:  # noqa: N802 -- http.server's naming
        self.server.replay._handle(self)


class ReplayServer:
    """A scripted OpenAI-compatible chat-completions server running in a background thread.

    Args:
        answers: recorded answers.
        fallback: ``(tool, intent) -> content`` for requests without a recording; ``None`` answers 404.
        delay: seconds every answer waits before it is sent.
        faults: faults for the first calls, in arrival order (see module docs).
        slow_delay: how long a ``"slow"`` fault waits.
        retry_after: value of the ``Retry-After`` header sent with 429 (``None``: no header).
        api_key: when set, requests must carry ``Authorization: Bearer <api_key>`` (else HTTP 401).
        model: when set, requests for another model get HTTP 404 (``model_not_found``).
        responder: ``messages -> content or None``, consulted for requests without a recorded answer before
            ``fallback``; lets tests script any other kind of prompt (paraphrases, image judgements).
    """

    def __init__(self, answers: Iterable[RecordedAnswer] = (), *,
                 fallback: Callable[[str, str], str] | None = synthetic_answer,
                 delay: float = 0.0, faults: Sequence[str] = (), slow_delay: float = 2.0,
                 retry_after: float | str | None = "0", api_key: str | None = None,
                 model: str | None = None,
                 responder: Callable[[list[dict[str, Any]]], str | None] | None = None) -> None:
        self._answers: dict[tuple[str, str], RecordedAnswer] = {}
        for a in answers:
            self._answers[(a.tool, _norm(a.intent))] = a
        self._pending = {k: list(a.faults) for k, a in self._answers.items()}
        for f in [*faults, *(x for a in self._answers.values() for x in a.faults)]:
            if f not in FAULTS:
                raise ValueError(f"unknown fault {f!r}; expected one of {', '.join(FAULTS)}")
        self.fallback = fallback
        self.delay = delay
        self.slow_delay = slow_delay
        self.retry_after = retry_after
        self.api_key = api_key
        self.model = model
        self.responder = responder
        self._faults = list(faults)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.calls: list[CallRecord] = []
        self._in_flight = 0
        self.max_concurrent = 0
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def from_fixtures(cls, path: str | Path, **kwargs: Any) -> ReplayServer:
        """A server replaying the answers of a fixture file or folder."""
        return cls(load_fixtures(path), **kwargs)

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> ReplayServer:
        if self._httpd is not None:
            return self
        self._stop.clear()
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.replay = self
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="vibegrade-replay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("replay server is not running")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL, ``http://127.0.0.1:<port>/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- scripting -----------------------------------------------------------------------------------------

    def add_faults(self, *faults: str) -> None:
        """Queue more faults for the next calls."""
        for f in faults:
            if f not in FAULTS:
                raise ValueError(f"unknown fault {f!r}")
        with self._lock:
            self._faults.extend(faults)

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()
            self.max_concurrent = 0

    @property
    def http_calls(self) -> int:
        """Number of chat-completion requests received so far (including failed ones)."""
        with self._lock:
            return len(self.calls)

    def completed(self, tool: str | None = None) -> list[CallRecord]:
        """Calls answered with HTTP 200 and a valid body (optionally for one tool)."""
        with self._lock:
            return [c for c in self.calls
                    if c.status == 200 and c.fault is None and (tool is None or c.tool == tool)]

    # -- request handling ----------------------------------------------------------------------------------

    def _handle(self, h: _Handler) -> None:
        path = h.path.split("?")[0].rstrip("/")
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        if path not in ("/v1/chat/completions", "/chat/completions"):
            h._error(404, f"no route {h.path}", "not_found_error")
            return
        try:
            req = json.loads(raw or b"{}")
            messages = req["messages"]
            if not isinstance(messages, list):
                raise TypeError("messages must be a list")
        except (ValueError, KeyError, TypeError) as e:
            h._error(400, f"bad request body: {e}", "invalid_request_error")
            return
        info = prompt_info(messages)
        tool = info.tool if info else None
        intent = info.intent if info else None
        key = (tool or "", _norm(intent or ""))
        rec = CallRecord(path=path, tool=tool, intent=intent, model=req.get("model"), status=200, fault=None,
                         start=time.monotonic(),
                         params={k: req.get(k) for k in ("temperature", "max_tokens", "top_p") if k in req})
        with self._lock:
            self.calls.append(rec)
            self._in_flight += 1
            self.max_concurrent = max(self.max_concurrent, self._in_flight)
            fault = self._faults.pop(0) if self._faults else None
            if fault is None and self._pending.get(key):
                fault = self._pending[key].pop(0)
        rec.fault = fault
        try:
            self._respond(h, req, rec, key, fault)
        finally:
            rec.end = time.monotonic()
            with self._lock:
                self._in_flight -= 1

    def _respond(self, h: _Handler, req: dict[str, Any], rec: CallRecord, key: tuple[str, str],
                 fault: str | None) -> None:
        if self.api_key is not None:
            auth = h.headers.get("Authorization", "")
            if auth != f"Bearer {self.api_key}":
                rec.status = 401
                h._error(401, "Incorrect API key provided.", "invalid_request_error")
                return
        if self.model is not None and req.get("model") != self.model:
            rec.status = 404
            h._error(404, f"The model `{req.get('model')}` does not exist.", "invalid_request_error")
            return
        answer = self._answers.get(key)
        wait = self.delay + (answer.delay if answer else 0.0) + (self.slow_delay if fault == "slow" else 0.0)
        if wait > 0 and self._stop.wait(wait):
            return
        if fault in ("429", "500", "503", "401"):
            rec.status = int(fault)
            headers = {}
            if fault == "429" and self.retry_after is not None:
                headers["Retry-After"] = str(self.retry_after)
            kind = {"429": "rate_limit_error", "401": "invalid_request_error"}.get(fault, "server_error")
            h._error(rec.status, f"scripted {fault}", kind, headers)
            return
        if fault == "drop":
            rec.status = 0
            h.close_connection = True
            try:
                h.connection.shutdown(2)
            except OSError:
                pass
            return
        if fault == "malformed":
            h._send(200, b'{"id": "chatcmpl-broken", "choices": [{"message": {"content": "JSON: {', )
            return
        scripted = self.responder(req["messages"]) if answer is None and self.responder is not None else None
        if answer is not None:
            content, finish = answer.content, answer.finish_reason
        elif scripted is not None:
            content, finish = scripted, "stop"
        elif rec.tool is not None and rec.intent is not None and self.fallback is not None:
            content, finish = self.fallback(rec.tool, rec.intent), "stop"
        else:
            rec.status = 404
            h._error(404, f"no recorded answer for tool={rec.tool!r} intent={rec.intent!r}",
                     "not_found_error")
            return
        if fault == "empty":
            content = ""
        prompt_text = "".join(str(m.get("content") or "") for m in req["messages"] if isinstance(m, dict))
        pt = estimate_tokens(prompt_text)
        ct = estimate_tokens(content)
        if answer is not None and answer.prompt_tokens is not None:
            pt = int(answer.prompt_tokens)
        if answer is not None and answer.completion_tokens is not None and fault != "empty":
            ct = int(answer.completion_tokens)
        body = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(req.get("model") or "replay"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": finish, "logprobs": None}],
            "usage": {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct},
        }
        h._send(200, json.dumps(body).encode())
