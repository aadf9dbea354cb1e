"""What the five themed pages read: indicator series, observations, freshness, warnings.

Only tables the jobs already filled are read (``indicators`` per the contract in
``jobs/indicators.py``, the canonical ``obs_*`` tables, ``source_status``, ``warnings``);
nothing here computes a standard. Functions return pandas frames or plain dicts with
UTC-aware times; pages convert to the city's zone at display time.

Each public reader is memoized (``citybrain.cache``) with the cadence of its domain, keyed
on primitive arguments (engine, names, UTC instants rounded to the minute by
``components.page.view.resolve``) so many office pages cost one query per cadence.
Tests call ``fn.uncached(...)``.

Long ranges of raw observations read the rollups (``store.rollups``) for their whole
hours and raw rows only for the partial hours at either end, so a 30-day page reads
hourly sums instead of every five-minute row and shows the same totals. The themed pages'
trends read ``indicators`` (already hourly); the raw reads are tourism gate counts and
hotline tickets.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, func, select

from citybrain.cache import memoize
from store.rollups import ceil_hour, floor_hour, usable
from store.schema import (
    indicators,
    obs_economy,
    obs_economy_revisions,
    obs_hotline,
    obs_tourism,
    rollup_hourly,
    source_status,
    warnings,
)

UTC = dt.timezone.utc

#: Cache lifetimes (s), by the cadence of the data behind them (as the wall's).
CADENCE = {"environment": 300, "traffic": 30, "tourism": 30, "economy": 3600, "hotline": 30, "status": 15}


def _utc(series: pd.Series) -> pd.Series:
    """Store times (aware, or naive UTC from SQLite/MariaDB) → aware UTC."""
    s = pd.to_datetime(series)
    if getattr(s.dt, "tz", None) is None:
        return s.dt.tz_localize("UTC")
    return s.dt.tz_convert("UTC")


def _frame(engine: Engine, stmt: Any, columns: list[str]) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(stmt)]
    return pd.DataFrame(rows, columns=columns)


def _indicator_frame(engine: Engine, name: str, grain: str, scope_kind: str, start: dt.datetime,
                     end: dt.datetime, scope: str | None = None) -> pd.DataFrame:
    """Rows of one indicator in [start, end): scope, time, value, level, category, detail."""
    c = indicators.c
    cond = [c.name == name, c.grain == grain, c.scope_kind == scope_kind, c.time >= start, c.time < end]
    if scope is not None:
        cond.append(c.scope == scope)
    cols = ["scope", "time", "value", "level", "category", "detail"]
    df = _frame(engine, select(c.scope, c.time, c.value, c.level, c.category, c.detail).where(and_(*cond))
                .order_by(c.time, c.scope), cols)
    if not df.empty:
        df["time"] = _utc(df["time"])
        df["value"] = pd.to_numeric(df["value"], errors="coerce")
    return df


indicator_frame = memoize(60)(_indicator_frame)


def _domain_freshness(engine: Engine, domain: str) -> dt.datetime | None:
    """Newest observation time any source of ``domain`` delivered (drives "as of" and stale)."""
    with engine.connect() as conn:
        value = conn.execute(select(func.max(source_status.c.data_time))
                             .where(source_status.c.domain == domain)).scalar()
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


domain_freshness = memoize(CADENCE["status"])(_domain_freshness)


def _active_warnings(engine: Engine, domain: str, district: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Open (not resolved) warnings of ``domain``, most severe first; ``district`` narrows them."""
    q = select(warnings).where(warnings.c.domain == domain, warnings.c.open_key.is_not(None))
    if district:
        q = q.where(warnings.c.district == district)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q.order_by(warnings.c.started_at.desc()).limit(limit))]
    rank = {"red": 0, "orange": 1, "yellow": 2, "blue": 3}
    return sorted(rows, key=lambda r: rank.get(r["level"], 9))


active_warnings = memoize(10)(_active_warnings)


#: ranges longer than this read their whole hours from the hourly rollups
ROLLUP_SPAN = dt.timedelta(days=2)


def _split(engine: Engine, metric: str, start: dt.datetime, end: dt.datetime,
           use_rollups: bool) -> tuple[dt.datetime, dt.datetime] | None:
    """The whole hours [h0, h1) of [start, end) to read from rollups, or None for raw rows only.

    Only hours the rollups cover are taken (a store whose rollups are still being caught
    up — just upgraded, a fresh demo — reads raw rows for the rest and stays correct).
    """
    if not use_rollups or end - start <= ROLLUP_SPAN:
        return None
    r = rollup_hourly.c
    with engine.connect() as conn:
        lo, hi = conn.execute(select(func.min(r.time), func.max(r.time)).where(r.metric == metric)).one()
    if lo is None or hi is None:
        return None
    lo, hi = (t.replace(tzinfo=UTC) if t.tzinfo is None else t for t in (lo, hi))
    h0, h1 = max(ceil_hour(start), lo), min(floor_hour(end), hi + dt.timedelta(hours=1))
    return (h0, h1) if h0 < h1 else None


