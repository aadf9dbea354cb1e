"""reserved for issue 22: forecasts; no schema change until that work lands

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
