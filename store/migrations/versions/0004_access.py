"""access: hashed API and wall tokens

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import store.types

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('domains', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
        sa.Column('district', sa.String(length=64), nullable=True),
        sa.Column('screen', sa.String(length=32), nullable=True),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_used_at', store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash')),
    )


def downgrade() -> None:
    op.drop_table('api_tokens')
