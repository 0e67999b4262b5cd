"""positions cache: which dates have their lease_positions computed, for which import and settings

Revision ID: 0005_positions_cache
Revises: 0002_h15_ui
Create Date: 2026-11-29 21:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_positions_cache"
down_revision = "0002_h15_ui"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "positions_stamps",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("settings", sa.String(length=200), nullable=False),
        sa.Column("leases", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("as_of", name=op.f("pk_positions_stamps")),
    )


def downgrade() -> None:
    op.drop_table("positions_stamps")
