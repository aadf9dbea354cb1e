"""What the wall reads of the dispatch loop (issue 21): open red/orange events with the
departments holding them and their deadlines, and the city's work orders by state.

Through ``dispatch.board``'s wall functions (dispatch.board: the wall and briefing functions) — the wall does
not read work orders itself — plus, per listed event, when it was opened, its category and
the warning it came from (events table): what the wall's clocks count from and how an event
is matched to its screen and its warning. Cached like the wall's other reads; a store
without the dispatch tables (an older schema) gives None and the board lists warnings only.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from citybrain.cache import memoize
from citybrain.settings import Settings

log = logging.getLogger("citybrain.wall")

#: seconds: a new red event should reach the wall within a refresh or two
CADENCE = 10
#: events listed at most (a board shows a few; the rest are in the counts)
LIMIT = 20


def _aware(t: Any) -> dt.datetime | None:
    if t is None:
        return None
    return t.replace(tzinfo=dt.timezone.utc) if t.tzinfo is None else t.astimezone(dt.timezone.utc)


def _board(engine: Engine, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """``{"events": [...open_orders_for_wall items + opened_at, category, warning_id], "counts": {...}}``."""
    try:
        from dispatch.board import counts_for_wall, open_orders_for_wall
        from store.schema import events as events_t
    except ImportError:
        return None
    try:
        events = open_orders_for_wall(engine, now)[:LIMIT]
        counts = counts_for_wall(engine, now)
        ids = [e["event_id"] for e in events]
        extra: dict[int, Any] = {}
        if ids:
            with engine.connect() as conn:
                extra = {r.id: r for r in conn.execute(select(events_t.c.id, events_t.c.created_at, events_t.c.category,
                                                              events_t.c.warning_id).where(events_t.c.id.in_(ids)))}
    except SQLAlchemyError as exc:
        log.warning("wall: work orders unavailable (%s)", exc)
        return None
    for e in events:
        row = extra.get(e["event_id"])
        e.setdefault("opened_at", _aware(row.created_at) if row is not None else None)
        e.setdefault("category", row.category if row is not None else None)
        e.setdefault("warning_id", row.warning_id if row is not None else None)
        for o in e.get("orders") or []:
            o["due"] = _aware(o.get("due"))
    return {"events": events, "counts": counts}


board = memoize(CADENCE)(_board)


def departments(settings: Settings) -> dict[str, Any]:
    """Department code → its names (``name_zh``/``name_en``), as work orders name them."""
    try:
        from dispatch.sla import departments as of_city
    except ImportError:
        return {}
    return of_city(settings)
