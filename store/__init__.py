"""The store: canonical observations, indicators, warnings, source status, audit.

SQLAlchemy Core tables (``store.schema``) under Alembic migrations
(``store.migrations``); SQLite by default, PostgreSQL in production, the same code.
Everything is stored in UTC (``store.types.UTCDateTime``) and converted at display time.
"""

from store.engine import make_engine, upgrade, current_revision, head_revision
from store import schema

__all__ = ["make_engine", "upgrade", "current_revision", "head_revision", "schema"]
