"""Filter notes: what the chat filter said of a delivered message (verdict, reasons, the
original text of a masked one), for the room's moderators, kept for the review window.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "filter_notes",
        sa.Column("party_id", sa.String(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("original", sa.Text(), nullable=True),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("party_id", "message_id", name="pk_filter_notes"),
    )


def downgrade() -> None:
    op.drop_table("filter_notes")
