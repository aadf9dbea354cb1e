"""observations partitioned by month on PostgreSQL; obs_hotline keyed by (ticket, created_at)

A partitioned table's primary key must contain its partition key, so the hotline key
gains ``created_at`` on every backend (the upsert's ON CONFLICT target is the key).
On PostgreSQL the four time-keyed observation tables become RANGE-partitioned by month
(``store.partitions``): empty tables are replaced in place, tables holding data are
converted online on a side connection — batched copy, then a short locked swap.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        from store.partitions import convert_all

        convert_all(bind)
        return
    with op.batch_alter_table('obs_hotline', recreate='always') as batch_op:
        batch_op.drop_constraint('pk_obs_hotline', type_='primary')
        batch_op.create_primary_key('pk_obs_hotline', ['ticket', 'created_at'])


def downgrade() -> None:
    raise NotImplementedError("partitioned observation tables are not converted back; restore the "
                              "pre-upgrade backup to return to revision 0005")
