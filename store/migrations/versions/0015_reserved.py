"""reserved for issue 21: dispatch pages; no schema change until that work lands

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
