"""统计局: the statistics bureau's indicator table (指标数据), published and then revised.

Each configured indicator gets a level, a seasonal pattern and a growth rate typical of a
prefecture city the size of Xuchang (GDP ≈ 3,700 亿元 a year in 2025, times
``demo.economy_scale``); per-capita figures and price indices are not scaled. Period
values are the period's own (citybrain forms 累计 itself). GDP and retail sales also get
one row per district, and the district rows add up to the city row.

A period is published about 15 days after it ends (bbh 1) and revised about 45 days later
in place (bbh 2, a small change, newer gxsj) — the way 初步核算 becomes 最终核实. History
always starts at 2021-01 whatever the demo's ``days``: 同比 needs years.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType

import numpy as np
import pandas as pd

from citybrain.settings import EconomyIndicator, Settings
from simulator.feed import Department, Feed, empty_versions
from simulator.rng import stream, uniform
from simulator.schema import economy_md, tjj_zbdm, tjj_zbsj

FIRST_YEAR = 2021
BASE_YEAR = 2025
BY_DISTRICT = frozenset({"GDP", "SHXFPLSZE"})


@dataclass(frozen=True)
class Profile:
    """How an indicator behaves: 2025 annual level, nominal growth, seasonal shares."""

    annual: float
    growth: float
    seasonal: tuple[float, ...]  # 12 monthly or 4 quarterly weights (normalised)
    noise: float
    scaled: bool = True  # extensive (亿元) figures scale with demo.economy_scale
    index: bool = False  # a price index around 100 (上年同月=100)
    decimals: int = 2


PROFILES: Mapping[str, Profile] = MappingProxyType({
    "GDP": Profile(3700, 0.045, (0.215, 0.245, 0.245, 0.295), 0.006),
    "GYZJZ": Profile(1150, 0.06, (6.5, 5.5, 8.5, 8.0, 8.3, 9.0, 8.0, 8.0, 8.8, 8.5, 9.0, 9.9), 0.02),
    "SHXFPLSZE": Profile(1450, 0.05, (9.2, 7.8, 8.0, 7.7, 8.3, 8.3, 7.8, 8.0, 8.5, 9.0, 8.6, 9.8), 0.012),
    "GDZCTZ": Profile(1900, 0.04, (3.0, 3.0, 8.0, 8.0, 9.0, 11.0, 8.0, 8.5, 10.0, 8.5, 10.0, 13.0), 0.04),
    "CPI": Profile(100.9, 0.0, (), 0.0, scaled=False, index=True, decimals=1),
    "JMRJKZPSR": Profile(31500, 0.055, (0.28, 0.22, 0.24, 0.26), 0.008, scaled=False, decimals=0),
})


def profile(ind: EconomyIndicator) -> Profile:
    """The known profile, or a neutral one for a code this module has never heard of."""
    if ind.code in PROFILES:
        return PROFILES[ind.code]
    if ind.aggregation == "mean" or "100" in ind.unit_zh:
        return Profile(100.5, 0.0, (), 0.0, scaled=False, index=True, decimals=1)
    n = 12 if ind.freq == "month" else 4
    return Profile(100.0, 0.05, (1.0,) * n, 0.02, scaled="亿" in ind.unit_zh)


@dataclass(frozen=True)
class Period:
    code: str  # 202610 / 2026Q3
    year: int
    index: int  # month 1–12 or quarter 1–4
    first: date
    last: date


def periods(freq: str, first: date, last: date) -> list[Period]:
    """Periods (from 2021) whose last day falls in [first, last]."""
    out = []
    for year in range(max(FIRST_YEAR, first.year), last.year + 1):
        for i in range(1, 13 if freq == "month" else 5):
            m0 = i if freq == "month" else 3 * i - 2
            m1 = i if freq == "month" else 3 * i
            start = date(year, m0, 1)
            end = (date(year + (m1 == 12), m1 % 12 + 1, 1)) - timedelta(days=1)
            if first <= end <= last:
                code = f"{year}{i:02d}" if freq == "month" else f"{year}Q{i}"
                out.append(Period(code, year, i, start, end))
    return out


def value(settings: Settings, seed: int, ind: EconomyIndicator, period: Period) -> float:
    """The period's city value (preliminary), a pure function of seed, indicator and period."""
    prof = profile(ind)
    rng = stream(seed, "economy", ind.code, period.code)
    if prof.index:
        months = (period.year - FIRST_YEAR) * 12 + (period.index if ind.freq == "month" else 3 * period.index)
        phase = uniform(seed, "economy", ind.code, "phase", low=0, high=2 * np.pi)
        v = prof.annual + 0.7 * np.sin(2 * np.pi * months / 40 + phase) + rng.normal(0, 0.15)
        return round(float(np.clip(v, 99.6, 102.4)), prof.decimals)
    weights = np.array(prof.seasonal, dtype=float)
    share = weights[period.index - 1] / weights.sum()
    annual = prof.annual * (1 + prof.growth) ** (period.year - BASE_YEAR)
    if prof.scaled:
        annual *= settings.demo.economy_scale
    return round(float(annual * share * (1 + rng.normal(0, prof.noise))), prof.decimals)