def _rollup_frame(engine: Engine, metrics: dict[str, str], start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """Hourly rollup rows of ``metrics`` (metric → "sum"|"max") pivoted: entity, time, one column each."""
    r = rollup_hourly.c
    df = _frame(engine, select(r.metric, r.entity, r.time, r.n, r.value_sum, r.value_max)
                .where(r.metric.in_(list(metrics)), r.time >= start, r.time < end),
                ["metric", "entity", "time", "n", "sum", "max"])
    cols = [m.rpartition(".")[2] for m in metrics]
    if df.empty:
        return pd.DataFrame(columns=["entity", "time", *cols])
    use_sum = df["metric"].map(metrics).eq("sum")
    df["v"] = pd.to_numeric(df["sum"].where(use_sum, df["max"]), errors="coerce")
    wide = df.set_index(["entity", "time", "metric"])["v"].unstack("metric")
    wide = wide.rename(columns=lambda m: m.rpartition(".")[2]).reset_index()
    wide.columns.name = None
    for col in cols:
        if col not in wide:
            wide[col] = float("nan")
    wide["time"] = _utc(wide["time"])
    return wide[["entity", "time", *cols]]


def _tourism_obs(engine: Engine, start: dt.datetime, end: dt.datetime, use_rollups: bool = True) -> pd.DataFrame:
    """Gate counts (site, time, present, entries) in [start, end): arrivals are summed entries.

    Over long ranges the whole hours come from the hourly rollups: one row per site-hour
    with ``entries`` the hour's sum and ``present`` the hour's peak — sums by hour, day,
    site or district equal the raw rows' (tests/store/test_rollups.py).
    """
    hours = _split(engine, "tourism.entries", start, end, use_rollups)
    if hours is None:
        return _tourism_raw(engine, start, end)
    h0, h1 = hours
    mid = _rollup_frame(engine, {"tourism.present": "max", "tourism.entries": "sum"}, h0, h1)
    mid = mid.rename(columns={"entity": "site"})
    mid["entries"] = pd.to_numeric(mid["entries"], errors="coerce").fillna(0)
    parts = [p for p in (_tourism_raw(engine, start, h0), mid, _tourism_raw(engine, h1, end)) if not p.empty]
    if not parts:
        return _tourism_raw(engine, start, start)
    return pd.concat(parts, ignore_index=True).sort_values("time", kind="stable").reset_index(drop=True)


def _tourism_raw(engine: Engine, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    c = obs_tourism.c
    df = _frame(engine, select(c.site, c.time, c.present, c.entries).where(c.time >= start, c.time < end,
                                                                          usable(obs_tourism, "present").is_not(None))
                .order_by(c.time), ["site", "time", "present", "entries"])
    if not df.empty:
        df["time"] = _utc(df["time"])
        df["entries"] = pd.to_numeric(df["entries"], errors="coerce").fillna(0)
    return df


tourism_obs = memoize(CADENCE["tourism"])(_tourism_obs)


def _hotline_tickets(engine: Engine, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """Tickets created in [start, end), every lifecycle field of the canonical shape."""
    c = obs_hotline.c
    cols = ["ticket", "created_at", "category", "district", "channel", "answered", "wait_seconds", "due_at",
            "closed_at", "satisfaction", "status"]
    df = _frame(engine, select(*[c[k] for k in cols]).where(c.created_at >= start, c.created_at < end)
                .order_by(c.created_at), cols)
    for k in ("created_at", "due_at", "closed_at"):
        if not df.empty:
            df[k] = _utc(df[k])
    return df


hotline_tickets = memoize(CADENCE["hotline"])(_hotline_tickets)

HOTLINE_COUNTS = ["district", "category", "tickets", "answered", "closed"]


def _hotline_volume(engine: Engine, start: dt.datetime, end: dt.datetime, use_rollups: bool = True) -> pd.DataFrame:
    """Tickets created in [start, end) counted per district and category: tickets, answered,
    closed (closed so far) — what the hotline page's category and district charts show.

    Long ranges read the hourly rollups for their whole hours (``hotline.*`` metrics,
    entity "district|category"); the partial hours at the ends are counted from the tickets.
    """
    hours = _split(engine, "hotline.tickets", start, end, use_rollups)
    if hours is None:
        return _hotline_counted(engine, start, end)
    h0, h1 = hours
    r = rollup_hourly.c
    sums = _frame(engine, select(r.entity, r.metric, func.sum(r.value_sum))
                  .where(r.metric.in_(["hotline.tickets", "hotline.answered", "hotline.closed"]), r.time >= h0,
                         r.time < h1).group_by(r.entity, r.metric), ["entity", "metric", "n"])
    mid = sums.pivot(index="entity", columns="metric", values="n").rename(
        columns=lambda m: m.rpartition(".")[2]).reset_index() if not sums.empty else pd.DataFrame()
    mid = mid.reindex(columns=["entity", "tickets", "answered", "closed"])
    split = [str(e).split("|", 1) for e in mid["entity"]]
    mid["district"], mid["category"] = [p[0] for p in split], [p[-1] for p in split]
    parts = [_hotline_counted(engine, start, h0), mid[HOTLINE_COUNTS], _hotline_counted(engine, h1, end)]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=HOTLINE_COUNTS)
    out = pd.concat(parts, ignore_index=True).groupby(["district", "category"], as_index=False)[
        ["tickets", "answered", "closed"]].sum()
    for k in ("tickets", "answered", "closed"):
        out[k] = pd.to_numeric(out[k]).fillna(0).astype(int)
    return out.sort_values(["district", "category"]).reset_index(drop=True)


def _hotline_counted(engine: Engine, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    tk = _hotline_tickets(engine, start, end)
    if tk.empty:
        return pd.DataFrame(columns=HOTLINE_COUNTS)
    tk = tk.assign(tickets=1, answered=tk["answered"].fillna(False).astype(int), closed=tk["closed_at"].notna().astype(int))
    return tk.groupby(["district", "category"], as_index=False)[["tickets", "answered", "closed"]].sum()


hotline_volume = memoize(CADENCE["hotline"])(_hotline_volume)


def _overdue_tickets(engine: Engine, now: dt.datetime) -> pd.DataFrame:
    """Open tickets whose deadline has passed at ``now`` (超期工单), oldest deadline first."""
    c = obs_hotline.c
    cols = ["ticket", "created_at", "category", "district", "due_at", "status"]
    df = _frame(engine, select(*[c[k] for k in cols]).where(c.closed_at.is_(None), c.due_at.is_not(None),
                                                             c.due_at < now).order_by(c.due_at), cols)
    if not df.empty:
        df["created_at"] = _utc(df["created_at"])
        df["due_at"] = _utc(df["due_at"])
    return df


overdue_tickets = memoize(CADENCE["hotline"])(_overdue_tickets)


def _economy_frame(engine: Engine) -> pd.DataFrame:
    """City series of every indicator (``indicators`` name economy), detail flattened:
    code, grain, period, value, yoy, pop, ytd, ytd_yoy, revision."""
    c = indicators.c
    df = _frame(engine, select(c.scope, c.grain, c.time, c.value, c.detail).where(c.name == "economy")
                .order_by(c.scope, c.time), ["code", "grain", "time", "value", "detail"])
    if df.empty:
        return pd.DataFrame(columns=["code", "grain", "time", "period", "value", "yoy", "pop", "ytd", "ytd_yoy",
                                     "revision"])
    df["time"] = _utc(df["time"])
    for key in ("period", "yoy", "pop", "ytd", "ytd_yoy", "revision"):
        df[key] = [(d or {}).get(key) for d in df["detail"]]
    for key in ("value", "yoy", "pop", "ytd", "ytd_yoy", "revision"):
        df[key] = pd.to_numeric(df[key], errors="coerce")
    return df.drop(columns=["detail"])


economy_frame = memoize(CADENCE["economy"])(_economy_frame)


def _economy_districts(engine: Engine, indicator: str) -> pd.DataFrame:
    """Newest-revision values of one indicator per district and period (obs_economy)."""
    c = obs_economy.c
    return _frame(engine, select(c.district, c.period, c.value, c.revision).where(c.indicator == indicator)
                  .order_by(c.period), ["district", "period", "value", "revision"])


economy_districts = memoize(CADENCE["economy"])(_economy_districts)


def _economy_revisions(engine: Engine, indicator: str, district: str) -> pd.DataFrame:
    """Every revision ever received of an indicator's periods (the old ones are kept)."""
    c = obs_economy_revisions.c
    df = _frame(engine, select(c.period, c.revision, c.value, c.source_updated_at)
                .where(c.indicator == indicator, c.district == district)
                .order_by(c.period.desc(), c.revision.desc()), ["period", "revision", "value", "received"])
    if not df.empty:
        df["received"] = _utc(df["received"])
    return df


economy_revisions = memoize(CADENCE["economy"])(_economy_revisions)
