"""What the command-centre wall reads: the newest precomputed indicators, freshness, warnings.

Every function here only reads tables the jobs already computed (``indicators``,
``source_status``, ``warnings``) — the wall never computes a standard on the fly — and
returns plain data (dicts of numbers, strings and UTC datetimes) that components turn
into pictures.

The read functions are memoized (``citybrain.cache``) with a lifetime that follows the
cadence of the data behind them: hourly air readings change at most a few times an hour,
traffic and scenic-site counts every poll (minutes), statistics monthly. Many walls and
office pages refreshing every half minute then cost one query per cadence, not one per
screen. Arguments are kept primitive (engine, codes, zone name) so cache keys are stable;
"now" is read inside, and tests call ``fn.uncached(..., now=...)``.

The only write is :func:`record_heartbeat` — a wall's check-in, which the data-sources
page lists with :func:`wall_checkins`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, delete, func, insert, select, update

from citybrain.cache import memoize
from store.queries import wall_dispatch, wall_forecast
from store.schema import indicators, source_status, wall_heartbeats, warnings

UTC = dt.timezone.utc

#: Cache lifetimes in seconds, by the cadence of the data behind them.
CADENCE: dict[str, int] = {
    "environment": 300,  # hourly station readings: nothing new for many minutes
    "traffic": 30,  # detectors every few minutes
    "tourism": 30,  # gate counts every few minutes
    "economy": 3600,  # monthly / quarterly statistics
    "hotline": 30,  # tickets arrive continuously
    "vital_signs": 120,  # hourly index, recomputed after each poll
    "freshness": 15,  # source status: the stale badge must not lag the data by much
    "warnings": 10,  # the ticker should show a new red warning within seconds
}

#: Warning levels from most to least severe (GB/T: 红 I, 橙 II, 黄 III, 蓝 IV).
WARNING_ORDER = ("red", "orange", "yellow", "blue")


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(UTC)


def _aware(t: Any) -> dt.datetime | None:
    if t is None:
        return None
    if t.tzinfo is None:
        return t.replace(tzinfo=UTC)
    return t.astimezone(UTC)


def _rows(engine: Engine, stmt: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def _latest_per_scope(engine: Engine, name: str, grain: str, scope_kind: str, since: dt.datetime,
                      *, detail: bool = True) -> list[dict[str, Any]]:
    """The newest row per scope of one indicator, looking back from ``since``.

    The database picks the newest row of each scope (``row_number()`` over the scope, a
    window function PostgreSQL and SQLite share): the wall's segment map reads 500 rows
    instead of six hours of them (3,000), and Python converting rows was the cost, not
    the query (issue 10, cold refresh). ``detail=False`` leaves out the JSON column for
    readers that do not show it.
    """
    cols = [indicators.c.scope, indicators.c.time, indicators.c.value, indicators.c.level, indicators.c.category]
    if detail:
        cols.append(indicators.c.detail)
    newest = select(*cols, func.row_number().over(partition_by=indicators.c.scope,
                                                  order_by=indicators.c.time.desc()).label("rn")).where(
        indicators.c.name == name, indicators.c.grain == grain, indicators.c.scope_kind == scope_kind,
        indicators.c.time >= since, indicators.c.value.is_not(None),
    ).subquery()
    rows = _rows(engine, select(*(newest.c[c.name] for c in cols)).where(newest.c.rn == 1)
                 .order_by(newest.c.scope))
    for r in rows:
        r["time"] = _aware(r["time"])
    return rows


def _series(engine: Engine, name: str, grain: str, scope_kind: str, scope: str, since: dt.datetime) -> list[dict[str, Any]]:
    rows = _rows(engine, select(indicators.c.time, indicators.c.value, indicators.c.level, indicators.c.category,
                                indicators.c.detail).where(
        indicators.c.name == name, indicators.c.grain == grain, indicators.c.scope_kind == scope_kind,
        indicators.c.scope == scope, indicators.c.time >= since,
    ).order_by(indicators.c.time))
    for r in rows:
        r["time"] = _aware(r["time"])
    return rows


def _newest(series: list[dict[str, Any]]) -> dict[str, Any] | None:
    for r in reversed(series):
        if r["value"] is not None:
            return r
    return None


# ------------------------------------------------------------------------ the index

def _vital_signs(engine: Engine, now: dt.datetime | None = None) -> dict[str, Any]:
    """The city's vital-signs index now, its last 24 hours, and the districts ranked."""
    now = _now(now)
    series = _series(engine, "vital_signs", "hour", "city", "", now - dt.timedelta(hours=25))
    last = _newest(series)
    districts = _latest_per_scope(engine, "vital_signs", "hour", "district", now - dt.timedelta(hours=6))
    return {
        "time": last["time"] if last else None,
        "value": last["value"] if last else None,
        "sub_indices": ((last or {}).get("detail") or {}).get("sub_indices", {}),
        "series": [(r["time"], r["value"]) for r in series if r["value"] is not None][-24:],
        "districts": sorted(({"code": r["scope"], "value": r["value"]} for r in districts),
                            key=lambda d: -d["value"]),
    }


