"""The forecast band: three traces after the observed series, the accuracy label, the age."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go

from figures.forecast import add_band
from forecast.read import Forecast

UTC = timezone.utc
TZ = ZoneInfo("Asia/Shanghai")
LAST = datetime(2026, 11, 30, 6, tzinfo=UTC)


def _forecast(fallback: bool = False) -> Forecast:
    times = pd.date_range(LAST + timedelta(hours=1), periods=4, freq="h")
    pts = pd.DataFrame({"time": times, "value": [10.0, 11, 12, 13], "lo80": [8.0, 9, 10, 11],
                        "hi80": [12.0, 13, 14, 15], "lo95": [6.0, 7, 8, 9], "hi95": [14.0, 15, 16, 17]})
    acc = {"model": "seasonal_naive" if fallback else "mstl_ses", "fallback": fallback, "mase": 0.52,
           "better_than_baseline": 0.23, "weeks": 4, "coverage80": 0.8, "coverage95": 0.95}
    return Forecast("tpi", "hour", "district", "411002", acc["model"], fallback, LAST, LAST, pts, acc)


def test_band_traces_and_accuracy_label() -> None:
    fig = add_band(go.Figure(go.Scatter(x=["2026-11-30 14:00"], y=[9])), _forecast(), tz=TZ)
    band = [tr for tr in fig.data if tr.meta == "forecast"]
    assert len(band) == 3
    assert band[2].x[0] == "2026-11-30 15:00" and list(band[2].y) == [10, 11, 12, 13]
    assert list(band[0].y) == [14, 15, 16, 17, 9, 8, 7, 6]  # 95 %: upper edge, then lower edge back
    [note] = [a for a in fig.layout.annotations if a.name == "forecast-accuracy"]
    assert note.text == "近4周预测误差 MASE 0.52，优于基线 23%"


def test_fallback_and_age_are_said() -> None:
    fig = add_band(go.Figure(), _forecast(fallback=True), tz=TZ, lang="en", now=LAST + timedelta(hours=6))
    [note] = fig.layout.annotations
    assert "no model beat the seasonal-naive baseline" in note.text and "5 h ago" in note.text


def test_no_forecast_adds_nothing() -> None:
    fig = go.Figure()
    assert add_band(fig, None) is fig and not fig.data
