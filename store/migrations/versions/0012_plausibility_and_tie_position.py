"""Plausibility flags and a watermark's position within a tie (issue 19 items 13 and 12)

* ``obs_traffic.implausible``, ``obs_tourism.implausible``: the fields of the row whose
  value is physically possible but not at this entity (199 km/h on a 35 km/h road,
  5,000,000 present at a 3,000-capacity site), comma-separated; NULL when none. The row
  and its value are stored as received; indicators and rollups leave a flagged value out.
* ``source_status.watermark_key``: with ``watermark``, how far a source has been read
  when many rows share one watermark value (a re-publish): the key (JSON list of the
  source's key values) of the last row of that tie already committed, NULL when the tie
  was read whole. A poll interrupted inside a large tie resumes after that key.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

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


def downgrade() -> None:
    with op.batch_alter_table('source_status') as batch:
        batch.drop_column('watermark_key')
    with op.batch_alter_table('obs_tourism') as batch:
        batch.drop_column('implausible')
    with op.batch_alter_table('obs_traffic') as batch:
        batch.drop_column('implausible')
