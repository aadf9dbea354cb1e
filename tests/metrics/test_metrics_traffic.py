"""GB/T 33171-2016: link grades, TTI/DTP, TPI, network TPI, free-flow speed."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics import traffic
from metrics.errors import InvalidValueError, MissingColumnsError

GRADES = ["畅通", "基本畅通", "轻度拥堵", "中度拥堵", "严重拥堵"]


@pytest.mark.parametrize(("speed", "free_flow", "grade"), [
    (36, 50, "畅通"),          # 0.72
    (35, 50, "基本畅通"),      # exactly 0.7 belongs to (0.5, 0.7]
    (2.1, 3, "基本畅通"),      # 2.1/3 is 0.7000000000000001 in floats
    (0.7, 1, "基本畅通"),
    (25.5, 50, "基本畅通"),    # 0.51
    (25, 50, "轻度拥堵"),      # exactly 0.5
    (20, 50, "中度拥堵"),      # exactly 0.4
    (1.2, 3, "中度拥堵"),      # 0.4 via floats (1.2/3 = 0.39999999999999997)
    (15.5, 50, "中度拥堵"),    # 0.31
    (15, 50, "严重拥堵"),      # exactly 0.3
    (0.9, 3, "严重拥堵"),      # 0.3 via floats
    (0, 50, "严重拥堵"),       # standstill
    (80, 50, "畅通"),
])
def test_link_grade_boundaries_are_exact(speed, free_flow, grade):
    assert traffic.link_grade(speed, free_flow) == grade


@settings(max_examples=300, deadline=None)
@given(free_flow=st.decimals(min_value=1, max_value=120, places=2),
       fast=st.decimals(min_value=0, max_value=150, places=2),
       slower_by=st.decimals(min_value=0, max_value=150, places=2))
def test_lower_speed_never_improves_the_grade(free_flow, fast, slower_by):
    slow = max(fast - slower_by, 0)
    better = GRADES.index(traffic.link_grade(float(fast), float(free_flow)))
    worse = GRADES.index(traffic.link_grade(float(slow), float(free_flow)))
    assert worse >= better


def test_tti_and_dtp():
    assert traffic.tti(30, 60) == 2.0
    assert traffic.tti(70, 60) == 1.0           # floored at 1
    assert traffic.tti(0, 60) == math.inf
    assert traffic.dtp(30, 60) == 0.5
    assert traffic.dtp(45, 60) == 0.25
    assert traffic.dtp(70, 60) == 0.0           # floored at 0
    assert traffic.dtp(0, 60) == 1.0
    with pytest.raises(InvalidValueError, match="free_flow"):
        traffic.tti(30, 0)
    with pytest.raises(InvalidValueError, match="negative"):
        traffic.dtp(-1, 60)


@pytest.mark.parametrize(("dtp", "tpi"), [
    (0, 0.0), (0.15, 1.0), (0.3, 2.0), (0.4, 3.0), (0.5, 4.0), (0.55, 5.0),
    (0.6, 6.0), (0.65, 7.0), (0.7, 8.0), (0.85, 9.0), (1, 10.0),
])
def test_tpi_from_dtp_appendix_c(dtp, tpi):
    assert traffic.tpi_from_dtp(dtp) == pytest.approx(tpi, abs=1e-12)


@pytest.mark.parametrize(("tpi", "grade"), [
    (0, "畅通"), (1.999, "畅通"), (2, "基本畅通"), (3.999, "基本畅通"), (4, "轻度拥堵"),
    (5.999, "轻度拥堵"), (6, "中度拥堵"), (7.999, "中度拥堵"), (8, "严重拥堵"), (10, "严重拥堵"),
])
def test_tpi_grade_band_edges(tpi, grade):
    assert traffic.tpi_grade(tpi) == grade


def test_tpi_band_edge_reached_exactly_from_dtp():
    assert traffic.tpi_grade(traffic.tpi_from_dtp(0.3)) == "基本畅通"
    assert traffic.tpi_grade(traffic.tpi_from_dtp(0.7)) == "严重拥堵"
    with pytest.raises(InvalidValueError):
        traffic.tpi_grade(10.5)
    with pytest.raises(InvalidValueError):
        traffic.tpi_from_dtp(1.2)


def test_network_tpi_weights_by_vkt():
    links = pd.DataFrame({"length_km": [1.0, 2.0], "free_flow": [60.0, 60.0],
                          "speed": [30.0, 60.0], "flow": [100.0, 300.0]})
    # VKT 100 and 600; TTI 2 and 1 → (200 + 600)/700 = 8/7; DTP 1/8; TPI 0.125/0.3 × 2 = 0.8333.
    assert traffic.network_tpi(links) == pytest.approx(0.125 / 0.3 * 2)
    # Without flow, length weights: (2 + 2)/3 = 4/3 → DTP 0.25 → TPI 1.6667.
    assert traffic.network_tpi(links.drop(columns="flow")) == pytest.approx(0.25 / 0.3 * 2)
    # A zero-speed link (no vehicle detected) is skipped, not treated as standstill.
    with_zero = pd.concat([links, pd.DataFrame({"length_km": [5.0], "free_flow": [60.0],
                                                "speed": [0.0], "flow": [10.0]})])
    assert traffic.network_tpi(with_zero) == pytest.approx(0.125 / 0.3 * 2)
    assert math.isnan(traffic.network_tpi(links.assign(speed=np.nan)))
    with pytest.raises(MissingColumnsError, match="free_flow"):
        traffic.network_tpi(links.drop(columns="free_flow"))


def test_tpi_by_hour_skips_count_only_and_unknown_detectors():
    t = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731
    readings = pd.DataFrame({
        "segment": ["a", "a", "b", "c", "zz", "a"],
        "time": [t("2026-01-01 08:05"), t("2026-01-01 08:10"), t("2026-01-01 08:05"),
                 t("2026-01-01 08:30"), t("2026-01-01 08:30"), t("2026-01-01 09:00")],
        "speed": [30.0, np.nan, 60.0, 0.0, 10.0, 60.0],
        "volume": [100.0, 50.0, 300.0, 10.0, 99.0, 0.0],
    })
    segments = pd.DataFrame({"segment": ["a", "b", "c"], "length_km": [1.0, 2.0, 1.0],
                             "free_flow": [60.0, 60.0, 60.0]})
    out = traffic.tpi_by_hour(readings, segments)
    assert list(out.columns) == ["time", "tpi", "grade", "tti", "dtp", "vkt", "segments"]
    first, second = out.iloc[0], out.iloc[1]
    assert first["time"] == t("2026-01-01 08:00")
    assert first["tti"] == pytest.approx(8 / 7) and first["dtp"] == pytest.approx(1 / 8)
    assert first["tpi"] == pytest.approx(0.125 / 0.3 * 2) and first["grade"] == "畅通"
    assert first["vkt"] == 700.0 and first["segments"] == 2
    assert np.isnan(second["tpi"]) and pd.isna(second["grade"]) and second["segments"] == 0


def test_free_flow_speed_top_ninth_and_cap():
    means = list(range(1, 73))  # 72 quarter-hours 06:00–24:00
    assert traffic.free_flow_speed(means) == 68.5  # mean of 65..72
    assert traffic.free_flow_speed(means, speed_limit=60) == 60.0
    assert traffic.free_flow_speed([50.0, float("nan"), 40.0]) == 50.0  # ceil(2/9) = 1
    # A Series by time of day: the night (before 06:00) is left out.
    slots = [dt.time(h, m) for h in range(24) for m in (0, 15, 30, 45)]
    values = [120.0 if s.hour < 6 else 40.0 + (s.hour - 6) for s in slots]
    series = pd.Series(values, index=slots)
    # Daytime values: 40..57, four each; top 8 = four 57s and four 56s → 56.5.
    assert traffic.free_flow_speed(series) == 56.5
    with pytest.raises(InvalidValueError):
        traffic.free_flow_speed([])


@pytest.mark.parametrize(("days", "expected"), [(30, 50.0), (29, None)])
def test_free_flow_speeds_need_30_days(days, expected):
    local = [pd.Timestamp("2026-01-01", tz="Asia/Shanghai") + pd.Timedelta(days=d, hours=h, minutes=m)
             for d in range(days) for h in range(24) for m in (0, 15, 30, 45)]
    readings = pd.DataFrame({"segment": "s1", "time": pd.DatetimeIndex(local).tz_convert("UTC"),
                             "speed": [50.0 if ts.hour >= 6 else 90.0 for ts in local]})
    out = traffic.free_flow_speeds(readings)
    if expected is None:
        assert "s1" not in out.index
    else:
        assert out["s1"] == expected  # night speeds of 90 ignored
        assert traffic.free_flow_speeds(readings, speed_limits={"s1": 40})["s1"] == 40.0
