"""forecasts (issue 22): forecast_series (model served, fitted parameters, backtest
accuracy) and forecast_points (the served points with 80 % / 95 % intervals)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import store.types

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def _key() -> list[sa.Column]:
    return [
        sa.Column('indicator', sa.String(length=64), nullable=False),
        sa.Column('grain', sa.String(length=8), nullable=False),
        sa.Column('scope_kind', sa.String(length=16), nullable=False),
        sa.Column('scope', sa.String(length=200), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        'forecast_series',
        *_key(),
        sa.Column('model', sa.String(length=32), nullable=False),
        sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
        sa.Column('accuracy', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
        sa.Column('backtested_at', store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_obs', store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('made_at', store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('indicator', 'grain', 'scope_kind', 'scope', name=op.f('pk_forecast_series')),
    )
    op.create_table(
        'forecast_points',
        *_key(),
        sa.Column('time', store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('value', sa.Float(), nullable=True),
        sa.Column('lo80', sa.Float(), nullable=True),
        sa.Column('hi80', sa.Float(), nullable=True),
        sa.Column('lo95', sa.Float(), nullable=True),
        sa.Column('hi95', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('indicator', 'grain', 'scope_kind', 'scope', 'time', name=op.f('pk_forecast_points')),
    )


def downgrade() -> None:
    op.drop_table('forecast_points')
    op.drop_table('forecast_series')
