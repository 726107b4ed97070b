"""Behavioural event store: every request served (*project*), every download (*export*) and
human annotations, in SQLite (default, WAL mode) or PostgreSQL.

Tables (created by the Alembic migrations in :mod:`vibegrade.data.migrations`):

* ``projects`` -- one served request: ``id`` (UUID string), ``created_at`` (UTC), ``user_id``
  (anonymous), ``experiment``/``variant`` (A/B test, nullable), ``model``, ``intent`` (as typed,
  whitespace-cleaned), ``intent_key`` (:func:`~vibegrade.data.rows.normalize_intent`, indexed),
  ``tools`` (the chain's canonical wire form, JSON), ``source`` (``student``/``teacher``/``override``...),
  ``latency_ms``.
* ``exports`` -- the user downloaded the result of a project: ``event_id`` is unique (idempotency key
  sent by the client), ``tools_kept`` is ``{"adjust": bool, "selective_adjust": bool, "filter": bool}``.
* ``annotations`` -- answers to questions on an annotation page (``project_id`` nullable); answers on
  the annotators' reality-check page carry ``task_id`` and a ``revision`` (every answer is kept; the latest
  revision per task, annotator and question counts).
* ``annotators`` -- invited annotators (``vibegrade annotate invite``): normalised name, token hash.
* ``annotation_tasks`` -- what the reality-check page shows (``vibegrade annotate prepare``): a request,
  the teacher's and a student's tool chains, the student model and the bundled sample image to grade.

URL: ``EventStore(url)``; default ``$VIBEGRADE_DATABASE_URL``, else
``sqlite:///$VIBEGRADE_DATA_DIR/events.db`` (``~/.local/share/vibegrade/events.db``).
``postgresql://`` / ``postgres://`` URLs are rewritten to the psycopg 3 driver
(``postgresql+psycopg://``). The store migrates itself (``alembic upgrade head``) on first use.

Every method opens its own session, so one store can be shared by the threads of a web app. On
SQLite writes start with ``BEGIN IMMEDIATE`` (so concurrent writers queue on the busy timeout
instead of failing) and the database runs in WAL mode, so readers never block the writer.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from vibegrade.data.rows import clean_intent, normalize_intent
from vibegrade.schema import TOOL_NAMES, ToolChain, parse_chain
from vibegrade.tools.filters import preset_names

__all__ = [
    "Base",
    "Project",
    "Export",
    "Annotation",
    "ProjectRecord",
    "ExportRecord",
    "EventStore",
    "UnknownProjectError",
    "EventIdConflictError",
    "default_database_url",
    "normalize_database_url",
    "MIGRATIONS_DIR",
    "AnnotationTask",
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
    "Annotator",
    "AnnotatorExistsError",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_S = 30.0
_SCHEMA_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

#: Questions of the annotators' reality-check page, in display order: is the teacher's grade relevant to
#: the request, and does the student's grade match the teacher's?
ANNOTATION_QUESTIONS: tuple[str, ...] = ("relevant", "student_matches_teacher")
#: The answers every reality-check question accepts.
ANNOTATION_ANSWERS: tuple[str, ...] = ("yes", "no", "unsure")
#: Longest annotator name the store accepts (the ``annotations.annotator`` column is 128 characters).
MAX_ANNOTATOR_CHARS = 128


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _as_utc(dt: datetime) -> datetime:
    """SQLite returns naive datetimes: they are UTC."""
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


class Base(DeclarativeBase):
    pass


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow, index=True)
    user_id: Mapped[str] = mapped_column(String(128))
    experiment: Mapped[str | None] = mapped_column(String(128))
    variant: Mapped[str | None] = mapped_column(String(128))
    model: Mapped[str] = mapped_column(String(256))
    intent: Mapped[str] = mapped_column(Text)
    intent_key: Mapped[str] = mapped_column(Text, index=True)
    tools: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(32))
    latency_ms: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index("ix_projects_experiment_variant", "experiment", "variant"),)


class Export(Base):
    __tablename__ = "exports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    tools_kept: Mapped[dict[str, bool]] = mapped_column(JSON)


class AnnotationTask(Base):
    """One sample for the reality-check page; ``key`` (a content hash) keeps re-runs from duplicating it."""

    __tablename__ = "annotation_tasks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    position: Mapped[int] = mapped_column(Integer)
    dataset: Mapped[str | None] = mapped_column(String(512))
    intent: Mapped[str] = mapped_column(Text)
    teacher_tools: Mapped[dict[str, Any]] = mapped_column(JSON)
    student_tools: Mapped[dict[str, Any]] = mapped_column(JSON)
    student_model: Mapped[str] = mapped_column(String(256))
    image: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("key", name="uq_annotation_tasks_key"),)


class Annotation(Base):
    __tablename__ = "annotations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    annotator: Mapped[str] = mapped_column(String(128))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    task_id: Mapped[str | None] = mapped_column(
        ForeignKey("annotation_tasks.id", ondelete="CASCADE", name="fk_annotations_task_id"), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __table_args__ = (UniqueConstraint("task_id", "annotator", "question", "revision",
                                       name="uq_annotations_task_annotator_question_revision"),)


class Annotator(Base):
    """An invited annotator: the normalised name and the SHA-256 of their token (never the token)."""

    __tablename__ = "annotators"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)


class UnknownProjectError(KeyError):
    """An export or annotation names a project id that was never recorded."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "unknown project"


