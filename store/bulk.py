"""Bulk reads and writes of the compute job: observation rows into pandas fast, indicator
rows out fast.

Reads. :func:`read_frame` gives the rows of a ``select`` as a frame; on PostgreSQL the
driver's binary tuples go straight into pandas, timestamps as integers made datetime64 per
column (:func:`frame_of_driver`), because building the frame from SQLAlchemy rows was most
of a day's compute (issue 10). :func:`read_packed` goes further for the biggest table: the
server packs the rows into one ``bytea`` of fixed-width records that numpy reads in one go.

Writes. :func:`write_indicators` stores computed rows — a list of dicts or an *indicator
frame* (the columns :data:`INDICATOR_COLUMNS`, ``time`` datetime64 UTC, ``value`` float
with NaN/±inf meaning NULL, ``detail`` the JSON text ``json.dumps`` would write). On
PostgreSQL a big batch is COPYed in binary and merged (:func:`copy_indicator_frame`);
every path leaves a stored row whose result did not change as it is (:func:`changed`).

Moved here from ``jobs/indicators.py`` (issue 20) unchanged, so that the compute package
holds the domains' arithmetic only.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Text, cast, or_

from connectors.writer import COPY_MIN_ROWS, copy_upsert
from store.schema import indicators
from store.upsert import upsert

__all__ = ["COPY_MIN_ROWS", "INDICATOR_COLUMNS", "PG_EPOCH_US", "changed",
           "copy_indicator_frame", "frame_of_driver", "frame_of_rows", "indicator_rows", "integer", "num",
           "read_frame", "read_packed", "utc_times", "write_indicators"]

# PostgreSQL batches from COPY_MIN_ROWS rows go through COPY + one merge, as a poll's
# observations do (a day's 646 AQI rows took ~1 s as one multi-row INSERT, issue 10)
#: PostgreSQL's binary timestamptz counts microseconds from 2000-01-01 UTC
PG_EPOCH_US = 946_684_800_000_000
_TIMESTAMPTZ_OID = 1184


# ------------------------------------------------------------------------------ values

def num(value: Any) -> float | None:
    """A stored value: a float, or None for nothing, NaN and ±inf (NULL in the store)."""
    if value is None or value is pd.NA:
        return None
    f = float(value)
    return None if math.isnan(f) or math.isinf(f) else f


def integer(value: Any) -> int | None:
    """A stored level or count: :func:`num` truncated to an int."""
    f = num(value)
    return None if f is None else int(f)


# ------------------------------------------------------------------------------- reads

def read_frame(engine: Engine, stmt: Any) -> pd.DataFrame:
    """The rows of ``stmt`` as a frame.

    On PostgreSQL the driver's own tuples go straight into pandas: building the frame
    from SQLAlchemy rows (and their per-value UTC re-tagging, which :func:`utc_times` does
    again per column) was most of a day's compute (issue 10). The driver returns aware
    datetimes, so :func:`utc_times` gives the same UTC columns either way.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            return frame_of_driver(conn, stmt)
        return frame_of_rows(conn, stmt)


def frame_of_driver(conn: Any, stmt: Any) -> pd.DataFrame:
    """PostgreSQL: binary results, timestamps as integers made datetime64 per column
    (the same ``datetime64[us, UTC]`` values :func:`utc_times` makes of datetime objects)."""
    from psycopg.adapt import Loader
    from psycopg.pq import Format

    class Micros(Loader):
        format = Format.BINARY

        def load(self, data: Any) -> int:
            return int.from_bytes(data, "big", signed=True)

    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    with conn.connection.driver_connection.cursor() as cur:
        cur.adapters.register_loader(_TIMESTAMPTZ_OID, Micros)
        cur.execute(str(compiled), compiled.params, binary=True)
        frame = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
        stamps = [d.name for d in cur.description if d.type_code == _TIMESTAMPTZ_OID]
    for name in stamps:
        micros = frame[name].astype("Int64") + PG_EPOCH_US
        frame[name] = pd.to_datetime(micros, unit="us", utc=True).astype("datetime64[us, UTC]")
    return frame


def frame_of_rows(conn: Any, stmt: Any) -> pd.DataFrame:
    """Through SQLAlchemy's result rows (any backend)."""
    result = conn.execute(stmt)
    return pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()))


