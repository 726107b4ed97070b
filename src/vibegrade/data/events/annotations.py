"""Answers on the annotators' reality-check page: the next task to show, progress, answers (every
revision kept) and the votes (the latest revision per task, question and annotator)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from vibegrade.data.events.annotators import normalize_annotator
from vibegrade.data.events.database import Database
from vibegrade.data.events.models import Annotation, AnnotationTask, as_utc, utcnow
from vibegrade.data.events.tasks import AnnotationTaskRecord, UnknownAnnotationTaskError, task_record

__all__ = ["AnnotationStore", "TaskVotes", "ANNOTATION_QUESTIONS", "ANNOTATION_ANSWERS"]

#: Questions of the annotators' reality-check page, in display order: is the teacher's grade relevant to
#: the request, and does the student's grade match the teacher's?
ANNOTATION_QUESTIONS: tuple[str, ...] = ("relevant", "student_matches_teacher")
#: The answers every reality-check question accepts.
ANNOTATION_ANSWERS: tuple[str, ...] = ("yes", "no", "unsure")


@dataclass(frozen=True)
class TaskVotes:
    """A task and its answers: ``votes[question][annotator] = answer``."""

    task: AnnotationTaskRecord
    votes: dict[str, dict[str, str]]


def _done_by(annotator: str) -> Any:
    """Subquery: ids of the tasks ``annotator`` has answered every question of."""
    return (select(Annotation.task_id)
            .where(Annotation.annotator == annotator, Annotation.task_id.is_not(None),
                   Annotation.question.in_(ANNOTATION_QUESTIONS))
            .group_by(Annotation.task_id)
            .having(func.count(func.distinct(Annotation.question)) >= len(ANNOTATION_QUESTIONS)))


def _check_answers(answers: Mapping[str, str]) -> None:
    if not answers:
        raise ValueError("no answers given")
    for q, a in answers.items():
        if q not in ANNOTATION_QUESTIONS:
            raise ValueError(f"unknown question {q!r}; expected one of {list(ANNOTATION_QUESTIONS)}")
        if a not in ANNOTATION_ANSWERS:
            raise ValueError(f"{q}: unknown answer {a!r}; expected one of {list(ANNOTATION_ANSWERS)}")


class AnnotationStore:
    """The ``annotations`` table (answers on tasks) read with the ``annotation_tasks`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def next_task(self, annotator: str) -> AnnotationTaskRecord | None:
        """A task ``annotator`` has not answered yet (every question), preferring the tasks with the fewest
        annotators so far, then the oldest preparation, then the preparation order; None when done.
        Names are compared normalised (:func:`normalize_annotator`)."""
        self._db.ensure()
        annotator = normalize_annotator(annotator)
        per_task = (select(Annotation.task_id.label("task_id"),
                           func.count(func.distinct(Annotation.annotator)).label("n"))
                    .where(Annotation.task_id.is_not(None))
                    .group_by(Annotation.task_id)
                    .subquery())
        q = (select(AnnotationTask)
             .outerjoin(per_task, per_task.c.task_id == AnnotationTask.id)
             .where(AnnotationTask.id.not_in(_done_by(annotator)))
             .order_by(func.coalesce(per_task.c.n, 0), AnnotationTask.created_at, AnnotationTask.position,
                       AnnotationTask.id)
             .limit(1))
        with self._db.read() as s:
            t = s.scalars(q).first()
            return None if t is None else task_record(t)

    def progress(self, annotator: str) -> dict[str, int]:
        """``{"answered": tasks annotator has answered every question of, "total": tasks}``."""
        self._db.ensure()
        annotator = normalize_annotator(annotator)
        with self._db.read() as s:
            total = s.scalar(select(func.count()).select_from(AnnotationTask)) or 0
            done = s.scalar(select(func.count()).select_from(_done_by(annotator).subquery())) or 0
        return {"answered": int(done), "total": int(total)}

    def record(self, task_id: str, annotator: str, answers: Mapping[str, str], *,
               created_at: datetime | None = None) -> int:
        """Record ``annotator``'s answers (``{question: answer}``, questions from
        :data:`ANNOTATION_QUESTIONS`, answers from :data:`ANNOTATION_ANSWERS`) on a task.

        Every answer is kept: answering again adds a new revision (the report counts the latest one per
        annotator). The name is stored normalised (:func:`normalize_annotator`). Returns the revision
        written (1 for a first answer). Raises :class:`UnknownAnnotationTaskError` (a ``KeyError``) for an
        unknown task and ``ValueError`` for an unknown question or answer.
        """
        self._db.ensure()
        annotator = normalize_annotator(annotator)
        _check_answers(answers)
        when = as_utc(created_at) if created_at else utcnow()
        task_id = str(task_id)
        for attempt in range(10):
            try:
                with self._db.write.begin() as s:
                    if s.get(AnnotationTask, task_id) is None:
                        raise UnknownAnnotationTaskError(f"unknown annotation task {task_id!r}")
                    latest = s.scalar(select(func.max(Annotation.revision))
                                      .where(Annotation.task_id == task_id, Annotation.annotator == annotator,
                                             Annotation.question.in_(list(answers)))) or 0
                    revision = int(latest) + 1
                    for q, ans in answers.items():
                        s.add(Annotation(id=str(uuid.uuid4()), task_id=task_id, project_id=None,
                                         created_at=when, annotator=annotator, question=q, answer=ans,
                                         revision=revision))
                return revision
            except IntegrityError:
                # a concurrent submit by the same annotator took this revision number: take the next one
                if attempt == 9:
                    raise
        raise AssertionError("unreachable")

    def votes(self) -> list[TaskVotes]:
        """Every task (preparation order) with its answers ``votes[question][annotator] = answer``."""
        self._db.ensure()
        with self._db.read() as s:
            tasks = [task_record(t) for t in s.scalars(
                select(AnnotationTask).order_by(AnnotationTask.created_at, AnnotationTask.position,
                                                AnnotationTask.id))]
            answers = s.execute(select(Annotation.task_id, Annotation.question, Annotation.annotator,
                                       Annotation.answer)
                                .where(Annotation.task_id.is_not(None))
                                .order_by(Annotation.revision, Annotation.created_at, Annotation.id)).all()
        # the latest revision per task, question and (normalised) annotator wins
        latest: dict[str, dict[str, dict[str, str]]] = {}
        for task_id, question, annotator, answer in answers:
            try:
                key = normalize_annotator(annotator)
            except ValueError:
                key = annotator
            latest.setdefault(str(task_id), {}).setdefault(question, {})[key] = answer
        votes = {t: {q: dict(sorted(by.items())) for q, by in qs.items()} for t, qs in latest.items()}
        return [TaskVotes(task=t, votes=votes.get(t.id, {})) for t in tasks]
