"""``INSERT … ON CONFLICT (primary key) DO UPDATE`` for the store's two backends.

Every writer of the store (connectors, the compute job, the entity sync) re-runs over
data it may have written before, so each write is an upsert on the table's key; this is
the one place that knows how SQLite and PostgreSQL spell it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from citybrain.errors import StoreError


def insert_for(conn: Connection, table: Table) -> Any:
    """The backend's own ``INSERT`` (it has ``on_conflict_do_update``/``do_nothing``)."""
    dialect = {"postgresql": postgresql, "sqlite": sqlite}.get(conn.dialect.name)
    if dialect is None:
        raise StoreError(f"the store's database ({conn.dialect.name}) is not supported; "
                         "use SQLite or PostgreSQL for CITYBRAIN_STORE_URL")
    return dialect.insert(table)


def upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *,
           where: Callable[[Any], Any] | None = None, chunk: int = 2000) -> int:
    """Insert ``rows`` or replace their non-key columns; returns the number of rows sent.

    ``where(excluded)`` may guard the replacement (e.g. "only if the incoming version is
    not older"); rows it rejects are left as stored.
    """
    if not rows:
        return 0
    keys = [c.name for c in table.primary_key.columns]
    stmt = insert_for(conn, table)
    updates = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_=updates,
                                      where=where(stmt.excluded) if where is not None else None)
    for i in range(0, len(rows), chunk):
        conn.execute(stmt, list(rows[i:i + chunk]))
    return len(rows)
