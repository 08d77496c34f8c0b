"""Revoked tokens for the embedded deployment (no Redis): they outlive a restart.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revocations",
        # In insertion order: what each node's follower reads past.
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(), nullable=False),
        # One of the two: a token's jti, or a user whose tokens issued until at_s are revoked.
        sa.Column("jti", sa.String(), nullable=True),
        sa.Column("user_id", sa.String(), nullable=True),
        sa.Column("at_s", sa.BigInteger(), nullable=False),
        # Unix seconds; the row is pruned after (the tenant's maximum token lifetime).
        sa.Column("until_s", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_revocations"),
    )
    op.create_index("ix_revocations_tenant_id_jti", "revocations", ["tenant_id", "jti"])
    op.create_index("ix_revocations_tenant_id_user_id", "revocations", ["tenant_id", "user_id"])
    op.create_index("ix_revocations_until_s", "revocations", ["until_s"])


def downgrade() -> None:
    op.drop_index("ix_revocations_until_s", table_name="revocations")
    op.drop_index("ix_revocations_tenant_id_user_id", table_name="revocations")
    op.drop_index("ix_revocations_tenant_id_jti", table_name="revocations")
    op.drop_table("revocations")
