"""环保: the ecology bureau's hourly air-quality table (HJ 633 pollutants, CO in µg/m³).

The city's daily PM2.5 level follows the season (clean summers, hazy winters) and, every
winter (Nov–Feb), a chain of 2–4-day pollution episodes scheduled from the seed so that
every 30-day window of the heating season holds one whose peak day averages well over
150 µg/m³ (daily AQI > 200, 重度污染). Hours are interpolated between the days' levels so
episodes build up and clear rather than jump at midnight. Ozone is photochemical: high
on summer afternoons, low at night and in winter.

Like a real monitoring network the table is imperfect: an instrument is down for a few
hours now and then (NULL), about one row in a thousand carries garbage (−99 or 99999 in
one column; half of those are corrected later), a few per cent of rows arrive hours late,
and a few are revised after audit (``updated_at`` bumped).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from citybrain.settings import Settings
from simulator import holidays
from simulator.clock import day_seconds
from simulator.feed import Department, Feed, empty_versions
from simulator.rng import stream, uniform
from simulator.schema import aq_hourly, environment_md

POLLUTANTS = ("pm2_5", "pm10", "so2", "no2", "o3", "co")
GARBAGE_SHARE = 0.001
LATE_SHARE = 0.03
REVISED_SHARE = 0.02


def _winter_weight(d: date) -> float:
    """1 in mid-January, 0 in mid-July."""
    doy = d.timetuple().tm_yday
    return 0.5 * (1 + np.cos(2 * np.pi * (doy - 15) / 365.25))


def episodes(seed: int, season: int) -> list[tuple[date, tuple[float, ...]]]:
    """The winter's episodes (first day, daily levels in µg/m³) for Nov ``season``–Feb ``season+1``.

    Starts are 12–24 days apart (the first by Nov 20) and episodes last 2–4 days, so any
    30-day window inside Nov–Feb contains a whole episode.
    """
    rng = stream(seed, "environment", "episodes", season)
    last_feb = date(season + 1, 3, 1) - timedelta(days=1)
    start = date(season, 11, 1) + timedelta(days=int(rng.integers(2, 20)))
    out = []
    while start <= last_feb:
        length = int(rng.integers(2, 5))
        peak = float(rng.uniform(190, 270))
        shape = {2: (1.0, 0.8), 3: (0.72, 1.0, 0.85), 4: (0.7, 0.95, 1.0, 0.75)}[length]
        out.append((start, tuple(round(peak * s, 1) for s in shape)))
        start += timedelta(days=int(rng.integers(12, 25)))
    return out


def _episode_level(seed: int, d: date) -> float | None:
    for season in (d.year - 1, d.year):
        for first, levels in episodes(seed, season):
            i = (d - first).days
            if 0 <= i < len(levels):
                return levels[i]
    return None


def city_level(seed: int, d: date) -> float:
    """The city's target daily-mean PM2.5 (µg/m³) — a pure function of seed and date."""
    w = _winter_weight(d)
    base = (28 + 52 * w) * float(stream(seed, "environment", "day", d).lognormal(0, 0.22))
    if holidays.holiday(d) is not None and holidays.holiday(d).key == "spring_festival":
        base *= 1.15  # fireworks
    ep = _episode_level(seed, d)
    return max(base, ep) if ep is not None else base


def _hourly_level(seed: int, d: date) -> np.ndarray:
    """PM2.5 level per hour: linear between the noon values of yesterday, today, tomorrow."""
    prev, now, nxt = (city_level(seed, d + timedelta(days=k)) for k in (-1, 0, 1))
    t = np.arange(24) + 0.5
    return np.where(t < 12, prev + (now - prev) * (t + 12) / 24, now + (nxt - now) * (t - 12) / 24)


def _station_factors(settings: Settings, seed: int) -> np.ndarray:
    raw = np.array([uniform(seed, "environment", "station", s.code, low=0.85, high=1.15) for s in settings.stations])
    return raw / raw.mean()


