"""Analytics (docs/analytics.md): the pseudonymous raw events, and the aggregates kept
longer (sessions, views with what they covered, per-second positions per media item,
invites and shares, poll and survey tallies, media items), the committed batches and
the viewers erased lately (their late events are dropped).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "analytics_events",
        sa.Column("id", _id, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("party_id", sa.String(), nullable=True),
        sa.Column("viewer", sa.String(), nullable=True),
        sa.Column("session_ms", sa.BigInteger(), nullable=True),
        sa.Column("media_id", sa.String(), nullable=True),
        sa.Column("pos_s", sa.Double(), nullable=True),
        sa.Column("to_s", sa.Double(), nullable=True),
        sa.Column("end_ms", sa.BigInteger(), nullable=True),
        sa.Column("ref", sa.String(), nullable=True),
        sa.Column("value", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_analytics_events"),
    )
    op.create_index("ix_analytics_events_tenant_ts", "analytics_events", ["tenant_id", "ts_ms"])
    op.create_index(
        "ix_analytics_events_tenant_party_ts", "analytics_events", ["tenant_id", "party_id", "ts_ms"]
    )
    op.create_index("ix_analytics_events_tenant_viewer", "analytics_events", ["tenant_id", "viewer"])
    op.create_table(
        "analytics_sessions",
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("party_id", sa.String(), nullable=False),
        sa.Column("viewer", sa.String(), nullable=False),
        sa.Column("session_ms", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("media_id", sa.String(), nullable=True),
        sa.Column("started_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_ms", sa.BigInteger(), nullable=False),
        sa.Column("ended_ms", sa.BigInteger(), nullable=True),
        sa.Column("ref", sa.String(), nullable=True),
        sa.Column("watch_ms", sa.BigInteger(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("reactions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "party_id", "viewer", "session_ms", name="pk_analytics_sessions"
        ),
    )
    op.create_index("ix_analytics_sessions_tenant_started", "analytics_sessions", ["tenant_id", "started_ms"])
    op.create_index("ix_analytics_sessions_tenant_ref", "analytics_sessions", ["tenant_id", "ref"])
    op.create_index("ix_analytics_sessions_tenant_viewer", "analytics_sessions", ["tenant_id", "viewer"])
    op.create_table(
        "analytics_views",
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("party_id", sa.String(), nullable=False),
        sa.Column("viewer", sa.String(), nullable=False),
        sa.Column("session_ms", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("media_id", sa.String(), nullable=False),
        sa.Column("started_ms", sa.BigInteger(), nullable=False),
        sa.Column("first_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_ms", sa.BigInteger(), nullable=False),
        sa.Column("watch_ms", sa.BigInteger(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("reactions", sa.Integer(), nullable=False),
        sa.Column("coverage", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "party_id", "viewer", "session_ms", "media_id", name="pk_analytics_views"
        ),
    )
    op.create_index(
        "ix_analytics_views_tenant_media_started", "analytics_views", ["tenant_id", "media_id", "started_ms"]
    )
    op.create_index("ix_analytics_views_tenant_viewer", "analytics_views", ["tenant_id", "viewer"])
    op.create_table(
        "analytics_positions",
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("media_id", sa.String(), nullable=False),
        sa.Column("day_ms", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("second", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("viewers", sa.Integer(), nullable=False),
        sa.Column("rewatches", sa.Integer(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("reactions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "media_id", "day_ms", "second", name="pk_analytics_positions"),
    )
    op.create_table(
        "analytics_refs",
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("party_id", sa.String(), nullable=True),
        sa.Column("media_id", sa.String(), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("viewer", sa.String(), nullable=True),
        sa.Column("opens", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "ref", name="pk_analytics_refs"),
    )
    op.create_index("ix_analytics_refs_tenant_created", "analytics_refs", ["tenant_id", "created_ms"])
    op.create_table(
        "analytics_tallies",
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "kind", "ref", "value", name="pk_analytics_tallies"),
    )
    op.create_table(
        "analytics_media",
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("media_id", sa.String(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("duration_s", sa.Double(), nullable=True),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "media_id", name="pk_analytics_media"),
    )
    op.create_table(
        "analytics_batches",
        sa.Column("batch_id", sa.String(), nullable=False),
        sa.Column("committed_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name="pk_analytics_batches"),
    )
    op.create_index("ix_analytics_batches_committed", "analytics_batches", ["committed_ms"])
    op.create_table(
        "analytics_erased",
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("viewer", sa.String(), nullable=False),
        sa.Column("erased_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "viewer", name="pk_analytics_erased"),
    )


def downgrade() -> None:
    for table in (
        "analytics_erased",
        "analytics_batches",
        "analytics_media",
        "analytics_tallies",
        "analytics_refs",
        "analytics_positions",
        "analytics_views",
        "analytics_sessions",
        "analytics_events",
    ):
        op.drop_table(table)
