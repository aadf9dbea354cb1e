"""城市体征指数: the composite vital-signs index per hour for the city and each district
(OECD/JRC Handbook, ``metrics.composite``), from the indicators the other steps stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from citybrain.settings import Settings
from jobs.compute.rows import row
from metrics import composite
from store import bulk
from store.schema import indicators

DAY = dt.timedelta(days=1)
#: which domain's freshness limit governs each hourly input of the index
INPUT_DOMAIN = {"tpi": "traffic", "aqi": "environment", "crowding_max": "tourism"}


def compute(settings: Settings, engine: Engine, start: dt.datetime, end: dt.datetime,
            now: dt.datetime) -> dict[str, Any]:
    """城市体征指数 per hour for the city and each district (OECD/JRC composite).

    Inputs per (hour, scope): hourly TPI and AQI of that scope; the peak crowding ratio
    of its sites; the hotline KPIs of the local day so far; and the headline statistic's
    同比 of the latest period that had ended by then (statistics are city-wide, so every
    district shares it). A scope without a domain (no road segments in a county) is
    reweighted over what it has, per the spec's missing-data rule, and the imputed share
    is stored next to the score.
    """
    ind = bulk.read_frame(engine, select(indicators.c.name, indicators.c.grain, indicators.c.scope_kind,
                                         indicators.c.scope, indicators.c.time, indicators.c.value)
                          .where(indicators.c.name.in_(["tpi", "aqi", "crowding", "hotline_answer_rate",
                                                        "hotline_on_time_rate", "hotline_satisfaction"]),
                                 indicators.c.time >= start - DAY, indicators.c.time < end))
    econ = bulk.read_frame(engine, select(indicators.c.scope, indicators.c.time, indicators.c.grain,
                                          indicators.c.detail).where(indicators.c.name == "economy"))
    if ind.empty:
        return {}
    ind = bulk.utc_times(ind, "time")
    hours = pd.date_range(start, end, freq="h", inclusive="left", tz="UTC")
    scopes = [("city", "")] + [("district", d.code) for d in settings.districts]
    base = pd.DataFrame([(h, k, s) for h in hours for k, s in scopes], columns=["time", "scope_kind", "scope"])

    def hourly(name: str) -> pd.DataFrame:
        f = ind[(ind["name"] == name) & (ind["grain"] == "hour") & ind["scope_kind"].isin(["city", "district"])]
        return f[["time", "scope_kind", "scope", "value"]].rename(columns={"value": name})

    frame = base.merge(hourly("tpi"), how="left", on=["time", "scope_kind", "scope"]) \
                .merge(hourly("aqi"), how="left", on=["time", "scope_kind", "scope"])
    crowd = ind[(ind["name"] == "crowding") & (ind["grain"] == "hour")]
    site_district = {s.code: s.district for s in settings.sites}
    crowd = crowd.assign(district=crowd["scope"].map(site_district))
    city_crowd = crowd.groupby("time", as_index=False)["value"].max().assign(scope_kind="city", scope="")
    dist_crowd = crowd.groupby(["time", "district"], as_index=False)["value"].max() \
                      .rename(columns={"district": "scope"}).assign(scope_kind="district")
    frame = frame.merge(pd.concat([city_crowd, dist_crowd]).rename(columns={"value": "crowding_max"}),
                        how="left", on=["time", "scope_kind", "scope"])
    tz = settings.tz
    frame["day"] = frame["time"].dt.tz_convert(tz).dt.floor("D").dt.tz_convert("UTC")
    for name in ("hotline_answer_rate", "hotline_on_time_rate", "hotline_satisfaction"):
        f = ind[(ind["name"] == name) & (ind["grain"] == "day")][["time", "scope_kind", "scope", "value"]]
        frame = frame.merge(f.rename(columns={"time": "day", "value": name}), how="left",
                            on=["day", "scope_kind", "scope"])
    frame["economy_yoy"] = headline_yoy(settings, econ, frame["time"])
    frame, carried = carry_forward(settings, frame)
    spec = settings.vital_signs_spec
    result = composite.index(frame.drop(columns=["day"]), spec, applicable=applicable_inputs(settings, frame))
    scores, contrib = result.scores, result.contributions
    sub_names = [c for c in scores.columns if c not in ("time", "scope_kind", "scope", "score", "coverage",
                                                        "imputed_weight")]
    ind_names = [c for c in contrib.columns if c not in ("time", "scope_kind", "scope")]
    rows = []
    # whole-frame record lists, not .iloc per row: a year is 61 K hours × scopes
    contributions = contrib.to_dict("records")
    inputs_of = frame[[n for n in ind_names if n in frame]].to_dict("records")
    carried_of = carried.to_dict("records")
    num = bulk.num
    for i, r in enumerate(scores.to_dict("records")):
        if num(r["score"]) is None:
            continue
        inputs, was_carried = inputs_of[i], carried_of[i]
        rows.append(row("vital_signs", "hour", r["scope_kind"], r["scope"], r["time"], round(r["score"], 2),
                        detail={"sub_indices": {n: num(r[n]) for n in sub_names},
                                "contributions": {n: num(contributions[i][n]) for n in ind_names},
                                "inputs": {n: num(inputs[n]) for n in ind_names},
                                "carried": sorted(n for n in ind_names if was_carried.get(n, False)),
                                "coverage": num(r["coverage"]), "imputed_weight": num(r["imputed_weight"])}))
    return {"vital_signs": rows}


def applicable_inputs(settings: Settings, frame: pd.DataFrame) -> pd.DataFrame:
    """Which hourly inputs can exist per row: a district with no monitored road, air station
    or scenic site has no TPI, AQI or crowding — a structural absence, not missing data, so
    the index's coverage rule is taken over what applies (metrics.composite.index)."""
    has = composite.inputs_by_district(settings)
    district = frame["scope_kind"] == "district"
    return pd.DataFrame({col: ~district | frame["scope"].isin(codes) for col, codes in has.items()}, index=frame.index)


