"""Fixtures for the forecast tests: synthetic series with known structure, a migrated store.

Series are kept short (three to five weeks of hours) and backtests to one or two weeks of
origins, so the suite costs seconds, not minutes (no numba anywhere: statsmodels + scipy).
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert

from store.engine import make_engine, upgrade
from store.schema import indicators

UTC = timezone.utc
TZ = ZoneInfo("Asia/Shanghai")


def hourly(start: str, weeks: int) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(start, tz=TZ).tz_convert(UTC), periods=weeks * 168, freq="h")


def daily_weekly(idx: pd.DatetimeIndex, *, noise: float = 4.0, seed: int = 1, calendar: bool = False) -> pd.Series:
    """Commute peaks on working days, a broad afternoon hump on rest days, Gaussian noise.

    ``calendar``: China's holidays rest and its 调休 weekends work (simulator.holidays)."""
    from simulator import holidays

    rng = np.random.default_rng(seed)
    local = idx.tz_convert(TZ)
    hour = np.asarray(local.hour)
    if calendar:
        rest = np.array([not holidays.is_workday(d) for d in local.date])
    else:
        rest = np.asarray(local.day_of_week) >= 5
    work = 60 * np.exp(-((hour - 8) ** 2) / 2) + 60 * np.exp(-((hour - 18) ** 2) / 2)
    leisure = 50 * np.exp(-((hour - 15) ** 2) / 18)
    y = 40 + np.where(rest, leisure, work) + rng.normal(0, noise, len(idx))
    return pd.Series(y, index=idx)


@pytest.fixture
def settings(settings_factory):
    return settings_factory()


@pytest.fixture
def store(tmp_path):
    url = f"sqlite:///{tmp_path}/store.db"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def put_series(engine, name: str, grain: str, scope_kind: str, scope: str, y: pd.Series) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(indicators), [
            {"name": name, "grain": grain, "scope_kind": scope_kind, "scope": scope,
             "time": t.to_pydatetime(), "value": float(v), "computed_at": now}
            for t, v in y.items() if np.isfinite(v)])
