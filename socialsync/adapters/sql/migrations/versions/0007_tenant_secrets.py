"""Tenants: the previous secret (rotation keeps two active), the longest token lifetime.
Existing secrets are sealed at start-up by the server that has the key (SqlStore.seal_secrets).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("previous_secret", sa.Text(), nullable=True))
        batch.add_column(sa.Column("max_token_lifetime_s", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("max_token_lifetime_s")
        batch.drop_column("previous_secret")
