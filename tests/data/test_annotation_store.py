"""Annotation tasks and answers in the event store (SQLite and PostgreSQL), and migration 0002."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from tests.store_helpers import (
    head_revision,
    isolated_pg_store,
    iter_annotations,
    record_annotation,
    revision,
    upgrade_to,
)
from vibegrade.data.events import (
    EventStore,
    NewAnnotationTask,
    UnknownAnnotationTaskError,
    annotation_task_key,
    clean_annotator,
)
from vibegrade.schema import ToolChain

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

def chain(**kw) -> dict:
    return ToolChain.model_validate(kw).to_wire()


WARM = chain(adjust={"temperature": 40, "saturation": 10})
COOL = chain(adjust={"temperature": -35}, filter={"name": "enchanted", "intensity": 50})
MONO = chain(adjust={"saturation": -100, "contrast": 20})
BOTH = {"relevant": "yes", "student_matches_teacher": "no"}


def task(intent: str, teacher: dict = WARM, student: dict = COOL, image: str = "astronaut",
         model: str = "default") -> NewAnnotationTask:
    return NewAnnotationTask(intent=intent, teacher_tools=teacher, student_tools=student, student_model=model,
                             image=image, dataset="rows.jsonl")


def three_tasks(store) -> list[str]:
    res = store.tasks.add([task("golden hour"), task("icy winter", COOL, WARM, "rocket"),
                                      task("film noir", MONO, MONO, "coffee")], created_at=T0)
    assert res.added == 3
    return list(res.ids)


# ------------------------------------------------------------------------------------------ schema

def test_head_has_the_annotation_tables(store):
    store.migrate()
    assert revision(store) == head_revision()
    insp = inspect(store.engine)
    assert "annotation_tasks" in insp.get_table_names()
    cols = {c["name"]: c for c in insp.get_columns("annotations")}
    assert cols["task_id"]["nullable"] is True
    uniques = {u["name"]: u["column_names"] for u in insp.get_unique_constraints("annotations")}
    assert uniques["uq_annotations_task_annotator_question_revision"] == ["task_id", "annotator", "question",
                                                                          "revision"]
    assert {"id", "name", "display_name", "token_hash", "created_at"} <= {
        c["name"] for c in insp.get_columns("annotators")}
    fks = {fk["name"]: fk for fk in insp.get_foreign_keys("annotations") if fk["name"]}
    assert fks["fk_annotations_task_id"]["referred_table"] == "annotation_tasks"
    task_cols = {c["name"] for c in insp.get_columns("annotation_tasks")}
    assert {"id", "key", "created_at", "position", "dataset", "intent", "teacher_tools", "student_tools",
            "student_model", "image"} <= task_cols


# ------------------------------------------------------------------------------------------ tasks

def test_add_tasks_is_idempotent_and_validated(store):
    ids = three_tasks(store)
    assert len(set(ids)) == 3 and store.tasks.count() == 3
    t = store.tasks.get(ids[1])
    assert t.intent == "icy winter" and t.image == "rocket" and t.student_model == "default"
    assert t.teacher_tools == COOL and t.student_tools == WARM and t.dataset == "rows.jsonl"
    assert t.key == annotation_task_key("icy winter", COOL, WARM, "default", "rocket")

    # same content again (the request differs only in case and spaces): nothing new, the stored ids back
    again = store.tasks.add([task("  Golden   HOUR "), task("icy winter", COOL, WARM, "rocket")])
    assert again.added == 0 and again.ids == (ids[0], ids[1])
    # another student chain, model or image is another task
    more = store.tasks.add([task("golden hour", student=MONO), task("golden hour", model="m2"),
                                       task("golden hour", image="chelsea"),
                                       task("golden hour", image="chelsea")])
    assert more.added == 3 and more.ids[2] == more.ids[3] and ids[0] not in more.ids
    assert store.tasks.count() == 6

    with pytest.raises(ValueError):
        store.tasks.add([task("fine"), task("   ")])  # empty request
    with pytest.raises(ValueError):
        store.tasks.add([task("fine", student={"adjust": {"exposure": 900}})])
    with pytest.raises(ValueError):
        store.tasks.add([task("fine", image="")])
    assert store.tasks.count() == 6  # nothing of a rejected batch was written
    assert store.tasks.get("no-such-id") is None


def test_next_task_prefers_fewest_annotators(store):
    t1, t2, t3 = three_tasks(store)
    assert store.annotations.progress("alice") == {"answered": 0, "total": 3}
    assert store.annotations.next_task("alice").id == t1  # all unanswered: preparation order
    store.annotations.record(t1, "alice", BOTH)
    assert store.annotations.next_task("alice").id == t2
    assert store.annotations.next_task("bob").id == t2  # t1 already has an annotator
    store.annotations.record(t2, "bob", BOTH)
    assert store.annotations.next_task("carol").id == t3
    store.annotations.record(t3, "carol", BOTH)
    # every task has one annotator now: back to preparation order, skipping what carol answered
    assert store.annotations.next_task("carol").id == t1
    store.annotations.record(t1, "carol", BOTH)
    assert store.annotations.next_task("bob").id == t3  # t1 has two annotators, t3 one
    for t in (t2, t3):
        store.annotations.record(t, "alice", BOTH)
    assert store.annotations.next_task("alice") is None
    assert store.annotations.progress("alice") == {"answered": 3, "total": 3}
    assert store.annotations.progress(" bob ") == {"answered": 1, "total": 3}


def test_partly_answered_task_is_offered_again(store):
    [t1] = store.tasks.add([task("golden hour")]).ids
    store.annotations.record(t1, "dave", {"relevant": "unsure"})
    assert store.annotations.next_task("dave").id == t1
    assert store.annotations.progress("dave")["answered"] == 0
    store.annotations.record(t1, "dave", {"student_matches_teacher": "yes"})
    assert store.annotations.next_task("dave") is None
    assert store.annotations.progress("dave")["answered"] == 1


def test_answering_again_keeps_every_revision(store):
    t1, t2, _ = three_tasks(store)
    assert store.annotations.record(t1, "alice", BOTH, created_at=T0) == 1
    assert store.annotations.record(t1, "bob", {"relevant": "no", "student_matches_teacher": "no"}) == 1
    assert store.annotations.record(t1, "Alice", {"relevant": "no", "student_matches_teacher": "unsure"},
                                     created_at=T0 + timedelta(minutes=5)) == 2
    votes = {v.task.id: v.votes for v in store.annotations.votes()}
    assert votes[t1] == {"relevant": {"alice": "no", "bob": "no"},  # the latest revision counts
                         "student_matches_teacher": {"alice": "unsure", "bob": "no"}}
    assert votes[t2] == {}
    alice = sorted((a["created_at"], a["question"], a["answer"]) for a in iter_annotations(store)
                   if a["annotator"] == "alice")
    assert alice == [(T0, "relevant", "yes"), (T0, "student_matches_teacher", "no"),
                     (T0 + timedelta(minutes=5), "relevant", "no"),
                     (T0 + timedelta(minutes=5), "student_matches_teacher", "unsure")]
    # the database itself refuses two answers with the same revision
    from vibegrade.data.events import Annotation

    with pytest.raises(IntegrityError):
        with store.db.write.begin() as s:
            s.add(Annotation(id=str(uuid.uuid4()), task_id=t1, annotator="alice", question="relevant",
                             answer="yes", created_at=T0, revision=2))


def test_look_alike_names_are_one_annotator(store):
    t1, *_ = three_tasks(store)
    from vibegrade.data.events import AnnotatorExistsError, normalize_annotator

    assert {normalize_annotator(n) for n in ("alice", "Alice", "ALICE", "ａｌｉｃｅ", " alice ")} == {"alice"}
    for name in ("alice", "Alice", "ａｌｉｃｅ"):
        store.annotations.record(t1, name, BOTH)
    [v1] = [v.votes for v in store.annotations.votes() if v.task.id == t1]
    assert v1 == {"relevant": {"alice": "yes"}, "student_matches_teacher": {"alice": "no"}}
    key, token = store.annotators.add("Alice")
    assert key == "alice" and len(token) >= 32 and store.annotators.for_token(token) == "alice"
    with pytest.raises(AnnotatorExistsError):
        store.annotators.add("ａｌｉｃｅ")
    _, new_token = store.annotators.add("ALICE", rotate=True)
    assert store.annotators.for_token(token) is None and store.annotators.for_token(new_token) == "alice"
    with pytest.raises(ValueError):
        store.annotators.add("nobody", rotate=True)
    with store.engine.connect() as c:  # only the hash is stored
        stored = [r[0] for r in c.execute(text("SELECT token_hash FROM annotators"))]
    assert stored and new_token not in stored and token not in stored


def test_answer_validation(store):
    t1, *_ = three_tasks(store)
    with pytest.raises(UnknownAnnotationTaskError) as e:
        store.annotations.record("no-such-task", "alice", BOTH)
    assert isinstance(e.value, KeyError) and "no-such-task" in str(e.value)
    for bad in ({"relevant": "maybe"}, {"pretty": "yes"}, {}):
        with pytest.raises(ValueError):
            store.annotations.record(t1, "alice", bad)
    for name in ("", "   ", "tab\x00name", "x" * 129):
        with pytest.raises(ValueError):
            store.annotations.record(t1, name, BOTH)
    assert list(iter_annotations(store)) == []
    assert clean_annotator("  Ada   Lovelace ") == "Ada Lovelace"
    with pytest.raises(ValueError):
        clean_annotator("x" * 65, 64)


def test_votes_in_preparation_order(store):
    t1, t2, t3 = three_tasks(store)
    later = store.tasks.add([task("sunset")], created_at=T0 + timedelta(days=1)).ids[0]
    earlier = store.tasks.add([task("dawn")], created_at=T0 - timedelta(days=1)).ids[0]
    store.annotations.record(t3, "alice", BOTH)
    votes = store.annotations.votes()
    assert [v.task.id for v in votes] == [earlier, t1, t2, t3, later]
    assert votes[3].votes == {"relevant": {"alice": "yes"}, "student_matches_teacher": {"alice": "no"}}


def test_concurrent_identical_answers(store):
    t1, *_ = three_tasks(store)
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def submit(i: int) -> None:
        try:
            barrier.wait()
            store.annotations.record(t1, "alice", {"relevant": ("yes", "no")[i % 2],
                                                    "student_matches_teacher": "unsure"})
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    rows = [a for a in iter_annotations(store) if a["annotator"] == "alice"]
    assert sorted(a["question"] for a in rows) == ["relevant"] * 6 + ["student_matches_teacher"] * 6
    with store.engine.connect() as c:
        revs = sorted(r[0]
                      for r in c.execute(
                          text("SELECT revision FROM annotations WHERE question = 'relevant'")))
    assert revs == [1, 2, 3, 4, 5, 6]


# ------------------------------------------------------------------------------------------ migration

@pytest.fixture(params=["sqlite", "postgresql"])
def old_store(request, tmp_path):
    """A store whose database is at revision 0001 (migrate() not run yet)."""
    if request.param == "sqlite":
        s = EventStore(f"sqlite:///{tmp_path / 'old.db'}")
        upgrade_to(s, "0001_initial")
        yield s
        s.close()
        return
    with isolated_pg_store(request.getfixturevalue("pg_url")) as s:
        upgrade_to(s, "0001_initial")
        yield s


def test_migration_upgrades_a_0001_database_with_data(old_store):
    s = old_store
    assert revision(s) == "0001_initial"
    with s.engine.execution_options(vibegrade_write=True).begin() as c:
        c.execute(text("INSERT INTO projects (id, created_at, user_id, model, intent, intent_key, tools, "
                       "source) VALUES ('p1', :t, 'u1', 'default', 'warm', 'warm', :tools, 'student')"),
                  {"t": T0, "tools": '{"adjust": {}, "selective_adjust": {}, "filter": {"name": "none", '
                                     '"intensity": 0}}'})
        c.execute(text("INSERT INTO exports (id, project_id, created_at, event_id, tools_kept) "
                       "VALUES ('e1', 'p1', :t, 'ev1', '{\"adjust\": true}')"), {"t": T0})
        for i, pid in enumerate(("p1", None, "p1")):
            c.execute(text("INSERT INTO annotations (id, project_id, created_at, annotator, question, "
                           "answer) VALUES (:id, :pid, :t, 'ann', 'looks good?', :a)"),
                      {"id": f"a{i}", "pid": pid, "t": T0, "a": ("yes", "no", "yes")[i]})

    s.migrate()
    assert revision(s) == head_revision()
    assert s.counts() == {"projects": 1, "exports": 1}
    old = sorted(iter_annotations(s), key=lambda a: a["id"])
    assert [(a["id"], a["project_id"], a["answer"]) for a in old] == [("a0", "p1", "yes"), ("a1", None, "no"),
                                                                       ("a2", "p1", "yes")]
    with s.engine.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM annotations WHERE task_id IS NULL")).scalar() == 3
    # the old rows do not clash with the new unique constraint (NULL task ids), new answers work
    [t1] = s.tasks.add([task("golden hour")]).ids
    s.annotations.record(t1, "ann", BOTH)
    record_annotation(s, annotator="ann", question="looks good?", answer="yes", project_id="p1")
    assert len(list(iter_annotations(s))) == 6
    # foreign keys still hold after the table was rebuilt (SQLite batch mode)
    with pytest.raises(IntegrityError):
        with s.db.write.begin() as ses:
            ses.execute(text("INSERT INTO annotations (id, created_at, annotator, question, answer, task_id) "
                             "VALUES ('bad', :t, 'x', 'relevant', 'yes', 'no-such-task')"), {"t": T0})

    upgrade_to(s, "0001_initial", downgrade=True)
    assert revision(s) == "0001_initial"
    insp = inspect(s.engine)
    assert "annotation_tasks" not in insp.get_table_names()
    assert "task_id" not in {c["name"] for c in insp.get_columns("annotations")}
    with s.engine.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM annotations WHERE project_id = 'p1'")).scalar() == 3


@pytest.fixture(params=["sqlite", "postgresql"])
def store_at_0002(request, tmp_path):
    """A store whose database is at revision 0002 (migrate() not run yet)."""
    if request.param == "sqlite":
        s = EventStore(f"sqlite:///{tmp_path / 'v2.db'}")
        upgrade_to(s, "0002_annotation_tasks")
        yield s
        s.close()
        return
    with isolated_pg_store(request.getfixturevalue("pg_url")) as s:
        upgrade_to(s, "0002_annotation_tasks")
        yield s


def test_migration_0003_keeps_answers_as_revision_1_and_back(store_at_0002):
    s = store_at_0002
    s._migrated = True  # write the 0002-era rows without upgrading first
    with s.engine.execution_options(vibegrade_write=True).begin() as c:
        c.execute(text("INSERT INTO annotation_tasks (id, key, created_at, position, intent, teacher_tools, "
                       "student_tools, student_model, image) VALUES ('t1', 'k1', :t, 0, 'warm', '{}', '{}', "
                       "'default', 'astronaut')"), {"t": T0})
        for i, (who, q, a) in enumerate((("Alice", "relevant", "yes"),
                                         ("Alice", "student_matches_teacher", "no"),
                                         ("bob", "relevant", "no"))):
            c.execute(text("INSERT INTO annotations (id, created_at, annotator, question, answer, task_id) "
                           "VALUES (:id, :t, :who, :q, :a, 't1')"),
                           {"id": f"a{i}", "t": T0, "who": who, "q": q, "a": a})
    s.migrate()
    assert revision(s) == head_revision()
    with s.engine.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM annotations WHERE revision = 1")).scalar() == 3
    [v] = [v.votes for v in s.annotations.votes()]
    assert v == {"relevant": {"alice": "yes", "bob": "no"}, "student_matches_teacher": {"alice": "no"}}
    assert s.annotations.record("t1", "bob", {"relevant": "yes"}) == 2
    assert s.annotations.record("t1", "bob", {"relevant": "unsure"}) == 3
    s.annotators.add("carol")
    upgrade_to(s, "0002_annotation_tasks", downgrade=True)
    assert revision(s) == "0002_annotation_tasks"
    insp = inspect(s.engine)
    assert "annotators" not in insp.get_table_names()
    with s.engine.connect() as c:  # only the latest revision of bob's answer is left
        rows = sorted(c.execute(text("SELECT annotator, question, answer FROM annotations")).all())
    assert rows == [("Alice", "relevant", "yes"), ("Alice", "student_matches_teacher", "no"),
                    ("bob", "relevant", "unsure")]
