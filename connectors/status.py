"""Source status: the one row per source that says whether it is late or broken, and why.

The watermark moves in the same transaction as the rows it covers (``advance``), so a
process killed mid-poll resumes exactly where its last committed batch ended. The
"last poll" figures and the outcome are written when the poll ends (``finish``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from citybrain.settings import Source
from store.schema import source_status
from store.upsert import insert_for


def read(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(select(source_status).where(source_status.c.name == name)).mappings().first()
    return dict(row) if row else None


def ensure(conn: Connection, source: Source, now: datetime) -> dict[str, Any]:
    """The status row of ``source``, created on its first poll."""
    stmt = insert_for(conn, source_status).on_conflict_do_nothing(index_elements=["name"])
    conn.execute(stmt, {"name": source.name, "domain": source.domain, "status": "never", "updated_at": now})
    return read(conn, source.name) or {}


def advance(conn: Connection, name: str, *, watermark: str, data_time: datetime | None,
            read_rows: int, written: int, quarantined: int, now: datetime) -> None:
    """Move the watermark and the running totals; call inside the batch's transaction."""
    current = conn.execute(select(source_status.c.data_time).where(source_status.c.name == name)).scalar()
    if current is not None and (data_time is None or current > data_time):
        data_time = current
    c = source_status.c
    conn.execute(update(source_status).where(c.name == name).values(
        watermark=watermark, data_time=data_time,
        rows_read_total=c.rows_read_total + read_rows,
        rows_written_total=c.rows_written_total + written,
        rows_quarantined_total=c.rows_quarantined_total + quarantined,
        updated_at=now,
    ))


def finish(conn: Connection, name: str, *, status: str, now: datetime, read_rows: int, written: int,
           quarantined: int, lag_seconds: float | None, error: str | None) -> None:
    """Record the outcome of a poll (``ok``, ``failing``, ``drift`` or ``disabled``)."""
    c = source_status.c
    values: dict[str, Any] = {
        "status": status, "last_attempt": now, "rows_read_last": read_rows, "rows_written_last": written,
        "rows_quarantined_last": quarantined, "last_error": error, "updated_at": now,
    }
    if lag_seconds is not None:
        values["lag_seconds"] = lag_seconds
    if status == "ok":
        values |= {"last_success": now, "consecutive_failures": 0}
    elif status != "disabled":
        values["consecutive_failures"] = c.consecutive_failures + 1
    conn.execute(update(source_status).where(c.name == name).values(**values))
