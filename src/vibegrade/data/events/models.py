"""The event store's tables (SQLAlchemy ORM). The schema itself is made by the Alembic migrations in
:mod:`vibegrade.data.migrations`; these classes must stay in step with them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "Project", "Export", "Turn", "AnnotationTask", "Annotation", "Annotator", "utcnow",
           "as_utc"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(dt: datetime) -> datetime:
    """SQLite returns naive datetimes: they are UTC."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    tools_kept: Mapped[dict[str, bool]] = mapped_column(JSON)


class Turn(Base):
    """One turn of a project's conversation (numbered 1, 2, ... per project): what was asked (``request``,
    empty for a history step or a slider change), what it did (``op``) and the conversation after it: the
    current chain (``tools``, canonical wire form) and the history's ``cursor``."""

    __tablename__ = "turns"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE", name="fk_turns_project_id"))
    turn: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    op: Mapped[str] = mapped_column(String(16))
    request: Mapped[str] = mapped_column(Text)
    tools: Mapped[dict[str, Any]] = mapped_column(JSON)
    cursor: Mapped[int] = mapped_column(Integer)
    changed: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (UniqueConstraint("project_id", "turn", name="uq_turns_project_turn"),)


class AnnotationTask(Base):
    """One sample for the reality-check page; ``key`` (a content hash) keeps re-runs from duplicating it."""

    __tablename__ = "annotation_tasks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
