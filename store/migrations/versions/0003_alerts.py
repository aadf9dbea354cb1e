"""alerts: warning lifecycle and handling columns, one open warning per rule and scope

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""
from alembic import op
import sqlalchemy as sa

import store.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('warnings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rule_kind', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('data_time', store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('recovering_since', store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('assigned_at', store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('closed_at', store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('open_key', sa.String(length=160), nullable=True))
        batch_op.create_unique_constraint('uq_warnings_open_key', ['open_key'])


def downgrade() -> None:
    with op.batch_alter_table('warnings', schema=None) as batch_op:
        batch_op.drop_constraint('uq_warnings_open_key', type_='unique')
        batch_op.drop_column('open_key')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('closed_by')
        batch_op.drop_column('assigned_at')
        batch_op.drop_column('recovering_since')
        batch_op.drop_column('data_time')
        batch_op.drop_column('rule_kind')
