"""What each kind of rule sees, with hand-computed expectations and the boundaries."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from alerts.conditions import SourceState, index_frame, observe
from alerts.rules import parse_rules
from simulator import holidays

UTC = timezone.utc
TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # Monday 08:00 local
H = timedelta(hours=1)
D = timedelta(days=1)


def frame(name, grain, kind, rows):
    """rows: [(scope, time, value)]"""
    return index_frame(pd.DataFrame([{"name": name, "grain": grain, "scope_kind": kind, "scope": s, "time": t,
                                      "value": v} for s, t, v in rows]))


def rule(**kw):
    base = {"id": "r", "title_zh": "规则", "title_en": "Rule", "domain": "tourism"}
    return parse_rules([{**base, **kw}])[0]


CROWD = dict(kind="threshold", indicator="crowding", grain="hour", scope_kind="site", op=">=",
             levels={"yellow": 0.8, "orange": 0.9, "red": 1.0}, recover=0.7)


@pytest.mark.parametrize("value, status, level", [
    (0.79, "band", "yellow"), (0.8, "active", "yellow"), (0.9, "active", "orange"), (1.02, "active", "red"),
    (0.7, "band", "yellow"), (0.69, "clear", None),
])
def test_threshold_boundaries_and_hysteresis(value, status, level):
    data = frame("crowding", "hour", "site", [("TS01", T0 - H, 0.1), ("TS01", T0, value)])
    seen = observe(rule(**CROWD), data, T0 + 30 * timedelta(minutes=1), tz=TZ)
    assert (seen["TS01"].status, seen["TS01"].level, seen["TS01"].value) == (status, level, value)


def test_threshold_reads_newest_row_not_the_future_and_not_stale_rows():
    data = frame("crowding", "hour", "site", [("TS01", T0 - 3 * H, 0.95), ("TS02", T0 - H, 0.85),
                                               ("TS02", T0 + H, 0.1)])
    seen = observe(rule(**CROWD), data, T0, tz=TZ)
    assert "TS01" not in seen  # older than two periods: no data
    assert seen["TS02"].level == "yellow"  # the 01:00 row is in the future


def day(n):
    """Start of local day n after 2026-11-02, in UTC (the indicators' `time`)."""
    return datetime(2026, 11, 2, tzinfo=TZ).astimezone(UTC) + n * D


HEAVY = dict(kind="episode", domain="environment", indicator="aqi", grain="day", scope_kind="city", above=200,
             severe=300, levels={"blue": {"periods": 1}, "yellow": {"periods": 2},
                                 "orange": {"periods": 3, "severe": 1},
                                 "red": {"periods": 4, "severe": 2, "peak": 500}})


@pytest.mark.parametrize("days, level, periods", [
    ([150, 200], None, 0),  # exactly 200 is not > 200
    ([150, 201], "blue", 1),
    ([150, 210, 250], "yellow", 2),
    ([210, 250, 290], "yellow", 3),  # three days but none > 300
    ([150, 210, 310, 220], "orange", 3),
    ([210, 320, 250, 290], "orange", 4),  # four days, only one > 300
    ([150, 210, 320, 250, 330], "red", 4),
    ([150, 500], "red", 1),  # any day ≥ 500
    ([210, None, 220], "blue", 1),  # a gap ends the run
])
def test_heavy_pollution_grades(days, level, periods):
    rows = [("", day(i), v) for i, v in enumerate(days) if v is not None]
    seen = observe(rule(**HEAVY), frame("aqi", "day", "city", rows), day(len(days) - 1) + 12 * H, tz=TZ)
    assert seen[""].level == level and seen[""].detail["periods"] == periods


SURGE = dict(kind="rate", domain="hotline", indicator="hotline_calls", grain="hour", scope_kind="category",
             levels={"yellow": 3, "orange": 5}, min_value=10)


def test_rate_against_same_hour_last_week():
    t = T0 - H
    week = timedelta(days=7)
    data = frame("hotline_calls", "hour", "category", [
        ("交通出行", t - week, 8), ("交通出行", t, 30),
        ("环境保护", t - week, 1), ("环境保护", t, 6),   # 6× but only 6 calls
        ("城市管理", t - week - H, 3), ("城市管理", t - week, 2), ("城市管理", t, 50), ("城市管理", T0, 200),
        ("教育", t - week, 5), ("教育", t - H, 4),  # no row at t: 0 calls
        ("医疗卫生", t, 40),  # no history a week back: not judged
    ])
    seen = observe(rule(**SURGE), data, T0 + 5 * timedelta(minutes=1), tz=TZ)
    assert seen["交通出行"].level == "yellow" and seen["交通出行"].value == 3.75
    assert seen["环境保护"].status == "clear"
    assert seen["城市管理"].level == "orange" and seen["城市管理"].value == 25  # the filling hour is ignored
    assert seen["教育"].value == 0 and seen["教育"].status == "clear"
    assert "医疗卫生" not in seen


ANOMALY = dict(kind="anomaly", domain="hotline", indicator="hotline_calls", grain="hour", scope_kind="city",
               weeks=6, min_weeks=4, direction="up", levels={"yellow": 3.5}, mad_floor=1)


@pytest.mark.parametrize("x, level, z", [(15, None, 2.698), (17, "yellow", 4.047)])
def test_anomaly_modified_z_skips_the_golden_week_baseline(x, level, z):
    t = T0 - H  # Monday 07:00 local; four weeks back is 2026-10-05, inside 国庆
    week = timedelta(days=7)
    base = [10, 12, 11, 100, 13, 9]
    data = frame("hotline_calls", "hour", "city", [("", t - (k + 1) * week, v) for k, v in enumerate(base)]
                 + [("", t, x)])
    seen = observe(rule(**ANOMALY), data, T0 + 5 * timedelta(minutes=1), tz=TZ, calendar=holidays)
    # baseline without 100: median 11, MAD 1 → z = 0.6745 (x − 11)
    assert seen[""].level == level and seen[""].value == pytest.approx(z, abs=1e-3)
    assert seen[""].detail["baseline_weeks"] == 5
    # without the calendar the holiday week pollutes the baseline: median 11.5, MAD 1.5
    plain = observe(rule(**ANOMALY), data, T0 + 5 * timedelta(minutes=1), tz=TZ)
    assert plain[""].value == pytest.approx(0.6745 * (x - 11.5) / 1.5, abs=1e-6)


def test_anomaly_on_a_holiday_is_not_judged():
    t = datetime(2026, 10, 2, 10, tzinfo=TZ).astimezone(UTC)
    week = timedelta(days=7)
    data = frame("hotline_calls", "hour", "city", [("", t - k * week, v) for k, v in
                                                    [(0, 500), (1, 10), (2, 11), (3, 12), (4, 10), (5, 11)]])
    seen = observe(rule(**ANOMALY), data, t + H + timedelta(minutes=1), tz=TZ, calendar=holidays)
    assert seen[""].status == "clear" and seen[""].detail["skipped"] == "holiday"


def test_staleness_in_multiples_of_max_age():
    r = rule(kind="staleness", levels={"blue": 1, "yellow": 4}, domain=None)
    sources = [SourceState("env", "environment", T0 - 3 * H, "ok", 2 * H),
               SourceState("traffic", "traffic", T0 - 5 * timedelta(minutes=1), "ok", timedelta(minutes=15)),
               SourceState("hot", "hotline", None, "never", timedelta(minutes=30)),
               SourceState("off", "tourism", None, "disabled", timedelta(minutes=15))]
    seen = observe(r, {}, T0, tz=TZ, sources=sources)
    assert (seen["env"].level, seen["env"].value) == ("blue", 1.5)
    assert seen["traffic"].status == "clear"
    assert seen["hot"].level == "yellow" and seen["hot"].domain == "hotline"
    assert "off" not in seen