vital_signs = memoize(CADENCE["vital_signs"])(_vital_signs)


# --------------------------------------------------------------------------- domains

def _air(engine: Engine, now: dt.datetime | None = None) -> dict[str, Any]:
    """City AQI now (HJ 633 hourly) with category, primary pollutant and colour; stations ranked."""
    now = _now(now)
    series = _series(engine, "aqi", "hour", "city", "", now - dt.timedelta(hours=25))
    last = _newest(series)
    detail = (last or {}).get("detail") or {}
    stations = _latest_per_scope(engine, "aqi", "hour", "station", now - dt.timedelta(hours=6))
    return {
        "time": last["time"] if last else None,
        "value": last["value"] if last else None,
        "level": last["level"] if last else None,
        "category": last["category"] if last else None,
        "primary": list(detail.get("primary") or []),
        "color": detail.get("color"),
        "series": [(r["time"], r["value"]) for r in series if r["value"] is not None][-24:],
        "stations": sorted(({"code": r["scope"], "value": r["value"], "level": r["level"],
                             "color": (r.get("detail") or {}).get("color")} for r in stations),
                           key=lambda s: -s["value"]),
    }


air = memoize(CADENCE["environment"])(_air)


def _traffic(engine: Engine, now: dt.datetime | None = None) -> dict[str, Any]:
    """City TPI (GB/T 33171) with grade; districts ranked; every segment's speed ratio and grade."""
    now = _now(now)
    series = _series(engine, "tpi", "hour", "city", "", now - dt.timedelta(hours=25))
    last = _newest(series)
    districts = _latest_per_scope(engine, "tpi", "hour", "district", now - dt.timedelta(hours=6))
    segments = _latest_per_scope(engine, "speed_ratio", "hour", "segment", now - dt.timedelta(hours=6),
                                 detail=False)
    return {
        "time": last["time"] if last else None,
        "value": last["value"] if last else None,
        "grade": last["category"] if last else None,
        "series": [(r["time"], r["value"]) for r in series if r["value"] is not None][-24:],
        "districts": sorted(({"code": r["scope"], "value": r["value"], "grade": r["category"]} for r in districts),
                            key=lambda d: -d["value"]),
        "segments": sorted(({"code": r["scope"], "ratio": r["value"], "grade": r["category"]} for r in segments),
                           key=lambda s: s["ratio"]),
    }


traffic = memoize(CADENCE["traffic"])(_traffic)


def _tourism(engine: Engine, now: dt.datetime | None = None) -> dict[str, Any]:
    """Every scenic site's crowding (LB/T 034: present / capacity), most crowded first; total present."""
    now = _now(now)
    since = now - dt.timedelta(hours=25)
    rows = _rows(engine, select(indicators.c.scope, indicators.c.time, indicators.c.value, indicators.c.category,
                                indicators.c.detail).where(
        indicators.c.name == "crowding", indicators.c.grain == "hour", indicators.c.scope_kind == "site",
        indicators.c.time >= since).order_by(indicators.c.time))
    newest: dict[str, dict[str, Any]] = {}
    totals: dict[dt.datetime, int] = {}
    for r in rows:
        r["time"] = _aware(r["time"])
        newest[r["scope"]] = r
        totals[r["time"]] = totals.get(r["time"], 0) + int((r["detail"] or {}).get("present") or 0)
    latest_time = max((r["time"] for r in newest.values()), default=None)
    sites = [{"code": r["scope"], "ratio": r["value"], "state": r["category"],
              "present": int((r["detail"] or {}).get("present") or 0),
              "capacity": int((r["detail"] or {}).get("capacity") or 0)}
             for r in newest.values() if r["time"] == latest_time and r["value"] is not None]
    return {
        "time": latest_time,
        "sites": sorted(sites, key=lambda s: -s["ratio"]),
        "present": sum(s["present"] for s in sites) if sites else None,
        "series": sorted(totals.items())[-24:],
    }


