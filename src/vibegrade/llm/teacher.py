"""Labeling with the teacher: one request -> three concurrent tool calls -> one dataset row.

A row (one JSON object per line of the output JSONL)::

    {"intent": "golden hour", "category": "time",
     "rationale": {"adjust": "...", "selective_adjust": "...", "filter": "..."},
     "adjust": {...14 keys...} | {}, "selective_adjust": {...6 colours...} | {},
     "filter": {"name": "none", "intensity": 0},
     "flags": ["clamped:adjust.contrast"],
     "usage": {"prompt_tokens": 3300, "completion_tokens": 310, "cost_usd": 0.011, "cached_calls": 0},
     "latency_ms": 2140, "model": "gpt-4o"}

``category`` appears only when the intents file gives one (``request<TAB>category``).

:func:`label_batch` appends rows to a JSONL file, one complete line per labeled request written with a
single ``write`` on an ``O_APPEND`` descriptor, so an interrupted run leaves a valid file; running it
again skips the requests already there (case- and whitespace-insensitive) and repairs a half-written
last line if the process was killed mid-write.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vibegrade.data.rows import normalize_intent
from vibegrade.llm.client import FatalError, RequestFailed, TeacherClient, UsageTotals
from vibegrade.llm.parse import ToolResult, combine, parse_answer
from vibegrade.llm.prompts import MAX_INTENT_CHARS, installed_presets, teacher_messages
from vibegrade.schema import TOOL_NAMES, ToolChain

__all__ = [
    "BadLine",
    "BatchReport",
    "IntentFile",
    "IntentLine",
    "Labeled",
    "OutputState",
    "label_batch",
    "label_request",
    "normalize_intent",
    "read_intents",
    "scan_output",
]


@dataclass
class Labeled:
    """The teacher's answer for one request."""

    intent: str
    chain: ToolChain
    rationale: dict[str, str]
    flags: list[str]
    usage: dict[str, Any]
    latency_ms: int
    model: str
    category: str | None = None
    results: dict[str, ToolResult] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)

    def to_row(self) -> dict[str, Any]:
        """The dataset row (see module docs)."""
        row: dict[str, Any] = {"intent": self.intent}
        if self.category:
            row["category"] = self.category
        row["rationale"] = dict(self.rationale)
        row.update(self.chain.to_wire())
        row["flags"] = list(self.flags)
        row["usage"] = dict(self.usage)
        row["latency_ms"] = self.latency_ms
        row["model"] = self.model
        return row


def _unwrap_group(eg: BaseExceptionGroup) -> BaseException:
    """The most important error of a task group: a fatal one first, else the first."""
    flat: list[BaseException] = []

    def walk(e: BaseException) -> None:
        if isinstance(e, BaseExceptionGroup):
            for x in e.exceptions:
                walk(x)
        else:
            flat.append(e)

    walk(eg)
    for e in flat:
        if isinstance(e, FatalError):
            return e
    return flat[0] if flat else eg


async def label_request(client: TeacherClient, intent: str, *, category: str | None = None,
                        presets: Sequence[str] | None = None,
                        descriptions: Mapping[str, str] | None = None) -> Labeled:
    """Ask the teacher about all three tools for ``intent`` (concurrently) and parse the answers.

    Raises:
        RequestFailed: a tool call failed after all retries.
        FatalError: credentials, model or endpoint are wrong.
    """
    names = list(installed_presets() if presets is None else presets)
    t0 = time.perf_counter()
    try:
        async with asyncio.TaskGroup() as tg:
            tasks = {t: tg.create_task(client.complete(teacher_messages(t, intent, names, descriptions)))
                     for t in TOOL_NAMES}
    except BaseExceptionGroup as eg:
        raise _unwrap_group(eg) from None
    latency = round((time.perf_counter() - t0) * 1000)
    results: dict[str, ToolResult] = {}
    raw: dict[str, str] = {}
    pt = ct = cached = 0
    cost = 0.0
    for t in TOOL_NAMES:
        comp = tasks[t].result()
        raw[t] = comp.content
        r = parse_answer(t, comp.content, names)
        if comp.finish_reason == "length":
            r.flags.insert(0, f"truncated:{t}")
        results[t] = r
        pt += comp.usage.prompt_tokens
        ct += comp.usage.completion_tokens
        cost += comp.usage.cost_usd
        cached += int(comp.usage.cached)
    chain, rationale, flags = combine(results.values())
    usage = {"prompt_tokens": pt, "completion_tokens": ct, "cost_usd": round(cost, 8), "cached_calls": cached}
    return Labeled(intent=intent, chain=chain, rationale=rationale, flags=flags, usage=usage,
                   latency_ms=latency, model=client.config.model, category=category, results=results, raw=raw)


# ----------------------------------------------------------------------------------------------------------
# Intents file
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntentLine:
    """A usable request of the intents file (``lineno`` is 1-based)."""

    lineno: int
    intent: str
    category: str | None = None


@dataclass(frozen=True)
class BadLine:
    """A line that was skipped, and why."""

    lineno: int
    reason: str
    text: str = ""


@dataclass
class IntentFile:
    items: list[IntentLine]
    bad: list[BadLine]
    duplicates: list[BadLine]


