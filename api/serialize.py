"""Rows → JSON-ready dicts: instants in the city's clock with their offset, dates as ISO dates, NaN as null.

A city's data-sharing API speaks the city's time (issue 19): a day row of a Chinese city
starts at ``2015-12-01T00:00:00+08:00``, not ``2015-11-30T16:00:00Z``. The offset makes
each value the same instant as before (RFC 3339 §4.2, ISO 8601-1:2019 §4.3.13), so a
client that reads instants is unaffected.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

UTC = dt.timezone.utc


def value(v: Any, tz: dt.tzinfo = UTC) -> Any:
    """``v`` for JSON; an instant as local time in ``tz`` with its offset (naive = UTC, as stored)."""
    if isinstance(v, dt.datetime):
        v = v.replace(tzinfo=UTC) if v.tzinfo is None else v
        return v.astimezone(tz).isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, dict):
        return {str(k): value(x, tz) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [value(x, tz) for x in v]
    return v


def row(mapping: dict[str, Any], tz: dt.tzinfo = UTC) -> dict[str, Any]:
    return {k: value(v, tz) for k, v in mapping.items()}


def period_fields(start: dt.datetime, grain: str, tz: dt.tzinfo) -> dict[str, str]:
    """How the city names the period that starts at ``start``: a day row's ``date``
    (``2015-12-01``) and every day, month and quarter row's ``period`` (``2015-12-01``,
    ``2015-12``, ``2015-Q4`` — the forms the statistics bureau's own periods take); an hour
    row has none. The period is the one the local start time falls in.
    """
    local = (start.replace(tzinfo=UTC) if start.tzinfo is None else start).astimezone(tz)
    if grain == "day":
        day = local.date().isoformat()
        return {"date": day, "period": day}
    if grain == "month":
        return {"period": f"{local.year:04d}-{local.month:02d}"}
    if grain == "quarter":
        return {"period": f"{local.year:04d}-Q{(local.month - 1) // 3 + 1}"}
    return {}
