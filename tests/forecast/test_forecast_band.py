"""The band on a page's trend chart (forecast.band.trend_band): it follows the chart's
window — hourly points on an hourly chart, daily on a daily one where the series is
forecast by day, nothing on a monthly chart, an old window or a series forecast by hour
only — and says how old the last observation is."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import plotly.graph_objects as go

from components.page.view import View, resolve
from forecast import run
from forecast.band import trend_band
from tests.forecast.conftest import TZ, daily_weekly, hourly, put_series


def _band(fig: go.Figure) -> list:
    return [tr for tr in fig.data if tr.meta == "forecast"]


def test_the_band_follows_the_window(settings, store) -> None:
    y = daily_weekly(hourly("2026-10-12", 3), seed=3)
    put_series(store, "tpi", "hour", "city", "", y)
    calls = daily_weekly(hourly("2026-10-12", 3), seed=4).round()
    put_series(store, "hotline_calls", "hour", "city", "", calls)
    day = calls.tz_convert(TZ).resample("D").sum().tz_convert("UTC")
    put_series(store, "hotline_calls", "day", "city", "", day.iloc[:-1])
    now = (y.index[-1] + pd.Timedelta(minutes=70)).to_pydatetime()  # the last hour is complete
    run.refresh(settings, store, indicators=["tpi", "hotline_calls"], now=now, weeks=1)

    def band(indicator: str, view: View, at=now) -> go.Figure:
        kind, scope = ("district", view.district) if view.district else ("city", "")  # as the pages pass it
        return trend_band(go.Figure(go.Scatter(x=["2026-11-01 00:00"], y=[1])), settings, store, indicator,
                          scope_kind=kind, scope=scope, window=resolve(view, TZ, at), now=at)

    hourly_fig = band("tpi", View(range="24h"))
    dashed = _band(hourly_fig)[2]
    first = (y.index[-1] + pd.Timedelta(hours=1)).tz_convert(TZ).strftime("%Y-%m-%d %H:%M")
    assert len(dashed.x) == 24 and dashed.x[0] == first  # the hour after the last observation
    title = hourly_fig.layout.legend.title.text
    assert "近" in title and "MASE" in title and "最后观测" not in title  # not old: no age
    assert len(_band(band("hotline_calls", View(range="7d")))[2].x) == 7  # daily chart: the next 7 days
    assert _band(band("tpi", View(range="7d"))) == []  # TPI is forecast by hour only
    assert _band(band("tpi", View(range="1y"))) == []  # monthly chart
    assert _band(band("tpi", View(range="custom", start="2026-10-20", end="2026-10-21"))) == []  # an old window
    assert _band(band("tpi", View(district="411002"))) == []  # no forecast for that scope

    later = now + timedelta(hours=5)  # the source stopped: the same points, and their age said
    old = band("tpi", View(range="24h"), later)
    assert _band(old)[2].x[0] == first and "预测自" in old.layout.legend.title.text
    assert "（5 小时前）" in old.layout.legend.title.text
