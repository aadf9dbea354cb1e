"""End to end: the simulated episodes raise real warnings, the same live as in replay.

simulator → connectors → compute → warnings, on the demo city's own rules
(config/xuchang.warnings.toml); nothing here inserts an indicator by hand.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

import connectors
import simulator
from alerts.engine import evaluate
from alerts.replay import replay
from jobs.indicators import compute
from store.engine import make_engine, upgrade
from store.entities import sync_from_config
from store.schema import warning_events, warnings

UTC = dt.timezone.utc


def build(settings, end: dt.datetime, days: int):
    simulator.create(settings, end=end, days=days)
    upgrade(settings.resolved_store_url)
    engine = make_engine(settings.resolved_store_url)
    sync_from_config(engine, settings)
    connectors.poll(settings, engine, now=end)
    compute(settings, engine, start=end - dt.timedelta(days=days), end=end, now=end)
    return engine


def fired(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(warnings.c.rule, warnings.c.scope, warnings.c.level, warnings.c.state,
                                   warnings.c.fired_at).where(warnings.c.fired_at.is_not(None))
                            .order_by(warnings.c.id)).all()


@pytest.mark.slow
def test_golden_week_crowds_raise_scenic_crowding(settings_factory):
    settings = settings_factory()
    end = dt.datetime(2026, 10, 4, 4, 0, tzinfo=UTC)  # 2026-10-04 12:00 in Xuchang
    engine = build(settings, end, days=3)
    replay(settings, engine, start=end - dt.timedelta(days=2), end=end)
    crowd = [w for w in fired(engine) if w.rule == "scenic_crowding"]
    assert {w.scope for w in crowd} & {"TS04", "TS05"}, f"Golden Week raised no crowding warning: {fired(engine)}"
    assert all(w.level in {"yellow", "orange", "red"} for w in crowd)
    engine.dispose()


@pytest.mark.slow
def test_winter_smog_raises_heavy_pollution_and_live_equals_replay(settings_factory, tmp_path):
    settings = settings_factory()
    end = dt.datetime(2026, 11, 5, 16, 0, tzinfo=UTC)
    engine = build(settings, end, days=6)
    start = end - dt.timedelta(days=5)
    replay(settings, engine, start=start, end=end)
    heavy = [w for w in fired(engine) if w.rule == "aqi_heavy_pollution"]
    assert heavy and heavy[0].level in {"blue", "yellow", "orange", "red"}, fired(engine)

    replayed = [(w.rule, w.scope, w.level, w.state, w.fired_at) for w in fired(engine)]
    with engine.begin() as conn:  # forget the replay, then evaluate live minute by minute of the same steps
        conn.execute(warning_events.delete())
        conn.execute(warnings.delete())
    t = start
    while t < end:
        evaluate(settings, engine, now=t, notify=False)
        t += dt.timedelta(minutes=10)
    live = [(w.rule, w.scope, w.level, w.state, w.fired_at) for w in fired(engine)]
    assert live == replayed
    engine.dispose()
