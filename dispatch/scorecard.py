"""监督考核: how each department (and district) handled its work orders over a period.

The unit counted is an *assignment*: one event given to one department. Orders of the
period are those dispatched in ``[start, end)``; a department's orders of one event are
one assignment however often it came back to it (returned and re-dispatched to the same
department counts once), and an event returned by department A and re-dispatched to B
is one assignment of A (returned) and one of B — received once by the department that
took it. Each assignment is judged by its latest order:

* ``orders`` — assignments received;
* ``returned_rate`` (退单率) — assignments whose latest order was returned ÷ ``orders``;
* ``accepted_on_time_rate`` (签收及时率) — of the assignments not returned whose accept
  was due (accepted, or ``respond_by`` reached by the period's end or now, whichever is
  first): accepted at or before ``respond_by`` ÷ those. On time *at* the exact deadline;
* ``resolved_on_time_rate`` (按期办结率) — of the assignments not returned whose resolution
  was due (finished, or ``resolve_by`` reached): finished at or before ``resolve_by`` ÷ those.
  ``resolve_by`` is the deadline in force (an approved extension moves it); a reopened
  order is judged by its last finish;
* ``mean_hours_to_resolve`` / ``p90_hours_to_resolve`` — dispatch to (last) finish of the
  finished assignments; p90 by the nearest-rank method (the ⌈0.9·n⌉-th smallest value,
  NIST/SEMATECH e-Handbook 7.2.6.2; no interpolation, so it is always an observed time);
* ``reopened_rate`` (返工率) — assignments reopened at least once ÷ assignments finished at
  least once;
* ``overdue_open`` — the department's open orders overdue now, whatever the period.

Arithmetic is exact: counts are integers, rates and hours :class:`fractions.Fraction`,
rounded once at the end half-up (rates to 4 places, hours to 2) — so 2/3 is 0.6667 and
1/8 is 0.125, never a float's 0.12499…. Rates with nothing to judge are None, not 0.
Each item also carries the numerators and denominators, so a reader can recompute them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from fractions import Fraction
from typing import Any

from sqlalchemy import Engine, and_, or_, select

from access.roles import Principal
from citybrain.settings import Settings
from dispatch.errors import InvalidInput
from dispatch.orders import WORKING, visible
from dispatch.sla import departments
from store.schema import events, work_orders

UTC = timezone.utc
GROUPS = ("department", "district")


@dataclass
class _Tally:
    orders: int = 0
    returned: int = 0
    accept_due: int = 0
    accepted_on_time: int = 0
    resolve_due: int = 0
    resolved_on_time: int = 0
    finished_ever: int = 0
    reopened: int = 0
    hours: list[Fraction] = field(default_factory=list)
    overdue_open: int = 0


def round_half_up(value: Fraction, places: int) -> float:
    """``value`` rounded half-up to ``places`` decimals with integer arithmetic (no binary
    rounding before the last step)."""
    scale = 10 ** places
    scaled = value * scale
    n = math.floor(scaled + Fraction(1, 2))
    return n / scale


def rate(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else round_half_up(Fraction(numerator, denominator), 4)


def p90(values: list[Fraction]) -> Fraction | None:
    """The nearest-rank 90th percentile: the ⌈0.9·n⌉-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(Fraction(9, 10) * len(ordered)) - 1]


