"""The teacher cascade against the local replay server (real HTTP, no mocks of the client).

The student is a stub (fixed answer, scripted confidence): the unit under test is the cascade's routing,
memory and fallback.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("openai")

from tests.fakes.replay import ReplayServer, synthetic_answer  # noqa: E402
from vibegrade.llm.client import ClientConfig  # noqa: E402
from vibegrade.llm.parse import combine, parse_answer  # noqa: E402
from vibegrade.schema import TOOL_NAMES, ToolChain  # noqa: E402
from vibegrade.students.cascade import CascadeStudent, MemoryEntry  # noqa: E402

#: The stub student's answer to everything (the synthetic teacher never sets exposure beyond +-30).
STUDENT_CHAIN = ToolChain.model_validate({"adjust": {"exposure": 77}})


class StubStudent:
    """Answers ``STUDENT_CHAIN``; confidence from a table (default 0.0); records what it was asked."""

    kind = "stub"

    def __init__(self, conf: dict[str, float] | None = None) -> None:
        self.conf = conf or {}
        self.predicted: list[str] = []

    def predict(self, intents: Sequence[str]) -> list[ToolChain]:
        self.predicted.extend(intents)
        return [STUDENT_CHAIN for _ in intents]

    def confidence(self, intents: Sequence[str]) -> np.ndarray:
        return np.array([self.conf.get(t, 0.0) for t in intents], np.float32)


class NoConfidenceStudent:
    """A baseline-like student: ``predict`` only."""

    kind = "plain"

    def predict(self, intents: Sequence[str]) -> list[ToolChain]:
        return [STUDENT_CHAIN for _ in intents]


def teacher_chain(intent: str) -> ToolChain:
    """What the replay server's synthetic teacher answers for ``intent`` (adjust is always used)."""
    chain, _, _ = combine(parse_answer(t, synthetic_answer(t, intent)) for t in TOOL_NAMES)
    return chain


def config(base_url: str, **kw: Any) -> ClientConfig:
    """Fast retries, no response cache (so every teacher call reaches the server)."""
    d: dict[str, Any] = {"model": "test-teacher", "base_url": base_url, "api_key": "sk-test", "timeout": 2.0,
                         "max_retries": 1, "backoff_base": 0.01, "backoff_max": 0.05, "cache_dir": None}
    d.update(kw)
    return ClientConfig(**d)


