"""Source status: the one row per source that says whether it is late or broken, and why.

The watermark moves in the same transaction as the rows it covers (``advance``), so a
process killed mid-poll resumes exactly where its last committed batch ended. The
"last poll" figures and the outcome are written when the poll ends (``finish``).

``data_time`` — what "as of" and every staleness warning read — is the newest data time
the store actually holds for the source, not a running maximum of what was ever read
(issue 19: a row dated 2198, once seen, kept a source "fresh" after it was deleted), and
never later than now + the source's ``future_tolerance``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from citybrain.settings import Source
from connectors.fields import DATA_TIME
from store.schema import observation_table, source_status
from store.upsert import insert_for


def read(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(select(source_status).where(source_status.c.name == name)).mappings().first()
    return dict(row) if row else None


def ensure(conn: Connection, source: Source, now: datetime) -> dict[str, Any]:
    """The status row of ``source``, created on its first poll."""
    stmt = insert_for(conn, source_status).on_conflict_do_nothing(index_elements=["name"])
    conn.execute(stmt, {"name": source.name, "domain": source.domain, "status": "never", "updated_at": now})
    return read(conn, source.name) or {}


def stored_data_time(conn: Connection, source: Source, now: datetime) -> datetime | None:
    """The newest data time the store holds from ``source`` (up to now + its tolerance)."""
    table = observation_table(source.domain)
    column = table.c[DATA_TIME.get(source.domain, "time")]
    limit = now + source.future_tolerance
    tz = ZoneInfo(source.timezone)
    bound: Any = limit.astimezone(tz).date() if source.domain == "economy" else limit
    value = conn.execute(select(func.max(column)).where(table.c.source == source.name, column <= bound)).scalar()
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value
    if isinstance(value, date):  # a statistic's period start, in the source's zone
        return datetime.combine(value, time(), tzinfo=tz).astimezone(timezone.utc)
    return None


def advance(conn: Connection, name: str, *, watermark: str | None, data_time: datetime | None,
            read_rows: int, written: int, quarantined: int, now: datetime, watermark_key: str | None = None) -> None:
    """Move the watermark (unless None) with its position in a tie (``watermark_key``, issue
    19 item 12) and the running totals; call inside the batch's transaction. ``data_time``
    is :func:`stored_data_time` after the batch's writes.
    """
    c = source_status.c
    moved = {} if watermark is None else {"watermark": watermark, "watermark_key": watermark_key}
    conn.execute(update(source_status).where(c.name == name).values(
        **moved, data_time=data_time,
        rows_read_total=c.rows_read_total + read_rows,
        rows_written_total=c.rows_written_total + written,
        rows_quarantined_total=c.rows_quarantined_total + quarantined,
        updated_at=now,
    ))


def finish(conn: Connection, name: str, *, status: str, now: datetime, read_rows: int, written: int,
           quarantined: int, lag_seconds: float | None, error: str | None,
           data_time: datetime | None | object = ...) -> None:
    """Record the outcome of a poll (``ok``, ``failing``, ``drift`` or ``disabled``) and the
    store's newest data time of the source (rows deleted since are no longer counted)."""
    c = source_status.c
    values: dict[str, Any] = {
        "status": status, "last_attempt": now, "rows_read_last": read_rows, "rows_written_last": written,
        "rows_quarantined_last": quarantined, "last_error": error, "updated_at": now,
    }
    if data_time is not ...:  # given (None too: nothing of the source is stored any more)
        values["data_time"] = data_time
    if lag_seconds is not None:
        values["lag_seconds"] = lag_seconds
    if status == "ok":
        values |= {"last_success": now, "consecutive_failures": 0}
    elif status != "disabled":
        values["consecutive_failures"] = c.consecutive_failures + 1
    conn.execute(update(source_status).where(c.name == name).values(**values))
