"""Async client for any OpenAI-compatible chat-completions endpoint.

Works with OpenAI, vLLM, Ollama, llama.cpp's server, LM Studio and anything else that speaks
``POST /v1/chat/completions``, through the official ``openai`` package. On top of the raw call it adds

* a concurrency limit (an :class:`asyncio.Semaphore` over HTTP requests),
* retries with exponential backoff and jitter on HTTP 408/409/429/5xx, timeouts, dropped connections and
  malformed response bodies, honouring ``Retry-After`` when the server sends it,
* an on-disk cache keyed by model, messages and sampling parameters (one JSON file per key), so a
  re-run costs nothing and makes no HTTP request,
* token, cost and latency accounting per call (:class:`CallUsage`) and in total (:class:`UsageTotals`),
  with a configurable price table (:data:`DEFAULT_PRICES`, $ per million tokens).

Errors after the last retry raise :class:`RequestFailed`; errors that no retry can fix (bad API key,
unknown model or URL, unreachable server) raise :class:`FatalError`. Both carry a one-line message.
Connection errors before the endpoint has answered once are retried only twice (a wrong URL fails fast);
afterwards they get the full ``max_retries`` and then end the run as fatal (the server went away).
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import os
import random
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vibegrade.files import cache_dir

__all__ = [
    "DEFAULT_PRICES",
    "CallUsage",
    "ClientConfig",
    "Completion",
    "FatalError",
    "Price",
    "RequestFailed",
    "ResponseCache",
    "TeacherClient",
    "TeacherError",
    "UsageTotals",
    "default_cache_dir",
    "load_price_table",
    "lookup_price",
]


# ----------------------------------------------------------------------------------------------------------
# Prices
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    """US dollars per one million prompt (input) and completion (output) tokens."""

    input: float
    output: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1_000_000


#: List prices of a few hosted models at the time of writing ($ / 1M tokens). Override or extend them in
#: the config file (``[prices]``) or with a price file; self-hosted models (vLLM, Ollama ...) are unknown
#: and cost 0.
DEFAULT_PRICES: dict[str, Price] = {
    "gpt-3.5-turbo": Price(0.50, 1.50),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
}


def lookup_price(model: str, table: Mapping[str, Price]) -> Price | None:
    """The price of ``model``: an exact entry, else the longest entry that is a prefix of the model name
    (so ``gpt-4o-2024-08-06`` uses ``gpt-4o``); ``None`` when unknown."""
    if model in table:
        return table[model]
    best = None
    for name in table:
        if model.startswith(name) and (best is None or len(name) > len(best)):
            best = name
    return table[best] if best is not None else None


def _price_from(obj: Any, where: str) -> Price:
    if isinstance(obj, Mapping):
        try:
            return Price(float(obj["input"]), float(obj["output"]))
        except (KeyError, TypeError, ValueError):
            pass
    if isinstance(obj, Sequence) and not isinstance(obj, str) and len(obj) == 2:
        try:
            return Price(float(obj[0]), float(obj[1]))
        except (TypeError, ValueError):
            pass
    raise ValueError(f"{where}: a price must be {{input = <$/1M>, output = <$/1M>}} or [input, output]")


def parse_price_table(obj: Any, where: str = "prices") -> dict[str, Price]:
    """Prices from a mapping ``model -> {input, output}`` (or ``[input, output]``)."""
    if not isinstance(obj, Mapping):
        raise ValueError(f"{where}: expected a table mapping model names to prices")
    return {str(k): _price_from(v, f"{where}.{k}") for k, v in obj.items()}


def load_price_table(path: str | Path) -> dict[str, Price]:
    """Read a price file: TOML (``.toml``) or JSON, either the table itself or under a ``prices`` key."""
    p = Path(path).expanduser()
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ValueError(f"cannot read price file {p}: {e.strerror or e}") from None
    try:
        if p.suffix.lower() == ".toml":
            import tomllib

            obj: Any = tomllib.loads(text)
        else:
            obj = json.loads(text)
    except ValueError as e:
        kind = "TOML" if p.suffix.lower() == ".toml" else "JSON"
        raise ValueError(f"price file {p} is not valid {kind}: {e}") from None
    if isinstance(obj, Mapping) and isinstance(obj.get("prices"), Mapping):
        obj = obj["prices"]
    return parse_price_table(obj, str(p))


# ----------------------------------------------------------------------------------------------------------
# Config
# ----------------------------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """``$VIBEGRADE_CACHE_DIR`` or ``$XDG_CACHE_HOME/vibegrade/teacher`` (``~/.cache/vibegrade/teacher``)."""
    env = os.environ.get("VIBEGRADE_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    return cache_dir() / "teacher"


@dataclass
class ClientConfig:
    """Everything the client needs. See :func:`vibegrade.llm.config.resolve_config` for flags/env/file.

    Attributes:
        model: the model name sent to the endpoint.
        base_url: the endpoint's base URL (``None``: OpenAI's).
        api_key: the API key (local servers accept any; ``None`` is sent as ``"EMPTY"`` when a base URL
            is set).
        temperature, max_tokens, top_p: sampling parameters (teacher defaults: 0, 1500, 1).
        timeout: seconds per HTTP attempt.
        max_retries: retries after the first attempt on retryable errors.
        backoff_base, backoff_max: exponential backoff ``base * 2**attempt`` with full jitter, capped.
        concurrency: HTTP requests in flight at most.
        cache_dir: the response cache folder; ``None`` disables caching.
        prices: model -> :class:`Price`.
    """

    model: str
    base_url: str | None = None
    api_key: str | None = None
    temperature: float = 0.0
    max_tokens: int = 1500
    top_p: float = 1.0
    timeout: float = 120.0
    max_retries: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    concurrency: int = 12
    cache_dir: Path | None = field(default_factory=default_cache_dir)
    prices: dict[str, Price] = field(default_factory=lambda: dict(DEFAULT_PRICES))

    @property
    def price(self) -> Price | None:
        return lookup_price(self.model, self.prices)

    def describe(self) -> dict[str, Any]:
        """The config without the API key (for logs)."""
        d = asdict(self)
        d["api_key"] = "***" if self.api_key else None
        d["cache_dir"] = str(self.cache_dir) if self.cache_dir else None
        d["prices"] = None
        d["price"] = asdict(self.price) if self.price else None
        return d


# ----------------------------------------------------------------------------------------------------------
# Accounting
# ----------------------------------------------------------------------------------------------------------


@dataclass
class CallUsage:
    """What one logical call used. ``cost_usd`` is what was spent now (0 for a cache hit)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    attempts: int = 0
    cached: bool = False


