"""文旅: crowding per scenic site and hour against its LB/T 034-2014 capacity."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from citybrain.settings import Settings
from jobs.compute.rows import json_objects, result_frame
from metrics import tourism
from store import bulk
from store.rollups import usable  # a count flagged implausible at its site is left out (issue 19)
from store.schema import obs_tourism


def compute(settings: Settings, engine: Engine, start: dt.datetime, end: dt.datetime,
            now: dt.datetime) -> dict[str, Any]:
    """Crowding per site and hour: the hour's peak present against LB/T 034 capacity C1."""
    obs = bulk.utc_times(bulk.read_frame(engine, select(obs_tourism.c.site, obs_tourism.c.time, obs_tourism.c.present)
                                         .where(obs_tourism.c.time >= start, obs_tourism.c.time < end,
                                                usable(obs_tourism, "present").is_not(None))), "time")
    if obs.empty:
        return {}
    capacity = {s.code: s.capacity for s in settings.sites}
    obs = obs[obs["site"].isin(capacity)]
    peak = obs.assign(hour=obs["time"].dt.floor("h")).groupby(["site", "hour"], as_index=False)["present"].max()
    states = tourism.crowding_states(peak["present"], peak["site"].map(capacity))
    peak = pd.concat([peak.reset_index(drop=True), states.reset_index(drop=True)], axis=1)
    detail = json_objects(present=[str(int(p)) for p in peak["present"].tolist()],
                          capacity=[json.dumps(capacity[s]) for s in peak["site"].tolist()])
    return {"crowding": result_frame("crowding", "hour", "site", peak["site"], peak["hour"], peak["ratio"],
                                     category=peak["state"], detail=detail)}
