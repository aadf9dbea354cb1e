"""A week of work orders for the demo, so a newcomer sees a populated board and scorecard.

:func:`seed_history` reports events, dispatches them and walks each order through the loop
with the real functions (:mod:`dispatch.orders`) at past instants — the same checks,
transactions and audit rows as people's actions — so what it leaves is what a week of
use would leave: most orders verified, a few returned and re-dispatched, a few reopened,
some late, and the latest still open (some overdue, for the escalation job to find).
Deterministic for a seed; a store that already has demo events is left alone.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, select

from access.roles import Principal
from citybrain.settings import DOMAINS, Settings
from dispatch.errors import DispatchError
from dispatch.orders import act, create_event, dispatch
from dispatch.sla import limits
from store.schema import events

UTC = timezone.utc
ORIGIN = "demo"
CENTRE = Principal("demo-duty", "duty", via="demo")
#: (category, title, the department it belongs to)
CASES: tuple[tuple[str, str, str], ...] = (
    ("roads", "道路积水影响通行", "traffic"), ("roads", "信号灯故障", "traffic"),
    ("air", "工地扬尘投诉", "environment"), ("air", "露天焚烧", "environment"),
    ("crowd", "景区入口拥堵", "tourism"), ("service", "12345 集中投诉：供暖不热", "hotline"),
    ("roads", "井盖缺失", "traffic"), ("water", "河道漂浮物", "environment"),
)
LEVEL_WEIGHTS = (("blue", 3), ("yellow", 4), ("orange", 2), ("red", 1))


def head(domain: str) -> Principal:
    return Principal(f"demo-{domain}", "department", domains=(domain,), via="demo")


def seed_history(settings: Settings, engine: Engine, *, end: datetime | None = None, days: int = 7,
                 per_day: int = 6, seed: int | None = None) -> int:
    """Report and work ``days × per_day`` events ending at ``end``; how many orders were made."""
    end = end or datetime.now(UTC)
    with engine.connect() as conn:
        if conn.execute(select(events.c.id).where(events.c.origin == ORIGIN).limit(1)).first():
            return 0
    rng = random.Random(settings.demo.seed if seed is None else seed)
    districts = [d.code for d in settings.districts]
    levels = [lv for lv, w in LEVEL_WEIGHTS for _ in range(w)]
    made = 0
    for day in range(days, 0, -1):
        for _ in range(per_day):
            at = end - timedelta(days=day) + timedelta(minutes=rng.randrange(0, 24 * 60))
            category, title, dept = rng.choice(CASES)
            level = rng.choice(levels)
            eid = create_event(engine, settings, actor=CENTRE, title=title, category=category,
                               district=rng.choice(districts), level=level, description="演示数据", origin=ORIGIN,
                               now=at)
            made += _work(settings, engine, rng, eid, level, dept, at, end)
    return made


def _work(settings: Settings, engine: Engine, rng: random.Random, eid: int, level: str, dept: str,
          at: datetime, end: datetime) -> int:
    """Dispatch the event and walk its order until ``end``; the orders made."""
    lim = limits(settings, level)
    made = 0
    for attempt in range(2):  # a returned order is re-dispatched once
        [oid] = dispatch(engine, settings, eid, [dept], actor=CENTRE, note="请及时处置", now=at)
        made += 1
        who = head(dept)
        steps: list[tuple[datetime, str, Principal, str, datetime | None]] = []
        t = at + lim.respond * rng.uniform(0.2, 1.4)  # some accept late
        if attempt == 0 and rng.random() < 0.08:
            steps.append((t, "return", who, "不属于本部门职责", None))
        else:
            steps.append((t, "accept", who, "", None))
            t2 = t + (lim.resolve * rng.uniform(0.25, 1.25) - (t - at)) / 2
            steps.append((t2, "progress", who, "已到场处置", None))
            if rng.random() < 0.3:
                steps.append((t2 + timedelta(minutes=5), "remind", CENTRE, "请加快进度", None))
            t3 = at + lim.resolve * rng.uniform(0.3, 1.3)  # some finish late
            steps.append((max(t3, t2 + timedelta(minutes=10)), "finish", who, "处置完毕，现场已恢复", None))
            t4 = steps[-1][0] + timedelta(minutes=rng.randrange(10, 90))
            if rng.random() < 0.1:
                steps.append((t4, "reopen", CENTRE, "复核未通过，请返工", None))
                t4 += timedelta(minutes=rng.randrange(30, 180))
                steps.append((t4, "finish", who, "返工完成", None))
                t4 += timedelta(minutes=20)
            steps.append((t4, "verify", CENTRE, "", None))
        for when, action, actor, note, until in steps:
            if when >= end:
                return made  # still open now: the board's work
            try:
                act(engine, oid, action, actor=actor, note=note, until=until, now=when)
            except DispatchError:
                return made
        if steps[0][1] != "return":
            return made
        at = steps[0][0] + timedelta(minutes=10)
        dept = next(d for d in DOMAINS if d != dept and d != "economy")
        if at >= end:
            return made
    return made
