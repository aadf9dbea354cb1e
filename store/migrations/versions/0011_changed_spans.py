"""changed_spans: data written but not yet carried into indicators and rollups (issue 19 item 9)

Each batch a poll commits records its data-time span in the same transaction; the span is
deleted when the after-poll steps over it have all succeeded, and caught up by the
scheduler otherwise (a kill between the commit and the computation).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

import store.types

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'changed_spans',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('domain', sa.String(length=16), nullable=False),
        sa.Column('first', store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last', store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('recorded_at', store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_changed_spans')),
    )


def downgrade() -> None:
    op.drop_table('changed_spans')
