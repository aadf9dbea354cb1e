"""citybrain's indicator library: pure functions from canonical frames to the numbers
the standards define.

No I/O, no Dash, no database, no module-level mutable state — everything is a
function of its arguments (the only impure defaults are "today"/"now" when the caller
omits a date; pass one for reproducible results).

Modules (import the one you need; this package imports none of them eagerly):

* :mod:`metrics.air` — HJ 633-2012 / HJ 633-2026 AQI, scalar and hourly/daily frames
* :mod:`metrics.traffic` — GB/T 33171-2016 link grades, TTI, DTP, TPI, free-flow speed
* :mod:`metrics.tourism` — LB/T 034-2014 capacity and crowding
* :mod:`metrics.hotline` — GB/T 33358-2016 12345 hotline KPIs
* :mod:`metrics.economy` — 同比, 环比, 累计, 累计同比 with revisions
* :mod:`metrics.composite` — OECD/JRC composite index and the default 城市体征指数
* :mod:`metrics.errors` — the ``MetricsError(ValueError)`` tree
"""

from metrics.errors import (
    InvalidValueError,
    MetricsError,
    MissingColumnsError,
    SpecError,
    UnknownKeyError,
)

__all__ = ["InvalidValueError", "MetricsError", "MissingColumnsError", "SpecError", "UnknownKeyError"]
