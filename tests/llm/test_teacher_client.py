"""The chat-completions client over real HTTP against the replay server."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.replay import ReplayServer, estimate_tokens
from vibegrade.llm.client import (
    DEFAULT_PRICES,
    FatalError,
    Price,
    RequestFailed,
    ResponseCache,
    TeacherClient,
    lookup_price,
)
from vibegrade.llm.prompts import teacher_messages

from .helpers import PRICES, TEST_PRESETS, fast_config

MSGS = teacher_messages("adjust", "golden hour", TEST_PRESETS)


async def _complete(cfg: Any, messages: Any = MSGS, n: int = 1, **kw: Any) -> tuple[list[Any], TeacherClient]:
    async with TeacherClient(cfg, **kw) as client:
        out = await asyncio.gather(*(client.complete(messages) for _ in range(n)))
    return list(out), client


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_plain_call_sends_teacher_parameters(server: ReplayServer, tmp_path: Path) -> None:
    (comp,), _ = run(_complete(fast_config(server.base_url, tmp_path)))
    assert comp.content.startswith("ADJUST: Golden hour")
    assert comp.finish_reason == "stop"
    assert comp.usage.prompt_tokens == 1084 and comp.usage.completion_tokens == 112
    assert comp.usage.attempts == 1 and not comp.usage.cached and comp.usage.latency_ms > 0
    (call,) = server.calls
    assert call.params == {"temperature": 0.0, "max_tokens": 1500, "top_p": 1.0}
    assert (call.tool, call.intent, call.model) == ("adjust", "golden hour", "test-model")


def test_retries_on_429_and_500_then_succeeds(make_server: Callable[..., ReplayServer],
                                              tmp_path: Path) -> None:
    srv = make_server(faults=["429", "500", "503"])
    (comp,), client = run(_complete(fast_config(srv.base_url, tmp_path)))
    assert comp.content.startswith("ADJUST:")
    assert [c.status for c in srv.calls] == [429, 500, 503, 200]
    assert comp.usage.attempts == 4
    assert client.totals.retries == 3 and client.totals.http_requests == 4


def test_retry_after_is_honoured(make_server: Callable[..., ReplayServer], tmp_path: Path) -> None:
    srv = make_server(faults=["429"], retry_after="0.4")
    t0 = time.monotonic()
    run(_complete(fast_config(srv.base_url, tmp_path, backoff_base=0.001)))
    assert time.monotonic() - t0 >= 0.4
    assert srv.calls[1].start - srv.calls[0].end >= 0.35


def test_slow_answer_times_out_and_is_retried(make_server: Callable[..., ReplayServer],
                                              tmp_path: Path) -> None:
    srv = make_server(faults=["slow"], slow_delay=3.0)
    t0 = time.monotonic()
    (comp,), _ = run(_complete(fast_config(srv.base_url, tmp_path, timeout=0.4)))
    assert time.monotonic() - t0 < 2.5  # did not wait for the slow answer
    assert comp.usage.attempts == 2 and comp.content.startswith("ADJUST:")
    assert [c.fault for c in srv.calls] == ["slow", None]


def test_malformed_body_and_dropped_connection_are_retried(make_server: Callable[..., ReplayServer],
                                                           tmp_path: Path) -> None:
    srv = make_server(faults=["malformed", "drop"])
    (comp,), _ = run(_complete(fast_config(srv.base_url, tmp_path)))
    assert comp.usage.attempts == 3
    assert comp.content.startswith("ADJUST:")


def test_gives_up_after_max_retries(make_server: Callable[..., ReplayServer], tmp_path: Path) -> None:
    srv = make_server(faults=["500"] * 10)
    with pytest.raises(RequestFailed, match=r"HTTP 500.*after 3 attempts"):
        run(_complete(fast_config(srv.base_url, tmp_path, max_retries=2)))
    assert srv.http_calls == 3


def test_bad_api_key_is_fatal_without_retries(make_server: Callable[..., ReplayServer],
                                              tmp_path: Path) -> None:
    srv = make_server(api_key="sk-right")
    with pytest.raises(FatalError, match="authentication failed"):
        run(_complete(fast_config(srv.base_url, tmp_path, api_key="sk-wrong")))
    assert srv.http_calls == 1


def test_unknown_model_is_fatal(make_server: Callable[..., ReplayServer], tmp_path: Path) -> None:
    srv = make_server(model="the-teacher")
    with pytest.raises(FatalError, match="404"):
        run(_complete(fast_config(srv.base_url, tmp_path, model="nope")))


def test_unreachable_endpoint_is_fatal_and_fails_fast(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = TeacherClient(fast_config(f"http://127.0.0.1:{port}/v1", tmp_path, max_retries=5))
    with pytest.raises(FatalError, match="cannot reach"):
        run(client.complete(MSGS))
    assert client.totals.http_requests == 3  # first contact: only two retries


def test_connection_lost_after_first_contact_gets_all_retries(make_server: Callable[..., ReplayServer],
                                                               tmp_path: Path) -> None:
    srv = make_server()

    async def go() -> Any:
        async with TeacherClient(fast_config(srv.base_url, tmp_path, max_retries=4,
                                             cache_dir=None)) as client:
            await client.complete(MSGS)
            srv.add_faults("drop", "drop", "drop", "drop")
            return await client.complete(MSGS)

    comp = run(go())
    assert comp.usage.attempts == 5


def test_no_api_key_without_base_url_is_fatal(tmp_path: Path) -> None:
    with pytest.raises(FatalError, match="no API key"):
        TeacherClient(fast_config(None, tmp_path, api_key=None))  # type: ignore[arg-type]


def test_cache_second_run_is_free(server: ReplayServer, tmp_path: Path) -> None:
    cfg = fast_config(server.base_url, tmp_path, model="gpt-4o")
    (first,), _c1 = run(_complete(cfg))
    assert server.http_calls == 1 and first.usage.cost_usd > 0
    (second,), c2 = run(_complete(cfg))
    assert server.http_calls == 1  # no HTTP at all
    assert second.content == first.content and second.usage.cached
    assert second.usage.cost_usd == 0 and c2.totals.cost_usd == 0 and c2.totals.cached_calls == 1
    assert second.usage.prompt_tokens == first.usage.prompt_tokens
    # the key covers model, messages and sampling parameters
    run(_complete(fast_config(server.base_url, tmp_path, model="gpt-4o", temperature=0.5)))
    run(_complete(cfg, teacher_messages("adjust", "golden hour!", TEST_PRESETS)))
    assert server.http_calls == 3
    # --no-cache
    run(_complete(cfg, use_cache=False))
    assert server.http_calls == 4


def test_cache_files_and_corruption(server: ReplayServer, tmp_path: Path) -> None:
    cfg = fast_config(server.base_url, tmp_path)
    run(_complete(cfg))
    files = list((tmp_path / "cache").rglob("*.json"))
    assert len(files) == 1
    key = ResponseCache.key(cfg.model, MSGS, {"temperature": 0.0, "max_tokens": 1500, "top_p": 1.0})
    assert files[0].name == f"{key}.json"
    files[0].write_text("{broken")
    run(_complete(cfg))  # a corrupt entry is a miss, and is rewritten
    assert server.http_calls == 2
    run(_complete(cfg))
    assert server.http_calls == 2


def test_cost_accounting_matches_tokens_times_prices(server: ReplayServer, tmp_path: Path) -> None:
    cfg = fast_config(server.base_url, tmp_path, model="test-model", cache_dir=None)
    msgs = [teacher_messages(t, i, TEST_PRESETS) for t in ("adjust", "filter")
            for i in ("golden hour", "x-ray")]

    async def go() -> tuple[list[Any], TeacherClient]:
        async with TeacherClient(cfg) as client:
            return list(await asyncio.gather(*(client.complete(m) for m in msgs))), client

    comps, client = run(go())
    price = PRICES["test-model"]
    for c in comps:
        expected = (c.usage.prompt_tokens * price.input + c.usage.completion_tokens * price.output) / 1e6
        assert c.usage.cost_usd == pytest.approx(expected)
    t = client.totals
    assert t.calls == 4 and t.http_requests == 4
    assert t.prompt_tokens == sum(c.usage.prompt_tokens for c in comps)
    assert t.completion_tokens == sum(c.usage.completion_tokens for c in comps)
    assert t.cost_usd == pytest.approx((t.prompt_tokens * 1.0 + t.completion_tokens * 4.0) / 1e6)
    # recorded token counts where given, the server's estimate otherwise
    xray = next(c for c, m in zip(comps, msgs) if "x-ray" in m[1]["content"]
                and "## Tool: adjust" in m[0]["content"])
    assert xray.usage.completion_tokens == estimate_tokens(xray.content)


def test_unknown_model_costs_nothing_with_a_note(server: ReplayServer, tmp_path: Path) -> None:
    (comp,), client = run(_complete(fast_config(server.base_url, tmp_path, model="llama3.1:70b")))
    assert comp.usage.cost_usd == 0 and comp.usage.prompt_tokens > 0
    assert client.price_note and "llama3.1:70b" in client.price_note


def test_price_lookup() -> None:
    assert lookup_price("gpt-4o-2024-08-06", DEFAULT_PRICES) == DEFAULT_PRICES["gpt-4o"]
    assert lookup_price("gpt-4o-mini-2024-07-18", DEFAULT_PRICES) == DEFAULT_PRICES["gpt-4o-mini"]
    assert lookup_price("mistral", DEFAULT_PRICES) is None
    assert Price(2.0, 8.0).cost(1_000_000, 500_000) == pytest.approx(6.0)


def test_concurrency_limit(make_server: Callable[..., ReplayServer], tmp_path: Path) -> None:
    srv = make_server(delay=0.15)
    msgs = [teacher_messages("adjust", f"look {i}", TEST_PRESETS) for i in range(6)]

    async def go() -> None:
        async with TeacherClient(fast_config(srv.base_url, tmp_path, concurrency=2)) as client:
            await asyncio.gather(*(client.complete(m) for m in msgs))

    run(go())
    assert srv.http_calls == 6 and srv.max_concurrent == 2
