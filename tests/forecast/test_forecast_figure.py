"""The forecast band: three traces after the observed series, the accuracy label, the age."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go

import pytest

from figures.forecast import WRAP_PX, _px, add_band, label_lines
from forecast.read import Forecast, accuracy_label, window_days

UTC = timezone.utc
TZ = ZoneInfo("Asia/Shanghai")
LAST = datetime(2026, 11, 30, 6, tzinfo=UTC)


def _forecast(fallback: bool = False, acc: dict | None = None, grain: str = "hour") -> Forecast:
    step = "h" if grain == "hour" else "D"
    times = pd.date_range(LAST + (timedelta(hours=1) if grain == "hour" else timedelta(days=1)), periods=4, freq=step)
    pts = pd.DataFrame({"time": times, "value": [10.0, 11, 12, 13], "lo80": [8.0, 9, 10, 11],
                        "hi80": [12.0, 13, 14, 15], "lo95": [6.0, 7, 8, 9], "hi95": [14.0, 15, 16, 17]})
    # 28 origins 23 h apart, each scored on the next 24 h: 27 × 23 + 24 h = 26.9 days (4 weeks)
    acc = acc if acc is not None else {
        "model": "seasonal_naive" if fallback else "mstl_ses", "fallback": fallback, "mase": 0.52,
        "better_than_baseline": 0.23, "weeks": 4, "coverage80": 0.8, "coverage95": 0.95, "origins": 28,
        "horizon": 24, "first_origin": "2026-11-01T06:00:00+00:00", "last_origin": "2026-11-27T03:00:00+00:00"}
    return Forecast("tpi", grain, "district", "411002", acc.get("model", "seasonal_naive"), fallback, LAST, LAST,
                    pts, acc)


def _title(fig: go.Figure) -> str:
    return fig.layout.legend.title.text


def test_band_traces_and_accuracy_label() -> None:
    fig = add_band(go.Figure(go.Scatter(x=["2026-11-30 14:00"], y=[9])), _forecast(), tz=TZ)
    band = [tr for tr in fig.data if tr.meta == "forecast"]
    assert len(band) == 3
    assert band[2].x[0] == "2026-11-30 15:00" and list(band[2].y) == [10, 11, 12, 13]
    assert list(band[0].y) == [14, 15, 16, 17, 9, 8, 7, 6]  # 95 %: upper edge, then lower edge back
    assert all(tr.mode == "lines" for tr in band)  # no markers on a short (daily) band
    # the legend names the dashed line and the bands; its title is the accuracy
    assert fig.layout.showlegend and [tr.name for tr in band if tr.showlegend is not False] == ["80%/95%区间", "预测"]
    assert _title(fig) == "近4周预测误差 MASE 0.52，优于基线 23%"


def test_the_window_said_is_the_one_the_backtest_covered() -> None:
    """A store with 11 days of history is backtested over 11 days, not the 4 weeks asked for."""
    acc = {"model": "mstl_ses", "fallback": False, "mase": 0.83, "better_than_baseline": 0.08, "weeks": 4,
           "origins": 11, "horizon": 24, "first_origin": "2026-11-24T13:00:00+00:00",
           "last_origin": "2026-12-04T03:00:00+00:00"}
    assert accuracy_label(acc, "zh", grain="hour") == "近11天预测误差 MASE 0.83，优于基线 8%"
    assert accuracy_label(acc, "en", grain="hour").startswith("Last 11 days: MASE 0.83")
    assert window_days(acc, "hour") == pytest.approx(10.58, abs=0.01)
    assert accuracy_label(acc | {"days": 56.0}, "zh") .startswith("近8周")  # stored by the backtest itself
    daily = {"model": "seasonal_naive", "fallback": True, "mase": None, "origins": 0, "horizon": 7, "weeks": 4}
    assert accuracy_label(daily, "zh", grain="day") == "历史不足以回测，显示季节性朴素基线"
    assert accuracy_label({}, "zh") == "尚未回测，显示季节性朴素基线"


def test_fallback_and_age_are_said_in_lines_that_fit_a_phone() -> None:
    fig = add_band(go.Figure(), _forecast(fallback=True), tz=TZ, lang="en", now=LAST + timedelta(hours=6))
    lines = _title(fig).split("<br>")
    assert "baseline is shown, no model beat it" in " ".join(lines) and "(5 h ago)" in lines[-1]
    zh = label_lines(_forecast(fallback=True), "zh", tz=TZ, now=LAST + timedelta(hours=6))
    assert zh == ["近4周无模型优于季节性朴素基线，", "显示基线预测（MASE 0.52）", "预测自 11-30 14:00 的最后观测起（5 小时前）"]
    assert all(_px(line) <= WRAP_PX for line in zh + lines)


def test_a_daily_band_is_dated_and_not_old_the_same_day() -> None:
    day = datetime(2026, 11, 29, 16, tzinfo=UTC)  # local midnight of 11-30
    acc = {"model": "mstl_ses", "fallback": False, "mase": 0.7, "better_than_baseline": 0.1, "origins": 14,
           "horizon": 7, "first_origin": "2026-11-09T16:00:00+00:00", "last_origin": "2026-11-22T16:00:00+00:00"}
    f = replace(_forecast(acc=acc, grain="day"), last_obs=day)
    fig = add_band(go.Figure(go.Scatter(x=["2026-11-30"], y=[9])), f, tz=TZ, now=day + timedelta(hours=34))
    assert [tr for tr in fig.data if tr.meta == "forecast"][2].x[0] == "2026-12-01"
    assert _title(fig) == "近3周预测误差 MASE 0.70，优于基线 10%"  # 10 a.m. of the next day: not old
    old = add_band(go.Figure(), f, tz=TZ, now=day + timedelta(days=3, hours=1))
    assert _title(old).split("<br>")[-1] == "预测自 11-30 的最后观测起（2 天前）"


def test_no_forecast_adds_nothing() -> None:
    fig = go.Figure()
    assert add_band(fig, None) is fig and not fig.data
