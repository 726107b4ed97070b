"""Annotators with tokens, and every revision of an answer kept.

Revision ID: 0003_annotator_tokens
Revises: 0002_annotation_tasks
Create Date: 2026-12-04

``annotators``: one row per invited annotator (``vibegrade annotate invite``): the normalised name (NFKC,
case-folded, unique) and the SHA-256 of the annotator's token (the token itself is never stored).
``annotations`` gets ``revision`` (1, 2, ... per task, annotator and question; existing rows are revision 1)
and the unique constraint moves from (task, annotator, question) to (task, annotator, question, revision):
answering again adds a row instead of overwriting one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_annotator_tokens"
down_revision = "0002_annotation_tasks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "annotators",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name", name="uq_annotators_name"),
        sa.UniqueConstraint("token_hash", name="uq_annotators_token_hash"),
    )
    with op.batch_alter_table("annotations") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch.drop_constraint("uq_annotations_task_annotator_question", type_="unique")
        batch.create_unique_constraint("uq_annotations_task_annotator_question_revision",
                                       ["task_id", "annotator", "question", "revision"])


def downgrade() -> None:
    # keep only the latest revision of each answer, then restore the one-answer constraint
    op.execute("DELETE FROM annotations WHERE task_id IS NOT NULL AND revision < ("
               "SELECT MAX(a2.revision) FROM annotations a2 WHERE a2.task_id = annotations.task_id "
               "AND a2.annotator = annotations.annotator AND a2.question = annotations.question)")
    with op.batch_alter_table("annotations") as batch:
        batch.drop_constraint("uq_annotations_task_annotator_question_revision", type_="unique")
        batch.create_unique_constraint("uq_annotations_task_annotator_question",
                                       ["task_id", "annotator", "question"])
        batch.drop_column("revision")
    op.drop_table("annotators")
