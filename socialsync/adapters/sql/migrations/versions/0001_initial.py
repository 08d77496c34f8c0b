"""Initial schema: tenants, parties, messages.

Revision ID: 0001
Revises:
Create Date: 2026-05-01

Spelled out rather than built from ``store_sql.metadata``: a migration must keep
creating exactly this schema even after the metadata moves on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("allow_guests", sa.Boolean(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
    )
    op.create_table(
        "parties",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("playback", sa.JSON(), nullable=False),
        sa.Column("ended", sa.String(), nullable=True),
        sa.Column("last_message_id", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_parties"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_parties_tenant_id_tenants"),
    )
    op.create_index("ix_parties_tenant_id", "parties", ["tenant_id"])
    op.create_table(
        "messages",
        sa.Column("party_id", sa.String(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("user_name", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("nonce", sa.String(), nullable=False),
        sa.Column("media_time_s", sa.Double(), nullable=True),
        sa.Column("reply_to", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("party_id", "id", name="pk_messages"),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name="fk_messages_party_id_parties", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("party_id", "user_id", "nonce", name="uq_messages_party_id_user_id_nonce"),
    )


def downgrade() -> None:
    op.drop_table("messages")
    op.drop_index("ix_parties_tenant_id", table_name="parties")
    op.drop_table("parties")
    op.drop_table("tenants")
