"""theme_obs: the readings and events of the themes (专题, issue 20)

One long table for every theme — a theme is config, so adding one needs no migration.
Their hour and day values go to the existing ``indicators`` table, named
``<theme>.<indicator>``. On PostgreSQL the table is RANGE-partitioned by month on
``time`` from the start (``store.partitions``), like the other observation tables.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""
import datetime as dt

from alembic import op
import sqlalchemy as sa

import store.types

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        from store.partitions import create_partitioned

        create_partitioned(bind, 'theme_obs', through=dt.datetime.now(dt.timezone.utc))
        return
    op.create_table(
        'theme_obs',
        sa.Column('theme', sa.String(length=16), nullable=False),
        sa.Column('time', store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('entity', sa.String(length=64), nullable=False),
        sa.Column('ref', sa.String(length=128), nullable=False),
        sa.Column('category', sa.String(length=64), nullable=True),
        sa.Column('vals', sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql'), nullable=False),
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('source_updated_at', store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('ingested_at', store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('theme', 'time', 'entity', 'ref', name=op.f('pk_theme_obs')),
    )
    op.create_index('ix_theme_obs_time', 'theme_obs', ['time'])
    op.create_index('ix_theme_obs_source_time', 'theme_obs', ['source', 'time'])
    op.create_index('ix_theme_obs_theme_ref', 'theme_obs', ['theme', 'ref'])


def downgrade() -> None:
    op.drop_table('theme_obs')
