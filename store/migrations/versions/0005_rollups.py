"""rollups: hourly and daily aggregates per entity that long page ranges read

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""
from alembic import op
import sqlalchemy as sa

import store.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

ROLLUPS = ('rollup_hourly', 'rollup_daily')


def upgrade() -> None:
    # Created empty: the scheduler's daily maintenance (or `citybrain db rollups --rebuild`)
    # fills them from the observations already stored, outside this transaction.
    for name in ROLLUPS:
        op.create_table(
            name,
            sa.Column('metric', sa.String(length=32), nullable=False),
            sa.Column('entity', sa.String(length=200), nullable=False),
            sa.Column('time', store.types.UTCDateTime(timezone=True), nullable=False),
            sa.Column('n', sa.Integer(), nullable=False),
            sa.Column('value_sum', sa.Float(), nullable=True),
            sa.Column('value_min', sa.Float(), nullable=True),
            sa.Column('value_max', sa.Float(), nullable=True),
            sa.Column('updated_at', store.types.UTCDateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint('metric', 'time', 'entity', name=op.f(f'pk_{name}')),
        )
        op.create_index(f'ix_{name}_time', name, ['time'], unique=False)


def downgrade() -> None:
    for name in ROLLUPS:
        op.drop_index(f'ix_{name}_time', table_name=name)
        op.drop_table(name)
