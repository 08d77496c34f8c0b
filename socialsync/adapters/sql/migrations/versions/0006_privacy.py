"""Personal data: consent records, retention policies per tenant, clips kept by staff.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("party_id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consents"),
    )
    op.create_index("ix_consents_tenant_id_user_id", "consents", ["tenant_id", "user_id"])
    op.create_table(
        "retention_policies",
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_retention_policies"),
    )
    op.create_table(
        "kept_clips",
        sa.Column("clip_id", sa.String(), nullable=False),
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("kept_by", sa.String(), nullable=False),
        sa.Column("kept_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("clip_id", name="pk_kept_clips"),
    )


def downgrade() -> None:
    op.drop_table("kept_clips")
    op.drop_table("retention_policies")
    op.drop_index("ix_consents_tenant_id_user_id", table_name="consents")
    op.drop_table("consents")