class AnnotatorExistsError(ValueError):
    """``add_annotator`` for a name (after normalisation) that already has a token."""


class EventIdConflictError(ValueError):
    """An export's ``event_id`` was already recorded for a different project."""


class UnknownAnnotationTaskError(KeyError):
    """An answer names an annotation task id that does not exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "unknown annotation task"


@dataclass(frozen=True)
class NewAnnotationTask:
    """A task to store with :meth:`EventStore.add_annotation_tasks`.

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


@dataclass(frozen=True)
class TaskVotes:
    """A task and its answers: ``votes[question][annotator] = answer``."""

    task: AnnotationTaskRecord
    votes: dict[str, dict[str, str]]


def clean_annotator(name: object, max_chars: int = MAX_ANNOTATOR_CHARS) -> str:
    """An annotator name with whitespace collapsed; ``ValueError`` if empty, longer than ``max_chars``
    characters or containing control characters. Names are case-sensitive."""
    if not isinstance(name, str):
        raise ValueError("the annotator name must be text")
    if any(not ch.isprintable() and not ch.isspace() for ch in name):
        raise ValueError("the annotator name must not contain control characters")
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValueError("the annotator name must not be empty")
    if len(cleaned) > max_chars:
        raise ValueError(f"the annotator name is {len(cleaned)} characters long; the limit is {max_chars}")
    return cleaned


def normalize_annotator(name: object, max_chars: int = MAX_ANNOTATOR_CHARS) -> str:
    """The key an annotator is known by: :func:`clean_annotator`, then Unicode NFKC and case folding, so
    look-alikes collide (``Alice``, ``ALICE`` and full-width ``ａｌｉｃｅ`` are all ``alice``)."""
    import unicodedata

    cleaned = clean_annotator(name, max_chars)
    key = " ".join(unicodedata.normalize("NFKC", cleaned).casefold().split())
    if not key or any(not ch.isprintable() for ch in key):
        raise ValueError("the annotator name must be printable text")
    if len(key) > max_chars:
        raise ValueError(f"the annotator name is {len(key)} characters long; the limit is {max_chars}")
    return key


