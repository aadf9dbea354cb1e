"""Local wall-clock time of the city, the way the department systems record it.

Department systems store naive local timestamps (no zone), and so does the simulator
internally: a naive ``datetime`` here is always local time in ``settings.city.timezone``.
Days are 24 h long (288 five-minute intervals): daylight-saving jumps are not modelled,
which is exact for China.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

FIVE_MIN = timedelta(minutes=5)
INTERVALS_PER_DAY = 288


def to_local_naive(moment: datetime, tz: ZoneInfo) -> datetime:
    """A tz-aware moment as naive local time, to the second. Naive input is taken as local."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(tz).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def floor_5min(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute - moment.minute % 5, second=0, microsecond=0)


def midnight(d: date) -> datetime:
    return datetime.combine(d, time())


def day_seconds(d: date) -> np.datetime64:
    """Local midnight of ``d`` as numpy datetime64[s], the unit the generators compute in."""
    return np.datetime64(d.isoformat(), "s")


def as_datetime64(moment: datetime) -> np.datetime64:
    return np.datetime64(moment.replace(microsecond=0), "s")
