"""Annotation tasks for the reality-check page; answers can point at a task (one per annotator and question).

Revision ID: 0002_annotation_tasks
Revises: 0001_initial
Create Date: 2026-11-24

``annotations`` is altered in batch mode: on SQLite (no ALTER for constraints) Alembic copies the table
into a new one with the added column and constraints, keeping its rows; on PostgreSQL it emits plain
``ALTER TABLE`` statements. Existing answers keep ``task_id`` NULL (NULLs never clash in the unique
constraint).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_annotation_tasks"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "annotation_tasks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(512), nullable=True),
        sa.Column("intent", sa.Text(), nullable=False),
        sa.Column("teacher_tools", sa.JSON(), nullable=False),
        sa.Column("student_tools", sa.JSON(), nullable=False),
        sa.Column("student_model", sa.String(256), nullable=False),
        sa.Column("image", sa.String(64), nullable=False),
        sa.UniqueConstraint("key", name="uq_annotation_tasks_key"),
    )
    with op.batch_alter_table("annotations") as batch:
        batch.add_column(sa.Column("task_id", sa.String(36), nullable=True))
        batch.create_foreign_key("fk_annotations_task_id", "annotation_tasks", ["task_id"], ["id"],
                                 ondelete="CASCADE")
        batch.create_unique_constraint("uq_annotations_task_annotator_question",
                                       ["task_id", "annotator", "question"])
        batch.create_index("ix_annotations_task_id", ["task_id"])


def downgrade() -> None:
    with op.batch_alter_table("annotations") as batch:
        batch.drop_index("ix_annotations_task_id")
        batch.drop_constraint("uq_annotations_task_annotator_question", type_="unique")
        batch.drop_constraint("fk_annotations_task_id", type_="foreignkey")
        batch.drop_column("task_id")
    op.drop_table("annotation_tasks")
