"""12345热线: calls per hour and day, and the day's GB/T 33358 KPIs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from citybrain.settings import Settings
from jobs.compute.rows import json_floats, json_objects, result_frame
from metrics import hotline
from store import bulk
from store.schema import obs_hotline


def compute(settings: Settings, engine: Engine, start: dt.datetime, end: dt.datetime,
            now: dt.datetime) -> dict[str, Any]:
    """Calls per hour and day, and the day's GB/T 33358 KPIs, for the city and districts.

    A day's KPIs depend on tickets created that day, judged at ``now`` (a ticket closed
    tomorrow changes today's 按时办结率), so each recompute of a day overwrites it. The
    KPIs of every day and district come from one grouped pass (``hotline.kpi_table``).
    """
    h = obs_hotline.c
    tickets = bulk.utc_times(bulk.read_frame(engine, select(*[h[c] for c in hotline.TICKET_COLUMNS])
                                             .where(h.created_at >= start, h.created_at < end)),
                             "created_at", "due_at", "closed_at")
    if tickets.empty:
        return {}
    tz = settings.tz
    tickets["hour"] = tickets["created_at"].dt.floor("h")
    tickets["day"] = tickets["created_at"].dt.tz_convert(tz).dt.floor("D").dt.tz_convert("UTC")
    calls = []
    for grain, col in (("hour", "hour"), ("day", "day")):
        for kind, by in (("city", None), ("district", "district"), ("category", "category")):
            counts = tickets.groupby([col] if by is None else [col, by]).size().reset_index(name="n")
            calls.append(result_frame("hotline_calls", grain, kind, "" if by is None else counts[by],
                                      counts[col], counts["n"]))
    city = hotline.kpi_table(tickets, "day", now=now).assign(district="")
    k = pd.concat([city, hotline.kpi_table(tickets, ["day", "district"], now=now)[city.columns]],
                  ignore_index=True)
    kind = pd.Series(np.where(k["district"].astype(bool), "district", "city"))
    detail = pd.Series(json_objects(offered=k["offered"].astype(str), answered=k["answered"].astype(str),
                                    answer_rate_15s=json_floats(k["answer_rate_15s"]),
                                    overdue=k["overdue"].astype(str)))
    kpi_frames = []
    for name, column in (("hotline_answer_rate", "answer_rate"), ("hotline_on_time_rate", "on_time_rate"),
                         ("hotline_satisfaction", "satisfaction_broad")):
        known = k[column].notna().to_numpy()
        kpi_frames.append(result_frame(name, "day", kind[known], k["district"][known], k["day"][known],
                                       k[column][known], detail=detail[known]))
    return {"hotline_calls": pd.concat(calls, ignore_index=True),
            "hotline_kpis": pd.concat(kpi_frames, ignore_index=True)}
