"""Reality-check tasks (``vibegrade annotate prepare``): a request, the teacher's and a student's chains,
the student model and the bundled sample image to grade."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from vibegrade.data.events.database import Database
from vibegrade.data.events.models import AnnotationTask, as_utc, utcnow
from vibegrade.data.events.projects import canonical_tools
from vibegrade.data.rows import clean_intent, normalize_intent
from vibegrade.schema import ToolChain

__all__ = ["TaskStore", "NewAnnotationTask", "AnnotationTaskRecord", "AddedAnnotationTasks",
           "UnknownAnnotationTaskError", "annotation_task_key", "task_record"]


class UnknownAnnotationTaskError(KeyError):
    """An answer names an annotation task id that does not exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "unknown annotation task"


@dataclass(frozen=True)
class NewAnnotationTask:
    """A task to store with :meth:`TaskStore.add`.

    ``intent``: the request (validated like a user request); ``teacher_tools`` / ``student_tools``: tool
    chains (:class:`ToolChain`, wire dict or JSON text); ``student_model``: the model that predicted
    ``student_tools`` (a folder path or ``"default"``, at most 256 characters); ``image``: a bundled sample
    image name (:data:`vibegrade.samples.SAMPLE_IMAGES`); ``dataset``: where the row came from (shown in
    reports only).
    """

    intent: str
    teacher_tools: ToolChain | Mapping[str, Any] | str
    student_tools: ToolChain | Mapping[str, Any] | str
    student_model: str
    image: str
    dataset: str | None = None


@dataclass(frozen=True)
class AnnotationTaskRecord:
    id: str
    key: str
    created_at: datetime
    position: int
    dataset: str | None
    intent: str
    teacher_tools: dict[str, Any]
    student_tools: dict[str, Any]
    student_model: str
    image: str


@dataclass(frozen=True)
class AddedAnnotationTasks:
    """``ids``: the id of every task given, in order (the stored id when it was already there);
    ``added``: how many were new."""

    ids: tuple[str, ...]
    added: int


def annotation_task_key(intent: str, teacher_tools: Mapping[str, Any], student_tools: Mapping[str, Any],
                        student_model: str, image: str) -> str:
    """Content hash (64 hex digits) identifying a task: the request (case- and whitespace-insensitive),
    both chains (canonical wire form), the student model and the image."""
    blob = json.dumps({"intent": normalize_intent(intent), "teacher": teacher_tools, "student": student_tools,
                       "model": student_model, "image": image}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def task_record(t: AnnotationTask) -> AnnotationTaskRecord:
    return AnnotationTaskRecord(id=t.id, key=t.key, created_at=as_utc(t.created_at), position=t.position,
                                dataset=t.dataset, intent=t.intent, teacher_tools=dict(t.teacher_tools),
                                student_tools=dict(t.student_tools), student_model=t.student_model,
                                image=t.image)


def _task_row(i: int, t: NewAnnotationTask, when: datetime) -> AnnotationTask:
    """The row for task number ``i`` (validated: ``ValueError`` naming the task)."""
    intent = clean_intent(t.intent)
    teacher, student = canonical_tools(t.teacher_tools), canonical_tools(t.student_tools)
    model, image = str(t.student_model), str(t.image)
    if not model or len(model) > 256:
        raise ValueError(f"task {i}: the student model name must be 1..256 characters")
    if not image or len(image) > 64:
        raise ValueError(f"task {i}: the image name must be 1..64 characters")
    dataset = None if t.dataset is None else str(t.dataset)[-512:]
    key = annotation_task_key(intent, teacher, student, model, image)
    return AnnotationTask(id=str(uuid.uuid4()), key=key, created_at=when, position=i, dataset=dataset,
                          intent=intent, teacher_tools=teacher,
                          student_tools=student, student_model=model, image=image)


class TaskStore:
    """The ``annotation_tasks`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, tasks: Iterable[NewAnnotationTask], *,
            created_at: datetime | None = None) -> AddedAnnotationTasks:
        """Store reality-check tasks; tasks already stored (same :func:`annotation_task_key`) are kept as
        they are, so re-running the same preparation adds nothing.

        Everything is validated before anything is written (``ValueError`` on an invalid request, chain,
        model or image name). New tasks are shown in the order given.
        """
        self._db.ensure()
        when = as_utc(created_at) if created_at else utcnow()
        rows = [_task_row(i, t, when) for i, t in enumerate(tasks)]
        keys = list(dict.fromkeys(r.key for r in rows))
        for attempt in range(3):
            try:
                with self._db.write.begin() as s:
                    known: dict[str, str] = {}
                    for start in range(0, len(keys), 500):
                        chunk = keys[start:start + 500]
                        q = select(AnnotationTask.key, AnnotationTask.id).where(AnnotationTask.key.in_(chunk))
                        known.update((k, i) for k, i in s.execute(q))
                    ids: dict[str, str] = dict(known)
                    added = 0
                    for r in rows:
                        if r.key in ids:
                            continue
                        s.add(r)
                        ids[r.key] = r.id
                        added += 1
                return AddedAnnotationTasks(ids=tuple(ids[r.key] for r in rows), added=added)
            except IntegrityError:
                # a concurrent preparation stored some of the same tasks first: look again
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def get(self, task_id: str) -> AnnotationTaskRecord | None:
        """The task with this id, or None."""
        self._db.ensure()
        with self._db.read() as s:
            t = s.get(AnnotationTask, str(task_id))
            return None if t is None else task_record(t)

    def count(self) -> int:
        """How many annotation tasks are stored."""
        self._db.ensure()
        with self._db.read() as s:
            return int(s.scalar(select(func.count()).select_from(AnnotationTask)) or 0)