def memory_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for v in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "VIBEGRADE_TEACHER_BASE_URL", "VIBEGRADE_TEACHER_API_KEY"):
        monkeypatch.delenv(v, raising=False)
    monkeypatch.setenv("VIBEGRADE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as srv:
        yield srv


@pytest.fixture
def memory(tmp_path: Path) -> Path:
    return tmp_path / "mem" / "cascade.jsonl"


def test_routes_only_requests_below_the_threshold(server: ReplayServer, memory: Path) -> None:
    student = StubStudent({"golden hour": 0.9, "a look nobody knows": 0.2, "borderline": 0.5})
    cas = CascadeStudent(student, config(server.base_url), threshold=0.5, memory_path=memory)
    out = cas.predict(["golden hour", "a look nobody knows", "borderline"])

    assert {c.intent for c in server.calls} == {"a look nobody knows"}  # 0.5 is not below 0.5
    assert server.http_calls == 3  # one call per tool
    assert out[0] == STUDENT_CHAIN and out[2] == STUDENT_CHAIN
    assert out[1] == teacher_chain("a look nobody knows") and out[1] != STUDENT_CHAIN
    assert student.predicted == ["golden hour", "borderline"]  # the routed one never needed the student
    assert cas.stats.as_dict() == {"requests": 3, "from_memory": 0, "routed": 1, "teacher_failures": 0,
                                 "corrupt_lines": 0, "store_errors": 0}


def test_answer_is_stored_and_served_from_memory_without_the_server(server: ReplayServer,
                                                                    memory: Path) -> None:
    cas = CascadeStudent(StubStudent(), config(server.base_url), threshold=0.5, memory_path=memory)
    first = cas.predict(["Neon Alley at Dusk"])
    assert server.http_calls == 3

    rows = memory_lines(memory)
    assert len(rows) == 1 and set(rows[0]) == {"intent", "tools", "model", "time"}
    assert rows[0]["intent"] == "Neon Alley at Dusk" and rows[0]["model"] == "test-teacher"
    assert ToolChain.model_validate(rows[0]["tools"]) == first[0]

    server.reset_calls()
    again = cas.predict(["  neon alley   AT dusk ", "NEON ALLEY AT DUSK"])
    assert server.http_calls == 0
    assert again == [first[0], first[0]]
    assert cas.stats.from_memory == 2 and cas.stats.routed == 1 and cas.stats.requests == 3
    assert len(memory_lines(memory)) == 1


def test_memory_survives_a_new_cascade_on_the_same_file(server: ReplayServer, memory: Path) -> None:
    cas = CascadeStudent(StubStudent(), config(server.base_url), threshold=0.5, memory_path=memory)
    first = cas.predict(["faded polaroid", "sure"])[0]
    url = server.base_url
    server.stop()  # the teacher is gone: only the memory can answer now

    dead = config(url)
    again = CascadeStudent(StubStudent({"sure": 0.99}), dead, threshold=0.5, memory_path=memory)
    assert len(again) == 2
    assert again.predict(["Faded Polaroid"]) == [first]
    assert again.stats.from_memory == 1 and again.stats.routed == 0


def test_teacher_answer_without_json_falls_back_to_the_student(memory: Path) -> None:
    with ReplayServer(fallback=lambda tool, intent: "Sorry, I cannot grade that.") as srv:
        student = StubStudent()
        cas = CascadeStudent(student, config(srv.base_url), threshold=0.5, memory_path=memory)
        assert cas.predict(["mystery look"]) == [STUDENT_CHAIN]
        assert student.predicted == ["mystery look"]
        assert cas.stats.teacher_failures == 1 and cas.stats.routed == 1
        assert not memory.exists() or memory_lines(memory) == []
        assert cas.predict(["mystery look"]) == [STUDENT_CHAIN]  # not remembered: asked again
        assert srv.http_calls == 6 and cas.stats.teacher_failures == 2


def test_http_errors_fall_back_to_the_student(memory: Path) -> None:
    with ReplayServer(faults=["500"] * 12) as srv:
        cas = CascadeStudent(StubStudent(), config(srv.base_url, max_retries=0), threshold=0.5,
                             memory_path=memory)
        assert cas.predict(["stormy sea"]) == [STUDENT_CHAIN]
        assert srv.http_calls >= 1
        assert cas.stats.teacher_failures == 1
    assert not memory.exists() or memory_lines(memory) == []


def test_unreachable_teacher_falls_back_to_the_student(memory: Path) -> None:
    srv = ReplayServer().start()
    url = srv.base_url
    srv.stop()  # nothing listens on that port any more
    cas = CascadeStudent(StubStudent(), config(url), threshold=0.5, memory_path=memory)
    assert cas.predict(["x", "sure"]) == [STUDENT_CHAIN, STUDENT_CHAIN]
    assert cas.stats.teacher_failures == 2
    assert not memory.exists()


def test_a_student_without_confidence_is_always_unsure(server: ReplayServer, memory: Path) -> None:
    cas = CascadeStudent(NoConfidenceStudent(), config(server.base_url), threshold=-1e9, memory_path=memory)
    assert cas.predict(["warm film"]) == [teacher_chain("warm film")]
    assert cas.stats.routed == 1


def test_a_batch_is_asked_concurrently_and_repeats_once(memory: Path) -> None:
    with ReplayServer(delay=0.1) as srv:
        cas = CascadeStudent(StubStudent(), config(srv.base_url, concurrency=8), threshold=0.5,
                             memory_path=memory)
        intents = ["look one", "look two", "look three", "Look One"]
        out = cas.predict(intents)
        assert srv.http_calls == 9  # three distinct requests, three tools each
        assert srv.max_concurrent > 3
        assert out == [teacher_chain(t) for t in intents]
    assert sorted(r["intent"] for r in memory_lines(memory)) == ["look one", "look three", "look two"]


def test_corrupt_trailing_line_is_ignored_and_not_glued_onto(server: ReplayServer, memory: Path) -> None:
    memory.parent.mkdir(parents=True)
    good = MemoryEntry("old look", teacher_chain("old look"), "earlier-model", 1.0).to_line()
    memory.write_bytes(good + b"not json at all\n" + b'{"intent": "half", "tools": {"adjust": {"expo')

    cas = CascadeStudent(StubStudent(), config(server.base_url), threshold=0.5, memory_path=memory)
    assert len(cas) == 1 and cas.lookup("OLD LOOK") == teacher_chain("old look")
    assert cas.lookup("half") is None and cas.stats.corrupt_lines == 1
    assert cas.predict(["old look"]) == [teacher_chain("old look")] and server.http_calls == 0

    cas.predict(["new look"])  # appended after the cut-off line, on a line of its own
    lines = memory.read_bytes().splitlines()
    assert json.loads(lines[-1])["intent"] == "new look"
    fresh = CascadeStudent(StubStudent(), config(server.base_url), threshold=0.5, memory_path=memory)
    assert fresh.lookup("new look") == teacher_chain("new look") and fresh.lookup("old look") is not None


def test_lines_written_by_another_writer_are_picked_up(server: ReplayServer, memory: Path) -> None:
    a = CascadeStudent(StubStudent(), config(server.base_url), threshold=0.5, memory_path=memory)
    b = CascadeStudent(StubStudent(), config(server.base_url), threshold=0.5, memory_path=memory)

    def write(cas: CascadeStudent, tag: str) -> None:
        cas._append([MemoryEntry(f"{tag} {i}", teacher_chain(f"{tag} {i}"), "m", 2.0) for i in range(50)])

    threads = [threading.Thread(target=write, args=(c, t)) for c, t in ((a, "a"), (b, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(memory_lines(memory)) == 100  # every line whole

    assert a.predict(["b 7"]) == [teacher_chain("b 7")] and server.http_calls == 0
    assert a.stats.from_memory == 1 and len(a) == 100


def test_predict_cli_cascade_with_the_shipped_student(server: ReplayServer, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """`vibegrade predict --cascade`: an unknown look goes to the teacher once, then comes from memory."""
    from typer.testing import CliRunner

    from vibegrade.cli.main import app

    monkeypatch.setenv("VIBEGRADE_TEACHER_BASE_URL", server.base_url)
    monkeypatch.setenv("VIBEGRADE_TEACHER_MODEL", "test-teacher")
    monkeypatch.setenv("VIBEGRADE_TEACHER_API_KEY", "sk-test")
    mem = tmp_path / "casc.jsonl"
    request = "qwzx plorbic zenthra"  # nothing like any stored look: low confidence
    args = ["predict", request, "--cascade", "0.9", "--cascade-memory", str(mem)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert ToolChain.model_validate_json(first.stdout.splitlines()[0]) == teacher_chain(request)
    calls = len(server.calls)
    assert calls >= 3 and len(memory_lines(mem)) == 1
    again = CliRunner().invoke(app,
                               ["predict", request.upper(), "--cascade", "0.9", "--cascade-memory", str(mem)])
    assert again.exit_code == 0 and again.stdout == first.stdout
    assert len(server.calls) == calls  # served from memory
    # a known look stays with the student
    known = CliRunner().invoke(app,
                               ["predict", "golden hour", "--cascade", "0.9", "--cascade-memory", str(mem)])
    assert known.exit_code == 0 and len(server.calls) == calls
