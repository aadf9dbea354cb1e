"""field_issues: the unusable fields of stored rows (issue 19)

A missing, unparseable or out-of-range field no longer quarantines its row: the row is
stored with that field NULL and the problem is kept here, one row per (source, row key,
field), counted per source and field on /sources.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

import store.types

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'field_issues',
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('row_key', sa.String(length=200), nullable=False),
        sa.Column('field', sa.String(length=64), nullable=False),
        sa.Column('domain', sa.String(length=16), nullable=False),
        sa.Column('time', store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('rule', sa.String(length=16), nullable=False),
        sa.Column('value', sa.String(length=200), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('received_at', store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('source', 'row_key', 'field', name=op.f('pk_field_issues')),
    )
    op.create_index('ix_field_issues_source_time', 'field_issues', ['source', 'time'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_field_issues_source_time', table_name='field_issues')
    op.drop_table('field_issues')
