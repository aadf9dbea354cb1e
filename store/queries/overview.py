"""What the office overview (home) reads: the city's vital-signs index over the last day.

The compute job stores the index per hour with its sub-indices and per-indicator
contributions (``jobs.indicators``, ``vital_signs`` / hour / city); the overview shows
the newest value, its 24-hour trend and why it moved, so it needs one day plus one hour.
Memoized for two minutes: the index is hourly and recomputed after each poll, and every
office browser refreshing the home page should cost one query per cadence, not one each.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, select

from citybrain.cache import memoize
from store.schema import indicators

UTC = dt.timezone.utc
VITAL_SIGNS_CADENCE = 120


def _vital_signs_day(engine: Engine, scope_kind: str = "city", scope: str = "", hours: int = 24,
                     now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Hourly index rows of the last ``hours`` (+1, for the comparison), oldest first.

    Each row: ``time`` (aware UTC hour start), ``value`` (0–100) and ``detail``
    (``sub_indices``, ``contributions``, ``inputs``, ``coverage``).
    """
    now = now or dt.datetime.now(UTC)
    since = now - dt.timedelta(hours=hours + 1)
    with engine.connect() as conn:
        rows = conn.execute(
            select(indicators.c.time, indicators.c.value, indicators.c.detail)
            .where(indicators.c.name == "vital_signs", indicators.c.grain == "hour",
                   indicators.c.scope_kind == scope_kind, indicators.c.scope == scope,
                   indicators.c.time >= since, indicators.c.time <= now)
            .order_by(indicators.c.time)).all()
    return [{"time": r.time, "value": r.value, "detail": r.detail or {}} for r in rows if r.value is not None]


vital_signs_day = memoize(VITAL_SIGNS_CADENCE)(_vital_signs_day)
