"""Tenants: who may frame their pages (CSP frame-ancestors) and their own abuse limits.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        # Space-separated origins (or 'self'); NULL: the server's frame_ancestors.
        batch.add_column(sa.Column("frame_ancestors", sa.Text(), nullable=True))
        # {"parties_per_hour": n, "cameras_per_user": n, "guests_per_address_per_hour": n};
        # a field missing or null: the server's limit.
        batch.add_column(sa.Column("limits", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("limits")
        batch.drop_column("frame_ancestors")