def hash_token(token: str) -> str:
    """SHA-256 (hex) of an annotator token: tokens are random 192-bit strings, so a plain hash suffices."""
    import hashlib

    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def annotation_task_key(intent: str, teacher_tools: Mapping[str, Any], student_tools: Mapping[str, Any],
                        student_model: str, image: str) -> str:
    """Content hash (64 hex digits) identifying a task: the request (case- and whitespace-insensitive),
    both chains (canonical wire form), the student model and the image."""
    import hashlib
    import json

    blob = json.dumps({"intent": normalize_intent(intent), "teacher": teacher_tools, "student": student_tools,
                       "model": student_model, "image": image}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _task_record(t: AnnotationTask) -> AnnotationTaskRecord:
    return AnnotationTaskRecord(id=t.id, key=t.key, created_at=_as_utc(t.created_at), position=t.position,
                                dataset=t.dataset, intent=t.intent, teacher_tools=dict(t.teacher_tools),
                                student_tools=dict(t.student_tools), student_model=t.student_model,
                                image=t.image)


@dataclass(frozen=True)
class ExportRecord:
    id: str
    project_id: str
    created_at: datetime
    event_id: str
    tools_kept: dict[str, bool]


@dataclass(frozen=True)
class ProjectRecord:
    id: str
    created_at: datetime
    user_id: str
    experiment: str | None
    variant: str | None
    model: str
    intent: str
    intent_key: str
    tools: dict[str, Any]
    source: str
    latency_ms: float | None
    exports: tuple[ExportRecord, ...] = field(default_factory=tuple)


def default_database_url() -> str:
    """``$VIBEGRADE_DATABASE_URL``, else a SQLite file under ``$VIBEGRADE_DATA_DIR`` or
    ``~/.local/share/vibegrade``."""
    url = os.environ.get("VIBEGRADE_DATABASE_URL", "").strip()
    if url:
        return url
    data_dir = os.environ.get("VIBEGRADE_DATA_DIR", "").strip()
    base = Path(data_dir).expanduser() if data_dir else Path.home() / ".local" / "share" / "vibegrade"
    return f"sqlite:///{base / 'events.db'}"


def normalize_database_url(url: str) -> str:
    """Rewrite ``postgresql://`` / ``postgres://`` to the psycopg 3 driver; other URLs unchanged."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _canonical_tools(tools: ToolChain | Mapping[str, Any] | str) -> dict[str, Any]:
    chain = tools if isinstance(tools, ToolChain) else parse_chain(tools if isinstance(tools, str) else dict(tools),
                                                                        presets=preset_names())
    return chain.to_wire()


def _check_tools_kept(tools_kept: Mapping[str, bool] | None) -> dict[str, bool]:
    if tools_kept is None:
        return {t: True for t in TOOL_NAMES}
    if not isinstance(tools_kept, Mapping):
        raise ValueError("tools_kept must be an object like {\"adjust\": true, ...}")
    unknown = sorted(set(tools_kept) - set(TOOL_NAMES))
    if unknown:
        raise ValueError(f"tools_kept has unknown tools {unknown}; expected {list(TOOL_NAMES)}")
    out = {}
    for t in TOOL_NAMES:
        v = tools_kept.get(t, False)
        if not isinstance(v, bool):
            raise ValueError(f"tools_kept[{t!r}] must be true or false")
        out[t] = v
    return out


class EventStore:
    """The event store. ``url``: SQLAlchemy URL (default :func:`default_database_url`).

    ``schema`` (PostgreSQL only): keep the tables in this schema (created if missing) by setting the
    connection's ``search_path``; used to isolate test runs or deployments sharing a database.
    """

    def __init__(self, url: str | None = None, *, schema: str | None = None, echo: bool = False) -> None:
        self.url = normalize_database_url(url or default_database_url())
        u = make_url(self.url)
        self.dialect = u.get_backend_name()
        self.schema = schema
        connect_args: dict[str, Any] = {}
        if self.dialect == "sqlite":
            if schema:
                raise ValueError("schema= is only supported on PostgreSQL")
            if u.database and u.database != ":memory:":
                Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            connect_args["timeout"] = SQLITE_BUSY_TIMEOUT_S
        elif self.dialect == "postgresql":
            if schema:
                if not _SCHEMA_RE.match(schema):
                    raise ValueError(f"invalid schema name {schema!r}")
                connect_args["options"] = f"-c search_path={schema}"
        if self.url.startswith("postgresql"):
            from vibegrade.extras import require

            require("psycopg", "pg", "a PostgreSQL event store")
        self.engine: Engine = create_engine(self.url, echo=echo, connect_args=connect_args,
                                            pool_pre_ping=self.dialect != "sqlite")
        if self.dialect == "sqlite":
            self._setup_sqlite(self.engine)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.engine.execution_options(vibegrade_write=True), expire_on_commit=False)
        self._migrated = False
        self._migrate_lock = threading.Lock()

    # ----------------------------------------------------------------- setup

    @staticmethod
    def _setup_sqlite(engine: Engine) -> None:
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            write = conn.get_execution_options().get("vibegrade_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    def migrate(self) -> None:
        """Run the Alembic migrations up to head (idempotent; safe against concurrent migrators)."""
        from alembic import command
        from alembic.config import Config

        with self._migrate_lock:
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
            cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
            with self.engine.execution_options(vibegrade_write=True).begin() as conn:
                if self.dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('vibegrade_events_migrate'))"))
                    if self.schema:
                        conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
            self._migrated = True

    def _ensure(self) -> None:
        if not self._migrated:
            self.migrate()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "EventStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ----------------------------------------------------------------- writes

    def record_project(
        self,
        *,
        user_id: str,
        intent: str,
        tools: ToolChain | Mapping[str, Any] | str,
        model: str,
        source: str = "student",
        latency_ms: float | None = None,
        experiment: str | None = None,
        variant: str | None = None,
        project_id: str | None = None,
        created_at: datetime | None = None,
    ) -> str:
        """Record one served request; returns its project id (a new UUID unless ``project_id`` is given).

        ``tools`` (a :class:`ToolChain`, its wire dict or JSON text) is validated and stored in canonical
        wire form. Raises ``ValueError`` on an invalid intent/chain or an already used ``project_id``.
        """
        self._ensure()
        intent = clean_intent(intent)
        row = Project(
            id=str(project_id or uuid.uuid4()),
            created_at=_as_utc(created_at) if created_at else _utcnow(),
            user_id=str(user_id),
            experiment=experiment,
            variant=variant,
            model=str(model),
            intent=intent,
            intent_key=normalize_intent(intent),
            tools=_canonical_tools(tools),
            source=str(source),
            latency_ms=None if latency_ms is None else float(latency_ms),
        )
        try:
            with self._write.begin() as s:
                s.add(row)
        except IntegrityError:
            raise ValueError(f"project id {row.id!r} already exists") from None
        return row.id

    def record_export(
        self,
        project_id: str,
        event_id: str,
        tools_kept: Mapping[str, bool] | None = None,
        *,
        created_at: datetime | None = None,
    ) -> bool:
        """Record that the user downloaded the result of ``project_id``.

        Idempotent per ``event_id``: returns True when recorded, False when this event was already
        recorded for this project (nothing is written); :class:`EventIdConflictError` (a ``ValueError``) when
        it was recorded for another project. ``tools_kept`` maps each tool to whether the user kept it enabled
        (missing tools count as not kept; ``None`` = all kept). Raises :class:`UnknownProjectError`
        (a ``KeyError``) for an unknown project.
        """
        self._ensure()
        kept = _check_tools_kept(tools_kept)
        event_id = str(event_id)
        if not event_id:
            raise ValueError("event_id must not be empty")
        project_id = str(project_id)

        def seen(s: Any) -> bool:
            owner = s.scalar(select(Export.project_id).where(Export.event_id == event_id))
            if owner is None:
                return False
            if owner != project_id:
                raise EventIdConflictError(f"event_id {event_id!r} was already used for another project")
            return True

        try:
            with self._write.begin() as s:
                if seen(s):
                    return False
                if s.get(Project, project_id) is None:
                    raise UnknownProjectError(f"unknown project {project_id!r}")
                s.add(Export(id=str(uuid.uuid4()), project_id=project_id, event_id=event_id,
                             created_at=_as_utc(created_at) if created_at else _utcnow(), tools_kept=kept))
        except IntegrityError:
            # a concurrent request with the same event_id won the race
            with self._read() as s:
                if seen(s):
                    return False
            raise
        return True

    # ----------------------------------------------------------------- reads

    def iter_projects(self, *, batch_size: int = 1000) -> Iterator[ProjectRecord]:
        """All projects, oldest first, each with its exports (oldest first)."""
        self._ensure()
        last: tuple[datetime, str] | None = None
        while True:
            with self._read() as s:
                q = select(Project).order_by(Project.created_at, Project.id).limit(batch_size)
                if last is not None:
                    q = q.where((Project.created_at > last[0])
                                | ((Project.created_at == last[0]) & (Project.id > last[1])))
                projects = list(s.scalars(q))
                if not projects:
                    return
                ids = [p.id for p in projects]
                exports: dict[str, list[ExportRecord]] = {}
                for e in s.scalars(select(Export).where(Export.project_id.in_(ids))
                                   .order_by(Export.created_at, Export.id)):
                    exports.setdefault(e.project_id, []).append(
                        ExportRecord(id=e.id, project_id=e.project_id, created_at=_as_utc(e.created_at),
                                     event_id=e.event_id, tools_kept=dict(e.tools_kept)))
                last = (projects[-1].created_at, projects[-1].id)
                batch = [ProjectRecord(id=p.id, created_at=_as_utc(p.created_at), user_id=p.user_id,
                                       experiment=p.experiment, variant=p.variant, model=p.model,
                                       intent=p.intent, intent_key=p.intent_key, tools=dict(p.tools),
                                       source=p.source, latency_ms=p.latency_ms,
                                       exports=tuple(exports.get(p.id, ())))
                         for p in projects]
            yield from batch
            if len(projects) < batch_size:
                return

    def counts(self) -> dict[str, int]:
        """``{"projects": n, "exports": m}``."""
        self._ensure()
        with self._read() as s:
            n = s.scalar(select(func.count()).select_from(Project)) or 0
            m = s.scalar(select(func.count()).select_from(Export)) or 0
        return {"projects": int(n), "exports": int(m)}

    def variant_stats(self, experiment: str) -> dict[str | None, dict[str, int]]:
        """Per variant of ``experiment``: ``{"started": projects, "exported": projects with >= 1 export}``."""
        self._ensure()
        exported = select(Export.project_id).distinct().subquery()
        q = (select(Project.variant, func.count(Project.id), func.count(exported.c.project_id))
             .outerjoin(exported, exported.c.project_id == Project.id)
             .where(Project.experiment == experiment)
             .group_by(Project.variant))
        with self._read() as s:
            rows = s.execute(q).all()
        return {v: {"started": int(n), "exported": int(e)} for v, n, e in sorted(rows, key=lambda r: str(r[0]))}


    # ----------------------------------------------------------------- annotation tasks

    def add_annotation_tasks(self, tasks: Iterable[NewAnnotationTask], *,
                             created_at: datetime | None = None) -> AddedAnnotationTasks:
        """Store reality-check tasks; tasks already stored (same :func:`annotation_task_key`) are kept as
        they are, so re-running the same preparation adds nothing.

        Everything is validated before anything is written (``ValueError`` on an invalid request, chain,
        model or image name). New tasks are shown in the order given.
        """
        self._ensure()
        when = _as_utc(created_at) if created_at else _utcnow()
        rows: list[AnnotationTask] = []
        for i, t in enumerate(tasks):
            intent = clean_intent(t.intent)
            teacher, student = _canonical_tools(t.teacher_tools), _canonical_tools(t.student_tools)
            model, image = str(t.student_model), str(t.image)
            if not model or len(model) > 256:
                raise ValueError(f"task {i}: the student model name must be 1..256 characters")
            if not image or len(image) > 64:
                raise ValueError(f"task {i}: the image name must be 1..64 characters")
            dataset = None if t.dataset is None else str(t.dataset)[-512:]
            rows.append(AnnotationTask(id=str(uuid.uuid4()),
                                       key=annotation_task_key(intent, teacher, student, model, image),
                                       created_at=when, position=i, dataset=dataset, intent=intent,
                                       teacher_tools=teacher, student_tools=student, student_model=model,
                                       image=image))
        keys = list(dict.fromkeys(r.key for r in rows))
        for attempt in range(3):
            try:
                with self._write.begin() as s:
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

    def annotation_task(self, task_id: str) -> AnnotationTaskRecord | None:
        """The task with this id, or None."""
        self._ensure()
        with self._read() as s:
            t = s.get(AnnotationTask, str(task_id))
            return None if t is None else _task_record(t)

    def annotation_task_count(self) -> int:
        """How many annotation tasks are stored."""
        self._ensure()
        with self._read() as s:
            return int(s.scalar(select(func.count()).select_from(AnnotationTask)) or 0)

    # ----------------------------------------------------------------- annotators

    def add_annotator(self, name: str, *, rotate: bool = False) -> tuple[str, str]:
        """Invite an annotator: returns ``(normalised name, token)``; only the token's hash is stored.

        ``rotate``: the annotator exists already: give them a new token (the old one stops working).
        Raises :class:`AnnotatorExistsError` when the name (after normalisation) has a token and not ``rotate``,
        ``ValueError`` for an invalid name or ``rotate`` of an unknown one.
        """
        import secrets

        self._ensure()
        display = clean_annotator(name)
        key = normalize_annotator(display)
        token = secrets.token_urlsafe(24)
        with self._write.begin() as s:
            row = s.scalar(select(Annotator).where(Annotator.name == key))
            if row is not None and not rotate:
                raise AnnotatorExistsError(f"annotator {key!r} already has a token (names are compared after "
                                           "case folding and Unicode normalisation); use --rotate for a new one")
            if row is None and rotate:
                raise ValueError(f"no annotator {key!r} to rotate; invite them first")
            if row is None:
                s.add(Annotator(id=str(uuid.uuid4()), name=key, display_name=display, token_hash=hash_token(token),
                                created_at=_utcnow()))
            else:
                row.token_hash = hash_token(token)
        return key, token

    def annotator_for_token(self, token: str) -> str | None:
        """The normalised name of the annotator holding ``token``, or None."""
        self._ensure()
        with self._read() as s:
            return s.scalar(select(Annotator.name).where(Annotator.token_hash == hash_token(str(token))))

    def _done_by(self, annotator: str) -> Any:
        """Subquery: ids of the tasks ``annotator`` has answered every question of."""
        return (select(Annotation.task_id)
                .where(Annotation.annotator == annotator, Annotation.task_id.is_not(None),
                       Annotation.question.in_(ANNOTATION_QUESTIONS))
                .group_by(Annotation.task_id)
                .having(func.count(func.distinct(Annotation.question)) >= len(ANNOTATION_QUESTIONS)))

    def next_annotation_task(self, annotator: str) -> AnnotationTaskRecord | None:
        """A task ``annotator`` has not answered yet (every question), preferring the tasks with the fewest
        annotators so far, then the oldest preparation, then the preparation order; None when done.
        Names are compared normalised (:func:`normalize_annotator`)."""
        self._ensure()
        annotator = normalize_annotator(annotator)
        per_task = (select(Annotation.task_id.label("task_id"),
                           func.count(func.distinct(Annotation.annotator)).label("n"))
                    .where(Annotation.task_id.is_not(None))
                    .group_by(Annotation.task_id)
                    .subquery())
        q = (select(AnnotationTask)
             .outerjoin(per_task, per_task.c.task_id == AnnotationTask.id)
             .where(AnnotationTask.id.not_in(self._done_by(annotator)))
             .order_by(func.coalesce(per_task.c.n, 0), AnnotationTask.created_at, AnnotationTask.position,
                       AnnotationTask.id)
             .limit(1))
        with self._read() as s:
            t = s.scalars(q).first()
            return None if t is None else _task_record(t)

    def annotation_progress(self, annotator: str) -> dict[str, int]:
        """``{"answered": tasks annotator has answered every question of, "total": tasks}``."""
        self._ensure()
        annotator = normalize_annotator(annotator)
        with self._read() as s:
            total = s.scalar(select(func.count()).select_from(AnnotationTask)) or 0
            done = s.scalar(select(func.count()).select_from(self._done_by(annotator).subquery())) or 0
        return {"answered": int(done), "total": int(total)}

    def record_task_answers(self, task_id: str, annotator: str, answers: Mapping[str, str], *,
                            created_at: datetime | None = None) -> int:
        """Record ``annotator``'s answers (``{question: answer}``, questions from
        :data:`ANNOTATION_QUESTIONS`, answers from :data:`ANNOTATION_ANSWERS`) on a task.

        Every answer is kept: answering again adds a new revision (the report counts the latest one per
        annotator). The name is stored normalised (:func:`normalize_annotator`). Returns the revision
        written (1 for a first answer). Raises :class:`UnknownAnnotationTaskError` (a ``KeyError``) for an
        unknown task and ``ValueError`` for an unknown question or answer.
        """
        self._ensure()
        annotator = normalize_annotator(annotator)
        if not answers:
            raise ValueError("no answers given")
        for q, a in answers.items():
            if q not in ANNOTATION_QUESTIONS:
                raise ValueError(f"unknown question {q!r}; expected one of {list(ANNOTATION_QUESTIONS)}")
            if a not in ANNOTATION_ANSWERS:
                raise ValueError(f"{q}: unknown answer {a!r}; expected one of {list(ANNOTATION_ANSWERS)}")
        when = _as_utc(created_at) if created_at else _utcnow()
        task_id = str(task_id)
        for attempt in range(10):
            try:
                with self._write.begin() as s:
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

    def annotation_votes(self) -> list[TaskVotes]:
        """Every task (preparation order) with its answers ``votes[question][annotator] = answer``."""
        self._ensure()
        with self._read() as s:
            tasks = [_task_record(t) for t in s.scalars(
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
