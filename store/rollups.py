"""Hourly and daily rollups of the observations, kept current after every poll.

A 30-day tourism page over 5-minute gate counts reads 130 K raw rows; the same page over
hourly rollups reads 11 K, and the totals are the same numbers. Rollups keep count, sum,
min and max of each measure per entity and hour (``rollup_hourly``) and per city-local
day (``rollup_daily``, built from the hours) — quantities that combine exactly, so a page
that sums rollups shows what summing the raw rows would.

Maintenance is by window: :func:`refresh` recomputes the whole hours a poll touched
(``jobs.pipeline`` hands over ``touched``) and the local days around them — delete and
insert in one transaction, so a re-polled row that changed replaces its old contribution
and a re-run changes nothing. :func:`rebuild` does the same over any range in day-sized
steps; :func:`catch_up` finds the ends of the stored observations that no rollup covers
yet (a store upgraded with data, the demo's first history) and rebuilds those.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Column, Connection, Engine, Table, and_, case, delete, func, insert, null, select

from store.schema import obs_air, obs_hotline, obs_tourism, obs_traffic, rollup_daily, rollup_hourly

UTC = dt.timezone.utc
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Measures:
    """What one observation table rolls up: its time, its entity key, and its measures.

    ``measures`` maps a metric's short name to a column, or to ``None`` meaning "rows"
    (a count, e.g. hotline tickets created). Boolean and "is set" measures (answered,
    closed) are summed as 0/1, so their ``value_sum`` is a count of tickets.
    """

    domain: str
    table: Table
    time: str
    entity: tuple[str, ...]
    measures: dict[str, str | None]
    flags: tuple[str, ...] = ()  # measures that count "is set" (a timestamp present)

    def metric(self, short: str) -> str:
        return f"{self.domain}.{short}"

    @property
    def metrics(self) -> list[str]:
        return [self.metric(m) for m in self.measures]

    def column(self, name: str) -> Column[Any]:
        return self.table.c[name]


MEASURES: dict[str, Measures] = {
    "environment": Measures("environment", obs_air, "time", ("station",),
                            {k: k for k in ("pm25", "pm10", "so2", "no2", "co", "o3")}),
    "traffic": Measures("traffic", obs_traffic, "time", ("segment",),
                        {"speed": "speed", "volume": "volume", "occupancy": "occupancy"}),
    "tourism": Measures("tourism", obs_tourism, "time", ("site",), {"present": "present", "entries": "entries"}),
    "hotline": Measures("hotline", obs_hotline, "created_at", ("district", "category"),
                        {"tickets": None, "answered": "answered", "closed": "closed_at"}, flags=("closed_at",)),
}


def usable(table: Table, name: str) -> Any:
    """``table.c[name]`` as indicators and rollups count it: NULL where the row flags that
    field implausible for its entity (issue 19 item 13 — 199 km/h on a 35 km/h road is
    stored as received, and computed on never)."""
    column = table.c[name]
    if "implausible" not in table.c:
        return column
    flag = table.c.implausible
    return case((and_(flag.is_not(None), flag.contains(name)), null()), else_=column).label(name)


def entity_key(values: Sequence[Any]) -> str:
    """The ``entity`` of a rollup row: the code, or "district|category" for the hotline."""
    return "|".join(str(v) for v in values)


def floor_hour(t: dt.datetime) -> dt.datetime:
    t = t.astimezone(UTC)
    return t.replace(minute=0, second=0, microsecond=0)


def ceil_hour(t: dt.datetime) -> dt.datetime:
    f = floor_hour(t)
    return f if f == t else f + HOUR


def local_day(t: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """Start (in UTC) of the city-local day holding ``t``."""
    local = t.astimezone(tz)
    return dt.datetime(local.year, local.month, local.day, tzinfo=tz).astimezone(UTC)


def next_local_day(t: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """Start (UTC) of the local day after the one holding ``t`` (DST-safe: re-derive the midnight)."""
    return local_day(local_day(t, tz) + dt.timedelta(hours=36), tz)


def _aware(series: pd.Series) -> pd.Series:
    s = pd.to_datetime(series)
    return s.dt.tz_localize("UTC") if getattr(s.dt, "tz", None) is None else s.dt.tz_convert("UTC")


# ------------------------------------------------------------------------- computing

def hourly_rows(conn: Connection, m: Measures, start: dt.datetime, end: dt.datetime,
                now: dt.datetime) -> list[dict[str, Any]]:
    """Rollup rows of the hours in [start, end) (whole hours) computed from the raw rows."""
    tcol = m.column(m.time)
    cols = [m.column(c) for c in m.entity] + [tcol] + [usable(m.table, c) for c in dict.fromkeys(
        v for v in m.measures.values() if v)]
    # in key order: a float sum depends on the order of its terms, and a recomputation must
    # give the stored rollup to the last bit (rows a re-read rewrote move in the heap)
    raw = pd.DataFrame([tuple(r) for r in conn.execute(select(*cols).where(tcol >= start, tcol < end)
                                                       .order_by(*m.table.primary_key.columns))],
                       columns=[c.name for c in cols])
    if raw.empty:
        return []
    raw["_entity"] = [entity_key(v) for v in zip(*(raw[c] for c in m.entity), strict=True)] \
        if len(m.entity) > 1 else raw[m.entity[0]].astype(str)
    raw["_hour"] = _aware(raw[m.time]).dt.floor("h")
    out: list[dict[str, Any]] = []
    for short, col in m.measures.items():
        if col is None:
            values = pd.Series(1.0, index=raw.index)
        elif col in m.flags:
            values = raw[col].notna().astype(float)
        else:
            values = pd.to_numeric(raw[col].astype(object).where(raw[col].notna()), errors="coerce").astype(float)
        frame = pd.DataFrame({"e": raw["_entity"], "h": raw["_hour"], "v": values})
        agg = frame.groupby(["e", "h"], sort=True)["v"].agg(["count", "sum", "min", "max"]).reset_index()
        metric = m.metric(short)
        for r in agg.itertuples(index=False):
            n = int(r.count)
            out.append({"metric": metric, "entity": r.e, "time": r.h.to_pydatetime(), "n": n,
                        "value_sum": float(r.sum) if n else None, "value_min": float(r.min) if n else None,
                        "value_max": float(r.max) if n else None, "updated_at": now})
    return out


def daily_rows(conn: Connection, metrics: Sequence[str], start: dt.datetime, end: dt.datetime, tz: ZoneInfo,
               now: dt.datetime) -> list[dict[str, Any]]:
    """Daily rows of the local days in [start, end) (local midnights) combined from the hourly rows."""
    h = rollup_hourly.c
    df = pd.DataFrame([tuple(r) for r in conn.execute(
        select(h.metric, h.entity, h.time, h.n, h.value_sum, h.value_min, h.value_max)
        .where(h.metric.in_(list(metrics)), h.time >= start, h.time < end).order_by(h.metric, h.entity, h.time))],
        columns=["metric", "entity", "time", "n", "s", "lo", "hi"])
    if df.empty:
        return []
    local = _aware(df["time"]).dt.tz_convert(tz)
    df["day"] = local.dt.tz_localize(None).dt.normalize()
    agg = df.groupby(["metric", "entity", "day"], sort=True).agg(
        n=("n", "sum"), s=("s", lambda x: x.sum(min_count=1)), lo=("lo", "min"), hi=("hi", "max")).reset_index()
    out = []
    for r in agg.itertuples(index=False):
        day = r.day.to_pydatetime().replace(tzinfo=tz).astimezone(UTC)
        n = int(r.n)
        out.append({"metric": r.metric, "entity": r.entity, "time": day, "n": n,
                    "value_sum": float(r.s) if n and pd.notna(r.s) else None,
                    "value_min": float(r.lo) if n and pd.notna(r.lo) else None,
                    "value_max": float(r.hi) if n and pd.notna(r.hi) else None, "updated_at": now})
    return out


def _replace(conn: Connection, table: Table, metrics: Sequence[str], start: dt.datetime, end: dt.datetime,
             rows: list[dict[str, Any]]) -> None:
    conn.execute(delete(table).where(table.c.metric.in_(list(metrics)), table.c.time >= start, table.c.time < end))
    for i in range(0, len(rows), 2000):
        conn.execute(insert(table), rows[i:i + 2000])


def refresh(engine: Engine, domain: str, start: dt.datetime, end: dt.datetime, tz: ZoneInfo, *,
            now: dt.datetime | None = None) -> int:
    """Recompute ``domain``'s hourly rollups of the hours overlapping [start, end] and the local
    days around them, in one transaction; returns the rows written.

    ``end`` is inclusive (a poll's latest data time): its hour is recomputed too.
    """
    m = MEASURES.get(domain)
    if m is None:
        return 0
    now = now or dt.datetime.now(UTC)
    h0, h1 = floor_hour(start), floor_hour(end) + HOUR
    d0, d1 = local_day(h0, tz), next_local_day(h1 - HOUR, tz)
    with engine.begin() as conn:
        hours = hourly_rows(conn, m, h0, h1, now)
        _replace(conn, rollup_hourly, m.metrics, h0, h1, hours)
        days = daily_rows(conn, m.metrics, d0, d1, tz, now)
        _replace(conn, rollup_daily, m.metrics, d0, d1, days)
    return len(hours) + len(days)


def rebuild(engine: Engine, tz: ZoneInfo, start: dt.datetime, end: dt.datetime,
            domains: Iterable[str] | None = None, *, step: dt.timedelta = DAY) -> int:
    """Rebuild the rollups of [start, end) in ``step``-sized transactions; returns rows written.

    The start is clamped to the oldest raw row kept, so a rebuild never wipes rollups
    whose raw rows retention has already removed (rollups outlive them on purpose).
    """
    total = 0
    for domain in domains or MEASURES:
        m = MEASURES[domain]
        oldest = _oldest(engine, m)
        if oldest is None:
            continue
        a = max(floor_hour(start), floor_hour(oldest))
        while a < end:
            b = min(a + step, ceil_hour(end))
            total += refresh(engine, domain, a, b - HOUR, tz)
            a = b
    return total


def _oldest(engine: Engine, m: Measures) -> dt.datetime | None:
    with engine.connect() as conn:
        value = conn.execute(select(func.min(m.column(m.time)))).scalar()
    return None if value is None else (value.replace(tzinfo=UTC) if value.tzinfo is None else value)


def _span(conn: Connection, table: Table, column: Any, where: Any = None) -> tuple[dt.datetime | None, ...]:
    q = select(func.min(column), func.max(column)).select_from(table)
    if where is not None:
        q = q.where(where)
    lo, hi = conn.execute(q).one()
    return tuple(None if v is None else (v.replace(tzinfo=UTC) if v.tzinfo is None else v) for v in (lo, hi))


def catch_up(engine: Engine, tz: ZoneInfo, domains: Iterable[str] | None = None) -> int:
    """Rebuild the stretches of stored observations no hourly rollup covers yet, at either end."""
    total = 0
    for domain in domains or MEASURES:
        m = MEASURES[domain]
        with engine.connect() as conn:
            raw_lo, raw_hi = _span(conn, m.table, m.column(m.time))
            roll_lo, roll_hi = _span(conn, rollup_hourly, rollup_hourly.c.time,
                                     rollup_hourly.c.metric == m.metrics[0])
        if raw_lo is None or raw_hi is None:
            continue
        if roll_lo is None or roll_hi is None:
            total += rebuild(engine, tz, raw_lo, raw_hi + HOUR, [domain])
            continue
        if floor_hour(raw_lo) < roll_lo:
            total += rebuild(engine, tz, raw_lo, roll_lo, [domain])
        if floor_hour(raw_hi) > roll_hi:
            total += rebuild(engine, tz, roll_hi + HOUR, raw_hi + HOUR, [domain])
    return total