tourism = memoize(CADENCE["tourism"])(_tourism)


def _economy(engine: Engine, headline: str | None = None) -> dict[str, Any]:
    """Each indicator's newest period with 同比/环比/累计; the headline's last 13 periods."""
    rows = _rows(engine, select(indicators.c.scope, indicators.c.grain, indicators.c.time, indicators.c.value,
                                indicators.c.detail).where(
        indicators.c.name == "economy", indicators.c.scope_kind == "indicator").order_by(indicators.c.time))
    newest: dict[str, dict[str, Any]] = {}
    history: dict[str, list[tuple[str, float]]] = {}
    for r in rows:
        detail = r["detail"] or {}
        item = {"code": r["scope"], "grain": r["grain"], "time": _aware(r["time"]), "value": r["value"],
                "period": detail.get("period", ""), "yoy": detail.get("yoy"), "pop": detail.get("pop"),
                "ytd": detail.get("ytd"), "ytd_yoy": detail.get("ytd_yoy")}
        newest[r["scope"]] = item
        history.setdefault(r["scope"], []).append((item["period"], r["value"]))
    head = headline if headline in newest else next(iter(newest), None)
    return {
        "headline": newest.get(head) if head else None,
        "indicators": list(newest.values()),
        "series": history.get(head, [])[-13:] if head else [],
    }


economy = memoize(CADENCE["economy"])(_economy)


