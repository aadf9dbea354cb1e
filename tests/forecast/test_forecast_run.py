"""The jobs on a store: a series with no model is backtested on its first refresh; points
start after its last observation even when that lies in the past; a refresh with nothing
new serves nothing; one more hour serves new points without a new backtest."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from sqlalchemy import select

from forecast import run
from forecast.read import forecast
from store.schema import forecast_series
from tests.forecast.conftest import daily_weekly, hourly, put_series


def test_refresh_backtests_serves_after_the_last_observation_and_skips_when_nothing_is_new(settings, store) -> None:
    y = daily_weekly(hourly("2026-10-12", 3), seed=8)
    put_series(store, "tpi", "hour", "district", "411002", y.iloc[:-1])
    now = (y.index[-1] + pd.Timedelta(hours=30)).to_pydatetime()  # the source stopped a day ago
    first = run.refresh(settings, store, indicators=["tpi"], now=now, weeks=1)
    assert first.backtested == 1 and first.refreshed == 1
    f = forecast(settings, store, "tpi", scope_kind="district", scope="411002")
    assert f is not None and f.last_obs == y.index[-2].to_pydatetime()
    assert f.points["time"].iloc[0] == y.index[-1] and len(f.points) == 48
    assert f.age(now, timedelta(hours=1)) > timedelta(hours=24)
    assert f.accuracy["origins"] >= 5 and f.accuracy["baseline"] == "seasonal_naive"
    assert 5 < f.accuracy["days"] <= 7  # what the origins covered (weeks=1), as the label says it

    again = run.refresh(settings, store, indicators=["tpi"], now=now + timedelta(minutes=5), weeks=1)
    assert (again.refreshed, again.skipped, again.backtested) == (0, 1, 0)

    put_series(store, "tpi", "hour", "district", "411002", y.iloc[-1:])  # one more hour arrives
    later = run.refresh(settings, store, indicators=["tpi"], now=now + timedelta(minutes=10), weeks=1)
    assert (later.refreshed, later.backtested) == (1, 0)  # new points from the cached fit, no refit
    f2 = forecast(settings, store, "tpi", scope_kind="district", scope="411002")
    assert f2.points["time"].iloc[0] == y.index[-1] + pd.Timedelta(hours=1)
    with store.connect() as conn:
        row = conn.execute(select(forecast_series)).one()
    assert row.model == row.params["model"] and row.accuracy["model"] == row.model
