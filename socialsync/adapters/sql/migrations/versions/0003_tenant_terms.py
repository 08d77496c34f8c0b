"""A tenant's own blocked and allowed chat terms, applying to every room of it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_terms",
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("blocked", sa.JSON(), nullable=False),
        sa.Column("allowed", sa.JSON(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_tenant_terms"),
    )


def downgrade() -> None:
    op.drop_table("tenant_terms")
