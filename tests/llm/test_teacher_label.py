"""Labeling requests through the Python API: rows, concurrency, batch, resume."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.replay import RecordedAnswer, ReplayServer
from vibegrade.llm.client import FatalError, TeacherClient
from vibegrade.llm.teacher import (
    IntentLine,
    label_batch,
    label_request,
    normalize_intent,
    read_intents,
    scan_output,
)
from vibegrade.schema import TOOL_NAMES

from .helpers import PRICES, RECORDED_INTENTS, TEST_PRESETS, check_row, fast_config, read_rows


async def _label(cfg: Any, intent: str, **kw: Any) -> Any:
    async with TeacherClient(cfg) as client:
        return await label_request(client, intent, presets=TEST_PRESETS, **kw)


def test_label_one_request(server: ReplayServer, tmp_path: Path) -> None:
    lab = asyncio.run(_label(fast_config(server.base_url, tmp_path, model="gpt-4o"), "Morocco",
                             category="place"))
    row = lab.to_row()
    check_row(row)
    assert row["intent"] == "Morocco" and row["category"] == "place" and row["model"] == "gpt-4o"
    assert row["filter"] == {"name": "faded_Terra", "intensity": 45}
    assert row["adjust"]["temperature"] == 28
    assert row["rationale"]["selective_adjust"].startswith("Terracotta walls")
    assert "lenient_json:adjust" in row["flags"] and "coerced:filter.intensity" in row["flags"]
    assert sorted(c.tool for c in server.calls) == sorted(TOOL_NAMES)
    assert set(lab.results) == set(TOOL_NAMES) and set(lab.raw) == set(TOOL_NAMES)
    price = PRICES["gpt-4o"]
    u = row["usage"]
    assert u["cost_usd"] == pytest.approx((u["prompt_tokens"] * price.input + u["completion_tokens"]
                                           * price.output)
                                          / 1e6)


def test_every_flag_is_kept_with_the_row(server: ReplayServer, tmp_path: Path) -> None:
    cfg = fast_config(server.base_url, tmp_path)
    row = asyncio.run(_label(cfg, "the matrix")).to_row()
    assert "unknown_preset:filter.name" in row["flags"]
    assert "coerced:selective_adjust.green.saturation" in row["flags"]
    assert row["filter"] == {"name": "none", "intensity": 0}
    row = asyncio.run(_label(cfg, "sunset beach")).to_row()
    assert row["flags"][:2] == ["truncated:adjust", "lenient_json:adjust"]
    check_row(row)


def test_three_tool_calls_overlap(make_server: Callable[..., ReplayServer], tmp_path: Path) -> None:
    srv = make_server(delay=0.3)
    lab = asyncio.run(_label(fast_config(srv.base_url, tmp_path), "golden hour"))
    assert srv.max_concurrent == 3
    calls = srv.calls
    assert max(c.start for c in calls) < min(c.end for c in calls)  # all three in flight together
    assert lab.latency_ms < 900  # three 0.3 s answers in sequence would take at least 0.9 s


def test_recorded_faults_and_delays_are_replayed(server: ReplayServer, tmp_path: Path) -> None:
    row = asyncio.run(_label(fast_config(server.base_url, tmp_path), "film noir")).to_row()
    check_row(row)
    assert row["adjust"]["saturation"] == -100 and row["selective_adjust"] == {}
    assert row["flags"] == []
    by_tool = {t: [(c.status, c.fault) for c in server.calls if c.tool == t] for t in TOOL_NAMES}
    assert by_tool["adjust"] == [(429, "429"), (503, "503"), (200, None)]
    assert by_tool["filter"] == [(200, "malformed"), (200, None)]
    slow = next(c for c in server.calls if c.tool == "selective_adjust")
    assert slow.end - slow.start >= 0.3


def test_failed_call_fails_the_request(make_server: Callable[..., ReplayServer], tmp_path: Path) -> None:
    from vibegrade.llm.client import RequestFailed

    answers = [RecordedAnswer("bad", "filter", "FILTER: x\nJSON: {}", faults=["500"] * 5)]
    srv = make_server(answers=answers)
    with pytest.raises(RequestFailed):
        asyncio.run(_label(fast_config(srv.base_url, tmp_path, max_retries=1), "bad"))


async def _batch(cfg: Any, intents: Any, out: Path, **kw: Any) -> Any:
    async with TeacherClient(cfg) as client:
        return await label_batch(client, intents, out, presets=TEST_PRESETS, **kw)


def test_batch_labels_and_resumes(server: ReplayServer, tmp_path: Path) -> None:
    out = tmp_path / "rows.jsonl"
    cfg = fast_config(server.base_url, tmp_path, cache_dir=None)
    rep = asyncio.run(_batch(cfg, RECORDED_INTENTS[:3], out, concurrency=2))
    assert rep.written == 3 and rep.skipped_done == 0 and not rep.failed
    assert server.http_calls == 9
    # a second run with more requests (and different spelling) only labels the new ones
    more = ["GOLDEN  hour", *RECORDED_INTENTS]
    rep = asyncio.run(_batch(cfg, more, out, concurrency=3))
    assert rep.written == len(RECORDED_INTENTS) - 3 and rep.skipped_done == 4  # incl. "GOLDEN  hour"
    rows = read_rows(out)
    assert sorted(normalize_intent(r["intent"]) for r in rows) == sorted(normalize_intent(i)
                                                                         for i in RECORDED_INTENTS)
    for r in rows:
        check_row(r)
    assert server.http_calls == 3 * len(RECORDED_INTENTS)


def test_interrupted_batch_resumes_without_duplicates(make_server: Callable[..., ReplayServer],
                                                      tmp_path: Path) -> None:
    srv = make_server(delay=0.05)
    out = tmp_path / "rows.jsonl"
    intents = [f"look number {i}" for i in range(20)]
    cfg = fast_config(srv.base_url, tmp_path)
    k = 5

    async def interrupted() -> int:
        done = asyncio.Event()
        count = 0

        def on_row(row: dict[str, Any]) -> None:
            nonlocal count
            count += 1
            if count >= k:
                done.set()

        async with TeacherClient(cfg) as client:
            task = asyncio.create_task(label_batch(client, intents, out, concurrency=3, presets=TEST_PRESETS,
                                                   on_row=on_row))
            await done.wait()
            task.cancel()  # what Ctrl-C does to the running batch
            with pytest.raises(asyncio.CancelledError):
                await task
        return count

    written = asyncio.run(interrupted())
    rows = read_rows(out)  # every line is complete JSON
    assert len(rows) == written >= k and len(rows) < len(intents)
    rep = asyncio.run(_batch(cfg, intents, out, concurrency=3))
    assert rep.skipped_done == len(rows) and rep.written == len(intents) - len(rows)
    rows = read_rows(out)
    assert sorted(r["intent"] for r in rows) == sorted(intents)  # each exactly once
    for r in rows:
        check_row(r)


def test_half_written_last_line_is_repaired(server: ReplayServer, tmp_path: Path) -> None:
    out = tmp_path / "rows.jsonl"
    cfg = fast_config(server.base_url, tmp_path)
    asyncio.run(_batch(cfg, ["golden hour", "winter"], out))
    good = out.read_bytes()
    out.write_bytes(good + b'{"intent": "x-ray", "rationale": {"adj')  # killed mid-write
    st = scan_output(out)
    assert st.repaired_tail and st.rows == 2 and out.read_bytes() == good
    # a complete last row without its newline is kept and terminated
    out.write_bytes(good.rstrip(b"\n"))
    st = scan_output(out)
    assert st.repaired_tail and st.rows == 2 and out.read_bytes() == good
    rep = asyncio.run(_batch(cfg, ["golden hour", "winter", "x-ray"], out))
    assert rep.written == 1 and len(read_rows(out)) == 3


def test_failed_requests_are_reported_not_written(make_server: Callable[..., ReplayServer],
                                                  tmp_path: Path) -> None:
    answers = [RecordedAnswer("flaky", "adjust", "ADJUST: x\nJSON: {}", faults=["503"] * 3)]
    srv = make_server(answers=answers)
    out = tmp_path / "rows.jsonl"
    cfg = fast_config(srv.base_url, tmp_path, max_retries=1)
    failures: list[str] = []
    rep = asyncio.run(_batch(cfg, ["flaky", "golden hour"], out, on_failure=lambda it,
                             m: failures.append(it.intent)))
    assert rep.written == 1 and [i for i, _ in rep.failed] == ["flaky"] == failures
    assert [r["intent"] for r in read_rows(out)] == ["golden hour"]
    rep = asyncio.run(_batch(cfg, ["flaky", "golden hour"], out))  # the server recovered: retried now
    assert rep.written == 1 and rep.skipped_done == 1 and not rep.failed


def test_fatal_error_stops_the_batch(make_server: Callable[..., ReplayServer], tmp_path: Path) -> None:
    srv = make_server(api_key="sk-right")
    out = tmp_path / "rows.jsonl"
    with pytest.raises(FatalError, match="authentication"):
        asyncio.run(_batch(fast_config(srv.base_url, tmp_path), ["a", "b", "c"], out))
    assert not out.exists() or out.read_text() == ""


def test_read_intents(tmp_path: Path) -> None:
    p = tmp_path / "intents.txt"
    long = "x" * 301
    p.write_text("\ufeffgolden hour\n\n   \nthe  matrix\tfilm\nGolden Hour\n" + long + "\n" + "y" * 300
                 + "\n", encoding="utf-8")
    f = read_intents(p)
    assert [(i.lineno, i.intent, i.category) for i in f.items] == [(1, "golden hour", None),
                                                                   (4, "the matrix", "film"),
                                                                   (7, "y" * 300, None)]
    assert [(b.lineno, b.reason.split()[0]) for b in f.bad] == [(2, "empty"), (3, "empty"), (6, "longer")]
    assert [(d.lineno, d.reason) for d in f.duplicates] == [(5, "repeats line 1")]
    with pytest.raises(ValueError, match="not found"):
        read_intents(tmp_path / "missing.txt")
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ValueError, match="UTF-8"):
        read_intents(tmp_path / "bin.txt")


def test_batch_accepts_intent_lines_with_categories(server: ReplayServer, tmp_path: Path) -> None:
    out = tmp_path / "rows.jsonl"
    items = [IntentLine(1, "x-ray", "style"), IntentLine(2, "golden hour")]
    asyncio.run(_batch(fast_config(server.base_url, tmp_path), items, out))
    rows = {r["intent"]: r for r in read_rows(out)}
    assert rows["x-ray"]["category"] == "style" and "category" not in rows["golden hour"]
    assert json.loads(out.read_text().splitlines()[0])  # plain JSON lines
