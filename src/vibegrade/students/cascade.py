"""Optional teacher cascade: requests the student is unsure of go to the teacher, once.

:class:`CascadeStudent` wraps any student and keeps its contract (``predict(intents)`` returns one valid
:class:`~vibegrade.schema.ToolChain` per request, in order). For each request, in this order:

1. **memory** -- a request whose key (:func:`vibegrade.data.rows.normalize_intent`: case and spacing do
   not matter) is in the persisted memory gets the teacher answer stored there, at student speed and
   without contacting the teacher;
2. **routing** -- otherwise, when the student's confidence is below ``threshold`` (a student without a
   ``confidence`` method is always unsure), the request goes to the teacher
   (:func:`vibegrade.llm.teacher.label_request`; all routed requests of a batch at once, bounded by the
   client's own ``concurrency``). The parsed answer is returned and appended to the memory file;
3. **fallback** -- the student's own answer, for confident requests and for requests whose teacher call
   failed (HTTP or network error after the client's retries, or an answer without JSON for some tool).
   Failed answers are not stored, so the next identical request asks the teacher again.

The cascade is off unless a caller builds it with a teacher endpoint (a :class:`ClientConfig`, e.g. from
:func:`vibegrade.llm.config.resolve_config`); nothing here runs by default.

Memory file: JSON Lines, one teacher answer per line::

    {"intent": "Golden hour", "tools": {"adjust": {...}, "selective_adjust": {...}, "filter": {...}},
     "model": "gpt-4o", "time": 1733331200.123}

(``time``: seconds since the Unix epoch.) Lines are appended with one ``write`` on an ``O_APPEND``
descriptor, so several processes can share one file without a lock; a line that is not valid JSON or not
a valid answer (e.g. cut short by a killed process) is skipped when reading, and the next append starts on
a fresh line. When a key appears more than once the last line wins. Lines other processes append are
picked up at the start of every :meth:`CascadeStudent.predict` call (only the new bytes are read).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import math
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vibegrade.data.rows import normalize_intent
from vibegrade.llm.client import ClientConfig
from vibegrade.schema import ToolChain, parse_chain

__all__ = ["CascadeStats", "CascadeStudent", "MemoryEntry", "student_confidence", "unsure"]

log = logging.getLogger(__name__)

#: Parse flags that make a teacher answer a failure: some tool's answer held no JSON at all.
FAILURE_FLAG_PREFIXES = ("no_json:",)


def student_confidence(student: Any, intents: Sequence[str]) -> np.ndarray:
    """The student's confidence per request (float64, its own scale: cosine in [-1, 1] for the encoder
    student); ``-inf`` for every request when the student has no ``confidence`` method."""
    conf = getattr(student, "confidence", None)
    if not callable(conf):
        return np.full(len(intents), -np.inf)
    out = np.asarray(conf(list(intents)), dtype=np.float64).reshape(-1)
    if out.shape[0] != len(intents):
        raise ValueError(f"student.confidence returned {out.shape[0]} values for {len(intents)} requests")
    return out


def unsure(confidence: np.ndarray, threshold: float) -> np.ndarray:
    """The routing rule: ``True`` where a request goes to the teacher (confidence below ``threshold``;
    NaN counts as unsure)."""
    c = np.asarray(confidence, dtype=np.float64)
    return ~(c >= float(threshold))


@dataclass(frozen=True)
class MemoryEntry:
    """One stored teacher answer (``time``: seconds since the Unix epoch)."""

    intent: str
    chain: ToolChain
    model: str
    time: float

    def to_line(self) -> bytes:
        """The JSONL line (UTF-8, newline-terminated)."""
        obj = {"intent": self.intent, "tools": self.chain.to_wire(), "model": self.model, "time": self.time}
        return (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")

    @classmethod
    def from_line(cls, line: bytes) -> MemoryEntry | None:
        """Parse a line; ``None`` when it is not a valid entry."""
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict) or not isinstance(obj.get("intent"), str):
                return None
            if not normalize_intent(obj["intent"]):
                return None
            chain = parse_chain(obj["tools"])
            t = float(obj.get("time") or 0.0)
            return cls(obj["intent"], chain, str(obj.get("model") or ""), t if math.isfinite(t) else 0.0)
        except (ValueError, TypeError, KeyError):
            return None


@dataclass
class CascadeStats:
    """Counts since the cascade was built (requests, not HTTP calls).

    Attributes:
        requests: requests passed to :meth:`CascadeStudent.predict`.
        from_memory: requests answered from the memory.
        routed: requests sent to the teacher (a request repeated within one batch is sent once but
            counted each time), including the failed ones.
        teacher_failures: routed requests that got the student's answer because the teacher failed.
        corrupt_lines: memory lines skipped because they were not valid entries.
        store_errors: teacher answers that could not be appended to the memory file (kept in this
            process only).
    """

    requests: int = 0
    from_memory: int = 0
    routed: int = 0
    teacher_failures: int = 0
    corrupt_lines: int = 0
    store_errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class CascadeStudent:
    """A student that asks the teacher about the requests it is unsure of and remembers the answers.

    Args:
        student: any student (``predict``; ``confidence`` optional).
        client_config: the teacher endpoint (see :class:`vibegrade.llm.client.ClientConfig`).
        threshold: requests whose student confidence is below this go to the teacher (the encoder
            student's confidence is a cosine in [-1, 1]).
        memory_path: the JSONL memory file (created, with its folder, on the first stored answer).
        presets: filter presets the teacher may choose (default: the installed ones).
    """

    kind = "cascade"

    def __init__(self, student: Any, client_config: ClientConfig, threshold: float, memory_path: Path, *,
                 presets: Sequence[str] | None = None) -> None:
        if not math.isfinite(float(threshold)):
            raise ValueError(f"threshold must be a finite number, got {threshold!r}")
        from vibegrade.extras import require

        require("openai", "teacher", "the teacher cascade")
        if not (client_config.api_key or client_config.base_url):
            raise ValueError("the teacher cascade needs an API key or a base URL (a local server)")
        self.student = student
        self.client_config = client_config
        self.threshold = float(threshold)
        self.memory_path = Path(memory_path)
        self.presets = list(presets) if presets is not None else None
        self.stats = CascadeStats()
        self._memory: dict[str, MemoryEntry] = {}
        self._read_offset = 0  # bytes of the memory file already read (always at a line start)
        self._lock = threading.Lock()
        self._refresh_memory()

    @property
    def name(self) -> str:
        inner = getattr(self.student, "name", None) or getattr(self.student, "kind",
                                                               type(self.student).__name__)
        return f"cascade({inner} -> {self.client_config.model})"

    def __len__(self) -> int:
        """Distinct requests in the memory."""
        return len(self._memory)

    def lookup(self, intent: str) -> ToolChain | None:
        """The stored teacher answer for ``intent`` (case/space-insensitive), if any."""
        e = self._memory.get(normalize_intent(intent))
        return e.chain if e is not None else None

    # -- memory file --------------------------------------------------------------------------------------

    def _refresh_memory(self) -> None:
        """Read the complete lines appended since the last read (by any process)."""
        try:
            with open(self.memory_path, "rb") as f:
                if os.fstat(f.fileno()).st_size < self._read_offset:  # replaced or truncated: start over
                    self._memory.clear()
                    self._read_offset = 0
                f.seek(self._read_offset)
                data = f.read()
        except FileNotFoundError:
            return
        except OSError as e:
            log.warning("cannot read cascade memory %s: %s", self.memory_path, e)
            return
        end = data.rfind(b"\n") + 1  # a trailing line without newline is unfinished or corrupt: not yet
        for line in data[:end].splitlines():
            if not line.strip():
                continue
            entry = MemoryEntry.from_line(line)
            if entry is None:
                self.stats.corrupt_lines += 1
                continue
            self._memory[normalize_intent(entry.intent)] = entry
        self._read_offset += end

    def _append(self, entries: Sequence[MemoryEntry]) -> None:
        """Append entries, one ``write`` per line on an ``O_APPEND`` descriptor."""
        if not entries:
            return
        try:
            self.memory_path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.memory_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as e:
            log.warning("cannot open cascade memory %s: %s", self.memory_path, e)
            self.stats.store_errors += len(entries)
            return
        try:
            for entry in entries:
                data = entry.to_line()
                try:
                    size = os.fstat(fd).st_size
                    if size and os.pread(fd, 1, size - 1) != b"\n":
                        data = b"\n" + data  # the file ends in a cut-off line: do not glue onto it
                    _write_all(fd, data)
                except OSError as e:
                    log.warning("cannot write cascade memory %s: %s", self.memory_path, e)
                    self.stats.store_errors += 1
        finally:
            os.close(fd)

    # -- prediction ---------------------------------------------------------------------------------------

    def predict(self, intents: Sequence[str]) -> list[ToolChain]:
        """One valid tool chain per request, in order (memory, else teacher when unsure, else student)."""
        intents = [str(t) for t in intents]
        if not intents:
            return []
        with self._lock:
            self._refresh_memory()
            self.stats.requests += len(intents)
            out: list[ToolChain | None] = [None] * len(intents)
            rest: list[int] = []
            for i, t in enumerate(intents):
                hit = self.lookup(t)
                if hit is not None:
                    out[i] = hit
                    self.stats.from_memory += 1
                else:
                    rest.append(i)
            if not rest:
                return [c for c in out if c is not None]

            conf = student_confidence(self.student, [intents[i] for i in rest])
            mask = unsure(conf, self.threshold)
            routed = [i for i, m in zip(rest, mask) if m]
            self.stats.routed += len(routed)
            # one teacher call per distinct key of the batch, asked with its first spelling
            first: dict[str, str] = {}
            for i in routed:
                first.setdefault(normalize_intent(intents[i]), intents[i])
            answers = self._ask_teacher(list(first.values())) if first else {}
            self._append([answers[k] for k in first if k in answers])
            for k, entry in answers.items():
                self._memory[k] = entry

            fallback: list[int] = []
            for i, was_routed in zip(rest, mask):
                answered = answers.get(normalize_intent(intents[i]))
                if answered is not None:
                    out[i] = answered.chain
                else:
                    fallback.append(i)
                    self.stats.teacher_failures += int(was_routed)
            if fallback:
                own = self.student.predict([intents[i] for i in fallback])
                for i, chain in zip(fallback, own, strict=True):
                    out[i] = chain
        result = [c for c in out if c is not None]
        assert len(result) == len(intents)
        return result

    def _ask_teacher(self, intents: Sequence[str]) -> dict[str, MemoryEntry]:
        """The teacher's valid answers by request key (failed requests are missing)."""
        coro_fn = self._ask_all
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(coro_fn(intents))
        # called from inside an event loop (e.g. a server): run on a private loop in a worker thread
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, coro_fn(intents)).result()

    async def _ask_all(self, intents: Sequence[str]) -> dict[str, MemoryEntry]:
        from vibegrade.llm.client import FatalError, TeacherClient, TeacherError
        from vibegrade.llm.teacher import label_request

        try:
            client = TeacherClient(self.client_config)
        except FatalError as e:  # cannot happen after __init__'s checks, but never break predict
            log.warning("teacher unavailable for this batch: %s", e)
            return {}
        async with client:
            async def one(intent: str) -> MemoryEntry | None:
                try:
                    lab = await label_request(client, intent, presets=self.presets)
                except TeacherError as e:
                    log.warning("teacher failed for %r: %s", intent, e)
                    return None
                bad = [f for f in lab.flags if f.startswith(FAILURE_FLAG_PREFIXES)]
                if bad:
                    log.warning("teacher answer for %r not usable (%s)", intent, ", ".join(bad))
                    return None
                return MemoryEntry(intent=intent, chain=lab.chain, model=lab.model,
                                   time=round(time.time(), 3))

            results = await asyncio.gather(*(one(t) for t in intents))
        return {normalize_intent(t): r for t, r in zip(intents, results) if r is not None}


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