def _district_split(settings: Settings, seed: int, ind: EconomyIndicator, period: Period, total: float,
                    decimals: int) -> dict[str, float]:
    rng = stream(seed, "economy", ind.code, period.code, "districts")
    weights = np.array([
        (d.population_10k or 1.0) * uniform(seed, "economy", ind.code, "district", d.code, low=0.8, high=1.25)
        for d in settings.districts
    ]) * rng.uniform(0.98, 1.02, len(settings.districts))
    parts = np.round(total * weights / weights.sum(), decimals)
    return {d.code: float(p) for d, p in zip(settings.districts, parts, strict=True)}


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)


def versions(settings: Settings, seed: int, first: date, last: date) -> pd.DataFrame:
    """Preliminary and revised rows of every period ending in [first, last]."""
    rows = []
    for ind in settings.indicators:
        prof = profile(ind)
        for p in periods(ind.freq, first, last):
            rng = stream(seed, "economy", ind.code, p.code, "publication")
            published = _at(p.last + timedelta(days=15 + int(rng.integers(0, 5))), 10, int(rng.integers(0, 60)))
            revised_at = _at(published.date() + timedelta(days=45 + int(rng.integers(0, 7))), 15,
                             int(rng.integers(0, 60)))
            prelim = value(settings, seed, ind, p)
            step = float(rng.choice([-0.1, 0.0, 0.1])) if prof.index else prelim * rng.normal(0, 0.004)
            final = round(prelim + step, prof.decimals)
            for bbh, total, stamp in ((1, prelim, published), (2, final, revised_at)):
                parts = (_district_split(settings, seed, ind, p, total, prof.decimals)
                         if ind.code in BY_DISTRICT and not prof.index else {})
                city_total = round(sum(parts.values()), prof.decimals) if parts else total
                base = {"zbdm": ind.code, "bgq": p.code, "pl": "M" if ind.freq == "month" else "Q",
                        "jldw": ind.unit_zh, "bbh": bbh, "gxsj": stamp}
                rows.append({**base, "xzqh": settings.city.code, "sz": city_total})
                rows.extend({**base, "xzqh": code, "sz": v} for code, v in parts.items())
    if not rows:
        return empty_versions(tjj_zbsj)
    frame = pd.DataFrame(rows, columns=[c.name for c in tjj_zbsj.columns])
    frame["gxsj"] = pd.to_datetime(frame["gxsj"]).astype("datetime64[s]")
    return frame


def indicator_names(settings: Settings) -> list[dict[str, object]]:
    """指标代码表: code and Chinese name, from the city config."""
    return [{"zbdm": i.code, "zbmc": i.name_zh} for i in settings.indicators]


DEPARTMENT = Department(
    name="economy",
    metadata=economy_md,
    feeds=(Feed(tjj_zbsj, stamp="gxsj", born=None, horizon=timedelta(days=75), versions=versions,
                history_start=lambda end, days: datetime(FIRST_YEAR, 1, 1), chunk_days=10_000),),
    lookups=((tjj_zbdm, indicator_names),),
)
