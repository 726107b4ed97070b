"""The annotators' reality check: `annotate prepare`, the /annotate page and API, `annotate report`."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from tests.store_helpers import iter_annotations
from vibegrade.cli.annotate import assign_images, choose_rows
from vibegrade.cli.main import app as cli
from vibegrade.data.events import AnnotationTaskRecord, TaskVotes
from vibegrade.data.rows import VibeRow, read_rows, write_rows
from vibegrade.evaluation.annotations import agreeing_pairs, build_report, majority
from vibegrade.samples import SAMPLE_IMAGES
from vibegrade.schema import ToolChain
from vibegrade.serve.app import Settings, create_app
from vibegrade.serve.routes.annotate import MAX_PREVIEW_PX, PreviewCache
from vibegrade.students import load_student

from .helpers import CHROMIUM, CHROMIUM_ARGS, NO_CHROMIUM_REASON, live_server
from .helpers import assert_error as _assert_error

ROWS = {
    "golden hour glow": {"adjust": {"temperature": 45, "exposure": 10, "saturation": 15},
                         "filter": {"name": "faded_HighNoon", "intensity": 50}},
    "cold blue winter morning": {"adjust": {"temperature": -50, "tint": -10, "contrast": 10}},
    "high contrast black and white": {"adjust": {"saturation": -100, "contrast": 45}},
    "neon cyberpunk city": {"adjust": {"vibrance": 40}, "filter": {"name": "cyberpunk", "intensity": 80}},
}


def _row(intent: str, chain: dict) -> VibeRow:
    return VibeRow(intent=intent, chain=ToolChain.model_validate(chain),
                   rationale={"adjust": "", "selective_adjust": "", "filter": ""})


@pytest.fixture(scope="module")
def rows_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("rows") / "rows.jsonl"
    write_rows(path, [_row(i, c) for i, c in ROWS.items()])
    return path


def _prepare(db_url: str, rows_file, *extra: str):
    return CliRunner().invoke(cli, ["annotate", "prepare", "--data", str(rows_file), "--database-url", db_url,
                                    *extra])


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'events.db'}"


@pytest.fixture
def client(db_url, rows_file):
    res = _prepare(db_url, rows_file, "--images", "astronaut,rocket")
    assert res.exit_code == 0, res.output
    with TestClient(create_app(Settings(database_url=db_url))) as c:
        yield c


def _store(client: TestClient):
    return client.app.state.store


def _auth(client: TestClient, name: str) -> dict:
    """The Authorization header of annotator ``name`` (invited on first use, like `annotate invite`)."""
    from vibegrade.data.events import normalize_annotator

    tokens = client.app.state.__dict__.setdefault("_test_tokens", {})
    key = normalize_annotator(name)
    if key not in tokens:
        tokens[key] = _store(client).annotators.add(name)[1]
    return {"Authorization": f"Bearer {tokens[key]}"}


def _next(client: TestClient, name: str) -> dict:
    r = client.get("/v1/annotate/next", headers=_auth(client, name))
    assert r.status_code == 200, r.text
    body = r.json()
    from vibegrade.data.events import normalize_annotator

    assert body.pop("annotator") == normalize_annotator(name)
    return body


def _answer(client: TestClient, task_id: str, name: str, relevant: str = "yes", match: str = "no"):
    return client.post(f"/v1/annotate/tasks/{task_id}/answers", headers=_auth(client, name),
                       json={"relevant": relevant, "student_matches_teacher": match})


def _decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG"
        return np.asarray(im.convert("RGB"))


# ------------------------------------------------------------------------------------------ prepare

def test_prepare_stores_tasks_once(db_url, rows_file):
    res = _prepare(db_url, rows_file, "--images", "astronaut, rocket")
    assert res.exit_code == 0, res.output
    assert "4 new, 0 already stored" in res.output
    again = _prepare(db_url, rows_file, "--images", "astronaut", "--images", "rocket")
    assert again.exit_code == 0 and "0 new, 4 already stored" in again.output

    from vibegrade.data.events import EventStore

    store = EventStore(db_url)
    try:
        tasks = [v.task for v in store.annotations.votes()]
    finally:
        store.close()
    assert sorted(t.intent for t in tasks) == sorted(ROWS)
    student = load_student(None)
    for t in tasks:
        assert t.teacher_tools == ToolChain.model_validate(ROWS[t.intent]).to_wire()
        assert t.student_tools == student.predict([t.intent])[0].to_wire()
        assert t.student_model == "default" and t.dataset == "rows.jsonl"
    assert sorted(t.image for t in tasks) == ["astronaut", "astronaut", "rocket", "rocket"]


def test_prepare_samples_n_rows_with_the_seed(tmp_path, rows_file):
    rows = read_rows([rows_file]) * 2  # duplicated requests are only used once
    a, b = choose_rows(rows, 3, seed=7), choose_rows(rows, 3, seed=7)
    assert [r.intent for r in a] == [r.intent for r in b] and len({r.intent for r in a}) == 3
    assert sorted(r.intent for r in choose_rows(rows, 99, seed=1)) == sorted(ROWS)
    assert assign_images(5, ["a", "b"], 3) == assign_images(5, ["a", "b"], 3)
    assert sorted(assign_images(4, ["a", "b"], 3)) == ["a", "a", "b", "b"]

    res = _prepare(f"sqlite:///{tmp_path / 'e.db'}", rows_file, "--n", "2", "--seed", "5")
    assert res.exit_code == 0 and "2 new" in res.output and "2 tasks in the store" in res.output


@pytest.mark.parametrize("args, message", [
    (["--images", "nosuch"], "unknown sample 'nosuch'"),
    (["--model", "/nonexistent/model"], "not a vibegrade model folder"),
    (["--n", "0"], "--n"),
])
def test_prepare_bad_input(tmp_path, rows_file, args, message):
    res = _prepare(f"sqlite:///{tmp_path / 'e.db'}", rows_file, *args)
    assert res.exit_code == 2
    assert message in res.output


def test_prepare_missing_file(tmp_path):
    res = CliRunner().invoke(cli, ["annotate", "prepare", "--data", str(tmp_path / "none.jsonl"),
                                   "--database-url", f"sqlite:///{tmp_path / 'e.db'}"])
    assert res.exit_code == 2 and "no such file" in res.output


# ------------------------------------------------------------------------------------------ page

def test_page_and_assets(client):
    r = client.get("/annotate")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    html = r.text
    assert re.search(r'<script src="annotate/annotate\.js"', html)
    assert '<link rel="stylesheet" href="annotate/annotate.css">' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "no inline scripts (CSP)"
    assert " style=" not in html and "http://" not in html and "https://" not in html
    for label in ("Teacher", "Student", 'role="alert"', 'aria-live="polite"', 'name="relevant"',
                  'name="student_matches_teacher"'):
        assert label in html
    js = client.get("/annotate/annotate.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "v1/annotate/next" in js.text and "localStorage" in js.text
    css = client.get("/annotate/annotate.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    _assert_error(client.get("/annotate/index.html"), 404)
    _assert_error(client.get("/annotate/..%2Fapp.py"), 404)
    paths = client.get("/openapi.json").json()["paths"]
    assert "/annotate" not in paths and "/v1/annotate/next" in paths


# ------------------------------------------------------------------------------------------ API flow

def test_annotation_flow(client):
    body = _next(client, "alice")
    assert body["progress"] == {"answered_by_you": 0, "total": 4}
    task = body["task"]
    assert set(task) == {"task_id", "intent", "image", "source_url", "teacher_url", "student_url"}
    assert task["intent"] in ROWS and task["image"] in ("astronaut", "rocket")

    record = _store(client).tasks.get(task["task_id"])
    assert record.teacher_tools != record.student_tools
    imgs = {}
    for kind in ("source", "teacher", "student"):
        r = client.get(task[f"{kind}_url"])
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        imgs[kind] = _decode(r.content)
    with Image.open(SAMPLE_IMAGES[task["image"]]) as im:
        w, h = im.size
    assert max(imgs["source"].shape[:2]) <= MAX_PREVIEW_PX
    assert imgs["source"].shape[:2] == (h, w)  # the samples are smaller than the limit: not resized
    assert imgs["teacher"].shape == imgs["student"].shape == imgs["source"].shape
    diff = lambda a, b: float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())  # noqa: E731
    assert diff(imgs["teacher"], imgs["student"]) > 2.0
    assert diff(imgs["teacher"], imgs["source"]) > 2.0
    assert len(client.app.state.annotate_previews) == 3

    r = _answer(client, task["task_id"], "alice", "yes", "no")
    assert r.status_code == 201, r.text
    assert r.json() == {"task_id": task["task_id"], "annotator": "alice", "replaced": False, "revision": 1,
                        "progress": {"answered_by_you": 1, "total": 4}}
    seen = {task["task_id"]}
    for _ in range(3):
        body = _next(client, "alice")
        assert body["task"]["task_id"] not in seen
        seen.add(body["task"]["task_id"])
        assert _answer(client, body["task"]["task_id"], "alice").status_code == 201
    done = _next(client, "alice")
    assert done == {"task": None, "progress": {"answered_by_you": 4, "total": 4}}

    # another annotator still has everything to do; answering again adds a revision, the latest counts
    assert _next(client, "bob")["progress"] == {"answered_by_you": 0, "total": 4}
    r = _answer(client, task["task_id"], "alice", "unsure", "yes")
    assert r.status_code == 201 and r.json()["replaced"] is True and r.json()["revision"] == 2
    votes = {v.task.id: v.votes for v in _store(client).annotations.votes()}
    assert votes[task["task_id"]] == {"relevant": {"alice": "unsure"},
                                      "student_matches_teacher": {"alice": "yes"}}
    kept = [a for a in iter_annotations(_store(client)) if a["annotator"] == "alice"]
    assert len(kept) == 2 * 4 + 2  # the first answers are kept too


def test_next_prefers_tasks_others_have_not_answered(client):
    first = _next(client, "alice")["task"]["task_id"]
    assert _answer(client, first, "alice").status_code == 201
    assert _next(client, "bob")["task"]["task_id"] != first
    # names are trimmed, so " alice " is alice
    assert _next(client, "  alice ")["progress"]["answered_by_you"] == 1


def test_empty_store_is_done(tmp_path):
    with TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path / 'e.db'}",
                                        jobs_dir=tmp_path / "jobs"))) as c:
        assert _next(c, "alice") == {"task": None, "progress": {"answered_by_you": 0, "total": 0}}


def test_validation_errors(client):
    task_id = _next(client, "alice")["task"]["task_id"]
    alice = _auth(client, "alice")
    for params in ({"annotator": ""}, {"annotator": "   "}, {"annotator": "x" * 65}, {"annotator": "a\x07b"}):
        _assert_error(client.get("/v1/annotate/next", params=params, headers=alice), 422, field="annotator")

    url = f"/v1/annotate/tasks/{task_id}/answers"
    good = {"annotator": "alice", "relevant": "yes", "student_matches_teacher": "no"}
    for bad, field in ([{**good, "relevant": "maybe"}, "relevant"],
                       [{**good, "student_matches_teacher": True}, "student_matches_teacher"],
                       [{**good, "annotator": ""}, "annotator"],
                       [{**good, "annotator": "y" * 65}, "annotator"],
                       [{k: v for k, v in good.items() if k != "relevant"}, "relevant"],
                       [{**good, "extra": 1}, "extra"]):
        _assert_error(client.post(url, json=bad, headers=alice), 422, "validation_error", field)
    _assert_error(client.post(url, content=b"not json",
                              headers={"content-type": "application/json", **alice}),
                  422)
    _assert_error(client.post("/v1/annotate/tasks/no-such-task/answers", json=good, headers=alice), 404,
                  "task_not_found")
    _assert_error(client.get("/v1/annotate/tasks/no-such-task/images/teacher"), 404, "task_not_found")
    _assert_error(client.get(f"/v1/annotate/tasks/{task_id}/images/other"), 422, field="kind")
    assert list(iter_annotations(_store(client))) == []


def test_answers_need_the_annotators_own_token(client, db_url):
    task_id = _next(client, "alice")["task"]["task_id"]
    url = f"/v1/annotate/tasks/{task_id}/answers"
    answers = {"relevant": "yes", "student_matches_teacher": "no"}
    for headers in ({}, {"Authorization": "Bearer " + "x" * 32}, {"Authorization": "Basic YWxpY2U6eA=="},
                    {"Authorization": "Bearer a\x00b" + "c" * 20}):
        for r in (client.get("/v1/annotate/next", headers=headers),
                  client.post(url, json=answers, headers=headers)):
            err = _assert_error(r, 401, "unauthorized")
            assert "token" in err["message"] and r.headers["www-authenticate"].startswith("Bearer")
    # alice's token cannot answer as bob, nor under a look-alike of another name
    alice = _auth(client, "alice")
    _auth(client, "bob")
    _assert_error(client.post(url, json={**answers, "annotator": "bob"}, headers=alice), 403, "forbidden",
                  "annotator")
    _assert_error(client.get("/v1/annotate/next", params={"annotator": "bob"}, headers=alice), 403)
    # ...but may name herself in any spelling: names are compared normalised
    for spelling in ("alice", "Alice", "ａｌｉｃｅ"):
        r = client.post(url, json={**answers, "annotator": spelling}, headers=alice)
        assert r.status_code == 201 and r.json()["annotator"] == "alice"
    assert {a["annotator"] for a in iter_annotations(_store(client))} == {"alice"}
    [votes] = [v.votes for v in _store(client).annotations.votes() if v.task.id == task_id]
    assert votes == {"relevant": {"alice": "yes"}, "student_matches_teacher": {"alice": "no"}}  # one voter


def test_invite_cli(db_url):
    runner = CliRunner()
    res = runner.invoke(cli, ["annotate", "invite", "Alice", "--database-url", db_url,
                              "--base-url", "http://annotate.example:8000/"])
    assert res.exit_code == 0, res.output
    token = res.stdout.split("token ")[1].split()[0]
    assert f"http://annotate.example:8000/annotate?token={token}" in res.stdout
    from vibegrade.data.events import EventStore

    with EventStore(db_url) as store:
        assert store.annotators.for_token(token) == "alice"
    again = runner.invoke(cli, ["annotate", "invite", "ａｌｉｃｅ", "--database-url", db_url])
    assert again.exit_code == 2 and "already has a token" in again.output and "Traceback" not in again.output
    rotated = runner.invoke(cli, ["annotate", "invite", "ALICE", "--rotate", "--database-url", db_url])
    assert rotated.exit_code == 0
    with EventStore(db_url) as store:
        assert store.annotators.for_token(token) is None
    bad = runner.invoke(cli, ["annotate", "invite", "a\x07b", "--database-url", db_url])
    assert bad.exit_code == 2 and bad.output.startswith("error:")


def test_preview_cache_is_lru():
    cache = PreviewCache(max_items=2)
    calls = []

    def make(tag: str):
        return lambda: calls.append(tag) or tag.encode()

    assert cache.get_or_make(("a", "1"), make("a")) == b"a"
    assert cache.get_or_make(("b", "1"), make("b")) == b"b"
    assert cache.get_or_make(("a", "1"), make("a")) == b"a"  # hit: a is now the most recent
    cache.get_or_make(("c", "1"), make("c"))  # evicts b
    cache.get_or_make(("a", "1"), make("a"))
    cache.get_or_make(("b", "1"), make("b"))
    assert calls == ["a", "b", "c", "b"] and len(cache) == 2
    with pytest.raises(ValueError):
        PreviewCache(max_items=0)


# ------------------------------------------------------------------------------------------ votes and report

def test_majority_and_pairs():
    assert majority([]) is None
    assert majority(["yes"]) == "yes"
    assert majority(["yes", "no", "yes"]) == "yes"
    assert majority(["yes", "no"]) == "tie"
    assert majority(["unsure", "unsure", "no", "no", "yes"]) == "tie"
    assert agreeing_pairs(["yes"]) == (0, 0)
    assert agreeing_pairs(["yes", "yes", "no"]) == (1, 3)
    assert agreeing_pairs(["no"] * 4) == (6, 6)


def _tv(i: int, votes: dict) -> TaskVotes:
    t = AnnotationTaskRecord(id=f"task-{i}", key=str(i), created_at=datetime(2026, 1, 1, tzinfo=UTC),
                             position=i, dataset="d.jsonl", intent=f"request {i}", teacher_tools={},
                             student_tools={}, student_model="default", image="astronaut")
    return TaskVotes(task=t, votes=votes)


VOTES = [
    _tv(1, {"relevant": {"a": "yes", "b": "yes", "c": "no"},
            "student_matches_teacher": {"a": "no", "b": "no"}}),
    _tv(2, {"relevant": {"a": "yes", "b": "no"}, "student_matches_teacher": {"a": "unsure"}}),
    _tv(3, {}),
]


def test_build_report():
    rep = build_report(VOTES)
    assert rep["tasks_in_store"] == 3 and rep["tasks_reported"] == 2 and rep["annotators"] == ["a", "b", "c"]
    rel, smt = rep["summary"]["relevant"], rep["summary"]["student_matches_teacher"]
    assert rel["tasks"] == 2 and rel["annotators"] == 3
    assert rel["majority"] == {"yes": 0.5, "no": 0.0, "unsure": 0.0, "tie": 0.5}
    assert rel["agreement"] == 0.25 and rel["pairs"] == 4  # 1 agreeing pair of 3, then 0 of 1
    assert smt["majority"] == {"yes": 0.0, "no": 0.5, "unsure": 0.5, "tie": 0.0}
    assert smt["agreement"] == 1.0 and smt["pairs"] == 1 and smt["annotators"] == 2
    t1 = rep["tasks"][0]
    assert t1["task_id"] == "task-1"
    assert t1["questions"]["relevant"] == {"majority": "yes", "votes": {"yes": 2, "no": 1, "unsure": 0},
                                           "annotators": ["a", "b", "c"]}
    assert rep["tasks"][1]["questions"]["relevant"]["majority"] == "tie"

    rep2 = build_report(VOTES, min_votes=2)
    assert rep2["summary"]["relevant"]["tasks"] == 2
    assert rep2["summary"]["student_matches_teacher"]["tasks"] == 1
    assert rep2["summary"]["student_matches_teacher"]["majority"]["no"] == 1.0
    assert rep2["tasks"][1]["questions"]["student_matches_teacher"] is None
    rep3 = build_report(VOTES, min_votes=3)
    assert rep3["tasks_reported"] == 1
    assert rep3["summary"]["student_matches_teacher"] == {
        "tasks": 0, "majority": {"yes": None, "no": None, "unsure": None, "tie": None},
        "majority_counts": {"yes": 0, "no": 0, "unsure": 0, "tie": 0}, "annotators": 0, "agreement": None,
        "pairs": 0}
    with pytest.raises(ValueError):
        build_report(VOTES, min_votes=0)


def test_report_cli(client, db_url):
    task_id = _next(client, "alice")["task"]["task_id"]
    for name, answers in (("alice", ("yes", "yes")), ("bob", ("yes", "no")), ("carol", ("no", "no"))):
        assert _answer(client, task_id, name, *answers).status_code == 201
    runner = CliRunner(env={"COLUMNS": "200"})  # wide enough that rich does not wrap the cells
    res = runner.invoke(cli, ["annotate", "report", "--json", "--database-url", db_url])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.output)
    assert rep["tasks_reported"] == 1 and rep["annotators"] == ["alice", "bob", "carol"]
    [t] = rep["tasks"]
    assert t["task_id"] == task_id
    assert t["questions"]["relevant"]["majority"] == "yes"
    assert t["questions"]["relevant"]["votes"] == {"yes": 2, "no": 1, "unsure": 0}
    assert t["questions"]["student_matches_teacher"]["majority"] == "no"
    assert rep["summary"]["relevant"]["agreement"] == round(1 / 3, 4)

    table = runner.invoke(cli, ["annotate", "report", "--database-url", db_url])
    assert table.exit_code == 0, table.output
    assert "1 of 4 tasks" in table.output and "3 annotator(s)" in table.output
    assert "relevant" in table.output and task_id[:8] in table.output
    assert "yes (2 yes, 1 no)" in table.output and "no (1 yes, 2 no)" in table.output

    none = runner.invoke(cli, ["annotate", "report", "--min-votes", "4", "--database-url", db_url])
    assert none.exit_code == 0 and "0 of 4 tasks" in none.output
    bad = runner.invoke(cli, ["annotate", "report", "--min-votes", "0", "--database-url", db_url])
    assert bad.exit_code == 2


# ------------------------------------------------------------------------------------------ browser

@pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM_REASON)
def test_page_in_a_browser_with_the_keyboard(tmp_path, rows_file):
    """Headless Chromium: the token typed in, keys 1/2/3 and Enter, a missing-answer error, the done state,
    the token kept across a reload; another annotator's link with ?token= (taken out of the address)."""
    from playwright import sync_api

    db_url = f"sqlite:///{tmp_path / 'events.db'}"
    assert _prepare(db_url, rows_file, "--n", "2").exit_code == 0
    app = create_app(Settings(database_url=db_url, jobs_dir=tmp_path / "jobs"))
    _, token = app.state.store.annotators.add("Alice")
    _, bob_token = app.state.store.annotators.add("bob")
    problems: list[str] = []
    with live_server(app) as base, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        ctx.set_default_timeout(20_000)
        page = ctx.new_page()
        page.on("pageerror", lambda e: problems.append(str(e)))
        # (the wrong token's 401 is expected; any other console error is a problem)
        page.on("console", lambda m: problems.append(m.text)
                if m.type == "error" and "401" not in m.text else None)
        page.goto(f"{base}/annotate")

        # no token yet: the token field has the focus; a wrong one is refused by the server
        page.wait_for_function("() => document.activeElement && "
                               "document.activeElement.id === 'token'")
        page.keyboard.type("x" * 32)
        page.keyboard.press("Enter")
        page.wait_for_selector("#error:not([hidden])")
        assert "unknown annotator token" in page.text_content("#error")
        page.fill("#token", token)
        page.keyboard.press("Enter")
        page.wait_for_selector("#task:not([hidden])")
        assert page.text_content("#who-name") == "signed in as alice"
        intent = page.text_content("#intent")
        assert intent in ROWS
        assert page.text_content("#progress") == "0 of 2 answered"
        for img in ("#img-source", "#img-teacher", "#img-student"):
            page.wait_for_function(f"() => document.querySelector('{img}').complete && "
                                   f"document.querySelector('{img}').naturalWidth > 0")

        # Enter before answering: a clear error, nothing stored
        page.keyboard.press("Enter")
        page.wait_for_selector("#error:not([hidden])")
        assert "answer question 1" in page.text_content("#error")
        assert list(iter_annotations(app.state.store)) == []

        # 1 answers question 1 and moves on to question 2; 2 answers it; Enter submits
        page.keyboard.press("1")
        assert page.is_checked("input[name=relevant][value=yes]")
        assert page.evaluate("document.activeElement.name") == "student_matches_teacher"
        page.keyboard.press("2")
        assert page.is_checked("input[name=student_matches_teacher][value=no]")
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.getElementById('progress').textContent === "
                               "'1 of 2 answered'")
        page.wait_for_function(f"() => document.getElementById('intent').textContent !== "
                               f"{json.dumps(intent)}")
        [votes] = [v.votes for v in app.state.store.annotations.votes() if v.task.intent == intent]
        assert votes == {"relevant": {"alice": "yes"}, "student_matches_teacher": {"alice": "no"}}
        assert page.is_hidden("#error")

        # the second task with the arrow keys and Tab, submitted with the button: then all done
        page.keyboard.press("3")
        assert page.is_checked("input[name=relevant][value=unsure]")
        page.keyboard.press("ArrowRight")  # focus is on question 2's first answer: the arrow checks "no"
        assert page.is_checked("input[name=student_matches_teacher][value=no]")
        page.click("input[name=student_matches_teacher][value=yes]")
        page.click("#submit")
        page.wait_for_selector("#done:not([hidden])")
        assert "answered all 2" in page.text_content("#done-text")
        assert page.is_hidden("#task")
        assert app.state.store.annotations.progress("alice") == {"answered": 2, "total": 2}

        # the token is remembered: a reload goes straight to the done state
        page.reload()
        page.wait_for_selector("#done:not([hidden])")
        assert page.input_value("#token") == token
        ctx.close()

        # another annotator opens their link: the token is used, then removed from the address bar
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        ctx.set_default_timeout(20_000)
        page = ctx.new_page()
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{base}/annotate?token={bob_token}")
        page.wait_for_selector("#task:not([hidden])")
        assert page.text_content("#who-name") == "signed in as bob"
        assert page.text_content("#progress") == "0 of 2 answered"
        assert bob_token not in page.url and page.url.endswith("/annotate")
        ctx.close()
        browser.close()
    assert problems == [], problems
