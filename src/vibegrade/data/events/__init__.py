"""Behavioural event store: every request served (*project*), every download (*export*) and
human annotations, in SQLite (default, WAL mode) or PostgreSQL.

Tables (created by the Alembic migrations in :mod:`vibegrade.data.migrations`):

* ``projects`` -- one served request: ``id`` (UUID string), ``created_at`` (UTC), ``user_id``
  (anonymous), ``experiment``/``variant`` (A/B test, nullable), ``model``, ``intent`` (as typed,
  whitespace-cleaned), ``intent_key`` (:func:`~vibegrade.data.rows.normalize_intent`, indexed),
  ``tools`` (the chain's canonical wire form, JSON), ``source`` (``student``/``teacher``/``override``...),
  ``latency_ms``.
* ``turns`` -- the conversation of a project after its first chain: one row per follow-up (a refinement
  such as "warmer" or "undo", a step in its history, a slider change), numbered 1, 2, ... per project
  (unique), with the request, the op, and the current chain and history cursor after it.
* ``exports`` -- the user downloaded the result of a project: ``event_id`` is unique (idempotency key
  sent by the client), ``tools_kept`` is ``{"adjust": bool, "selective_adjust": bool, "filter": bool}``.
* ``annotations`` -- answers to questions on an annotation page (``project_id`` nullable); answers on
  the annotators' reality-check page carry ``task_id`` and a ``revision`` (every answer is kept; the latest
  revision per task, annotator and question counts).
* ``annotators`` -- invited annotators (``vibegrade annotate invite``): normalised name, token hash.
* ``annotation_tasks`` -- what the reality-check page shows (``vibegrade annotate prepare``): a request,
  the teacher's and a student's tool chains, the student model and the bundled sample image to grade.

URL: ``EventStore(url)``; default ``$VIBEGRADE_DATABASE_URL``, else ``sqlite:///{data_dir}/events.db``
(:func:`vibegrade.files.data_dir`: ``$VIBEGRADE_DATA_DIR``, else ``~/.local/share/vibegrade``).
``postgresql://`` / ``postgres://`` URLs are rewritten to the psycopg 3 driver
(``postgresql+psycopg://``). The store migrates itself (``alembic upgrade head``) on first use.

One module per concern, over one shared engine (:mod:`.database`: the engine, its session factories and
the migrations); :class:`EventStore` (:mod:`.store`) holds them together:

* :mod:`.projects` -- :class:`ProjectStore` (``store.projects``); :mod:`.exports` -- :class:`ExportStore`
  (``store.exports``); :mod:`.ab` -- :class:`ABStore` (``store.ab``, per-variant counts);
* :mod:`.turns` -- :class:`TurnStore` (``store.turns``, conversation turns);
* :mod:`.tasks` -- :class:`TaskStore` (``store.tasks``); :mod:`.annotators` -- :class:`AnnotatorStore`
  (``store.annotators``); :mod:`.annotations` -- :class:`AnnotationStore` (``store.annotations``).

Every method opens its own session, so one store can be shared by the threads of a web app. On
SQLite writes start with ``BEGIN IMMEDIATE`` (so concurrent writers queue on the busy timeout
instead of failing) and the database runs in WAL mode, so readers never block the writer.
"""

from __future__ import annotations

from vibegrade.data.events.ab import ABStore
from vibegrade.data.events.annotations import (
                                               ANNOTATION_ANSWERS,
                                               ANNOTATION_QUESTIONS,
                                               AnnotationStore,
                                               TaskVotes,
)
from vibegrade.data.events.annotators import (
                                               MAX_ANNOTATOR_CHARS,
                                               AnnotatorExistsError,
                                               AnnotatorStore,
                                               clean_annotator,
                                               hash_token,
                                               normalize_annotator,
)
from vibegrade.data.events.database import (
                                               MIGRATIONS_DIR,
                                               Database,
                                               default_database_url,
                                               normalize_database_url,
)
from vibegrade.data.events.exports import EventIdConflictError, ExportStore, UnknownProjectError
from vibegrade.data.events.models import Annotation, AnnotationTask, Annotator, Base, Export, Project, Turn
from vibegrade.data.events.projects import ExportRecord, ProjectRecord, ProjectStore
from vibegrade.data.events.store import EventStore
from vibegrade.data.events.tasks import (
                                               AddedAnnotationTasks,
                                               AnnotationTaskRecord,
                                               NewAnnotationTask,
                                               TaskStore,
                                               UnknownAnnotationTaskError,
                                               annotation_task_key,
)
from vibegrade.data.events.turns import SPOKEN_OPS, TURN_OPS, TurnConflictError, TurnRecord, TurnStore

__all__ = [
    "EventStore",
    "Database",
    "ProjectStore",
    "ExportStore",
    "ABStore",
    "TaskStore",
    "AnnotatorStore",
    "AnnotationStore",
    "Base",
    "Project",
    "Export",
    "Turn",
    "TurnStore",
    "TurnRecord",
    "TurnConflictError",
    "TURN_OPS",
    "SPOKEN_OPS",
    "Annotation",
    "AnnotationTask",
    "Annotator",
    "ProjectRecord",
    "ExportRecord",
    "UnknownProjectError",
    "EventIdConflictError",
    "default_database_url",
    "normalize_database_url",
    "MIGRATIONS_DIR",
    "NewAnnotationTask",
    "AnnotationTaskRecord",
    "AddedAnnotationTasks",
    "TaskVotes",
    "UnknownAnnotationTaskError",
    "ANNOTATION_QUESTIONS",
    "ANNOTATION_ANSWERS",
    "MAX_ANNOTATOR_CHARS",
    "annotation_task_key",
    "clean_annotator",
    "normalize_annotator",
    "hash_token",
    "AnnotatorExistsError",
]