def _day_versions(settings: Settings, seed: int, d: date) -> pd.DataFrame:
    stations = settings.stations
    if not stations:
        return empty_versions(aq_hourly)
    t = np.arange(24) + 0.5
    w = _winter_weight(d)
    summer = 1 - w
    spring = float(np.exp(-0.5 * ((d.timetuple().tm_yday - 105) / 30) ** 2))  # dust season
    level = _hourly_level(seed, d)
    episode = level > 130
    factors = _station_factors(settings, seed)
    day_rng = stream(seed, "environment", "weather", d)
    sun = float(day_rng.lognormal(0, 0.18))
    commute = np.exp(-0.5 * ((t - 8.3) / 1.2) ** 2) + np.exp(-0.5 * ((t - 18.5) / 1.5) ** 2)
    photo = np.clip(np.sin(np.pi * (t - 8) / 12), 0, None) ** 1.5
    obs = day_seconds(d) + np.arange(24) * np.timedelta64(3600, "s")
    frames = []
    for k, st in enumerate(stations):
        rng = stream(seed, "environment", st.code, d)

        def noise(sigma: float) -> np.ndarray:
            z = np.convolve(rng.normal(0, 1, 26), np.ones(3) / 3, mode="valid")
            return np.exp(sigma * z * np.sqrt(3) - 0.5 * sigma ** 2)

        f = factors[k]
        pm25 = level * (1 + 0.22 * np.cos(2 * np.pi * (t - 1) / 24)) * f * noise(0.12)
        pm10 = pm25 * (1.55 + 0.6 * spring + 0.1 * rng.normal(0, 1, 24).clip(-2, 2))
        so2 = (6 + 14 * w) * f * (1 + 0.3 * commute) * noise(0.2)
        no2 = (22 + 18 * w) * f * (0.75 + 0.45 * commute) * np.where(episode, 1.3, 1.0) * noise(0.15)
        co = (380 + 6.5 * pm25) * noise(0.1)
        o3 = ((22 + 30 * summer) + (15 + 110 * summer) * sun * photo) * np.where(episode, 0.6, 1.0) * noise(0.12)
        values = {"pm2_5": pm25, "pm10": pm10, "so2": so2, "no2": no2, "o3": o3, "co": co}
        values = {c: np.round(v).astype(float) for c, v in values.items()}
        true = {c: v.copy() for c, v in values.items()}
        # an instrument down for a few hours
        if rng.random() < 0.05:
            first = int(rng.integers(0, 22))
            hours = slice(first, min(24, first + int(rng.integers(1, 7))))
            down = POLLUTANTS if rng.random() < 0.5 else (POLLUTANTS[int(rng.integers(6))],)
            for c in down:
                values[c][hours] = np.nan
                true[c][hours] = np.nan
        # garbage: a sentinel or an absurd value in one column
        garbage = rng.random(24) < GARBAGE_SHARE
        bad_col = rng.integers(0, 6, 24)
        bad_val = np.where(rng.random(24) < 0.5, -99.0, 99999.0)
        for h in np.flatnonzero(garbage):
            values[POLLUTANTS[bad_col[h]]][h] = bad_val[h]
        late = rng.random(24) < LATE_SHARE
        first_delay = np.where(late, rng.integers(2 * 3600, 8 * 3600, 24), rng.integers(180, 1200, 24)) + 3600
        revised = (rng.random(24) < REVISED_SHARE) | (garbage & (rng.random(24) < 0.5))
        audit = rng.uniform(0.93, 1.07, (6, 24))
        second_delay = rng.integers(26 * 3600, 70 * 3600, 24)
        v1 = pd.DataFrame({"station_code": st.code, "obs_time": obs, **values,
                           "updated_at": obs + first_delay.astype("timedelta64[s]")})
        frames.append(v1)
        if revised.any():
            fixed = {c: np.round(true[c] * audit[i]) for i, c in enumerate(POLLUTANTS)}
            v2 = pd.DataFrame({"station_code": st.code, "obs_time": obs, **fixed,
                               "updated_at": obs + second_delay.astype("timedelta64[s]")})
            frames.append(v2[revised])
    frame = pd.concat(frames, ignore_index=True)
    return frame[[c.name for c in aq_hourly.columns]]


def versions(settings: Settings, seed: int, first: date, last: date) -> pd.DataFrame:
    """Hourly station rows for local days first..last, with their late and revised versions."""
    frames = [_day_versions(settings, seed, d) for d in holidays.days_between(first, last)]
    return pd.concat(frames, ignore_index=True) if frames else empty_versions(aq_hourly)


DEPARTMENT = Department(
    name="environment",
    metadata=environment_md,
    feeds=(Feed(aq_hourly, stamp="updated_at", born="obs_time", horizon=timedelta(days=4), versions=versions,
                chunk_days=14),),
)
