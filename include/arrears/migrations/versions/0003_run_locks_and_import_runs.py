"""run locks (one run per step and period) and import runs (portfolio freshness)

Revision ID: 0002_h12_reliability
Revises: 0001
Create Date: 2026-11-29 18:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_h12_reliability"
down_revision = "0002_h11_letters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_locks",
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("step", "period", name=op.f("pk_run_locks")),
    )
    op.create_table(
        "import_runs",
        sa.Column("import_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("loaded", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("import_id", name=op.f("pk_import_runs")),
    )


def downgrade() -> None:
    op.drop_table("import_runs")
    op.drop_table("run_locks")
