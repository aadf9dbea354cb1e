"""The demo's week of orders: populated, deterministic, idempotent, made through the real loop."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from dispatch.board import state_counts
from dispatch.demo import seed_history
from dispatch.scorecard import scorecards
from store.schema import audit_log, work_orders
from tests.dispatch.conftest import PRINCIPALS, T0


def test_a_week_of_orders(world):
    made = seed_history(world.settings, world.engine, end=T0, days=7, per_day=6, seed=5)
    assert made >= 42
    assert seed_history(world.settings, world.engine, end=T0, seed=5) == 0  # already seeded
    counts = state_counts(world.engine, PRINCIPALS["duty"], now=T0)
    assert counts["closed"] >= 25 and sum(counts[s] for s in ("dispatched", "accepted", "in_progress",
                                                               "finished", "reopened")) >= 1
    cards = scorecards(world.engine, world.settings, T0 - dt.timedelta(days=7), T0, now=T0)
    busy = [c for c in cards if c["orders"]]
    assert len(busy) >= 3 and all(c["resolved_on_time_rate"] is not None for c in busy)
    assert any(0 < (c["resolved_on_time_rate"] or 0) < 1 for c in busy)  # some late, some on time
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(work_orders)).scalar_one() == made
        assert conn.execute(select(func.count()).select_from(audit_log).where(
            audit_log.c.action == "order.verify")).scalar_one() == counts["closed"]
