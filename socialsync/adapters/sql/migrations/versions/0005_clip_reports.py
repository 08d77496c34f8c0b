"""Members' reports of reaction clips (one row per reporter and clip).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clip_reports",
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("clip_id", sa.String(), nullable=False),
        sa.Column("reporter_id", sa.String(), nullable=False),
        sa.Column("party_id", sa.String(), nullable=False),
        sa.Column("reporter_name", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "clip_id", "reporter_id", name="pk_clip_reports"),
    )
    op.create_index("ix_clip_reports_tenant_id_party_id", "clip_reports", ["tenant_id", "party_id"])


def downgrade() -> None:
    op.drop_index("ix_clip_reports_tenant_id_party_id", table_name="clip_reports")
    op.drop_table("clip_reports")