def _local_midnight(now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    local = now.astimezone(tz)
    return dt.datetime(local.year, local.month, local.day, tzinfo=tz).astimezone(UTC)


def _hotline(engine: Engine, timezone: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """Today's 12345 volume (local day so far), 接通率, hourly profile vs yesterday, categories and districts."""
    now = _now(now)
    today = _local_midnight(now, ZoneInfo(timezone))
    yesterday = today - dt.timedelta(days=1)
    hourly = _series(engine, "hotline_calls", "hour", "city", "", yesterday)
    today_rows = [r for r in hourly if r["time"] >= today and r["value"] is not None]
    rate = _rows(engine, select(indicators.c.time, indicators.c.value).where(
        indicators.c.name == "hotline_answer_rate", indicators.c.grain == "day", indicators.c.scope_kind == "city",
        indicators.c.value.is_not(None)).order_by(indicators.c.time.desc()).limit(1))

    def by(kind: str) -> list[tuple[str, float]]:
        rows = _rows(engine, select(indicators.c.scope, func.sum(indicators.c.value).label("calls")).where(
            indicators.c.name == "hotline_calls", indicators.c.grain == "hour", indicators.c.scope_kind == kind,
            indicators.c.time >= today).group_by(indicators.c.scope))
        return sorted(((r["scope"], float(r["calls"] or 0)) for r in rows), key=lambda x: -x[1])

    return {
        "time": max((r["time"] for r in today_rows), default=None),
        "calls": sum(r["value"] for r in today_rows) if today_rows else None,
        "answer_rate": rate[0]["value"] if rate else None,
        "answer_rate_time": _aware(rate[0]["time"]) if rate else None,
        "today": [(r["time"], r["value"]) for r in today_rows],
        "yesterday": [(r["time"] + dt.timedelta(days=1), r["value"]) for r in hourly
                      if yesterday <= r["time"] < today and r["value"] is not None],
        "categories": by("category"),
        "districts": by("district"),
    }


hotline = memoize(CADENCE["hotline"])(_hotline)


# ------------------------------------------------------------------- freshness, ticker

def _freshness(engine: Engine) -> dict[str, dt.datetime | None]:
    """Per domain, the newest observation time any of its sources delivered (drives "as of")."""
    rows = _rows(engine, select(source_status.c.domain, func.max(source_status.c.data_time).label("data_time"))
                 .group_by(source_status.c.domain))
    return {r["domain"]: _aware(r["data_time"]) for r in rows}


freshness = memoize(CADENCE["freshness"])(_freshness)


def _active_warnings(engine: Engine, limit: int = 40) -> list[dict[str, Any]]:
    """Firing and recovering warnings, most severe first, then the longest open: what the
    ticker and the screens' boards show (with who has each: assignee, else acknowledger)."""
    severity = {lvl: i for i, lvl in enumerate(WARNING_ORDER)}
    rows = _rows(engine, select(warnings.c.id, warnings.c.level, warnings.c.state, warnings.c.title_zh,
                                warnings.c.title_en, warnings.c.domain, warnings.c.fired_at, warnings.c.started_at,
                                warnings.c.assigned_to, warnings.c.acknowledged_by)
                 .where(warnings.c.state.in_(("firing", "recovering"))))
    for r in rows:
        r["fired_at"] = _aware(r["fired_at"] or r["started_at"])
    rows.sort(key=lambda r: (severity.get(r["level"], 9), r["fired_at"].timestamp() if r["fired_at"] else 0))
    return rows[:limit]


active_warnings = memoize(CADENCE["warnings"])(_active_warnings)


def _warning_counts(engine: Engine) -> dict[str, dict[str, int]]:
    """Open (firing or recovering) warnings by level, city-wide (``"*"``) and per domain:
    ``{"*": {"red": 1, "orange": 0, …}, "traffic": {…}, …}`` — every level present."""
    rows = _rows(engine, select(warnings.c.domain, warnings.c.level, func.count().label("n"))
                 .where(warnings.c.state.in_(("firing", "recovering"))).group_by(warnings.c.domain, warnings.c.level))
    out: dict[str, dict[str, int]] = {"*": dict.fromkeys(WARNING_ORDER, 0)}
    for r in rows:
        for key in ("*", r["domain"]):
            counts = out.setdefault(key, dict.fromkeys(WARNING_ORDER, 0))
            counts[r["level"]] = counts.get(r["level"], 0) + int(r["n"])
    return out


warning_counts = memoize(CADENCE["warnings"])(_warning_counts)


# ------------------------------------------------------------------------ one refresh

#: seconds one wall snapshot is shared (added at most to each part's own cadence)
SNAPSHOT_SECONDS = 5


def _snapshot(engine: Engine, needs: tuple[str, ...], headline: str | None, timezone: str) -> dict[str, Any]:
    """Everything one wall refresh reads, from the per-cadence cached queries above.

    Each memoized read costs two cache round trips (its version key, then its value);
    a refresh needs eight of them. Walls refreshing together share this one entry
    instead — two round trips per refresh (issue 10: 16 → 2 Redis calls).
    """
    readers = {
        "vital": lambda: vital_signs(engine),
        "air": lambda: air(engine),
        "traffic": lambda: traffic(engine),
        "tourism": lambda: tourism(engine),
        "economy": lambda: economy(engine, headline),
        "hotline": lambda: hotline(engine, timezone),
    }
    readers |= {"board": lambda: wall_dispatch.board(engine), "forecast": lambda: wall_forecast.forecasts(engine)}
    data = {name: readers[name]() for name in needs}
    data["freshness"] = freshness(engine)
    data["warnings"] = active_warnings(engine)
    data["warning_counts"] = warning_counts(engine)
    if "board" not in data:  # every screen's board lists work orders
        data["board"] = wall_dispatch.board(engine)
    return data


snapshot = memoize(SNAPSHOT_SECONDS)(_snapshot)


# ------------------------------------------------------------------------ heartbeats

def record_heartbeat(engine: Engine, client: str, screen: str, *, address: str | None = None,
                     user_agent: str | None = None, now: dt.datetime | None = None) -> None:
    """Upsert one wall's check-in (portable: update, insert if nothing was there)."""
    values = {"screen": screen[:64], "last_seen": _now(now), "address": (address or "")[:64] or None,
              "user_agent": (user_agent or "")[:300] or None}
    with engine.begin() as conn:
        done = conn.execute(update(wall_heartbeats).where(wall_heartbeats.c.client == client).values(**values))
        if done.rowcount == 0:
            conn.execute(insert(wall_heartbeats).values(client=client[:64], **values))


def wall_checkins(engine: Engine, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every wall's last check-in, newest first, with its age in seconds (for the data-sources page)."""
    now = _now(now)
    rows = _rows(engine, select(wall_heartbeats).order_by(wall_heartbeats.c.last_seen.desc()))
    for r in rows:
        r["last_seen"] = _aware(r["last_seen"])
        r["age_seconds"] = (now - r["last_seen"]).total_seconds()
    return rows


def forget_walls(engine: Engine, *, older_than: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Drop check-ins of walls not seen for ``older_than`` (a retired screen should not linger)."""
    with engine.begin() as conn:
        return conn.execute(delete(wall_heartbeats).where(
            and_(wall_heartbeats.c.last_seen < _now(now) - older_than))).rowcount
