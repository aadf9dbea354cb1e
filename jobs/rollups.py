"""Pipeline step: keep the hourly and daily rollups current for the data a poll wrote.

Chained after the indicators (``jobs.pipeline.AFTER_POLL_STEPS``): the poll hands over
``touched`` — per domain the earliest and latest data time written — and the rollups of
exactly those hours (and the local days holding them) are recomputed. A re-polled row
that changed (a ticket closed, a reading corrected) is therefore reflected at once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from citybrain.settings import Settings
from store.rollups import MEASURES, refresh

Touched = dict[str, tuple[dt.datetime, dt.datetime]]


def refresh_rollups(settings: Settings, engine: Engine, touched: Touched) -> int:
    """Recompute the rollups of the windows in ``touched``; returns the rollup rows written."""
    return sum(refresh(engine, domain, lo, hi, settings.tz)
               for domain, (lo, hi) in touched.items() if domain in MEASURES)