def read_intents(path: str | Path, max_chars: int = MAX_INTENT_CHARS) -> IntentFile:
    """Read an intents file: one request per line, optionally ``request<TAB>category``.

    Empty lines and requests longer than ``max_chars`` characters are returned in ``bad``; repeats of an
    earlier request (case/whitespace-insensitive) in ``duplicates``.

    Raises:
        ValueError: the file cannot be read or is not UTF-8 text (one-line message).
    """
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ValueError(f"intents file not found: {p}") from None
    except IsADirectoryError:
        raise ValueError(f"intents file is a directory: {p}") from None
    except OSError as e:
        raise ValueError(f"cannot read intents file {p}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise ValueError(f"intents file {p} is not UTF-8 text (byte {e.start})") from None
    items: list[IntentLine] = []
    bad: list[BadLine] = []
    dups: list[BadLine] = []
    first_seen: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        request, _, category = line.partition("\t")
        intent = " ".join(request.split())
        if not intent:
            bad.append(BadLine(n, "empty line"))
            continue
        if len(intent) > max_chars:
            bad.append(BadLine(n, f"longer than {max_chars} characters ({len(intent)})", intent[:60] + "..."))
            continue
        key = normalize_intent(intent)
        if key in first_seen:
            dups.append(BadLine(n, f"repeats line {first_seen[key]}", intent))
            continue
        first_seen[key] = n
        items.append(IntentLine(n, intent, " ".join(category.split()) or None))
    return IntentFile(items, bad, dups)


# ----------------------------------------------------------------------------------------------------------
# Output file / resume
# ----------------------------------------------------------------------------------------------------------


@dataclass
class OutputState:
    """What an existing output file already holds."""

    done: set[str] = field(default_factory=set)
    rows: int = 0
    invalid_lines: list[int] = field(default_factory=list)
    repaired_tail: bool = False


def _row_intent(line: bytes) -> str | None:
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if isinstance(obj, dict) and isinstance(obj.get("intent"), str):
        return obj["intent"]
    return None


def scan_output(path: str | Path, repair: bool = True) -> OutputState:
    """Read the intents already labeled in ``path`` (missing file: nothing done).

    With ``repair``, a half-written last line (no final newline and not valid JSON, left by a killed
    process) is cut off, and a valid last line without a newline gets one.
    """
    p = Path(path)
    st = OutputState()
    if not p.exists():
        return st
    if p.is_dir():
        raise ValueError(f"output path is a directory: {p}")
    data = p.read_bytes()
    if data and not data.endswith(b"\n") and repair:
        cut = data.rfind(b"\n") + 1
        tail = data[cut:]
        with open(p, "r+b") as f:
            if _row_intent(tail) is not None:
                f.seek(0, os.SEEK_END)
                f.write(b"\n")
                data += b"\n"
            else:
                f.truncate(cut)
                data = data[:cut]
            st.repaired_tail = True
    for n, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        intent = _row_intent(line)
        if intent is None:
            st.invalid_lines.append(n)
            continue
        st.rows += 1
        st.done.add(normalize_intent(intent))
    return st


@dataclass
class BatchReport:
    """The outcome of :func:`label_batch`."""

    written: int = 0
    skipped_done: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    totals: UsageTotals = field(default_factory=UsageTotals)
    output: OutputState = field(default_factory=OutputState)


def _append_line(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _as_items(intents: Iterable[str | IntentLine]) -> Iterator[IntentLine]:
    for n, it in enumerate(intents, 1):
        yield it if isinstance(it, IntentLine) else IntentLine(n, " ".join(str(it).split()))


async def label_batch(client: TeacherClient, intents: Iterable[str | IntentLine], out_path: str | Path, *,
                      concurrency: int = 4, presets: Sequence[str] | None = None,
                      descriptions: Mapping[str, str] | None = None, fsync: bool = False,
                      on_plan: Callable[[int, int], None] | None = None,
                      on_row: Callable[[dict[str, Any]], None] | None = None,
                      on_failure: Callable[[IntentLine, str], None] | None = None) -> BatchReport:
    """Label ``intents`` into the JSONL file ``out_path``, skipping requests it already holds.

    Up to ``concurrency`` requests are labeled at once (each is three concurrent calls). Rows are
    appended as requests finish (not in input order). A request whose calls still fail after all retries
    is reported in ``failed`` and not written, so the next run retries it.

    Callbacks: ``on_plan(todo, skipped)`` once before labeling, ``on_row(row)`` after each row is written,
    ``on_failure(item, message)`` for each failed request.

    Raises:
        FatalError: credentials, model or endpoint are wrong (already written rows stay valid).
    """
    out = Path(out_path)
    state = scan_output(out)
    report = BatchReport(output=state)
    seen = set(state.done)
    todo: list[IntentLine] = []
    for item in _as_items(intents):
        key = normalize_intent(item.intent)
        if not key:
            continue
        if key in seen:
            if key in state.done:
                report.skipped_done += 1
            continue
        seen.add(key)
        todo.append(item)
    if on_plan:
        on_plan(len(todo), report.skipped_done)
    names = list(installed_presets() if presets is None else presets)
    if not todo:
        report.totals = client.totals
        return report
    if out.parent and not out.parent.exists():
        raise ValueError(f"output folder does not exist: {out.parent}")
    queue = iter(todo)
    fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    async def worker() -> None:
        for item in queue:
            try:
                lab = await label_request(client, item.intent, category=item.category, presets=names,
                                          descriptions=descriptions)
            except RequestFailed as e:
                report.failed.append((item.intent, str(e)))
                if on_failure:
                    on_failure(item, str(e))
                continue
            row = lab.to_row()
            _append_line(fd, (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
            if fsync:
                os.fsync(fd)
            report.written += 1
            if on_row:
                on_row(row)

    try:
        async with asyncio.TaskGroup() as tg:
            for _ in range(max(1, min(int(concurrency), len(todo)))):
                tg.create_task(worker())
    except BaseExceptionGroup as eg:
        raise _unwrap_group(eg) from None
    finally:
        os.close(fd)
        report.totals = client.totals
    return report