@dataclass
class UsageTotals:
    """Running totals over all calls of a client."""

    calls: int = 0
    cached_calls: int = 0
    http_requests: int = 0
    retries: int = 0
    failed_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0

    def add(self, u: CallUsage) -> None:
        self.calls += 1
        self.cached_calls += int(u.cached)
        self.http_requests += u.attempts
        self.retries += max(0, u.attempts - 1)
        self.prompt_tokens += u.prompt_tokens
        self.completion_tokens += u.completion_tokens
        self.cost_usd += u.cost_usd
        self.latency_ms += u.latency_ms


@dataclass
class Completion:
    """One chat completion: the text and what it cost."""

    content: str
    finish_reason: str | None
    model: str
    usage: CallUsage


# ----------------------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------------------


class TeacherError(Exception):
    """Base class; ``str(e)`` is one line fit for the terminal."""


class RequestFailed(TeacherError):
    """A call failed after all retries, or the endpoint rejected this particular request."""


class FatalError(TeacherError):
    """An error no retry will fix: bad credentials, unknown model or URL, unreachable endpoint."""


# ----------------------------------------------------------------------------------------------------------
# Cache
# ----------------------------------------------------------------------------------------------------------


class ResponseCache:
    """One JSON file per request under ``root/<key[:2]>/<key>.json``; writes are atomic (temp + rename)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser()

    @staticmethod
    def key(model: str, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any]) -> str:
        payload = json.dumps({"model": model, "messages": list(messages), "params": dict(params)},
                             sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and isinstance(data.get("content"), str) else None

    def put(self, key: str, data: Mapping[str, Any]) -> None:
        p = self.path(key)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=p.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(dict(data), f, ensure_ascii=False)
            os.replace(tmp, p)
        except OSError:
            pass  # a cache that cannot be written only costs money, it never breaks a run


# ----------------------------------------------------------------------------------------------------------
# Client
# ----------------------------------------------------------------------------------------------------------

#: Retries on connection errors before the endpoint ever answered (a wrong URL should fail fast).
_FIRST_CONTACT_RETRIES = 2
#: A ``Retry-After`` longer than this (seconds) is not waited out in full.
_MAX_RETRY_AFTER = 300.0
_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529}


def _retry_after(exc: Exception) -> float | None:
    resp = getattr(exc, "response", None)
    headers = getattr(resp, "headers", None)
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000.0)
        ra = headers.get("retry-after")
        if ra is None:
            return None
        try:
            return max(0.0, float(ra))
        except ValueError:
            dt = email.utils.parsedate_to_datetime(ra)
            return max(0.0, dt.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


def _status_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    msg = None
    if isinstance(body, Mapping):
        err = body.get("error", body)
        msg = err.get("message") if isinstance(err, Mapping) else None
    msg = msg or getattr(exc, "message", None) or str(exc)
    return " ".join(str(msg).split())[:300]


class TeacherClient:
    """Concurrent, retrying, caching chat-completions client (use ``async with`` or call :meth:`aclose`)."""

    def __init__(self, config: ClientConfig, *, use_cache: bool = True) -> None:
        from vibegrade.extras import require

        openai = require("openai", "teacher", "the teacher client")
        self.config = config
        self._openai_mod = openai
        api_key = config.api_key or ("EMPTY" if config.base_url else None)
        if not api_key:
            raise FatalError("no API key: pass --api-key or set VIBEGRADE_TEACHER_API_KEY / OPENAI_API_KEY "
                             "(local servers accept any value when --base-url is given)")
        self._client = openai.AsyncOpenAI(base_url=config.base_url, api_key=api_key, timeout=config.timeout,
                                          max_retries=0)
        self._sem = asyncio.Semaphore(max(1, int(config.concurrency)))
        self.cache = ResponseCache(config.cache_dir) if (use_cache and config.cache_dir) else None
        self.totals = UsageTotals()
        self._reached = False
        self.price = config.price
        self.price_note = None if self.price else (
            f"no price known for model {config.model!r}: costs are reported as 0 (add it to the price table)")

    async def __aenter__(self) -> TeacherClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.close()

    @property
    def params(self) -> dict[str, Any]:
        c = self.config
        return {"temperature": c.temperature, "max_tokens": c.max_tokens, "top_p": c.top_p}

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return self.price.cost(prompt_tokens, completion_tokens) if self.price else 0.0

    def _backoff(self, attempt: int, exc: Exception) -> float:
        cap = self.config.backoff_max
        ra = _retry_after(exc)
        jittered = random.uniform(0.5, 1.0) * min(cap, self.config.backoff_base * (2 ** attempt))
        if ra is not None and ra > 0:
            return min(_MAX_RETRY_AFTER, ra)  # the server knows best; backoff_max does not cut it short
        return jittered

    def _classify(self, exc: Exception) -> tuple[bool, bool, str]:
        """``(retryable, fatal, one-line message)`` for an exception from the openai call."""
        o = self._openai_mod
        where = self.config.base_url or "api.openai.com"
        if isinstance(exc, o.APITimeoutError):
            return True, False, f"request timed out after {self.config.timeout:g} s"
        if isinstance(exc, o.APIConnectionError):
            return True, True, (f"lost the connection to {where}" if self._reached
                                else f"cannot reach {where}")
        if isinstance(exc, o.APIStatusError):
            code = exc.status_code
            msg = _status_message(exc)
            if code in (401, 403):
                return False, True, f"authentication failed ({code}) at {where}: {msg}"
            if code == 404:
                return False, True, f"not found (404) at {where}: {msg} (check --base-url and --model)"
            if code in _RETRY_STATUS or code >= 500:
                return True, False, f"HTTP {code}: {msg}"
            return False, False, f"HTTP {code}: {msg}"
        if isinstance(exc, (ValueError, o.APIResponseValidationError, TypeError, KeyError, IndexError,
                            AttributeError)):
            return True, False, f"malformed response from {where}: {' '.join(str(exc).split())[:200]}"
        if isinstance(exc, o.OpenAIError):
            return False, True, " ".join(str(exc).split())[:300]
        return False, False, f"{type(exc).__name__}: {exc}"

    async def complete(self, messages: Sequence[Mapping[str, Any]]) -> Completion:
        """One chat completion for ``messages`` (from the cache when possible).

        Raises:
            RequestFailed: the call still failed after all retries or was rejected (HTTP 400 ...).
            FatalError: credentials, model or URL are wrong, or the endpoint stays unreachable.
        """
        cfg = self.config
        msgs = [dict(m) for m in messages]
        params = self.params
        t0 = time.perf_counter()
        key = ResponseCache.key(cfg.model, msgs, params) if self.cache else None
        if self.cache and key:
            hit = self.cache.get(key)
            if hit is not None:
                u = hit.get("usage") or {}
                usage = CallUsage(prompt_tokens=int(u.get("prompt_tokens") or 0),
                                  completion_tokens=int(u.get("completion_tokens") or 0), cost_usd=0.0,
                                  latency_ms=(time.perf_counter() - t0) * 1000, attempts=0, cached=True)
                self.totals.add(usage)
                model = str(hit.get("model") or cfg.model)
                return Completion(hit["content"], hit.get("finish_reason"), model, usage)
        attempts = 0
        while True:
            attempts += 1
            try:
                async with self._sem:
                    resp = await self._client.chat.completions.create(
                        model=cfg.model, messages=msgs,
                        temperature=cfg.temperature, max_tokens=cfg.max_tokens, top_p=cfg.top_p)
                choice = resp.choices[0]
                content = choice.message.content or ""
                if not isinstance(content, str):
                    raise TypeError("message content is not text")
                finish = choice.finish_reason
                usage_obj = getattr(resp, "usage", None)
                pt = int(getattr(usage_obj, "prompt_tokens", 0) or 0)
                ct = int(getattr(usage_obj, "completion_tokens", 0) or 0)
                model = str(getattr(resp, "model", None) or cfg.model)
                self._reached = True
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 -- every failure is classified below
                retryable, fatal, msg = self._classify(exc)
                limit = cfg.max_retries
                if fatal and retryable and not self._reached:
                    # never reached the endpoint yet: most likely a wrong URL, so do not wait long
                    limit = min(limit, _FIRST_CONTACT_RETRIES)
                if retryable and attempts <= limit:
                    await asyncio.sleep(self._backoff(attempts - 1, exc))
                    continue
                self.totals.failed_calls += 1
                self.totals.http_requests += attempts
                self.totals.retries += attempts - 1
                suffix = f" (after {attempts} attempts)" if attempts > 1 else ""
                if fatal:
                    raise FatalError(msg + suffix) from None
                raise RequestFailed(msg + suffix) from None
        usage = CallUsage(prompt_tokens=pt, completion_tokens=ct, cost_usd=self.cost(pt, ct),
                          latency_ms=(time.perf_counter() - t0) * 1000, attempts=attempts, cached=False)
        self.totals.add(usage)
        if self.cache and key:
            self.cache.put(key, {"model": model, "content": content, "finish_reason": finish,
                                 "usage": {"prompt_tokens": pt, "completion_tokens": ct},
                                 "request": {"model": cfg.model, "params": params},
                                 "created": int(time.time())})
        return Completion(content, finish, model, usage)