def scorecards(engine: Engine, settings: Settings, start: datetime, end: datetime, *, by: str = "department",
               principal: Principal | None = None, now: datetime | None = None) -> list[dict[str, Any]]:
    """One item per department (``by="department"``: every known one, idle ones too) or per
    district (``by="district"``), best 按期办结率 first; cut to what ``principal`` may read.
    A period with ``end <= start`` is empty: no orders, only what is overdue now."""
    if by not in GROUPS:
        raise InvalidInput(f"by={by!r}: use one of {', '.join(GROUPS)}")
    for t in (start, end):
        if not isinstance(t, datetime) or t.tzinfo is None:
            raise InvalidInput("from and to must be aware datetimes")
    now = now or datetime.now(UTC)
    as_of = min(end, now)
    cut = visible(principal) if principal is not None else []
    base = select(work_orders, events.c.district).join(events, events.c.id == work_orders.c.event_id).where(*cut)
    with engine.connect() as conn:
        rows = conn.execute(base.where(work_orders.c.dispatched_at >= start, work_orders.c.dispatched_at < end)
                            .order_by(work_orders.c.id)).all()
        late = conn.execute(base.where(or_(
            and_(work_orders.c.state.in_(WORKING), work_orders.c.resolve_by < now),
            and_(work_orders.c.state == "dispatched", work_orders.c.respond_by < now)))).all()
    latest: dict[tuple[int, str], Any] = {}
    for r in rows:  # by id: the last order of each (event, department) wins
        latest[(r.event_id, r.department)] = r
    key = (lambda r: r.department) if by == "department" else (lambda r: r.district)
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    if by == "department":
        allowed = None if principal is None or principal.role != "department" else set(principal.domains)
        for code in departments(settings):
            if allowed is None or code in allowed:
                tallies[code]  # noqa: B018 — every department appears in the league table
    for o in latest.values():
        t = tallies[key(o)]
        t.orders += 1
        if o.state == "returned":
            t.returned += 1
            continue
        if o.accepted_at is not None or o.respond_by <= as_of:
            t.accept_due += 1
            t.accepted_on_time += o.accepted_at is not None and o.accepted_at <= o.respond_by
        if o.finished_at is not None or o.resolve_by <= as_of:
            t.resolve_due += 1
            t.resolved_on_time += o.finished_at is not None and o.finished_at <= o.resolve_by
        if o.finished_at is not None:
            t.hours.append(Fraction(int((o.finished_at - o.dispatched_at).total_seconds() * 1_000_000),
                                    3600 * 1_000_000))
        if o.finished_at is not None or o.reopened > 0:
            t.finished_ever += 1
            t.reopened += o.reopened > 0
    for o in late:
        tallies[key(o)].overdue_open += 1
    names = departments(settings)
    district_names = {d.code: (d.name_zh, d.name_en) for d in settings.districts}
    out = []
    for k, t in tallies.items():
        mean = sum(t.hours, Fraction(0)) / len(t.hours) if t.hours else None
        high = p90(t.hours)
        label = (names[k].name_zh, names[k].name_en) if by == "department" and k in names else \
            district_names.get(k, (k, k))
        out.append({
            by: k, "name_zh": label[0], "name_en": label[1], "orders": t.orders,
            "accepted_on_time_rate": rate(t.accepted_on_time, t.accept_due),
            "resolved_on_time_rate": rate(t.resolved_on_time, t.resolve_due),
            "mean_hours_to_resolve": None if mean is None else round_half_up(mean, 2),
            "p90_hours_to_resolve": None if high is None else round_half_up(high, 2),
            "reopened_rate": rate(t.reopened, t.finished_ever), "returned_rate": rate(t.returned, t.orders),
            "overdue_open": t.overdue_open,
            "counts": {"accepted_on_time": t.accepted_on_time, "accept_due": t.accept_due,
                       "resolved_on_time": t.resolved_on_time, "resolve_due": t.resolve_due,
                       "resolved": len(t.hours), "reopened": t.reopened, "finished": t.finished_ever,
                       "returned": t.returned},
        })
    out.sort(key=lambda i: (i["resolved_on_time_rate"] is None, -(i["resolved_on_time_rate"] or 0),
                            -i["orders"], str(i[by])))
    return out


def daily_trend(engine: Engine, settings: Settings, start: datetime, end: datetime, *,
                principal: Principal | None = None, now: datetime | None = None) -> list[dict[str, Any]]:
    """The city's figures per local day of ``[start, end)`` (days of the city's zone): one item per
    day ``{"day": date, "orders", "resolved_on_time_rate", "accepted_on_time_rate"}`` — the
    scorecard of that day's dispatches, summed over the departments ``principal`` may read."""
    from datetime import timedelta

    tz = settings.tz
    day = start.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    while day < end:
        nxt = (day + timedelta(days=1)).replace(hour=0)  # a whole local day across an offset change
        items = scorecards(engine, settings, max(day, start), min(nxt, end), principal=principal, now=now)
        c = {k: sum(i["counts"][k] for i in items) for k in ("accepted_on_time", "accept_due", "resolved_on_time",
                                                              "resolve_due")}
        out.append({"day": day.date(), "orders": sum(i["orders"] for i in items),
                    "resolved_on_time_rate": rate(c["resolved_on_time"], c["resolve_due"]),
                    "accepted_on_time_rate": rate(c["accepted_on_time"], c["accept_due"])})
        day = nxt
    return out
