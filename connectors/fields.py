"""What each canonical field is: its kind, its physical range, its canonical unit.

One table per domain, so validation and unit conversion read the same facts and a
reviewer can check every bound against its reason in one place. Ranges are the span an
instrument or a detector can report, not what is "normal": a value outside them is a
fault (a sentinel like -999, a swapped column, a unit mistake), never weather.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Kind = Literal["code", "entity", "district", "indicator", "text", "time", "float", "int", "bool", "period"]


class Field(NamedTuple):
    kind: Kind
    low: float | None = None
    high: float | None = None
    #: canonical unit (what the store holds); a source's ``units`` converts into it
    unit: str | None = None


#: entity kind per domain, as in the ``entities`` table and the config lists
ENTITY_KIND = {"environment": "station", "traffic": "segment", "tourism": "site"}

FIELDS: dict[str, dict[str, Field]] = {
    "environment": {
        "station": Field("entity"),
        "time": Field("time"),
        # analyser full-scale ranges; HJ 633's IAQI table ends well inside them
        "pm25": Field("float", 0, 1500, "ug/m3"),
        "pm10": Field("float", 0, 3000, "ug/m3"),
        "so2": Field("float", 0, 2620, "ug/m3"),  # 1 ppm SO2
        "no2": Field("float", 0, 3840, "ug/m3"),  # HJ 633's last hourly breakpoint
        "co": Field("float", 0, 150, "mg/m3"),  # HJ 633's last hourly breakpoint
        "o3": Field("float", 0, 1200, "ug/m3"),  # HJ 633's last hourly breakpoint
        "updated_at": Field("time"),
    },
    "traffic": {
        "segment": Field("entity"),
        "time": Field("time"),
        "speed": Field("float", 0, 200, "km/h"),  # no road vehicle detector reports more
        "volume": Field("float", 0, 100_000),
        "occupancy": Field("float", 0, 100, "%"),
        "updated_at": Field("time"),
    },
    "tourism": {
        "site": Field("entity"),
        "time": Field("time"),
        "present": Field("int", 0, 10_000_000),
        "entries": Field("int", 0, 10_000_000),
        "exits": Field("int", 0, 10_000_000),
        "updated_at": Field("time"),
    },
    "economy": {
        "indicator": Field("indicator"),
        "period": Field("period"),
        "value": Field("float"),
        "unit": Field("text"),
        "district": Field("district"),
        "revision": Field("int", 1, 1_000_000),
        "updated_at": Field("time"),
    },
    "hotline": {
        "ticket": Field("code"),
        "created_at": Field("time"),
        "category": Field("text"),
        "district": Field("district"),
        "channel": Field("text"),
        "answered": Field("bool"),
        "wait_seconds": Field("float", 0, 7 * 86400, "s"),
        "due_at": Field("time"),
        "closed_at": Field("time"),
        "satisfaction": Field("text"),
        "status": Field("text"),
        "updated_at": Field("time"),
    },
}

#: the shape's key per domain: duplicates within a batch are judged on it
KEYS: dict[str, tuple[str, ...]] = {
    "environment": ("station", "time"),
    "traffic": ("segment", "time"),
    "tourism": ("site", "time"),
    "economy": ("indicator", "period", "district", "revision"),
    "hotline": ("ticket",),
}

#: the field whose newest value is the domain's "data as of" time
DATA_TIME = {"environment": "time", "traffic": "time", "tourism": "time",
             "economy": "period_start", "hotline": "created_at"}