def utc_times(frame: pd.DataFrame, *cols: str) -> pd.DataFrame:
    """``cols`` of ``frame`` (those it has) as UTC datetimes, in place; returns the frame."""
    for c in cols:
        if c in frame:
            frame[c] = pd.to_datetime(frame[c], utc=True)
    return frame


def read_packed(engine: Engine, query: str, codes: list[str], start: dt.datetime, end: dt.datetime,
                record: np.dtype, days: int) -> np.ndarray:
    """PostgreSQL: the records ``query`` packs server-side, ``days`` at a time.

    ``query`` takes ``(codes, a, b)`` and returns one ``bytea`` of fixed-width big-endian
    records of dtype ``record`` (``*send`` functions) for [a, b) — numpy reads each in one
    go. A row per message, COPY or a cursor, costs a Python round per row; this is one
    value per ``days`` (issue 10). A bytea holds at most 1 GB: size ``days`` to stay below.
    """
    parts = []
    with engine.connect() as conn, conn.connection.driver_connection.cursor() as cur:
        a = start
        while a < end:
            b = min(a + dt.timedelta(days=days), end)
            cur.execute(query, (codes, a, b), binary=True)
            packed = cur.fetchone()[0]
            if packed:
                parts.append(np.frombuffer(packed, dtype=record))
            a = b
    return np.concatenate(parts) if parts else np.empty(0, dtype=record)


# ------------------------------------------------------------------------------ writes

#: the columns of an indicator frame (see the module's docstring)
INDICATOR_COLUMNS = ("name", "grain", "scope_kind", "scope", "time", "value", "level", "category", "detail")
#: what a stored indicator row holds besides its key and ``computed_at``
_RESULT_COLUMNS = ("value", "level", "category", "detail")


def write_indicators(engine: Engine, rows: list[dict[str, Any]] | pd.DataFrame, now: dt.datetime) -> int:
    """Write computed rows; on PostgreSQL big batches go through COPY (a year is millions).

    A stored row whose result is unchanged is left as it is, ``computed_at`` included (see
    :func:`changed`); returns the number of rows computed.
    """
    with engine.begin() as conn:
        big = conn.dialect.name == "postgresql" and len(rows) >= COPY_MIN_ROWS
        if isinstance(rows, pd.DataFrame):
            if big:
                return copy_indicator_frame(conn, rows, now)
            rows = indicator_rows(rows)
        rows = [r | {"computed_at": now} for r in rows]
        if big:
            return copy_upsert(conn, indicators, rows, where=changed)
        return upsert(conn, indicators, rows, where=changed)


def changed(excluded: Any) -> Any:
    """The guard of every indicator upsert: replace a stored row only when its result
    differs, so a recompute of unchanged data writes nothing (no new row version, no index
    entry, no WAL — most of a recompute's rows, issue 10) and ``computed_at`` is when the
    row last changed. The detail is compared as its JSON text, where 1 and 1.0 differ."""
    stored = indicators.c
    return or_(*[(cast(stored[n], Text) if n == "detail" else stored[n])
                 .is_distinct_from(cast(excluded[n], Text) if n == "detail" else excluded[n])
                 for n in _RESULT_COLUMNS])


def indicator_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """An indicator frame as dict rows (the generic and small writes), as
    ``jobs.compute.rows.row`` makes them one by one."""
    times = frame["time"].dt.to_pydatetime()
    return [{"name": n, "grain": g, "scope_kind": k, "scope": s, "time": t, "value": num(v), "level": integer(lv),
             "category": c, "detail": json.loads(d)}
            for n, g, k, s, t, v, lv, c, d in zip(frame["name"], frame["grain"], frame["scope_kind"],
                                                   frame["scope"], times, frame["value"].tolist(),
                                                   frame["level"].tolist(), frame["category"], frame["detail"])]


