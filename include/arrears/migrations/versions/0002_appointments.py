"""appointments: the slots convocations propose (issue 11)

Revision ID: 0002_h11_letters
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002_h11_letters'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'appointments',
        sa.Column('appointment_id', sa.String(length=80), nullable=False),
        sa.Column('lease_id', sa.String(length=64), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('staff_id', sa.String(length=64), nullable=False),
        sa.Column('agency_id', sa.String(length=64), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('document_id', sa.String(length=80), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('appointment_id', name=op.f('pk_appointments')),
        sa.UniqueConstraint('lease_id', 'step', 'period', name='uq_appointments_lease_step_period'),
        sa.UniqueConstraint('staff_id', 'starts_at', name='uq_appointments_staff_starts_at'),
    )


def downgrade() -> None:
    op.drop_table('appointments')
