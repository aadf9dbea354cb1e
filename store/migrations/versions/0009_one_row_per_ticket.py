"""obs_hotline: one row per ticket (issue 19 item 7)

The table's key stays (ticket, created_at): PostgreSQL partitions it by month on
created_at, and a partitioned table's primary key (and any unique index) must contain the
partition key, so a key on the ticket alone cannot exist there. One row per ticket is kept
by the only writer instead (``connectors.writer.screen_versions``): a ticket arriving with
a corrected created_at replaces its stored version in the same transaction. This revision
removes the second rows that corrections left before that rule: of each ticket's versions
the newest is kept (latest source update stamp, then latest ingestion, then latest
created_at).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # row values and window functions: SQLite ≥ 3.30 (NULLS LAST) and PostgreSQL alike
    op.execute("""
        DELETE FROM obs_hotline WHERE (ticket, created_at) IN (
            SELECT ticket, created_at FROM (
                SELECT ticket, created_at, row_number() OVER (
                    PARTITION BY ticket
                    ORDER BY source_updated_at DESC NULLS LAST, ingested_at DESC, created_at DESC) AS n
                FROM obs_hotline) AS versions
            WHERE n > 1)
    """)


def downgrade() -> None:
    pass  # the removed rows were superseded versions; nothing to restore
