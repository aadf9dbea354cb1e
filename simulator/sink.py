"""Writing generated frames into a department database, quickly, on any backend.

History is millions of rows, so rows go through the driver's ``executemany`` in chunks
(PostgreSQL: COPY) as plain tuples, bypassing per-value ORM work. Timestamps are bound
as 19-character text on SQLite and as naive ``datetime`` on the servers — the same
representation :class:`simulator.schema.LocalDateTime` uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from simulator.schema import LocalDateTime

CHUNK_ROWS = 20_000


def open_engine(url: str) -> Engine:
    """An engine for a department database; SQLite files get their folder and WAL mode
    (the dashboard's connectors read while the demo appends)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    return engine


def _column_values(series: pd.Series, column: sa.Column, dialect: str) -> list[Any]:
    """One column as Python values the driver binds directly (None for missing)."""
    if isinstance(column.type, LocalDateTime):
        arr = series.to_numpy(dtype="datetime64[s]")
        if dialect == "sqlite":
            text = np.char.replace(np.datetime_as_string(arr, unit="s"), "T", " ").astype(object)
            text[np.isnat(arr)] = None
            return text.tolist()
        return arr.astype("datetime64[us]").astype(object).tolist()
    values = series.tolist()
    missing = np.flatnonzero(series.isna().to_numpy())
    for i in missing:
        values[i] = None
    if isinstance(column.type, sa.Integer):
        return [None if v is None else int(v) for v in values]
    return values


def _rows(frame: pd.DataFrame, columns: list[sa.Column], dialect: str) -> list[tuple[Any, ...]]:
    return list(zip(*(_column_values(frame[c.name], c, dialect) for c in columns), strict=True))


def _placeholder(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def insert_frame(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """INSERT every row of ``frame`` (columns named as the table's)."""
    if frame.empty:
        return 0
    columns = list(table.columns)
    rows = _rows(frame, columns, conn.dialect.name)
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in columns)
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return len(rows)
    marks = ", ".join([_placeholder(conn)] * len(columns))
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"
    for i in range(0, len(rows), CHUNK_ROWS):
        conn.exec_driver_sql(sql, rows[i:i + CHUNK_ROWS])
    return len(rows)


def update_frame(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """UPDATE the rows of ``frame`` in place, matched on the primary key."""
    if frame.empty:
        return 0
    key = list(table.primary_key.columns)
    rest = [c for c in table.columns if c not in set(key)]
    rows = _rows(frame, rest + key, conn.dialect.name)
    quote = conn.dialect.identifier_preparer.quote
    mark = _placeholder(conn)
    sets = ", ".join(f"{quote(c.name)} = {mark}" for c in rest)
    where = " AND ".join(f"{quote(c.name)} = {mark}" for c in key)
    sql = f"UPDATE {quote(table.name)} SET {sets} WHERE {where}"
    for i in range(0, len(rows), CHUNK_ROWS):
        conn.exec_driver_sql(sql, rows[i:i + CHUNK_ROWS])
    return len(rows)
