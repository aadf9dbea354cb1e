"""Replay over a demo-like history with the shipped Xuchang rules: the simulated episodes
(Golden Week crowds, an accident and its 12345 calls, a winter smog episode) raise the
warnings computed by hand below — and live evaluation at the same instants agrees."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from alerts.engine import evaluate
from alerts.handling import warning_with_history
from alerts.replay import replay
from alerts.rules import load_warning_config
from store.engine import make_engine, upgrade
from store.schema import warnings

UTC = timezone.utc
TZ = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
STEP = timedelta(minutes=30)


def local(y, m, d, h=0):
    return datetime(y, m, d, h, tzinfo=TZ).astimezone(UTC)


def z(y, m, d, h=0, minute=0):
    return datetime(y, m, d, h, minute, tzinfo=UTC)


@pytest.fixture
def history(put, store):
    """Indicator rows shaped like the simulator's episodes (the compute job's contract)."""
    # Golden Week: 神垕古镇 (TS05) passes 100 % on 1 Oct; 鄢陵花博园 (TS04) reaches 86 % on 2 Oct
    ts05 = [0.3, 0.5, 0.7, 0.85, 0.95, 1.02, 0.9, 0.75, 0.6, 0.4]
    ts04 = [0.3, 0.5, 0.7, 0.76, 0.82, 0.86, 0.78, 0.65, 0.5, 0.3]
    put(store, "crowding", "hour", "site", "TS05", [(local(2026, 10, 1, 8 + i), v) for i, v in enumerate(ts05)])
    put(store, "crowding", "hour", "site", "TS04", [(local(2026, 10, 2, 8 + i), v) for i, v in enumerate(ts04)])
    # an accident on 魏武大道 (R003) at 10:00 on 20 Oct, and the 交通出行 calls that follow
    put(store, "speed_ratio", "hour", "segment", "R003",
        [(local(2026, 10, 20, h), 0.25 if h == 10 else 0.75) for h in range(6, 23)])
    calls = [(z(2026, 10, 12) + i * H, 8.0) for i in range(9 * 24)]
    calls = [(t, 30.0 if t == local(2026, 10, 20, 10) else v) for t, v in calls]
    put(store, "hotline_calls", "hour", "category", "交通出行", calls)
    # winter smog: daily city AQI 230, 320, 260 on 17–19 Nov; hourly AQI > 200 from 06 to 15 on 18 Nov
    daily = [120, 180, 230, 320, 260, 150, 90, 80]
    put(store, "aqi", "day", "city", "", [(local(2026, 11, 15 + i), v) for i, v in enumerate(daily)])
    put(store, "aqi", "hour", "city", "",
        [(local(2026, 11, 18, h), 150 if h < 6 or h == 16 else 220 if h < 16 else 120) for h in range(24)])
    return store


EXPECTED = [
    # rule, scope, started, fired, resolved, final level, level changes
    ("scenic_crowding", "TS05", z(2026, 10, 1, 3), z(2026, 10, 1, 3, 30), z(2026, 10, 1, 8, 30), "yellow",
     [("yellow", "orange"), ("orange", "red"), ("red", "orange"), ("orange", "yellow")]),
    ("scenic_crowding", "TS04", z(2026, 10, 2, 4), z(2026, 10, 2, 4, 30), z(2026, 10, 2, 7, 30), "yellow", []),
    ("segment_congestion", "R003", z(2026, 10, 20, 2), z(2026, 10, 20, 2, 30), z(2026, 10, 20, 3, 30), "yellow", []),
    ("hotline_category_surge", "交通出行", z(2026, 10, 20, 3), z(2026, 10, 20, 3), z(2026, 10, 20, 5), "yellow", []),
    ("aqi_heavy_pollution", "", z(2026, 11, 16, 16), z(2026, 11, 16, 16), z(2026, 11, 19, 16), "orange",
     [("blue", "yellow"), ("yellow", "orange")]),
    ("aqi_hourly_heavy", "", z(2026, 11, 17, 22), z(2026, 11, 18, 0), z(2026, 11, 18, 10), "yellow", []),
]


def summary(ws):
    return [(w["rule"], w["scope"], w["started_at"], w["fired_at"], w["resolved_at"], w["level"],
             [(h["from"], h["to"]) for h in w["level_history"]]) for w in ws]


def test_replay_of_the_demo_episodes(settings, history):
    report = replay(settings, history, start=z(2026, 9, 30, 16), end=z(2026, 11, 21), step=STEP)
    assert report.skipped_rules == ["scenic_crowding_forecast", "source_stale"]  # now-only: staleness, 预计 (issue 22)
    assert sorted(summary(report.warnings), key=lambda s: s[2]) == EXPECTED
    assert all(w["state"] == "resolved" and w["open_key"] is None for w in report.warnings)
    assert report.totals.notifications == []  # a backtest pages nobody
    # replaying again rewinds and rebuilds: the same warnings, no duplicates
    again = replay(settings, history, start=z(2026, 9, 30, 16), end=z(2026, 11, 21), step=STEP)
    assert again.removed == len(EXPECTED) and sorted(summary(again.warnings), key=lambda s: s[2]) == EXPECTED
    with history.connect() as conn:
        assert conn.execute(select(func.count()).select_from(warnings)).scalar() == len(EXPECTED)


def _comparable(w):
    return ({k: w[k] for k in ("rule", "rule_kind", "domain", "scope_kind", "scope", "district", "level", "state",
                               "title_zh", "value", "started_at", "fired_at", "resolved_at", "data_time",
                               "last_evaluated_at", "open_key", "detail")},
            [(h["at"], h["kind"], h["from"], h["to"], h["detail"]) for h in w["history"]])


@pytest.mark.parametrize("start, end", [(z(2026, 10, 19, 20), z(2026, 10, 20, 8)),
                                        (z(2026, 11, 16), z(2026, 11, 20))])
def test_live_and_replay_give_the_same_warnings(settings, history, tmp_path, start, end):
    url = f"sqlite:///{tmp_path}/live.db"
    upgrade(url)
    live = make_engine(url)
    try:
        from store.schema import indicators
        with history.connect() as src, live.begin() as dst:
            dst.execute(indicators.insert(), [dict(r._mapping) for r in src.execute(select(indicators)).all()])
        cfg = load_warning_config(settings)
        rules = [r for r in cfg.rules if r.kind != "staleness"]
        now = start
        while now < end:
            evaluate(settings, live, now=now, rules=rules, config=cfg, notify=False)
            now += STEP
        replayed = replay(settings, history, start=start, end=end, step=STEP, rules=rules)
        with live.connect() as conn:
            ids = conn.execute(select(warnings.c.id).order_by(warnings.c.started_at, warnings.c.id)).scalars().all()
        lived = [warning_with_history(live, i) for i in ids]
        assert lived, "the window holds an episode"
        assert [_comparable(w) for w in lived] == [_comparable(w) for w in replayed.warnings]
    finally:
        live.dispose()


def test_dry_run_tries_a_rule_without_touching_the_store(settings, history):
    from alerts.rules import parse_rules

    trial = parse_rules([{"id": "crowd_trial", "kind": "threshold", "title_zh": "试行", "title_en": "Trial",
                          "domain": "tourism", "indicator": "crowding", "grain": "hour", "scope_kind": "site",
                          "op": ">=", "levels": {"blue": 0.7}}])
    report = replay(settings, history, start=z(2026, 9, 30, 16), end=z(2026, 10, 3), step=H, rules=trial,
                    dry_run=True)
    assert [(w["scope"], w["started_at"]) for w in report.warnings] == [
        ("TS05", local(2026, 10, 1, 10)), ("TS04", local(2026, 10, 2, 10))]
    with history.connect() as conn:
        assert conn.execute(select(func.count()).select_from(warnings)).scalar() == 0


def test_skipping_quiet_instants_changes_nothing(settings, history, monkeypatch):
    """Replay hands the engine only instants with an active condition or an open warning
    (issue 10: the year's replay was 52,560 store round trips); calling it at every instant,
    as it used to, gives the same warnings, events, times and totals."""
    import alerts.replay

    calls = []
    real = alerts.replay.evaluate_at
    monkeypatch.setattr(alerts.replay, "evaluate_at", lambda *a, **k: calls.append(k["now"]) or real(*a, **k))
    start, end = z(2026, 9, 30, 16), z(2026, 11, 21)
    fast = replay(settings, history, start=start, end=end, step=STEP)
    skipping = len(calls)
    monkeypatch.setattr(alerts.replay, "_quiet", lambda *a, **k: None)
    every = replay(settings, history, start=start, end=end, step=STEP)
    assert len(calls) - skipping == every.steps == fast.steps
    assert 0 < skipping < every.steps / 5, "the quiet instants are skipped, the episodes are not"
    assert [_comparable(w) for w in fast.warnings] == [_comparable(w) for w in every.warnings]
    assert sorted(summary(fast.warnings), key=lambda s: s[2]) == EXPECTED
    keep = ("rules", "observed", "opened", "fired", "escalated", "deescalated", "resolved", "discarded", "silenced",
            "notifications", "errors")
    assert {k: getattr(fast.totals, k) for k in keep} == {k: getattr(every.totals, k) for k in keep}
