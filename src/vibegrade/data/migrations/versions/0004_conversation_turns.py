"""Conversation turns: every follow-up on a project (a refinement, a step in its history, a slider change).

Revision ID: 0004_conversation_turns
Revises: 0003_annotator_tokens
Create Date: 2027-01-10

``turns``: one row per turn of a project's conversation, numbered 1, 2, ... per project. The unique
constraint on (project_id, turn) is what keeps two concurrent turns from both becoming turn n: the second
insert fails and the service retries it on top of the first. Rows go with their project (ON DELETE CASCADE).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_conversation_turns"
down_revision = "0003_annotator_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "turns",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("project_id", sa.String(36), sa.ForeignKey("projects.id", ondelete="CASCADE",
                                                               name="fk_turns_project_id"), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("op", sa.String(16), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("tools", sa.JSON(), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("project_id", "turn", name="uq_turns_project_turn"),
    )


def downgrade() -> None:
    op.drop_table("turns")