def copy_indicator_frame(conn: Any, frame: pd.DataFrame, now: dt.datetime) -> int:
    """PostgreSQL: binary COPY of an indicator frame into a scratch table, then an update of
    the stored rows whose result changed and a plain insert of the rows not stored yet.

    The same rows ``copy_upsert`` stores from ``indicator_rows(frame)``: times go over as
    microseconds (no datetime object per row), the detail as its JSON text cast to jsonb
    (what ``json.dumps`` + ``Jsonb`` send), NaN and ±inf values as NULL; a stored row is
    replaced only when its result changed (:func:`changed`, spelt in SQL). Not one
    ``INSERT … ON CONFLICT``: its speculative insertion made storing 30 days' new rows take
    4.8 s against 3.0 s for a plain insert, and it locks (dirties) every unchanged row it
    meets, 2.5 s on a recompute against 0.75 s for the join (issue 10). Both joins are
    bounded to the frame's names and time span, so they read that part of ``indicators``
    only (the scratch table needs no ANALYZE: the planner sizes a never-analysed table by
    its pages). Should another writer store one of the new keys meanwhile, the insert is rolled
    back to its savepoint and the rows merge as ``ON CONFLICT`` would.
    """
    from psycopg import errors  # PostgreSQL stores only

    raw = conn.connection.driver_connection
    micros = ((frame["time"] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta("1us")).to_numpy()
    values = frame["value"].to_numpy(dtype=float)
    values = np.where(np.isfinite(values), values, np.nan).tolist()
    levels = [None if v is pd.NA else int(v) for v in frame["level"].tolist()]
    bounds = {"names": sorted(set(frame["name"].tolist())), "now": now,
              "lo": pd.Timestamp(int(micros.min()), unit="us", tz="UTC").to_pydatetime(),
              "hi": pd.Timestamp(int(micros.max()), unit="us", tz="UTC").to_pydatetime()}
    with raw.cursor() as cur:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS _indicators_in (name text, grain text, scope_kind text, "
                    "scope text, us int8, value float8, level int4, category text, detail text)")
        with cur.copy("COPY _indicators_in FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["text", "text", "text", "text", "int8", "float8", "int4", "text", "text"])
            for row in zip(frame["name"].tolist(), frame["grain"].tolist(), frame["scope_kind"].tolist(),
                           frame["scope"].tolist(), micros.tolist(), values, levels, frame["category"].tolist(),
                           frame["detail"].tolist()):
                copy.write_row(row)
        cur.execute(_UPDATE_CHANGED, bounds)
        try:
            with conn.begin_nested():
                cur.execute(_INSERT_NEW, bounds)
        except errors.UniqueViolation:
            cur.execute(_MERGE, bounds)
        cur.execute("TRUNCATE _indicators_in")
    return len(frame)


# the statements of ``copy_indicator_frame``; ``s`` is a scratch row, ``i`` a stored one
_SCRATCH = ("s.name, s.grain, s.scope_kind, s.scope, timestamptz 'epoch' + s.us * interval '1 microsecond', "
            "NULLIF(s.value, 'NaN'::float8), s.level, s.category, s.detail::jsonb, %(now)s::timestamptz")
_SAME_KEY = ("i.name = s.name AND i.grain = s.grain AND i.scope_kind = s.scope_kind AND i.scope = s.scope "
             "AND i.time = timestamptz 'epoch' + s.us * interval '1 microsecond' "
             "AND i.name = ANY(%(names)s) AND i.time BETWEEN %(lo)s AND %(hi)s")
_UPDATE_CHANGED = (
    "UPDATE indicators AS i SET value = NULLIF(s.value, 'NaN'::float8), level = s.level, category = s.category, "
    "detail = s.detail::jsonb, computed_at = %(now)s FROM _indicators_in AS s WHERE " + _SAME_KEY + " AND "
    "(i.value, i.level, i.category, i.detail::text) "
    "IS DISTINCT FROM (NULLIF(s.value, 'NaN'::float8), s.level, s.category, s.detail::jsonb::text)")
_INSERT_NEW = (
    "INSERT INTO indicators (name, grain, scope_kind, scope, time, value, level, category, detail, computed_at) "
    "SELECT " + _SCRATCH + " FROM _indicators_in AS s WHERE NOT EXISTS (SELECT FROM indicators AS i WHERE "
    + _SAME_KEY + ")")
_MERGE = (
    "INSERT INTO indicators AS i (name, grain, scope_kind, scope, time, value, level, category, detail, computed_at) "
    "SELECT " + _SCRATCH + " FROM _indicators_in AS s "
    "ON CONFLICT (name, grain, scope_kind, scope, time) DO UPDATE SET value = excluded.value, "
    "level = excluded.level, category = excluded.category, detail = excluded.detail, "
    "computed_at = excluded.computed_at "
    "WHERE (i.value, i.level, i.category, i.detail::text) "
    "IS DISTINCT FROM (excluded.value, excluded.level, excluded.category, excluded.detail::text)")
