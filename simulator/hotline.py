"""12345: the government service hotline's work orders (工单) and their lifecycle.

Calls follow the day (quiet nights, busy 09:00–11:00 and 14:00–17:00) and the week
(fewer on weekends and holidays). About 96% are answered; waits are mostly a few seconds
but approach 15 s at the peaks, where abandonment (未接通, gdzt '00') rises. An answered
call becomes a ticket: accepted (10), dispatched (20), closed (30) hours to days later —
some after the deadline — and revisited (40) with a satisfaction rating days after that.
Every step rewrites the row in place and bumps ``gxsj``, as the real system does.

Other departments leave their mark: a traffic accident brings a burst of 交通出行 calls
from its district within two hours; a smog episode brings 环境保护 complaints that day
and the next.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from citybrain.settings import Settings
from simulator import environment, holidays, traffic
from simulator.clock import day_seconds, midnight
from simulator.feed import Department, Feed, empty_versions
from simulator.rng import stream
from simulator.schema import dm_sqlb, gd_info, hotline_md

#: 诉求类别: code, name, base share of calls, processing deadline (days), median hours to close
CATEGORIES: tuple[tuple[str, str, float, float, float], ...] = (
    ("01", "交通出行", 0.10, 3, 18),
    ("02", "环境保护", 0.07, 3, 20),
    ("03", "城市管理", 0.22, 3, 16),
    ("04", "住房保障", 0.09, 5, 30),
    ("05", "劳动社保", 0.10, 5, 30),
    ("06", "教育", 0.06, 3, 20),
    ("07", "医疗卫生", 0.07, 3, 18),
    ("08", "市场监管", 0.10, 3, 20),
    ("09", "文化旅游", 0.03, 3, 16),
    ("10", "水电气暖", 0.10, 1, 7),
    ("99", "其他", 0.06, 3, 18),
)
def _frozen(values: np.ndarray) -> np.ndarray:
    values.flags.writeable = False
    return values


CODES = _frozen(np.array([c[0] for c in CATEGORIES], dtype=object))
TRAFFIC, ENVIRONMENT = 0, 1  # positions in CATEGORIES

#: relative call volume per hour of the day
HOURLY = _frozen(np.array([0.15, 0.1, 0.08, 0.08, 0.1, 0.15, 0.3, 0.6, 1.2, 1.7, 1.8, 1.6,
                           1.0, 1.1, 1.6, 1.7, 1.6, 1.3, 0.9, 0.8, 0.7, 0.55, 0.35, 0.2]))
#: 渠道: 1 电话 2 微信 3 网站 4 APP, and their shares
CHANNELS = (_frozen(np.array(["1", "2", "3", "4"], dtype=object)), _frozen(np.array([0.72, 0.12, 0.05, 0.11])))


def _category_weights(d: date) -> np.ndarray:
    w = np.array([c[2] for c in CATEGORIES])
    if d.month in (11, 12, 1, 2):
        w[9] *= 1.6  # heating season
    if d.month in (2, 3, 9):
        w[5] *= 1.3  # school terms start
    if holidays.day_kind(d) == "holiday":
        w[8] *= 2.5
    return w / w.sum()


def _day_volume(settings: Settings, d: date, rng: np.random.Generator) -> int:
    h = holidays.holiday(d)
    factor = {"workday": 1.0, "weekend": 0.78, "holiday": 0.65}[holidays.day_kind(d)]
    if h is not None and h.key == "spring_festival":
        factor = 0.5
    return int(rng.poisson(settings.demo.hotline_calls_per_day * factor * rng.lognormal(0, 0.06)))


def _district_picker(settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    codes = np.array([d.code for d in settings.districts], dtype=object)
    w = np.array([d.population_10k or 1.0 for d in settings.districts])
    return codes, w / w.sum()


def _calls(settings: Settings, seed: int, d: date) -> pd.DataFrame:
    """Every call of the day before ordering: seconds after midnight, category, district, channel."""
    rng = stream(seed, "hotline", "calls", d)
    districts, dw = _district_picker(settings)
    n = _day_volume(settings, d, rng)
    hour = rng.choice(24, n, p=HOURLY / HOURLY.sum())
    parts = [pd.DataFrame({
        "sec": hour * 3600 + rng.integers(0, 3600, n),
        "cat": rng.choice(len(CATEGORIES), n, p=_category_weights(d)),
        "district": rng.choice(districts, n, p=dw),
        "channel": rng.choice(CHANNELS[0], n, p=CHANNELS[1]),
    })]
    seg_district = {s.code: s.district for s in settings.segments}
    for inc in traffic.incidents(settings, seed, d):
        k = int(rng.poisson({"ACC": 18, "JAM": 4, "CONS": 6}[inc.kind]))
        span = (inc.end - inc.start).total_seconds()
        if inc.kind == "ACC":
            span = min(span, 7200.0)  # the burst comes within two hours
        start = (inc.start - midnight(d)).total_seconds()
        where = seg_district.get(inc.link_id)
        parts.append(pd.DataFrame({
            "sec": (start + rng.uniform(60, span, k)).astype(np.int64),
            "cat": np.full(k, TRAFFIC),
            "district": where if where in set(districts) else rng.choice(districts, k, p=dw),
            "channel": np.full(k, "1", dtype=object),
        }))
    smog = (0.3 * max(0.0, environment.city_level(seed, d) - 115)
            + 0.2 * max(0.0, environment.city_level(seed, d - timedelta(days=1)) - 115))
    k = int(rng.poisson(smog)) if settings.stations else 0
    if k:
        parts.append(pd.DataFrame({
            "sec": rng.integers(7 * 3600, 21 * 3600, k),
            "cat": np.full(k, ENVIRONMENT),
            "district": rng.choice(districts, k, p=dw),
            "channel": rng.choice(CHANNELS[0], k, p=CHANNELS[1]),
        }))
    calls = pd.concat(parts, ignore_index=True)
    calls["sec"] = calls["sec"].clip(0, 86399)
    return calls.sort_values(["sec", "cat", "district", "channel"], kind="stable").reset_index(drop=True)


def _day_versions(settings: Settings, seed: int, d: date) -> pd.DataFrame:
    calls = _calls(settings, seed, d)
    n = len(calls)
    if n == 0:
        return empty_versions(gd_info)
    rng = stream(seed, "hotline", "tickets", d)
    sec = calls["sec"].to_numpy()
    cat = calls["cat"].to_numpy().astype(np.int64)
    phone = calls["channel"].to_numpy() == "1"
    # waits and abandonment grow with the hour's load (busiest hour → load 1)
    load = (HOURLY[sec // 3600] / HOURLY.max()) ** 3
    wait = np.where(phone, np.ceil(rng.exponential(3 + 7 * load)), 0).astype(np.int64)
    abandoned = phone & (rng.random(n) < 0.035 + 0.06 * load)
    wait = np.where(abandoned, 15 + np.ceil(rng.exponential(25, n)).astype(np.int64), wait)
    t0 = day_seconds(d)
    s = np.timedelta64(1, "s")
    ldsj = t0 + sec * s
    jtsj = ldsj + wait * s
    talk = np.where(phone, rng.integers(90, 481, n), rng.integers(300, 3601, n))
    accepted = jtsj + talk * s
    direct = rng.random(n) < 0.3
    dispatched = accepted + rng.integers(600, 7201, n) * s
    median_h = np.array([c[4] for c in CATEGORIES])[cat]
    hours = np.minimum(rng.lognormal(np.log(median_h), 0.9), 15 * 24)
    closed = np.where(direct, accepted + rng.integers(60, 601, n) * s,
                      dispatched + (hours * 3600).astype(np.int64) * s)
    deadline = accepted + (np.array([c[3] for c in CATEGORIES])[cat] * 86400).astype(np.int64) * s
    revisited = closed + rng.integers(20 * 3600, 96 * 3600, n) * s
    visit = ~abandoned & (rng.random(n) < 0.85)
    late = closed > deadline
    u = rng.random(n)
    rating = np.where(u < np.where(late, 0.55, 0.80), "1", np.where(u < np.where(late, 0.75, 0.93), "2", "3"))
    nat = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    none = np.full(n, None, dtype=object)

    base = pd.DataFrame({
        "gdbh": [f"{d:%Y%m%d}{i:05d}" for i in range(1, n + 1)],
        "ldsj": ldsj,
        "jtsj": np.where(abandoned, nat, jtsj),
        "ddsc": wait,
        "qd": calls["channel"].to_numpy(),
        "sqlb": np.where(abandoned, none, CODES[cat]),
        "ssqx": calls["district"].to_numpy(),
        "blsx": np.where(abandoned, nat, deadline),
        "bjsj": nat,
        "hfmyd": none,
        "gdzt": np.where(abandoned, "00", "10").astype(object),
        "gxsj": np.where(abandoned, jtsj, accepted),
    })
    answered = ~abandoned
    steps = [base]
    mid = base[answered & ~direct].assign(gdzt="20", gxsj=dispatched[answered & ~direct])
    steps.append(mid)
    done = base[answered].assign(gdzt="30", bjsj=closed[answered], gxsj=closed[answered])
    steps.append(done)
    rv = answered & visit
    steps.append(base[rv].assign(gdzt="40", bjsj=closed[rv], hfmyd=rating[rv].astype(object), gxsj=revisited[rv]))
    return pd.concat(steps, ignore_index=True)


def versions(settings: Settings, seed: int, first: date, last: date) -> pd.DataFrame:
    """Every lifecycle version of the tickets whose calls came in on local days first..last."""
    frames = [_day_versions(settings, seed, d) for d in holidays.days_between(first, last)]
    return pd.concat(frames, ignore_index=True) if frames else empty_versions(gd_info)


def category_codes(settings: Settings) -> list[dict[str, object]]:
    """诉求类别代码表."""
    return [{"dm": code, "mc": name} for code, name, *_ in CATEGORIES]


DEPARTMENT = Department(
    name="hotline",
    metadata=hotline_md,
    feeds=(Feed(gd_info, stamp="gxsj", born="ldsj", horizon=timedelta(days=22), versions=versions),),
    lookups=((dm_sqlb, category_codes),),
)
