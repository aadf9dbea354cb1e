"""The simulated city behaves like a city — every claim stated as a number, computed from rows."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import simulator
from simulator import environment, holidays

TZ = ZoneInfo("Asia/Shanghai")


def _read(settings, dept: str, sql: str, times: tuple[str, ...] = ()) -> pd.DataFrame:
    engine = sa.create_engine(simulator.default_urls(settings)[dept])
    try:
        frame = pd.read_sql(sql, engine)
    finally:
        engine.dispose()
    for col in times:
        frame[col] = pd.to_datetime(frame[col])
    return frame


@pytest.fixture(scope="module")
def october(tmp_path_factory):
    """Xuchang, 2026-09-28 .. 2026-10-26: Golden Week and three ordinary weeks after it."""
    from citybrain.settings import load_settings

    s = load_settings(env={}, data_dir=tmp_path_factory.mktemp("october"))
    simulator.create(s, end=datetime(2026, 10, 26, tzinfo=TZ), days=28, departments=["traffic", "tourism", "hotline"])
    return s


def test_commute_peaks_slow_arterials(october) -> None:
    flows = _read(october, "traffic", "SELECT * FROM t_link_flow_5min", ("collect_time",))
    arterials = [x.code for x in october.segments if x.road_class == "arterial" and x.detector == "speed"]
    f = flows[flows.link_id.isin(arterials)]
    kind = f.collect_time.dt.date.map(holidays.day_kind)
    hhmm = f.collect_time.dt.strftime("%H:%M")
    weekday = f[(kind == "workday") & (f.collect_time >= "2026-10-08")]
    at8 = weekday[hhmm[weekday.index] == "08:00"].avg_speed.mean()
    at3 = weekday[hhmm[weekday.index] == "03:00"].avg_speed.mean()
    at18 = weekday[hhmm[weekday.index] == "18:00"].avg_speed.mean()
    assert at8 < 0.8 * at3 and at18 < 0.8 * at3
    weekend8 = f[(kind == "weekend") & (hhmm == "08:00")].avg_speed.mean()
    assert weekend8 > at8 + 5
    vol8 = weekday[hhmm[weekday.index] == "08:00"].flow_cnt.mean()
    vol3 = weekday[hhmm[weekday.index] == "03:00"].flow_cnt.mean()
    assert vol8 > 4 * vol3


def test_incidents_slow_their_segment_and_bring_hotline_calls(october) -> None:
    incidents = _read(october, "traffic", "SELECT * FROM t_incident", ("start_time", "end_time"))
    acc = incidents[incidents.incident_type == "ACC"]
    per_week = len(acc) / 4
    assert 1 <= per_week <= 7
    assert acc.end_time.notna().all()
    minutes = (acc.end_time - acc.start_time).dt.total_seconds() / 60
    assert minutes.between(30, 100).all()
    assert incidents.descr.str.contains("[\u4e00-\u9fff]").all()

    flows = _read(october, "traffic", "SELECT * FROM t_link_flow_5min", ("collect_time",))
    tickets = _read(october, "hotline", "SELECT * FROM gd_info", ("ldsj",))
    seg = {x.code: x for x in october.segments}
    slowed, spikes = [], []
    for inc in acc.itertuples():
        during = flows[(flows.link_id == inc.link_id) & (flows.collect_time >= inc.start_time)
                       & (flows.collect_time < inc.end_time)]
        same_time = flows[(flows.link_id == inc.link_id)
                          & flows.collect_time.dt.time.isin(during.collect_time.dt.time)
                          & (flows.collect_time.dt.date != inc.start_time.date())]
        if seg[inc.link_id].detector == "speed":
            slowed.append(during.avg_speed.mean() / same_time.avg_speed.mean())
        window = tickets[(tickets.sqlb == "01") & (tickets.ldsj >= inc.start_time)
                         & (tickets.ldsj < inc.start_time + timedelta(hours=2))]
        before = tickets[(tickets.sqlb == "01") & (tickets.ldsj >= inc.start_time - timedelta(hours=2))
                         & (tickets.ldsj < inc.start_time)]
        spikes.append(len(window) - len(before))
    assert slowed and np.median(slowed) < 0.7
    assert np.median(spikes) >= 8


def test_golden_week_crowds_scenic_sites(october) -> None:
    counts = _read(october, "tourism", "SELECT * FROM jq_kll_5min", ("tjsj",))
    capacity = {x.code: x.capacity for x in october.sites}
    day = counts.tjsj.dt.date
    peak = counts.groupby(["jqbm", day]).zxrs.max()
    for code, name in (("TS04", "鄢陵花博园"), ("TS05", "神垕古镇")):
        assert next(x.name_zh for x in october.sites if x.code == code) == name
        gw = peak[(code, date(2026, 10, 3))]
        ordinary = peak[(code, date(2026, 10, 14))]  # a Wednesday
        assert 0.8 * capacity[code] <= gw <= 1.1 * capacity[code]
        assert gw >= 2 * ordinary
    weekday_peaks = [peak[(c, d)] / capacity[c] for c in capacity for d in (date(2026, 10, 13), date(2026, 10, 21))]
    assert max(weekday_peaks) < 0.45


def test_present_is_running_entries_minus_exits_and_zero_when_closed(october) -> None:
    counts = _read(october, "tourism", "SELECT * FROM jq_kll_5min", ("tjsj",))
    counts = counts.sort_values(["jqbm", "tjsj"])
    running = (counts.rysl - counts.cysl).groupby([counts.jqbm, counts.tjsj.dt.date]).cumsum()
    assert (running == counts.zxrs).all()
    assert (counts.zxrs >= 0).all() and (counts.cysl >= 0).all()
    opening = {x.code: x.opening for x in october.sites}
    hour = counts.tjsj.dt.hour
    closed = [not (opening[c][0] <= h < opening[c][1]) for c, h in zip(counts.jqbm, hour)]
    assert (counts[closed][["rysl", "cysl", "zxrs"]] == 0).all().all()
    # every 5 minutes around the clock, except the last interval or two not yet written at `end`
    assert 28 * 288 * len(october.sites) - 2 * len(october.sites) <= len(counts) < 28 * 288 * len(october.sites)


def test_hotline_volume_answering_and_closure(october) -> None:
    t = _read(october, "hotline", "SELECT * FROM gd_info", ("ldsj", "jtsj", "blsx", "bjsj", "gxsj"))
    t = t[t.ldsj >= "2026-10-08"]
    days = t.ldsj.dt.date
    per_day = t.groupby(days).size()
    kinds = per_day.index.map(holidays.day_kind)
    workday_mean = per_day[kinds == "workday"].mean()
    assert 0.85 * october.demo.hotline_calls_per_day <= workday_mean <= 1.2 * october.demo.hotline_calls_per_day
    assert per_day[kinds == "weekend"].mean() < 0.9 * workday_mean
    answered = t.jtsj.notna().mean()
    assert 0.95 <= answered <= 0.975
    phone = t[t.qd == "1"]
    assert (phone.ddsc < 15).mean() > 0.8
    hour = phone.ldsj.dt.hour
    assert phone[hour.isin([9, 10, 15])].ddsc.mean() > 1.5 * phone[hour.isin([1, 2, 3, 4])].ddsc.mean()
    hourly = t.groupby(t.ldsj.dt.hour).size()
    assert hourly[10] > 8 * hourly[3]
    closed = t[t.bjsj.notna()]
    overdue = (closed.bjsj > closed.blsx).mean()
    assert 0.02 <= overdue <= 0.15
    early = t[t.ldsj < "2026-10-15"]  # old enough to have been revisited
    assert (early.gdzt == "40").mean() > 0.7
    assert ((early.hfmyd.isin(["1", "2"])).sum() / early.hfmyd.notna().sum()) > 0.85


def test_winter_smog_episode_in_january_2026(tmp_path) -> None:
    from citybrain.settings import load_settings

    s = load_settings(env={}, data_dir=tmp_path)
    simulator.create(s, end=datetime(2026, 2, 1, tzinfo=TZ), days=31, departments=["environment", "hotline"])
    air = _read(s, "environment", "SELECT * FROM aq_hourly", ("obs_time", "updated_at"))
    valid = air[(air.pm2_5 >= 0) & (air.pm2_5 < 2000)]
    daily = valid.groupby(valid.obs_time.dt.date).pm2_5.mean()
    assert daily.max() > 150  # HJ 633: PM2.5 24 h > 150 µg/m³ → IAQI > 200, 重度污染
    assert 40 < daily.median() < 115  # otherwise 良 / 轻度
    # smog brings 环境保护 complaints
    t = _read(s, "hotline", "SELECT * FROM gd_info", ("ldsj",))
    env_calls = t[t.sqlb == "02"].groupby(t.ldsj.dt.date).size().reindex(daily.index, fill_value=0)
    assert env_calls[daily > 150].mean() > 1.3 * env_calls[daily < 100].mean()
    # garbage values are exactly the department's sentinels
    cols = ["pm2_5", "pm10", "so2", "no2", "o3", "co"]
    values = air[cols].to_numpy()
    odd = values[(values < 0) | (values > 20000)]
    assert set(odd) <= {-99.0, 99999.0}


def test_every_heating_season_window_holds_a_heavy_episode() -> None:
    """Any 30-day window inside Nov–Feb contains a whole 2–4-day episode peaking above AQI 200."""
    for seed in (1, 2, 3, 20261121, 99):
        for season in range(2021, 2027):
            eps = environment.episodes(seed, season)
            first, last = date(season, 11, 1), date(season + 1, 3, 1) - timedelta(days=1)
            for start in holidays.days_between(first, last - timedelta(days=29)):
                end = start + timedelta(days=29)
                inside = [(d, lv) for d, lv in eps if d >= start and d + timedelta(days=len(lv) - 1) <= end]
                assert inside, (seed, season, start)
                assert all(2 <= len(lv) <= 4 and max(lv) > 180 for _, lv in inside)


def test_seasons_of_air_quality(tmp_path) -> None:
    from citybrain.settings import load_settings

    s = load_settings(env={}, data_dir=tmp_path)
    simulator.create(s, end=datetime(2026, 7, 31, tzinfo=TZ), days=30, departments=["environment"])
    air = _read(s, "environment", "SELECT * FROM aq_hourly", ("obs_time",))
    ok = air[(air.o3 >= 0) & (air.o3 < 2000) & (air.pm2_5 >= 0) & (air.pm2_5 < 2000)]
    hour = ok.obs_time.dt.hour
    assert ok[hour.isin([14, 15])].o3.mean() > 2.5 * ok[hour.isin([3, 4, 5])].o3.mean()
    daily = ok.groupby(ok.obs_time.dt.date).pm2_5.mean()
    assert (daily < 75).mean() > 0.9  # summer: 优/良 by PM2.5
    assert ok.co.median() > 300  # µg/m³
    missing = air[["pm2_5", "o3"]].isna().any(axis=1).mean()
    assert 0 < missing < 0.05  # instruments down now and then


def test_economy_levels_growth_and_districts(tmp_path) -> None:
    from citybrain.settings import load_settings

    s = load_settings(env={}, data_dir=tmp_path)
    simulator.create(s, end=datetime(2026, 11, 1, tzinfo=TZ), days=1, departments=["economy"])
    e = _read(s, "economy", "SELECT * FROM tjj_zbsj", ("gxsj",))
    city = e[e.xzqh == s.city.code]
    gdp = city[city.zbdm == "GDP"].set_index("bgq").sz
    gdp2025 = gdp[[f"2025Q{q}" for q in range(1, 5)]].sum()
    assert 3500 <= gdp2025 <= 3900
    assert gdp[[f"2024Q{q}" for q in range(1, 5)]].sum() < gdp2025
    assert gdp["2025Q4"] > gdp["2025Q1"]
    cpi = city[city.zbdm == "CPI"].sz
    assert cpi.between(99.5, 102.5).all()
    monthly = city[city.pl == "M"].bgq
    assert monthly.str.fullmatch(r"20\d{2}(0[1-9]|1[0-2])").all() and monthly.min() == "202101"
    assert city[city.pl == "Q"].bgq.str.fullmatch(r"20\d{2}Q[1-4]").all()
    units = {i.code: i.unit_zh for i in s.indicators}
    assert (e.jldw == e.zbdm.map(units)).all()
    assert "202609" in set(monthly) and "202610" not in set(monthly)  # October not yet published on Nov 1
    for code in ("GDP", "SHXFPLSZE"):
        rows = e[e.zbdm == code]
        parts = rows[rows.xzqh != s.city.code].groupby("bgq").sz.sum()
        assert set(rows.xzqh) == {s.city.code} | {d.code for d in s.districts}
        assert np.allclose(parts, rows[rows.xzqh == s.city.code].set_index("bgq").sz[parts.index], atol=0.05)
    assert set(e[e.bgq <= "202606"].bbh) == {2} and 1 in set(e[e.bgq == "202609"].bbh)
    # publication ~15 days after the period ends
    sep = e[(e.bgq == "202609") & (e.xzqh == s.city.code)].gxsj
    assert sep.between("2026-10-15", "2026-10-21").all()


def test_economy_scale(tmp_path) -> None:
    from citybrain.settings import load_settings

    base = load_settings(env={}, data_dir=tmp_path / "a")
    big = load_settings(env={}, data_dir=tmp_path / "b", demo={"economy_scale": 2.0})
    end = datetime(2026, 1, 1, tzinfo=TZ)
    for s in (base, big):
        simulator.create(s, end=end, days=1, departments=["economy"])
    a = _read(base, "economy", "SELECT * FROM tjj_zbsj WHERE xzqh = '411000'").set_index(["zbdm", "bgq"]).sz
    b = _read(big, "economy", "SELECT * FROM tjj_zbsj WHERE xzqh = '411000'").set_index(["zbdm", "bgq"]).sz
    ratio = (b / a).groupby(level=0).median()
    assert ratio["GDP"] == pytest.approx(2.0, rel=0.01)
    assert ratio["CPI"] == 1.0 and ratio["JMRJKZPSR"] == 1.0
