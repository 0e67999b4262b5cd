"""approval reasons: the manager's reason on approvals and on transfer proposals

Revision ID: 0002_h15_ui
Revises: 0001
Create Date: 2026-11-29 18:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002_h15_ui'
down_revision = '0002_h12_reliability'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('approvals') as batch:
        batch.add_column(sa.Column('reason', sa.String(length=500), nullable=True))
    with op.batch_alter_table('transfer_proposals') as batch:
        batch.add_column(sa.Column('decision_reason', sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('transfer_proposals') as batch:
        batch.drop_column('decision_reason')
    with op.batch_alter_table('approvals') as batch:
        batch.drop_column('reason')
