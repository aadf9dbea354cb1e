"""环境: hourly and daily AQI (HJ 633-2012) per station, district and city."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from citybrain.settings import Settings
from jobs.compute.rows import json_objects, result_frame
from metrics import air
from store import bulk
from store.schema import obs_air

log = logging.getLogger(__name__)
DAY = dt.timedelta(days=1)


def compute(settings: Settings, engine: Engine, start: dt.datetime, end: dt.datetime,
            now: dt.datetime) -> dict[str, Any]:
    """Hourly and daily AQI (HJ 633) per station, district and city.

    Reads one extra day before ``start`` so trailing 24-hour means and O3 8-hour
    windows at the start of the range have their history. District values are the AQI
    of the district's mean concentrations, as the city value is of the city's.
    """
    cols = [obs_air.c.station, obs_air.c.time, obs_air.c.pm25, obs_air.c.pm10, obs_air.c.so2,
            obs_air.c.no2, obs_air.c.co, obs_air.c.o3]
    readings = bulk.utc_times(bulk.read_frame(engine, select(*cols).where(obs_air.c.time >= start - DAY,
                                                                          obs_air.c.time < end)), "time")
    if readings.empty:
        return {}
    tz = settings.city.timezone
    district_of = {s.code: s.district for s in settings.stations}
    readings = readings[readings["station"].isin(district_of)]
    off = readings["time"] != readings["time"].dt.floor("h")
    if off.any():
        # stored before ingestion refused them (issue 19): one such row must not stop the
        # day's AQI (metrics.air refuses a frame holding it), so it is left out and said
        first = readings.loc[off].iloc[0]
        log.warning("AQI: %d stored air readings are not on the hour (e.g. %s at %s) and are left out; "
                    "delete them or re-poll the source", int(off.sum()), first["station"], first["time"])
        readings = readings.loc[~off]
    by_district = (readings.assign(station=readings["station"].map(district_of))
                   .groupby(["station", "time"], as_index=False)[["pm25", "pm10", "so2", "no2", "co", "o3"]].mean())
    out = []
    for grain, func in (("hour", air.hourly_aqi), ("day", air.daily_aqi)):
        stations = func(readings, tz=tz)
        districts = func(by_district, tz=tz)
        districts = districts[districts["scope_kind"] == "station"].assign(scope_kind="district")
        frame = pd.concat([stations, districts], ignore_index=True)
        frame = frame[(frame["time"] >= start) & (frame["time"] < end) & frame["aqi"].notna()]
        out.append(result_frame("aqi", grain, frame["scope_kind"], frame["scope"], frame["time"],
                                frame["aqi"].astype("float64"), level=frame["level"],
                                category=frame["category"], detail=aqi_details(frame)))
    return {"aqi": pd.concat(out, ignore_index=True)}


def aqi_details(frame: pd.DataFrame) -> list[str]:
    """Each AQI row's detail as JSON text: the IAQIs it has (``iaqi_*`` columns, in their
    order), the primary pollutants, the edition and the colour — what ``json.dumps`` writes
    of the dict the job once built per row."""
    iaqi = [[None if (i := bulk.integer(v)) is None else f"{json.dumps(c[5:])}: {i}" for v in frame[c].tolist()]
            for c in frame.columns if c.startswith("iaqi_")]
    texts: dict[Any, str] = {}

    def text(v: Any, of: Callable[[Any], Any] = lambda v: v) -> str:
        if v not in texts:
            texts[v] = json.dumps(of(v))
        return texts[v]

    primary = [text(("primary", str(v)), lambda k: [p for p in k[1].split(",") if p]) for v in frame["primary"].tolist()]
    missing = [text(("missing", str(v)), lambda k: [p for p in k[1].split(",") if p]) for v in frame["missing"].tolist()]
    return json_objects(iaqi=["{" + ", ".join(p for p in parts if p is not None) + "}" for parts in zip(*iaqi)]
                        if iaqi else ["{}"] * len(frame),
                        primary=primary, standard=[text(v) for v in frame["standard"].tolist()],
                        color=[text(v) for v in frame["color"].tolist()], missing=missing)
