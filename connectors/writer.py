"""Writing canonical rows: upserts on the shape's key, and the quarantine.

Re-reading a source inside its lookback must change nothing, and an updated record
(a hotline ticket closed, a statistic revised) must replace its earlier version — both
are an ``INSERT … ON CONFLICT (key) DO UPDATE``. The update only applies when the
incoming version is not older than the stored one (source update time, and for
statistics the revision number), so a late re-read of an old version never wins.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, or_, select
from sqlalchemy.engine import Connection

from connectors.mapping import Rejected
from store.schema import OBSERVATIONS, obs_economy, obs_economy_revisions, quarantine
from store.upsert import insert_for
from store.upsert import upsert as store_upsert

_REVISION_COLUMNS = [c.name for c in obs_economy_revisions.columns]


def _newer(table: Table, excluded: Any) -> Any:
    """The stored row is replaced unless it is known to be newer than the incoming one."""
    mine, theirs = table.c.source_updated_at, excluded.source_updated_at
    by_time = or_(mine.is_(None), theirs.is_(None), theirs >= mine)
    if "revision" in table.c and table is not obs_economy_revisions:
        return or_(excluded.revision > table.c.revision, and_(excluded.revision == table.c.revision, by_time))
    return by_time


def upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], chunk: int = 2000) -> int:
    """Insert or replace ``rows`` in ``table`` on its primary key, never with an older version."""
    return store_upsert(conn, table, rows, where=lambda excluded: _newer(table, excluded), chunk=chunk)


def write_observations(conn: Connection, domain: str, rows: Sequence[dict[str, Any]]) -> int:
    """Write a mapped batch into the domain's table (and, for statistics, every revision)."""
    if domain != "economy":
        return upsert(conn, OBSERVATIONS[domain], rows)
    upsert(conn, obs_economy_revisions, [{k: r[k] for k in _REVISION_COLUMNS} for r in rows])
    newest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in rows:  # one statement may not touch a key twice: keep the highest revision
        key = (r["indicator"], r["period"], r["district"])
        if key not in newest or r["revision"] >= newest[key]["revision"]:
            newest[key] = r
    return upsert(conn, obs_economy, list(newest.values()))


def fingerprint(rejected: Rejected) -> str:
    payload = json.dumps([rejected.reason, rejected.row], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def quarantine_rows(conn: Connection, source: str, domain: str, rejected: Sequence[Rejected],
                    received_at: datetime) -> int:
    """Keep the rejected rows with their reasons; returns how many were new to the quarantine.

    A bad row re-read inside the lookback has the same fingerprint and is not stored twice.
    """
    if not rejected:
        return 0
    by_print = {fingerprint(r): r for r in rejected}
    prints = list(by_print)
    seen: set[str] = set()
    for i in range(0, len(prints), 500):
        seen.update(conn.execute(select(quarantine.c.fingerprint).where(
            quarantine.c.source == source, quarantine.c.fingerprint.in_(prints[i:i + 500]))).scalars())
    fresh = [
        {"source": source, "domain": domain, "received_at": received_at, "row_key": r.row_key,
         "field": r.field, "reason": r.reason[:2000], "row": r.row, "fingerprint": fp}
        for fp, r in by_print.items() if fp not in seen
    ]
    if fresh:
        stmt = insert_for(conn, quarantine).on_conflict_do_nothing(index_elements=["source", "fingerprint"])
        conn.execute(stmt, fresh)
    return len(fresh)

