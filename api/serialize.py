"""Rows → JSON-ready dicts: instants as ISO 8601 in UTC, dates as ISO dates, NaN as null."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

UTC = dt.timezone.utc


def value(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        v = v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
        return v.isoformat().replace("+00:00", "Z")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, dict):
        return {str(k): value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [value(x) for x in v]
    return v


def row(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: value(v) for k, v in mapping.items()}
