"""HJ 633 tables: IAQI breakpoints per edition, AQI levels and colours (private).

Transcribed from /shared/STANDARDS.md (HJ 633-2012 Table 1; HJ 633-2026 changes only
the PM10 and PM2.5 24-hour breakpoints at IAQI 100).  Kept as plain tuples of ints so
nothing here can be mutated at run time (mappings are read-only proxies).
"""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType

HJ633_2012 = "HJ 633-2012"
HJ633_2026 = "HJ 633-2026"
EDITIONS = (HJ633_2012, HJ633_2026)
#: The 2026 edition governs observations from this (local) date on.
EDITION_2026_FROM = dt.date(2026, 3, 1)

#: The IAQI value at each breakpoint (row heads of Table 1).
IAQI_STEPS = (0, 50, 100, 150, 200, 300, 400, 500)

# Breakpoint concentrations (µg/m³; CO mg/m³).  Shorter tables end where the standard
# stops defining them (SO2 1h at IAQI 200, O3 8h at 300) — the special rules take over.
_COMMON = {
    "SO2_24h": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "SO2_1h": (0, 150, 500, 650, 800),
    "NO2_24h": (0, 40, 80, 180, 280, 565, 750, 940),
    "NO2_1h": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "CO_24h": (0, 2, 4, 14, 24, 36, 48, 60),
    "CO_1h": (0, 5, 10, 35, 60, 90, 120, 150),
    "O3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "O3_8h": (0, 100, 160, 215, 265, 800),
}
BREAKPOINTS = MappingProxyType({
    HJ633_2012: MappingProxyType({
        **_COMMON,
        "PM10_24h": (0, 50, 150, 250, 350, 420, 500, 600),
        "PM2.5_24h": (0, 35, 75, 115, 150, 250, 350, 500),
    }),
    HJ633_2026: MappingProxyType({
        **_COMMON,
        "PM10_24h": (0, 50, 120, 250, 350, 420, 500, 600),
        "PM2.5_24h": (0, 35, 60, 115, 150, 250, 350, 500),
    }),
})
del _COMMON  # only a building block; the read-only BREAKPOINTS is the table

#: GB 3095-2012 Table 1, grade II (二级) limit of the O3 daily maximum 8-hour mean, µg/m³.
O3_8H_LIMIT = 160
#: HJ 663-2013 §6.1.2 (as the issue quotes it): the daily maximum 8-hour O3 needs ≥ 14
#: valid 8-hour means among the day's 17 windows ending 08:00…24:00 — unless the maximum
#: found exceeds the limit, in which case it stands (fewer data cannot make it lower).
O3_8H_MIN_WINDOWS = 14
#: GB 3095-2012 Table 4 data validity: a 24-hour mean needs ≥ 20 valid hours; an 8-hour
#: mean ≥ 6 of its 8 hours.
DAILY_MIN_HOURS = 20
O3_8H_MIN_HOURS = 6

#: Pollutants in reporting order (also the order of tied primary pollutants).
POLLUTANTS = ("SO2", "NO2", "PM10", "PM2.5", "CO", "O3")

#: Which averages each report takes, and the breakpoint table each is evaluated on.
#: Daily (日报): 24h means plus the day's max 1h and max 8h O3.  Hourly (实时报): 1h
#: means, PM10/PM2.5 on the 24h table; SO2_24h is accepted only as the HJ 633-2012
#: substitute when SO2_1h > 800.
REPORT_KEYS = MappingProxyType({
    "daily": MappingProxyType({
        "SO2_24h": "SO2_24h",
        "NO2_24h": "NO2_24h",
        "PM10_24h": "PM10_24h",
        "PM2.5_24h": "PM2.5_24h",
        "CO_24h": "CO_24h",
        "O3_1h": "O3_1h",
        "O3_8h": "O3_8h",
    }),
    "hourly": MappingProxyType({
        "SO2_1h": "SO2_1h",
        "NO2_1h": "NO2_1h",
        "PM10_1h": "PM10_24h",
        "PM2.5_1h": "PM2.5_24h",
        "CO_1h": "CO_1h",
        "O3_1h": "O3_1h",
        "SO2_24h": "SO2_24h",
    }),
})
ALL_KEYS = (
    "SO2_24h", "SO2_1h", "NO2_24h", "NO2_1h", "PM10_24h", "PM10_1h",
    "PM2.5_24h", "PM2.5_1h", "CO_24h", "CO_1h", "O3_1h", "O3_8h",
)


def pollutant_of(key: str) -> str:
    """``"PM2.5_24h"`` → ``"PM2.5"``."""
    return key.rsplit("_", 1)[0]


#: (upper AQI bound, level, 中文类别, English category, colour) per HJ 633 Table 2.
LEVELS = (
    (50, 1, "优", "Excellent", "#00E400"),
    (100, 2, "良", "Good", "#FFFF00"),
    (150, 3, "轻度污染", "Lightly Polluted", "#FF7E00"),
    (200, 4, "中度污染", "Moderately Polluted", "#FF0000"),
    (300, 5, "重度污染", "Heavily Polluted", "#99004C"),
    (None, 6, "严重污染", "Severely Polluted", "#7E0023"),
)
