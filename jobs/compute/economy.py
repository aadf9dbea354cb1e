"""经济: 同比, 环比, 累计 and 累计同比 of the statistics (GB/T 33358's periodic indicators)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, select

from citybrain.settings import Settings
from jobs.compute.rows import row
from metrics import economy
from store import bulk
from store.schema import obs_economy

UTC = dt.timezone.utc


def compute(settings: Settings, engine: Engine, start: dt.datetime, end: dt.datetime,
            now: dt.datetime) -> dict[str, Any]:
    """同比, 环比, 累计 and 累计同比 per indicator and period on the newest revision (city totals).

    The whole series every time, whatever [start, end): a statistic's time is its reporting
    period, and one revision changes the growth of the periods after it.
    """
    obs = bulk.read_frame(engine, select(obs_economy.c.indicator, obs_economy.c.period, obs_economy.c.value,
                                         obs_economy.c.revision, obs_economy.c.period_start)
                          .where(obs_economy.c.district == settings.city.code))
    if obs.empty:
        return {}
    how = {i.code: i.aggregation for i in settings.indicators}
    freq = {i.code: i.freq for i in settings.indicators}
    starts = {(r["indicator"], r["period"]): r["period_start"] for r in obs.to_dict("records")}
    grown = economy.growth(obs[["indicator", "period", "value", "revision"]], aggregation=how)
    rows = []
    for r in grown.to_dict("records"):
        period_start = starts.get((r["indicator"], r["period"]))
        if period_start is None:
            continue
        time = dt.datetime(period_start.year, period_start.month, 1, tzinfo=settings.tz).astimezone(UTC)
        rows.append(row("economy", freq.get(r["indicator"], "month"), "indicator", r["indicator"], time, r["value"],
                        detail={"period": r["period"], "yoy": bulk.num(r["yoy"]), "pop": bulk.num(r["pop"]),
                                "ytd": bulk.num(r["ytd"]), "ytd_yoy": bulk.num(r["ytd_yoy"]),
                                "revision": bulk.integer(r["revision"])}))
    return {"economy": rows}
