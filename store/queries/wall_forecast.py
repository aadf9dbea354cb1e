"""What the wall's "未来4小时" panels read (issue 22): the next hours of the traffic screen's
city TPI and of the tourism screen's visitors in scenic sites, as stored by the forecast job.

Through the forecast helper's read function (``forecast.read.next_hours``,
forecast.read); the wall never fits a model. No stored forecast — the job has
not run yet, the series is too short, its hours are all past (a source that stopped) — is an
answer too: the panel then says "暂无预测". Cached like the wall's other reads.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from citybrain.cache import memoize
from citybrain.settings import Settings

log = logging.getLogger("citybrain.wall")

#: seconds: forecasts are refreshed hourly, after new data
CADENCE = 120
HOURS = 4
#: hours read ahead: a forecast made from an observation an hour or two old still has four to come
AHEAD = 8
#: the scenic sites' line (LB/T 034: 80 % of the maximum capacity)
SITE_LINE = 0.8


def _ahead(points: Any, now: dt.datetime) -> list[dict[str, Any]]:
    """The points whose hour has not ended yet (the current hour first), at most :data:`HOURS`."""
    rows = [] if points is None or points.empty else points.to_dict("records")
    out = []
    for p in rows:
        when = p["time"].to_pydatetime() if hasattr(p["time"], "to_pydatetime") else p["time"]
        if when + dt.timedelta(hours=1) > now:
            out.append({"time": when, "value": _f(p.get("value")), "lo80": _f(p.get("lo80")), "hi80": _f(p.get("hi80"))})
    return out[:HOURS]


def _f(v: Any) -> float | None:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return None if v != v else v  # NaN: no value


def standing(forecasts: Sequence[Any]) -> dict[str, Any]:
    """How the served forecasts stand in their backtests: ``fallback`` when the seasonal-naive
    baseline serves any of them (no model beat it), else ``better`` — the least of their
    improvements over the baseline (0.23 = 23 %)."""
    accs = [f.accuracy or {} for f in forecasts]
    better = [a.get("better_than_baseline") for a in accs if a.get("better_than_baseline") is not None]
    if not accs or any(f.fallback for f in forecasts) or len(better) < len(accs):
        return {"fallback": True, "better": None}
    return {"fallback": False, "better": float(min(better))}


def traffic_next_hours(settings: Settings, engine: Engine, now: dt.datetime) -> dict[str, Any] | None:
    """The city TPI's next hours: ``{"points": [...], "fallback", "better"}`` or None."""
    from forecast.read import next_hours

    found = next_hours(settings, engine, "tpi", scope_kind="city", hours=AHEAD)
    points = _ahead(found[0].points, now) if found else []
    return {"points": points, **standing(found[:1])} if points else None


def tourism_next_hours(settings: Settings, engine: Engine, now: dt.datetime) -> dict[str, Any] | None:
    """Visitors in all scenic sites over the next hours (the sites' forecasts summed hour by
    hour; no interval — the sites' 80 % intervals do not add up to the total's), and the sites
    expected to pass their 80 % line, with the first such hour."""
    from forecast.read import next_hours

    found = next_hours(settings, engine, "tourism_present", scope_kind="site", hours=AHEAD)
    capacity = {s.code: s.capacity for s in settings.sites}
    total: dict[dt.datetime, float] = {}
    complete: dict[dt.datetime, int] = {}
    alerts = []
    for f in found:
        pts = _ahead(f.points, now)
        for p in pts:
            if p["value"] is not None:
                total[p["time"]] = total.get(p["time"], 0.0) + p["value"]
                complete[p["time"]] = complete.get(p["time"], 0) + 1
        cap = capacity.get(f.scope)
        over = [p for p in pts if cap and p["value"] is not None and p["value"] / cap >= SITE_LINE]
        if over:
            alerts.append({"code": f.scope, "time": over[0]["time"], "ratio": max(p["value"] for p in over) / cap})
    # an hour some site has no forecast for would understate the total: only hours all sites cover
    hours = sorted(h for h in total if complete[h] == len(found))[:HOURS]
    if not hours:
        return None
    alerts.sort(key=lambda a: (a["time"], -a["ratio"]))
    return {"points": [{"time": h, "value": total[h], "lo80": None, "hi80": None} for h in hours],
            **standing(found), "alerts": alerts}


def _forecasts(engine: Engine, now: dt.datetime | None = None) -> dict[str, Any]:
    """``{"traffic": fc | None, "tourism": fc | None}`` where fc is ``{"points": [{time, value,
    lo80, hi80}] (the next hours), "fallback": bool, "better": float | None, "alerts": [{code,
    time, ratio}]}``.

    Needs the app's settings (the wall reads inside a request); without them, or without the
    forecast package or its tables, there is no forecast to show."""
    now = now or dt.datetime.now(dt.timezone.utc)
    try:
        from citybrain import context

        settings = context.settings()
    except (ImportError, RuntimeError, KeyError):
        return {"traffic": None, "tourism": None}
    out: dict[str, Any] = {}
    for name, read in (("traffic", traffic_next_hours), ("tourism", tourism_next_hours)):
        try:
            out[name] = read(settings, engine, now)
        except ImportError:
            out[name] = None
        except SQLAlchemyError as exc:  # forecast tables not there yet (an older store)
            log.warning("wall: %s forecast unavailable (%s)", name, exc)
            out[name] = None
    return out


forecasts = memoize(CADENCE)(_forecasts)
