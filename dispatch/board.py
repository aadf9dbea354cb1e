"""What the dispatch board, the department's queue and the wall read (issue 21 "Where people
see it"): counts of orders by state, events waiting for a department, and open events of
the high levels with their running clocks. Every function takes the reader's principal and
shows only what they may read (:func:`dispatch.orders.visible`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from access.roles import Principal
from dispatch.orders import CENTRE_ROLES, OPEN_STATES, STATES, aware_now, list_orders
from dispatch.sla import LEVELS, department_of_domain
from store.schema import events, warnings, work_orders


def state_counts(engine: Engine, principal: Principal | None, *, now: datetime | None = None) -> dict[str, int]:
    """Orders per state (every state, zeros included) and ``overdue`` — the open ones late now
    (``principal`` None: the whole city's)."""
    now = aware_now(now)
    out = {s: 0 for s in STATES}
    rows = list_orders(engine, principal, now=now, limit=100_000)
    for o in rows:
        out[o["state"]] += 1
    out["overdue"] = sum(o["overdue"] for o in rows)
    return out


def unassigned_events(engine: Engine, principal: Principal) -> list[dict[str, Any]]:
    """Events no department holds: never dispatched, or every order returned (the centre's to do),
    the most severe first, then the oldest. Only the centre's principals and readers of every
    department see them (a department head has nothing to dispatch)."""
    if principal.role in ("department", "wall"):
        return []
    held = select(work_orders.c.event_id).where(work_orders.c.state.in_((*OPEN_STATES, "closed")))
    q = select(events).where(events.c.id.not_in(held))
    if principal.district:
        q = q.where(events.c.district == principal.district)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    rank = {lv: i for i, lv in enumerate(LEVELS)}
    rows.sort(key=lambda e: (-rank.get(e["level"], -1), e["created_at"], e["id"]))
    return rows


def warnings_to_dispatch(engine: Engine, principal: Principal, *, limit: int = 50) -> list[dict[str, Any]]:
    """Active warnings (firing or recovering, not closed) whose event no department holds —
    the board's one-click dispatch list, the most severe and the latest first — each with its
    ``suggested`` department (the owner of the rule's domain). The centre's principals only."""
    if principal.role not in CENTRE_ROLES:
        return []
    held = (select(events.c.warning_id).join(work_orders, work_orders.c.event_id == events.c.id)
            .where(events.c.warning_id.is_not(None), work_orders.c.state.in_((*OPEN_STATES, "closed"))))
    q = (select(warnings.c.id, warnings.c.rule, warnings.c.domain, warnings.c.level, warnings.c.district,
                warnings.c.scope, warnings.c.scope_kind, warnings.c.title_zh, warnings.c.title_en,
                warnings.c.fired_at, warnings.c.started_at)
         .where(warnings.c.state.in_(("firing", "recovering")), warnings.c.handling != "closed",
                warnings.c.id.not_in(held)))
    if principal.district:
        q = q.where(warnings.c.district == principal.district)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    rank = {lv: i for i, lv in enumerate(LEVELS)}
    rows.sort(key=lambda w: (-rank.get(w["level"], -1), -(w["fired_at"] or w["started_at"]).timestamp(), w["id"]))
    for w in rows:
        w["suggested"] = department_of_domain(w["domain"])
    return rows[:limit]


def open_events(engine: Engine, principal: Principal | None, *, levels: tuple[str, ...] = ("red", "orange"),
                now: datetime | None = None) -> list[dict[str, Any]]:
    """Open events of ``levels`` for the wall: each with its orders (department, state, the
    running deadline, seconds left — negative when late), the most severe and latest-due first."""
    now = aware_now(now)
    orders = [o for o in list_orders(engine, principal, now=now, limit=100_000)
              if o["state"] in OPEN_STATES and o["level"] in levels]
    by_event: dict[int, dict[str, Any]] = {}
    for o in orders:
        due = o["respond_by"] if o["state"] == "dispatched" else o["resolve_by"]
        ev = by_event.setdefault(o["event_id"], {"event_id": o["event_id"], "title": o["title"],
                                                 "level": o["level"], "district": o["district"], "orders": []})
        ev["orders"].append({"id": o["id"], "department": o["department"], "role": o["role"], "state": o["state"],
                             "due": due, "seconds_left": int((due - now).total_seconds()),
                             "overdue": o["overdue"]})
    rank = {lv: i for i, lv in enumerate(LEVELS)}
    out = list(by_event.values())
    for ev in out:
        ev["seconds_left"] = min(o["seconds_left"] for o in ev["orders"])
    out.sort(key=lambda e: (-rank[e["level"]], e["seconds_left"], e["event_id"]))
    return out


# ------------------------------------------------------------- the wall's and briefing's reads
# Stable signatures: the wall and the daily briefing show the
# whole city to whoever may open them, so these take no principal; their callers check access.

def open_orders_for_wall(engine: Engine, now: datetime | None = None, *,
                         levels: tuple[str, ...] = ("red", "orange")) -> list[dict[str, Any]]:
    """Open events of ``levels`` city-wide with their orders and running clocks (the shape of
    :func:`open_events`), the most severe first, then the least time left."""
    return open_events(engine, None, levels=levels, now=now)


def counts_for_wall(engine: Engine, now: datetime | None = None) -> dict[str, int]:
    """City-wide orders per state (every state, zeros included) and ``overdue``."""
    return state_counts(engine, None, now=now)


def overdue_orders(engine: Engine, now: datetime | None = None) -> list[dict[str, Any]]:
    """City-wide open orders late at ``now``, the longest late first: dicts with ``id``,
    ``event_id``, ``title``, ``level``, ``district``, ``department``, ``state``, ``overdue_clock``
    (respond | resolve), ``due`` (the deadline passed) and ``minutes_late``."""
    now = aware_now(now)
    out = []
    for o in list_orders(engine, None, overdue=True, now=now, limit=100_000):
        due = o["respond_by"] if o["overdue_clock"] == "respond" else o["resolve_by"]
        out.append({k: o[k] for k in ("id", "event_id", "title", "level", "district", "department", "role",
                                      "state", "overdue_clock", "dispatched_at", "respond_escalation",
                                      "resolve_escalation")}
                   | {"due": due, "minutes_late": int((now - due).total_seconds() // 60)})
    out.sort(key=lambda o: (-o["minutes_late"], o["id"]))
    return out
