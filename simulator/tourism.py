"""文旅: the culture and tourism bureau's turnstile counts (5-minute 入园/出园/在园).

Each day a site receives visitors along an arrival curve over its opening hours; each
visitor stays a while (longer at big sites) and everyone still inside leaves by closing
time, so 在园人数 is exactly the running sum of 入园 − 出园 within the day and 0 outside
the opening hours. The day's size is set by the crowd it should peak at, as a share of
the site's maximum instantaneous capacity (LB/T 034-2014): ~15–30% on an ordinary
weekday, ~35–55% on weekends, 85–105% at the popular (larger) sites in the first days
of Golden Week, so the 80% crowding warning fires when it should.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from citybrain.settings import Settings, Site
from simulator import holidays
from simulator.clock import INTERVALS_PER_DAY, day_seconds
from simulator.feed import Department, Feed, empty_versions
from simulator.rng import stream, uniform
from simulator.schema import jq_jbxx, jq_kll_5min, tourism_md


def _popular(settings: Settings, site: Site) -> bool:
    """The larger half of the sites by capacity draw the holiday crowds."""
    caps = sorted(s.capacity for s in settings.sites)
    return site.capacity >= caps[len(caps) // 2]


def peak_share(settings: Settings, seed: int, site: Site, d: date) -> float:
    """Target peak 在园人数 as a share of capacity for the day (before counting noise)."""
    rng = stream(seed, "tourism", "day", site.code, d)
    h = holidays.holiday(d)
    kind = holidays.day_kind(d)
    popular = _popular(settings, site)
    month = d.month
    season = {1: 0.6, 2: 0.7, 3: 0.95, 4: 1.2, 5: 1.15, 6: 0.95, 7: 1.0, 8: 1.0,
              9: 1.0, 10: 1.15, 11: 0.85, 12: 0.6}[month]
    if h is not None and h.key == "national_day":
        n = h.day_number(d)
        top = float(rng.uniform(0.86, 1.04))
        by_day = top if n <= 5 else top * (0.75 if n == 6 else 0.55)
        return by_day if popular else by_day * 0.6
    if h is not None:
        share = {"spring_festival": 0.55, "labour_day": 0.75, "qingming": 0.6, "dragon_boat": 0.55,
                 "mid_autumn": 0.6, "new_year": 0.45}.get(h.key, 0.5)
        share *= float(rng.uniform(0.85, 1.1))
        return share if popular else share * 0.7
    base = float(rng.uniform(0.16, 0.28)) if kind == "workday" else float(rng.uniform(0.36, 0.52))
    return base * min(season, 1.1) * uniform(seed, "tourism", "site", site.code, low=0.85, high=1.1)


def _arrival_shape(open_h: int, close_h: int) -> np.ndarray:
    """Share of the day's entries per 5-minute interval: a late-morning and a mid-afternoon hump."""
    t = (np.arange(INTERVALS_PER_DAY) * 5 + 2.5) / 60.0
    span = close_h - open_h
    shape = (np.exp(-0.5 * ((t - (open_h + 0.25 * span)) / (0.13 * span)) ** 2)
             + 0.55 * np.exp(-0.5 * ((t - (open_h + 0.58 * span)) / (0.14 * span)) ** 2))
    shape[(t < open_h) | (t > close_h - min(1.0, span / 4))] = 0.0  # no entry in the last hour
    return shape / shape.sum()


def _stay_kernel(site: Site) -> np.ndarray:
    """Probability of leaving k intervals after entering (mean 1.5–3 h, longer at big sites)."""
    mean_h = 1.5 + 1.5 * min(1.0, site.capacity / 20000)
    k = np.arange(1, 8 * 12 + 1)
    shape_k = 3.0
    scale = mean_h * 12 / shape_k
    p = k ** (shape_k - 1) * np.exp(-k / scale)
    return p / p.sum()


def site_day(settings: Settings, seed: int, site: Site, d: date) -> pd.DataFrame:
    """The 288 rows of one site and day."""
    rng = stream(seed, "tourism", site.code, d)
    open_h, close_h = site.opening
    arrive = _arrival_shape(open_h, close_h)
    kernel = _stay_kernel(site)
    unit_present = np.cumsum(arrive - np.convolve(arrive, kernel)[:INTERVALS_PER_DAY])
    visitors = peak_share(settings, seed, site, d) * site.capacity / unit_present.max()
    entries = rng.poisson(visitors * arrive)
    expected_exits = np.cumsum(np.convolve(entries, kernel)[:INTERVALS_PER_DAY])
    cum_in = np.cumsum(entries)
    cum_out = np.minimum(np.floor(expected_exits), cum_in)
    last = close_h * 12 - 1  # the last open interval: everyone leaves
    cum_out[last:] = cum_in[last:]
    exits = np.diff(cum_out, prepend=0).astype(np.int64)
    present = (cum_in - cum_out).astype(np.int64)
    start = day_seconds(d) + np.arange(INTERVALS_PER_DAY) * np.timedelta64(300, "s")
    delay = rng.integers(10, 91, INTERVALS_PER_DAY).astype("timedelta64[s]")
    return pd.DataFrame({"jqbm": site.code, "tjsj": start, "rysl": entries.astype(np.int64), "cysl": exits,
                         "zxrs": present, "gxsj": start + np.timedelta64(300, "s") + delay})


def versions(settings: Settings, seed: int, first: date, last: date) -> pd.DataFrame:
    """Turnstile rows of every site for local days first..last (one version each)."""
    frames = [site_day(settings, seed, s, d) for d in holidays.days_between(first, last) for s in settings.sites]
    return pd.concat(frames, ignore_index=True) if frames else empty_versions(jq_kll_5min)


def registry(settings: Settings) -> list[dict[str, object]]:
    """景区基本信息: code, name, maximum capacity, grade — from the city config."""
    return [{"jqbm": s.code, "jqmc": s.name_zh, "zdcz": s.capacity, "jqdj": s.grade or None} for s in settings.sites]


DEPARTMENT = Department(
    name="tourism",
    metadata=tourism_md,
    feeds=(Feed(jq_kll_5min, stamp="gxsj", born="tjsj", horizon=timedelta(minutes=10), versions=versions,
                mutable=False),),
    lookups=((jq_jbxx, registry),),
)
