"""The conversation endpoints (refine, history, step) through TestClient, with the fake refiner.

The refiner is tests/fakes/refiner.py's keyword table (NOT the refinement model), put in through the
service's ``get_refiner`` dependency; the event store is SQLite or PostgreSQL (a throwaway schema).
"""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from tests.fakes.refiner import LESS_FACTOR, REPLACE_CHAIN, WARMER_STEP, FakeRefiner
from tests.store_helpers import isolated_pg_store
from vibegrade.data.events import EventStore, TurnConflictError, UnknownProjectError
from vibegrade.schema import ToolChain
from vibegrade.serve.app import USER_COOKIE, Settings, create_app
from vibegrade.serve.deps import get_refiner
from vibegrade.serve.services import conversation as conversation_service
from vibegrade.serve.services.conversation import refine_project

from .helpers import assert_error

START = ToolChain.model_validate({"adjust": {"temperature": 10, "contrast": 20, "exposure": -7},
                                  "selective_adjust": {"orange": {"saturation": 15, "luminance": 0}},
                                  "filter": {"name": "enchanted", "intensity": 50}}).to_wire()
USER = "user-conversation-1"


def _app(tmp_path, refiner: FakeRefiner | None = None, url: str | None = None):
    app = create_app(Settings(database_url=url or f"sqlite:///{tmp_path / 'events.db'}",
                              jobs_dir=tmp_path / "jobs"))
    if refiner is not None:
        app.dependency_overrides[get_refiner] = lambda: refiner
    return app


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """``(url, store)``: an event store on SQLite or PostgreSQL (a throwaway schema) and its URL; apps made
    on it get this very store (so the PostgreSQL schema is the throwaway one)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'events.db'}"
        s = EventStore(url)
        yield url, s
        s.close()
        return
    with isolated_pg_store(request.getfixturevalue("pg_url"), prefix="vg_conv") as s:
        yield None, s


def _client(tmp_path, store: EventStore, refiner: FakeRefiner, user: str = USER) -> TestClient:
    app = _app(tmp_path, refiner)
    app.state.store.close()
    app.state.store = store
    c = TestClient(app, raise_server_exceptions=False)
    c.cookies.set(USER_COOKIE, user)
    return c


def _project(store: EventStore, user: str = USER, tools=START, intent: str = "golden hour, warm") -> str:
    return store.projects.record(user_id=user, intent=intent, tools=tools, model="default")


def _refine(c: TestClient, pid: str, request: str, **extra) -> dict:
    r = c.post(f"/v1/projects/{pid}/refine", json={"request": request, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def _temp(tools: dict) -> int:
    return tools["adjust"].get("temperature", 0)


# ------------------------------------------------------------------------------------------ the flow

def test_refine_undo_redo_step_and_branch(tmp_path, store_url):
    _, store = store_url
    fake = FakeRefiner()
    c = _client(tmp_path, store, fake)
    pid = _project(store)

    r = c.get(f"/v1/projects/{pid}/history")
    assert r.status_code == 200, r.text
    assert r.json() == {"project_id": pid, "turn": 0, "tools": START,
                        "history": {"cursor": 0, "entries": [
                            {"request": "golden hour, warm", "op": "start", "tools": START}]}}

    warm = _refine(c, pid, "  a bit   warmer ")
    assert (warm["turn"], warm["op"], warm["changed"]) == (1, "edit", True)
    assert _temp(warm["tools"]) == _temp(START) + WARMER_STEP
    assert warm["tools"]["filter"] == START["filter"]  # nothing else moved
    assert warm["history"]["cursor"] == 1
    assert [(e["request"], e["op"]) for e in warm["history"]["entries"]] == [
        ("golden hour, warm", "start"), ("a bit warmer", "edit")]
    assert fake.calls[-1] == (ToolChain.model_validate(START), "a bit warmer")

    less = _refine(c, pid, "less")
    assert (less["turn"], less["op"]) == (2, "edit")
    assert less["tools"]["adjust"]["contrast"] == round(START["adjust"]["contrast"] * LESS_FACTOR)
    assert less["tools"]["filter"]["intensity"] == round(START["filter"]["intensity"] * LESS_FACTOR)

    undo = _refine(c, pid, "undo")
    assert (undo["turn"], undo["op"], undo["changed"]) == (3, "undo", True)
    assert undo["tools"] == warm["tools"] and undo["history"]["cursor"] == 1
    assert len(undo["history"]["entries"]) == 3  # the undone entry stays for redo
    redo = _refine(c, pid, "redo")
    assert redo["tools"] == less["tools"] and redo["changed"] is True
    again = _refine(c, pid, "redo")  # nowhere to go: recorded, nothing moves
    assert (again["turn"], again["op"], again["changed"]) == (5, "redo", False)
    assert again["tools"] == less["tools"]

    # the history list: step back to the first entry, then a new request drops the redo branch
    step = c.post(f"/v1/projects/{pid}/history/0")
    assert step.status_code == 200, step.text
    assert (step.json()["op"], step.json()["changed"], step.json()["turn"]) == ("go", True, 6)
    assert step.json()["tools"] == START and step.json()["history"]["cursor"] == 0
    same = c.post(f"/v1/projects/{pid}/history/0").json()  # already there: nothing recorded
    assert (same["changed"], same["turn"]) == (False, 6)
    other = _refine(c, pid, "make it cyberpunk instead")
    assert other["op"] == "replace" and other["tools"] == REPLACE_CHAIN.to_wire()
    assert [e["request"] for e in other["history"]["entries"]] == ["golden hour, warm",
                                                                  "make it cyberpunk instead"]
    reset = _refine(c, pid, "start over")
    assert reset["op"] == "reset" and reset["tools"] == ToolChain().to_wire()
    assert _refine(c, pid, "undo")["tools"] == REPLACE_CHAIN.to_wire()  # undo brings the look back

    # every turn is a row; GET answers what the last turn answered
    final = c.get(f"/v1/projects/{pid}/history").json()
    assert final["turn"] == store.turns.count() == 9
    assert final["history"]["cursor"] == 1 and final["tools"] == REPLACE_CHAIN.to_wire()


def test_the_first_entry_is_the_served_chain(tmp_path):
    """A project made by /v1/predict (the shipped student) starts its conversation with what it served."""
    c = TestClient(_app(tmp_path, FakeRefiner()))
    served = c.post("/v1/predict", json={"intent": "moody teal night"}).json()
    h = c.get(f"/v1/projects/{served['project_id']}/history").json()
    assert h["history"]["entries"] == [
        {"request": "moody teal night", "op": "start", "tools": served["tools"]}]
    r = _refine(c, served["project_id"], "warmer")
    assert _temp(r["tools"]) == min(100, _temp(served["tools"]) + WARMER_STEP)


def test_history_survives_a_restart(tmp_path):
    url = f"sqlite:///{tmp_path / 'events.db'}"
    first = TestClient(_app(tmp_path, FakeRefiner(), url))
    first.cookies.set(USER_COOKIE, USER)
    pid = _project(first.app.state.store)
    _refine(first, pid, "warmer")
    _refine(first, pid, "less")
    _refine(first, pid, "undo")
    before = first.get(f"/v1/projects/{pid}/history").json()
    first.app.state.store.close()

    second = TestClient(_app(tmp_path, FakeRefiner(), url))  # a new process: nothing in memory
    second.cookies.set(USER_COOKIE, USER)
    assert second.get(f"/v1/projects/{pid}/history").json() == before
    assert _refine(second, pid, "redo")["tools"] == before["history"]["entries"][2]["tools"]


def test_slider_changes_are_recorded_before_the_request(tmp_path, store_url):
    _, store = store_url
    fake = FakeRefiner()
    c = _client(tmp_path, store, fake)
    pid = _project(store)
    shown = {**START, "adjust": {**START["adjust"], "exposure": 40}}
    r = _refine(c, pid, "warmer", tools=shown)
    assert r["turn"] == 2 and r["op"] == "edit"
    assert fake.calls[-1][0].to_wire() == ToolChain.model_validate(shown).to_wire()  # refined what was shown
    assert r["tools"]["adjust"]["exposure"] == 40 and _temp(r["tools"]) == _temp(START) + WARMER_STEP
    assert [(e["request"], e["op"]) for e in r["history"]["entries"]] == [
        ("golden hour, warm", "start"), ("", "edit"), ("warmer", "edit")]
    assert [t.op for t in store.turns.for_project(pid)] == ["tweak", "edit"]
    # the chain on screen equal to the current one (in any spelling): no slider entry
    r2 = _refine(c, pid, "less", tools={**r["tools"], "selective_adjust": r["tools"]["selective_adjust"]})
    assert r2["turn"] == 3 and len(r2["history"]["entries"]) == 4
    undo = _refine(c, pid, "undo")
    assert undo["tools"] == r["tools"]


# -------------------------------------------------------------------------------------- concurrency

def test_concurrent_refines_both_land(tmp_path, store_url):
    """Two refines of one project at the same moment: both read the same history (the fake refiner makes
    them meet), one records turn 1 first, the other finds turn 1 taken, re-reads and lands as turn 2 on
    top of it. Nothing is lost or duplicated."""
    _, store = store_url
    pid = _project(store)
    fake = FakeRefiner(meet=2)
    results: list = []
    errors: list[BaseException] = []

    def go():
        try:
            results.append(refine_project(store, fake, pid, USER, "warmer"))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(r.turn for r in results) == [1, 2]
    assert len(fake.calls) == 3  # the loser asked the refiner again, on the winner's chain
    turns = store.turns.for_project(pid)
    assert [t.turn for t in turns] == [1, 2]
    assert [_temp(t.tools) for t in turns] == [_temp(START) + WARMER_STEP, _temp(START) + 2 * WARMER_STEP]
    history = conversation_service.load_conversation(store, pid, USER).history
    assert [e.request for e in history.entries] == ["golden hour, warm", "warmer", "warmer"]
    assert history.cursor == 2


def test_many_concurrent_turns_keep_a_consistent_numbering(tmp_path, store_url):
    _, store = store_url
    pid = _project(store)
    fake = FakeRefiner()
    errors: list[BaseException] = []

    def go(i: int):
        try:
            for _ in range(3):
                refine_project(store, fake, pid, USER, "warmer" if i % 2 else "undo")
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    turns = store.turns.for_project(pid)
    assert [t.turn for t in turns] == list(range(1, 13))
    # replaying the rows gives back, turn by turn, the state each row recorded
    for t in turns:
        history = conversation_service.replay(ToolChain.model_validate(START), "golden hour, warm",
                                              turns[:t.turn])
        assert (history.cursor, history.current.to_wire()) == (t.cursor, t.tools)


def test_turn_store_numbering(store_url):
    _, store = store_url
    pid = _project(store)
    store.turns.record(pid, 1, op="edit", request="warmer", tools=START, cursor=1)
    with pytest.raises(TurnConflictError):
        store.turns.record(pid, 1, op="edit", request="cooler", tools=START, cursor=1)
    with pytest.raises(ValueError, match="next one is 2"):
        store.turns.record(pid, 5, op="edit", request="cooler", tools=START, cursor=1)
    with pytest.raises(UnknownProjectError):
        store.turns.record("no-such-project", 1, op="edit", request="x", tools=START, cursor=1)
    with pytest.raises(ValueError, match="op must be"):
        store.turns.record(pid, 2, op="shout", request="x", tools=START, cursor=1)
    with pytest.raises(ValueError, match="no request"):
        store.turns.record(pid, 2, op="go", request="x", tools=START, cursor=0)
    with pytest.raises(ValueError, match="empty request"):
        store.turns.record(pid, 2, op="edit", request="   ", tools=START, cursor=0)
    assert [t.request for t in store.turns.for_project(pid)] == ["warmer"]


# ------------------------------------------------------------------------------------------- errors

def test_unknown_and_other_users_projects_are_404(tmp_path):
    c = TestClient(_app(tmp_path, FakeRefiner()), raise_server_exceptions=False)
    c.cookies.set(USER_COOKIE, USER)
    store = c.app.state.store
    mine, theirs = _project(store), _project(store, user="someone-else-22")
    for pid in ("8d3c4a5e-0000-4000-8000-000000000000", theirs):
        assert_error(c.post(f"/v1/projects/{pid}/refine", json={"request": "warmer"}), 404,
                     "project_not_found")
        assert_error(c.get(f"/v1/projects/{pid}/history"), 404, "project_not_found")
        assert_error(c.post(f"/v1/projects/{pid}/history/0"), 404, "project_not_found")
    assert store.turns.count() == 0
    # without a cookie a new user is made: not the owner either
    anon = TestClient(c.app, raise_server_exceptions=False)
    assert_error(anon.get(f"/v1/projects/{mine}/history"), 404, "project_not_found")
    assert c.get(f"/v1/projects/{mine}/history").status_code == 200


@pytest.mark.parametrize("body, code, field", [
    ({"request": ""}, "validation_error", "request"),
    ({"request": "   \t "}, "validation_error", "request"),
    ({"request": "w" * 301}, "validation_error", "request"),
    ({}, "validation_error", "request"),
    ({"request": 12}, "validation_error", "request"),
    ({"request": "warmer", "extra": 1}, "validation_error", "extra"),
    ({"request": "warmer", "tools": {"adjust": {"exposure": 500}}}, "invalid_tools", "tools"),
    ({"request": "warmer", "tools": {"filter": {"name": "no-such-preset", "intensity": 10}}}, "invalid_tools",
     "tools"),
])
def test_bad_refine_bodies_are_422(tmp_path, body, code, field):
    c = TestClient(_app(tmp_path, FakeRefiner()), raise_server_exceptions=False)
    c.cookies.set(USER_COOKIE, USER)
    pid = _project(c.app.state.store)
    err = assert_error(c.post(f"/v1/projects/{pid}/refine", json=body), 422, code)
    assert field in (err.get("field") or "") + err["message"]
    assert c.app.state.store.turns.count() == 0


def test_bad_paths(tmp_path):
    c = TestClient(_app(tmp_path, FakeRefiner()), raise_server_exceptions=False)
    c.cookies.set(USER_COOKIE, USER)
    pid = _project(c.app.state.store)
    assert_error(c.post(f"/v1/projects/{pid}/history/1"), 404, "entry_not_found")
    assert_error(c.post(f"/v1/projects/{pid}/history/-1"), 422)
    assert_error(c.post(f"/v1/projects/{pid}/history/one"), 422)
    assert_error(c.get("/v1/projects/bad%00id/history"), 422)
    assert_error(c.post(f"/v1/projects/{pid}/refine", content=b"\xff\xfe", headers={"content-type":
                                                                                    "application/json"}), 422)


def test_a_conversation_has_a_turn_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(conversation_service, "MAX_TURNS", 3)
    c = TestClient(_app(tmp_path, FakeRefiner()), raise_server_exceptions=False)
    c.cookies.set(USER_COOKIE, USER)
    pid = _project(c.app.state.store)
    for request in ("warmer", "less", "undo"):
        _refine(c, pid, request)
    assert_error(c.post(f"/v1/projects/{pid}/refine", json={"request": "warmer"}), 409, "conversation_full")
    assert_error(c.post(f"/v1/projects/{pid}/history/0"), 409, "conversation_full")
    assert c.get(f"/v1/projects/{pid}/history").json()["turn"] == 3


# ---------------------------------------------------------------------------------- the real loader

def test_refiner_is_loaded_once_through_load_refiner(tmp_path, monkeypatch):
    """Without an override the service asks vibegrade.students.refine.load_refiner (the shipped model),
    once."""
    from vibegrade.students import refine as refine_module

    loads: list = []

    def load(path=None):
        loads.append(path)
        return FakeRefiner()

    monkeypatch.setattr(refine_module, "load_refiner", load, raising=False)
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'events.db'}", jobs_dir=tmp_path / "jobs",
                              refine_model="/models/refine-v1"))
    c = TestClient(app)
    c.cookies.set(USER_COOKIE, USER)
    pid = _project(app.state.store)
    _refine(c, pid, "warmer")
    _refine(c, pid, "less")
    assert loads == ["/models/refine-v1"]


def test_a_refiner_that_cannot_load_is_503(tmp_path, monkeypatch):
    from vibegrade.students import refine as refine_module

    loads: list = []

    def broken(path=None):
        loads.append(path)
        raise OSError("refine model folder is missing weights.npz")

    monkeypatch.setattr(refine_module, "load_refiner", broken, raising=False)
    c = TestClient(_app(tmp_path), raise_server_exceptions=False)
    c.cookies.set(USER_COOKIE, USER)
    pid = _project(c.app.state.store)
    # requests refused before a refinement is needed do not touch the model
    assert_error(c.post(f"/v1/projects/{pid}/refine", json={}), 422)
    assert_error(c.post("/v1/projects/unknown-1/refine", json={"request": "warmer"}), 404,
                 "project_not_found")
    assert loads == []
    err = assert_error(c.post(f"/v1/projects/{pid}/refine", json={"request": "warmer"}), 503,
                       "refiner_unavailable")
    assert "weights.npz" in err["message"] and loads == [None]
    assert c.app.state.store.turns.count() == 0
    assert c.get(f"/v1/projects/{pid}/history").status_code == 200  # reading needs no model


def test_the_shipped_refinement_model_serves_a_conversation(tmp_path):
    """No override: the service loads the shipped refinement model on the first refinement."""
    store = EventStore(f"sqlite:///{tmp_path / 'real.db'}")
    app = _app(tmp_path)
    app.state.store.close()
    app.state.store = store
    c = TestClient(app, raise_server_exceptions=False)
    c.cookies.set(USER_COOKIE, USER)
    pid = _project(store)
    warmer = _refine(c, pid, "a bit warmer pls")
    assert warmer["op"] == "edit" and warmer["tools"]["adjust"]["temperature"] > 10
    undo = _refine(c, pid, "undo")
    assert undo["op"] == "undo" and undo["tools"] == START
    bw = _refine(c, pid, "make it black and white")
    assert bw["tools"]["adjust"]["saturation"] == -100
    assert [e["request"] for e in bw["history"]["entries"]][-1] == "make it black and white"
    store.close()
