"""What each canonical field is: its kind, its physical range, its canonical unit.

One table per domain, so validation and unit conversion read the same facts and a
reviewer can check every bound against its reason in one place. Ranges are the span an
instrument or a detector can report, not what is "normal": a value outside them is a
fault (a sentinel like -999, a swapped column, a unit mistake), never weather.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

# How each domain labels its times (issue 19) — what the store's ``time`` means:
#
# * environment: the hour a mean covers, by its START (10:00 = 10:00-11:00). CNEMC and
#   most provincial platforms label an hourly mean by its END; such a source says
#   ``hour_label = "end"`` and its times are shifted back one hour on the way in, so the
#   day's 24 hours are 00:00…23:00 and a daily mean (GB 3095-2012 Table 4) takes the
#   right ones. A reading not on the hour is quarantined, or floored (``off_grid``).
# * traffic: the detector interval, by its start (08:05 = 08:05-08:10), as the
#   departments' 5-minute tables are keyed.
# * tourism: ``present`` is a count at the instant ``time``; entries and exits are the
#   interval ending there (what the gate system reports with the count).
# * hotline: ``created_at`` is the instant the call or message arrived.
# * economy: a reporting period (month or quarter), no hour.

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

#: fields whose value identifies or is the row: missing or unusable, the row is
#: quarantined whole (issue 19); every other field is nulled on its own and its problem
#: recorded in ``field_issues``
HARD: dict[str, frozenset[str]] = {
    "environment": frozenset({"station", "time"}),
    "traffic": frozenset({"segment", "time"}),
    "tourism": frozenset({"site", "time", "present"}),  # present is what crowding is (LB/T 034)
    "economy": frozenset({"indicator", "period", "value", "district", "revision"}),
    "hotline": frozenset({"ticket", "created_at", "category", "district"}),
}

#: the measured fields of the time series: a row none of whose measured fields is usable
#: carries nothing and is quarantined (its reason names each field and why)
MEASURED: dict[str, tuple[str, ...]] = {
    "environment": ("pm25", "pm10", "so2", "no2", "co", "o3"),
    "traffic": ("speed", "volume", "occupancy"),
    "tourism": ("present", "entries", "exits"),
}

#: the canonical satisfaction values (``metrics.hotline.SATISFACTION_VALUES``): a ticket with
#: any other keeps its row, its satisfaction nulled and recorded
SATISFACTION = ("satisfied", "basically_satisfied", "dissatisfied")

#: issue kinds a field can have (``field_issues.rule``)
RULES = ("missing", "unparseable", "range", "unknown", "inconsistent", "future", "implausible")

#: Plausibility relative to the entity (issue 19 item 13): a value within the physical
#: range can still be impossible *here* — 199 km/h on a road limited to 35, 5,000,000
#: present at a site whose capacity (LB/T 034-2014 C1) is 3,000. Multiples of the
#: entity's own figure above which a value is treated as a fault: a speed over twice the
#: road's limit (its free-flow speed where no limit is configured), a count over three
#: times the site's capacity (overcrowded sites reach 1.5×, never 3×). Such a value is
#: stored as received with its field named in the row's ``implausible`` column, recorded
#: as a field issue ("implausible", counted on /sources), and left out of indicators and
#: rollups by ``store.rollups.usable``.
PLAUSIBLE_SPEED_FACTOR = 2.0
PLAUSIBLE_PRESENT_FACTOR = 3.0

