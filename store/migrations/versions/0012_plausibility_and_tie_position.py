"""Plausibility flags and a watermark's position within a tie (issue 19 items 13 and 12)

* ``obs_traffic.implausible``, ``obs_tourism.implausible``: the fields of the row whose
  value is physically possible but not at this entity (199 km/h on a 35 km/h road,
  5,000,000 present at a 3,000-capacity site), comma-separated; NULL when none. The row
  and its value are stored as received; indicators and rollups leave a flagged value out.
* ``source_status.watermark_key``: with ``watermark``, how far a source has been read
  when many rows share one watermark value (a re-publish): the key (JSON list of the
  source's key values) of the last row of that tie already committed, NULL when the tie
  was read whole. A poll interrupted inside a large tie resumes after that key.
* ``reconcile_sums``: per source, entity and local day (or period), the row count and the
  source database's checksum of the values the nightly reconciliation last saw (item 5).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

import store.types

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        # 0006 builds the partitioned observation tables from today's schema, which has the column
        for name in ('obs_traffic', 'obs_tourism'):
            op.execute(f'ALTER TABLE "{name}" ADD COLUMN IF NOT EXISTS implausible VARCHAR(64)')
    else:
        op.add_column('obs_traffic', sa.Column('implausible', sa.String(length=64), nullable=True))
        op.add_column('obs_tourism', sa.Column('implausible', sa.String(length=64), nullable=True))
    op.add_column('source_status', sa.Column('watermark_key', sa.Text(), nullable=True))
    op.create_table(
        'reconcile_sums',
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('entity', sa.String(length=200), nullable=False),
        sa.Column('grp', sa.String(length=16), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('checksum', sa.String(length=64), nullable=True),
        sa.Column('checked_at', store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('source', 'entity', 'grp', name=op.f('pk_reconcile_sums')),
    )


def downgrade() -> None:
    op.drop_table('reconcile_sums')
    with op.batch_alter_table('source_status') as batch:
        batch.drop_column('watermark_key')
    with op.batch_alter_table('obs_tourism') as batch:
        batch.drop_column('implausible')
    with op.batch_alter_table('obs_traffic') as batch:
        batch.drop_column('implausible')
