"""quarantine fingerprint: a bad row re-read inside the lookback is kept once

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_quarantine_source_fingerprint', ['source', 'fingerprint'])


def downgrade() -> None:
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_constraint('uq_quarantine_source_fingerprint', type_='unique')
        batch_op.drop_column('fingerprint')