def carry_forward(settings: Settings, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Carry each hourly input forward within its domain's max age; say which were carried.

    Air data arrives once an hour, some time after the hour: without this, the newest
    hour's index is computed without the environment, and a city in heavy smog reads
    良好 on the wall. A value is still current until its domain's max age has passed
    (``[domains.*] max_age``), so it stands in for the hours that have not reported yet;
    beyond that it is missing and the index reweights, as the spec declares.
    """
    frame = frame.sort_values(["scope_kind", "scope", "time"]).reset_index(drop=True)
    carried = pd.DataFrame(False, index=frame.index, columns=list(INPUT_DOMAIN))
    for column, domain in INPUT_DOMAIN.items():
        hours = int(settings.max_age(domain) // dt.timedelta(hours=1))
        if hours < 1 or column not in frame:
            continue
        filled = frame.groupby(["scope_kind", "scope"])[column].ffill(limit=hours)
        carried[column] = frame[column].isna() & filled.notna()
        frame[column] = filled
    return frame, carried


def headline_yoy(settings: Settings, econ: pd.DataFrame, times: pd.Series) -> np.ndarray:
    """The headline statistic's 同比 as it stood at each time (latest period ended by then)."""
    headline = next((i for i in settings.indicators if i.headline), None)
    out = np.full(len(times), np.nan)
    if headline is None or econ.empty:
        return out
    e = econ[econ["scope"] == headline.code].copy()
    if e.empty:
        return out
    e = bulk.utc_times(e, "time")
    months = 3 if headline.freq == "quarter" else 1
    e["ended"] = [t + pd.DateOffset(months=months) for t in e["time"]]
    e["yoy"] = [(d or {}).get("yoy") for d in e["detail"]]
    e = e.dropna(subset=["yoy"]).sort_values("ended")
    if e.empty:
        return out
    idx = np.searchsorted(e["ended"].to_numpy(), times.to_numpy(), side="right") - 1
    yoy = e["yoy"].to_numpy(dtype=float)
    return np.where(idx >= 0, yoy[np.clip(idx, 0, None)], np.nan)
