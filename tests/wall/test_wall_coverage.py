"""Issue 18: one coverage rule on every surface (襄城县 "数据不足"), congested roads only."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 21, 6, 30, tzinfo=UTC)


def _frame(**cols):
    base = {"tpi": [np.nan], "aqi": [127.0], "crowding_max": [np.nan], "economy_yoy": [5.0],
            "hotline_answer_rate": [np.nan], "hotline_on_time_rate": [np.nan], "hotline_satisfaction": [np.nan]}
    base.update({k: [v] for k, v in cols.items()})
    return pd.DataFrame({"scope": ["411025"], **base})


def test_coverage_is_taken_over_what_applies():
    """襄城县 has an air station but no monitored road or scenic site: with AQI and the
    economy present (2 of the 3 sub-indices that can exist) it has an index; counted over
    all five (0.4 < 0.6) it had none on the wall while the briefing ranked it."""
    from metrics.composite import DEFAULT_VITAL_SIGNS, index

    frame = _frame()
    assert np.isnan(index(frame, DEFAULT_VITAL_SIGNS).scores["score"][0])  # the old answer
    applicable = pd.DataFrame({"tpi": [False], "aqi": [True], "crowding_max": [False]})
    scored = index(frame, DEFAULT_VITAL_SIGNS, applicable=applicable).scores
    assert scored["coverage"][0] == pytest.approx(2 / 3)
    assert not np.isnan(scored["score"][0])
    # what cannot exist does not make up for what is missing: AQI alone is 1 of 3
    alone = index(_frame(economy_yoy=np.nan), DEFAULT_VITAL_SIGNS, applicable=applicable).scores
    assert np.isnan(alone["score"][0]) and alone["coverage"][0] == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        index(frame, DEFAULT_VITAL_SIGNS, applicable=pd.DataFrame({"tpi": [True, False]}))


def test_the_compute_job_marks_structural_absence(settings_factory):
    from jobs.indicators import applicable_inputs

    settings = settings_factory()
    roads = {s.district for s in settings.segments}
    bare = next(d.code for d in settings.districts if d.code not in roads)
    frame = pd.DataFrame({"scope_kind": ["city", "district"], "scope": ["", bare]})
    got = applicable_inputs(settings, frame)
    assert got["tpi"].tolist() == [True, False]


def test_a_district_without_an_index_says_what_is_missing(settings_factory):
    from components.wall.vital import district_missing, vital_fill

    settings = settings_factory()
    codes = [d.code for d in settings.districts]
    stations = {s.district: s.code for s in settings.stations}
    target = next(c for c in codes if c in stations)
    data = {"air": {"stations": []}, "traffic": {"segments": [], "districts": []}, "tourism": {"sites": []},
            "hotline": {"districts": [(target, 173.0)]}, "economy": {"headline": None}}
    missing = district_missing(settings, data)
    assert "environment" in missing[target] and "economy" in missing[target]
    assert "hotline" not in missing[target]
    ranked = [{"code": c, "value": 70.0} for c in codes if c != target]
    fill = vital_fill("v", {"districts": ranked}, settings=settings, lang="zh", now=NOW, missing=missing)
    last = len(codes) - 1
    assert fill[("text", f"v.rank.{last}.value")].startswith("数据不足：缺") and "环境" in fill[("text", f"v.rank.{last}.value")]


def _traffic_fill(settings, segments):
    from citybrain.settings import WallScreen
    from components.wall.screens import screen_fill

    screen = WallScreen(name="traffic", kind="traffic", title_zh="交通", title_en="Traffic")
    data = {"traffic": {"value": 2.0, "grade": "畅通", "series": [], "districts": [], "segments": segments},
            "freshness": {}}
    return screen_fill(screen, data, settings=settings, lang="zh", now=NOW)


def test_congested_segments_lists_only_congested_grades(settings_factory):
    settings = settings_factory()
    codes = [s.code for s in settings.segments]
    free = [{"code": c, "ratio": r, "grade": "畅通"} for c, r in zip(codes, (0.89, 0.90, 0.92))]
    fill = _traffic_fill(settings, free)
    assert fill[("text", "traffic.segments.0.label")] == "无拥堵路段"
    assert fill[("class", "traffic.segments.1.row")].endswith("cb-empty")
    jam = free + [{"code": codes[3], "ratio": 0.35, "grade": "严重拥堵"}, {"code": codes[4], "ratio": 0.6, "grade": "轻度拥堵"}]
    fill = _traffic_fill(settings, jam)
    names = {s.code: s.name_zh for s in settings.segments}
    assert fill[("text", "traffic.segments.0.label")] == names[codes[3]]
    assert "严重拥堵" in fill[("text", "traffic.segments.0.value")]
    assert fill[("text", "traffic.segments.1.label")] == names[codes[4]]
    assert fill[("class", "traffic.segments.2.row")].endswith("cb-empty")


def test_next_hours_are_yesterdays_values_moved_onto_today():
    """The trend's dashed line: the 6 hours after the newest point, as they went yesterday."""
    from components.wall.trend import next_hours

    hours = [NOW - dt.timedelta(hours=23 - i) for i in range(24)]  # the last 24 hours, newest = NOW
    series = [(h, float(i)) for i, h in enumerate(hours)]
    ahead = next_hours(series)
    assert [t for t, _ in ahead] == [NOW + dt.timedelta(hours=h) for h in range(1, 7)]
    assert [v for _, v in ahead] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]  # yesterday NOW+1h … NOW+6h
    assert next_hours([]) == [] and next_hours(series[-3:]) == []  # no yesterday, no guess
