"""Engagement (docs/engagement.md): each tenant's switches (badges, the feedback prompt),
the badges viewers earned, the feedback prompts (one per viewer: the latest) and the
comments left with answers. Viewers are pseudonyms (the analytics' keyed hash), never
user ids.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_engagement",
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("badges", sa.Boolean(), nullable=False),
        sa.Column("feedback", sa.String(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_tenant_engagement_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_tenant_engagement"),
    )
    op.create_table(
        "badge_awards",
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("viewer", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("earned_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "viewer", "kind", "ref", name="pk_badge_awards"),
    )
    op.create_index("ix_badge_awards_tenant_id_earned_ms", "badge_awards", ["tenant_id", "earned_ms"])
    op.create_table(
        "feedback_prompts",
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("viewer", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("party_id", sa.String(), nullable=False),
        sa.Column("survey", sa.String(), nullable=False),
        sa.Column("prompted_ms", sa.BigInteger(), nullable=False),
        sa.Column("answered_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "viewer", name="pk_feedback_prompts"),
    )
    op.create_index(
        "ix_feedback_prompts_tenant_id_prompted_ms", "feedback_prompts", ["tenant_id", "prompted_ms"]
    )
    op.create_table(
        "feedback_comments",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("party_id", sa.String(), nullable=True),
        sa.Column("viewer", sa.String(), nullable=False),
        sa.Column("survey", sa.String(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feedback_comments"),
    )
    op.create_index("ix_feedback_comments_tenant_id_ts_ms", "feedback_comments", ["tenant_id", "ts_ms"])
    op.create_index("ix_feedback_comments_tenant_id_viewer", "feedback_comments", ["tenant_id", "viewer"])


def downgrade() -> None:
    op.drop_table("feedback_comments")
    op.drop_table("feedback_prompts")
    op.drop_table("badge_awards")
    op.drop_table("tenant_engagement")
