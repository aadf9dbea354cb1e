"""交通: the traffic performance index (GB/T 33171-2016) per hour for the city and each
district, and each road link's speed ratio and grade."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from citybrain.settings import Settings
from jobs.compute.rows import json_floats, json_objects, result_frame
from metrics import traffic
from store import bulk
from store.rollups import usable  # a speed flagged implausible at its road is left out (issue 19)
from store.schema import obs_traffic

#: one record of :func:`readings_packed`: segment position, time (µs since 2000), speed, volume
RECORD = np.dtype([("seg", ">i4"), ("time", ">i8"), ("speed", ">f8"), ("volume", ">f8")])
#: days per packed read (a bytea holds at most 1 GB: 7 days of 500 segments are 28 MB)
PACK_DAYS = 7
_PACKED_QUERY = ("SELECT string_agg(int4send(s.i::int4) || timestamptz_send(o.time) "
                 "|| float8send(CASE WHEN o.implausible LIKE '%%speed%%' THEN 'NaN' ELSE coalesce(o.speed::float8, 'NaN') END) || float8send(coalesce(o.volume::float8, 'NaN')), "
                 "''::bytea) FROM obs_traffic o JOIN unnest(%s::text[]) WITH ORDINALITY AS s(code, i) "
                 "ON s.code = o.segment WHERE o.time >= %s AND o.time < %s")


def compute(settings: Settings, engine: Engine, start: dt.datetime, end: dt.datetime,
            now: dt.datetime) -> dict[str, Any]:
    """TPI (GB/T 33171) per hour for the city and each district, and each link's grade.

    Both come back as indicator frames (:func:`store.bulk.indicator_rows`): a year is 4.4 M
    link-hours, and a dict per row was most of a year's compute (issue 10).
    """
    segs = pd.DataFrame([{"segment": s.code, "length_km": s.length_km, "free_flow": s.free_flow_kmh,
                          "district": s.district} for s in settings.segments],
                        columns=["segment", "length_km", "free_flow", "district"])
    known = readings(engine, segs["segment"].tolist(), start, end)
    if known.empty:
        return {}
    # the city over all its segments, every district over its own in one pass (tpi_by_hour's
    # `by` gives each group exactly what a call on the group alone gives)
    city = traffic.tpi_by_hour(known, segs).assign(scope_kind="city", scope="")
    districts = traffic.tpi_by_hour(known, segs, by="district").rename(columns={"district": "scope"}) \
        .assign(scope_kind="district")
    hourly = pd.concat([city, districts[city.columns]], ignore_index=True)
    hourly = hourly[np.isfinite(hourly["tpi"].to_numpy(dtype=float))]
    tpi = result_frame("tpi", "hour", hourly["scope_kind"], hourly["scope"], hourly["time"], hourly["tpi"],
                       category=hourly["grade"],
                       detail=json_objects(tti=json_floats(hourly["tti"]), dtp=json_floats(hourly["dtp"]),
                                           segments=hourly["segments"].astype("int64").astype(str)))
    speeds = traffic.link_speeds(known).merge(segs[["segment", "free_flow"]], on="segment")
    free_flow = speeds["free_flow"].to_numpy()
    grades = traffic.link_grades(speeds["speed"].to_numpy(dtype=float), free_flow)
    speed = speeds["speed"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = speed / free_flow.astype(float)  # what v / f gives per row; not finite → NULL, as bulk.num
    # detail as json.dumps writes it: the speed rounded as Python rounds, the free-flow speed as configured
    free_flow_json = {v: json.dumps(v) for v in set(free_flow.tolist())}
    detail = [f'{{"speed": {repr(r) if math.isfinite(r := round(v, 2)) else "null"}, "free_flow": {free_flow_json[f]}}}'
              for v, f in zip(speed.tolist(), free_flow.tolist())]
    links = result_frame("speed_ratio", "hour", "segment", speeds["segment"], speeds["hour"],
                         np.where(np.isfinite(ratio), ratio, np.nan), category=grades, detail=detail)
    return {"tpi": tpi, "speed_ratio": links}


def readings(engine: Engine, codes: list[str], start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """``segment, time, speed, volume`` of the configured segments in [start, end).

    On PostgreSQL they come packed into fixed-width records (:func:`readings_packed`): a
    week of the 500-segment city is 1 M rows, and a Python object per value was most of
    the compute (issue 10).
    """
    if not codes:
        return pd.DataFrame(columns=["segment", "time", "speed", "volume"])
    read = readings_packed if engine.dialect.name == "postgresql" else readings_select
    return read(engine, codes, start, end).reset_index(drop=True)


def readings_select(engine: Engine, codes: list[str], start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """Any backend: the rows through :func:`store.bulk.read_frame`."""
    c = obs_traffic.c
    frame = bulk.utc_times(bulk.read_frame(engine, select(c.segment, c.time, usable(obs_traffic, "speed"), c.volume)
                                           .where(c.time >= start, c.time < end)), "time")
    frame = frame[frame["segment"].isin(codes)]
    return frame.assign(speed=pd.to_numeric(frame["speed"]).astype(float),
                        volume=pd.to_numeric(frame["volume"]).astype(float))


def readings_packed(engine: Engine, codes: list[str], start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """PostgreSQL: the rows packed server-side into fixed-width big-endian records (a
    missing speed or volume as NaN) that numpy reads a week at a time (:func:`store.bulk.read_packed`)."""
    records = bulk.read_packed(engine, _PACKED_QUERY, codes, start, end, RECORD, PACK_DAYS)
    return pd.DataFrame({
        # categorical: the metrics look segments up once per code, not once per reading
        "segment": pd.Categorical.from_codes(records["seg"].astype(np.int64) - 1, categories=pd.Index(codes)),
        "time": pd.to_datetime(records["time"].astype(np.int64) + bulk.PG_EPOCH_US, unit="us", utc=True)
        .astype("datetime64[us, UTC]"),
        "speed": records["speed"].astype(np.float64),
        "volume": records["volume"].astype(np.float64),
    })
