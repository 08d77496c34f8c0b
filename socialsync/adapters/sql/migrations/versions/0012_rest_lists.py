"""Indexes for the REST lists: the tenant's clips by creation, the audit log by actor.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-09
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_clips_tenant_id_created_at_ms", "clips", ["tenant_id", "created_at_ms", "id"])
    op.create_index("ix_audit_log_tenant_id_actor_id", "audit_log", ["tenant_id", "actor_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_tenant_id_actor_id", table_name="audit_log")
    op.drop_index("ix_clips_tenant_id_created_at_ms", table_name="clips")
