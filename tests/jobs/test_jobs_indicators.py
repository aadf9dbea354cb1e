"""The compute job: observations in the store → indicator rows, by hand-checked values."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from sqlalchemy import func, insert, select

from jobs.compute import compute
from store.engine import make_engine, upgrade
from store.entities import sync_from_config
from store.schema import indicators, obs_air, obs_economy, obs_hotline, obs_tourism, obs_traffic

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 18, 16, 0, tzinfo=UTC)  # 2026-11-19 00:00 in Shanghai


@pytest.fixture
def store(settings_factory):
    settings = settings_factory()
    upgrade(settings.resolved_store_url)
    engine = make_engine(settings.resolved_store_url)
    sync_from_config(engine, settings)
    yield settings, engine
    engine.dispose()


def prov(t: dt.datetime) -> dict:
    return {"source": "test", "source_updated_at": t, "ingested_at": t}


def values(engine, name, grain, scope_kind, scope="") -> dict:
    with engine.connect() as conn:
        rows = conn.execute(select(indicators.c.time, indicators.c.value, indicators.c.category, indicators.c.detail)
                            .where(indicators.c.name == name, indicators.c.grain == grain,
                                   indicators.c.scope_kind == scope_kind, indicators.c.scope == scope)
                            .order_by(indicators.c.time)).all()
    return {r.time: r for r in rows}


def test_air_hourly_and_daily_aqi_from_the_store(store):
    settings, engine = store
    hours = [T0 + dt.timedelta(hours=h) for h in range(24)]
    # every station reads PM2.5 = 115 µg/m³ all day: IAQI exactly 150 (HJ 633-2026 24h breakpoint)
    rows = [{"station": s.code, "time": t, "pm25": 115.0, "pm10": 50.0, "so2": 5.0, "no2": 20.0, "co": 0.5,
             "o3": 60.0, **prov(t)} for s in settings.stations for t in hours]
    with engine.begin() as conn:
        conn.execute(insert(obs_air), rows)
    compute(settings, engine, start=T0, end=T0 + dt.timedelta(days=1), domains=["environment"], now=T0)
    day = values(engine, "aqi", "day", "city")
    assert list(day) == [T0]
    assert day[T0].value == 150 and day[T0].category == "轻度污染"
    assert day[T0].detail["primary"] == ["PM2.5"] and day[T0].detail["standard"] == "HJ 633-2026"
    hour = values(engine, "aqi", "hour", "station", "XC01")
    assert len(hour) == 24 and {r.value for r in hour.values()} == {150}
    assert values(engine, "aqi", "day", "district", "411002")[T0].value == 150


def test_tpi_link_grade_and_crowding(store):
    settings, engine = store
    seg = settings.segments[0]  # R001, free flow 55 km/h
    speed = 0.5 * seg.free_flow_kmh  # ratio exactly 0.5 → 基本畅通 (0.5, 0.7] excludes 0.5 → 轻度拥堵
    t = T0 + dt.timedelta(hours=9)
    with engine.begin() as conn:
        conn.execute(insert(obs_traffic), [{"segment": seg.code, "time": t + dt.timedelta(minutes=m), "speed": speed,
                                            "volume": 100.0, "occupancy": 10.0, **prov(t)} for m in range(0, 60, 5)])
        site = settings.sites[0]  # capacity 3000
        conn.execute(insert(obs_tourism), [{"site": site.code, "time": t + dt.timedelta(minutes=m), "present": p,
                                            **prov(t)} for m, p in ((0, 2000), (5, 2400), (10, 2100))])
    compute(settings, engine, start=T0, end=T0 + dt.timedelta(days=1), domains=["traffic", "tourism"], now=T0)
    link = values(engine, "speed_ratio", "hour", "segment", seg.code)[t]
    assert link.value == pytest.approx(0.5) and link.category == "轻度拥堵"
    tpi = values(engine, "tpi", "hour", "city")[t]
    # one link at TTI 2 → DTP 0.5 → TPI 4.0 (start of 轻度拥堵)
    assert tpi.value == pytest.approx(4.0) and tpi.category == "轻度拥堵"
    crowd = values(engine, "crowding", "hour", "site", site.code)[t]
    assert crowd.value == pytest.approx(0.8) and crowd.category == "warning"  # peak 2400 / 3000, exactly 80%


def test_hotline_daily_kpis(store):
    settings, engine = store
    t = T0 + dt.timedelta(hours=10)
    tickets = []
    for i in range(20):
        answered = i < 19  # 19 of 20 answered: 接通率 95%
        tickets.append({"ticket": f"T{i}", "created_at": t + dt.timedelta(minutes=i), "category": "交通出行",
                        "district": "411002", "channel": "phone", "answered": answered, "wait_seconds": 10.0,
                        "due_at": t + dt.timedelta(hours=2), "closed_at": t + dt.timedelta(hours=1) if answered else None,
                        "satisfaction": "satisfied" if i < 10 else None, "status": "closed", "updated_at": t, **prov(t)})
    with engine.begin() as conn:
        conn.execute(insert(obs_hotline), tickets)
    compute(settings, engine, start=T0, end=T0 + dt.timedelta(days=1), domains=["hotline"], now=T0 + dt.timedelta(days=1))
    assert values(engine, "hotline_answer_rate", "day", "city")[T0].value == pytest.approx(0.95)
    assert values(engine, "hotline_calls", "day", "category", "交通出行")[T0].value == 20
    assert values(engine, "hotline_calls", "hour", "district", "411002")[t].value == 20
    assert values(engine, "hotline_satisfaction", "day", "city")[T0].value == 1.0


def test_economy_growth_on_the_newest_revision(store):
    settings, engine = store
    rows = []
    for year, value in ((2025, 100.0), (2026, 110.0)):
        for month in (1, 2):
            rows.append({"indicator": "SHXFPLSZE", "period": f"{year}-{month:02d}", "district": "411000", "freq": "month",
                         "period_start": dt.date(year, month, 1), "value": value + month, "unit": "亿元", "revision": 2,
                         **prov(T0)})
    with engine.begin() as conn:
        conn.execute(insert(obs_economy), rows)
    compute(settings, engine, start=T0, end=T0 + dt.timedelta(hours=1), domains=["economy"], now=T0)
    econ = values(engine, "economy", "month", "indicator", "SHXFPLSZE")
    feb = [r for r in econ.values() if r.detail["period"] == "2026-02"][0]
    assert feb.value == 112 and feb.detail["yoy"] == pytest.approx(100 * (112 / 102 - 1))
    assert feb.detail["ytd"] == 111 + 112 and feb.detail["revision"] == 2


def test_vital_signs_need_coverage_carry_contributions_and_recompute_is_idempotent(store):
    settings, engine = store
    test_air_hourly_and_daily_aqi_from_the_store(store)
    compute(settings, engine, start=T0, end=T0 + dt.timedelta(days=1), now=T0)
    assert values(engine, "vital_signs", "hour", "city") == {}, "AQI alone is below the declared minimum coverage"

    test_tpi_link_grade_and_crowding(store)
    test_hotline_daily_kpis(store)
    compute(settings, engine, start=T0, end=T0 + dt.timedelta(days=1), now=T0)
    with engine.connect() as conn:
        n1 = conn.execute(select(func.count()).select_from(indicators)).scalar()
    compute(settings, engine, start=T0, end=T0 + dt.timedelta(days=1), now=T0)
    with engine.connect() as conn:
        n2 = conn.execute(select(func.count()).select_from(indicators)).scalar()
    assert n1 == n2
    nine = T0 + dt.timedelta(hours=9)
    vs = values(engine, "vital_signs", "hour", "city")
    assert list(vs) == [nine], "only the hour where four of five domains are known reaches the coverage"
    row = vs[nine]
    assert row.detail["inputs"]["aqi"] == 150 and row.detail["inputs"]["tpi"] == pytest.approx(4.0)
    assert row.detail["coverage"] == pytest.approx(0.8)  # economy unknown, reweighted
    # AQI 150 on goalposts 0..300 (lower is better) scores 50; TPI 4 on 0..10 scores 60;
    # crowding 0.8 on 0..1.2 scores 33.3; hotline: answer 95% on 0.8..1 → 75, on time 100, satisfaction 100
    expected = (50 + 60 + 100 / 3 + (75 + 100 + 100) / 3) / 4
    assert row.value == pytest.approx(expected, abs=0.01)
    assert sum(v for v in row.detail["contributions"].values() if v) == pytest.approx(row.value, abs=0.01)


def test_latest_hour_carries_air_quality_within_its_max_age(store):
    """Air arrives hourly and late: the newest hours keep the last AQI until it is too old."""
    settings, engine = store
    test_tpi_link_grade_and_crowding(store)  # traffic and tourism at 09:00
    test_hotline_daily_kpis(store)
    nine = T0 + dt.timedelta(hours=9)
    rows = [{"station": s.code, "time": nine - dt.timedelta(hours=h), "pm25": 250.0, "pm10": 50.0, "so2": 5.0,
             "no2": 20.0, "co": 0.5, "o3": 60.0, **prov(T0)} for s in settings.stations for h in (1, 2)]
    with engine.begin() as conn:  # air reported up to 08:00 only (heavy smog)
        conn.execute(insert(obs_air), rows)
    compute(settings, engine, start=T0, end=T0 + dt.timedelta(days=1), now=T0)
    row = values(engine, "vital_signs", "hour", "city")[nine]
    assert row.detail["inputs"]["aqi"] == 300 and row.detail["carried"] == ["aqi"]  # PM2.5 250 → IAQI 300
    assert row.detail["sub_indices"]["environment"] == pytest.approx(0.0)  # at the 300 goalpost


def _traffic_rows_one_by_one(settings, readings) -> dict:
    """The traffic rows as the job built them before issue 10's frames: one ``_row`` each
    (kept here as the reference the frames must reproduce exactly)."""
    import pandas as pd

    from jobs.compute.rows import row as _row
    from store.bulk import num as _num
    from metrics import traffic

    segs = pd.DataFrame([{"segment": s.code, "length_km": s.length_km, "free_flow": s.free_flow_kmh,
                          "district": s.district} for s in settings.segments])
    rows = []
    for kind, scope, group in [("city", "", segs)] + [("district", d, g) for d, g in segs.groupby("district")]:
        for r in traffic.tpi_by_hour(readings[readings["segment"].isin(group["segment"])], group).to_dict("records"):
            if _num(r["tpi"]) is not None:
                rows.append(_row("tpi", "hour", kind, scope, r["time"], r["tpi"], category=r["grade"],
                                 detail={"tti": _num(r["tti"]), "dtp": _num(r["dtp"]), "segments": int(r["segments"])}))
    speeds = readings[readings["speed"].notna() & (readings["speed"] > 0)]
    # an hour's mean speed: its correctly rounded sum over the count (metrics.traffic.link_speeds)
    speeds = speeds.assign(hour=speeds["time"].dt.floor("h")).groupby(["segment", "hour"], as_index=False)["speed"] \
        .agg(lambda x: math.fsum(x) / len(x))
    speeds = speeds.merge(segs[["segment", "free_flow"]], on="segment")
    grades = traffic.link_grades(speeds["speed"].tolist(), speeds["free_flow"].tolist())
    rows += [_row("speed_ratio", "hour", "segment", r["segment"], r["hour"], r["speed"] / r["free_flow"],
                  category=grade, detail={"speed": round(r["speed"], 2), "free_flow": r["free_flow"]})
             for r, grade in zip(speeds.to_dict("records"), grades)]
    return {(r["name"], r["grain"], r["scope_kind"], r["scope"], r["time"]): (r["value"], r["level"], r["category"],
                                                                              r["detail"]) for r in rows}


def test_traffic_frames_store_exactly_the_rows_built_one_by_one(store):
    """Issue 10: the traffic step builds columns, not a dict per row — the same rows, at the
    grade bounds (ratios exactly 0.7/0.5/0.4/0.3), with zero and missing speeds, missing
    volumes, speeds above free flow and readings of a segment the city does not know."""
    import numpy as np

    settings, engine = store
    rng = np.random.default_rng(10)
    rows = []
    for i, seg in enumerate(settings.segments):
        for k in range(36 * 12):  # 36 hours of 5-minute readings
            t = T0 + dt.timedelta(minutes=5 * k)
            bound = (0.7, 0.5, 0.4, 0.3)[(i + k // 12) % 4]
            speed = bound * seg.free_flow_kmh if (k // 12) % 3 == 0 else round(float(rng.uniform(0, 1.2)) * seg.free_flow_kmh, 1)
            speed = None if (i + k) % 41 == 0 else 0.0 if (i + k) % 17 == 0 else speed
            volume = None if (i + k) % 23 == 0 else float(rng.integers(0, 200))
            rows.append({"segment": seg.code, "time": t, "speed": speed, "volume": volume, "occupancy": 10.0, **prov(t)})
    rows += [{"segment": "NOT_CONFIGURED", "time": T0 + dt.timedelta(minutes=5 * k), "speed": 30.0, "volume": 50.0,
              "occupancy": 10.0, **prov(T0)} for k in range(24)]
    with engine.begin() as conn:
        conn.execute(insert(obs_traffic), rows)
    compute(settings, engine, start=T0, end=T0 + dt.timedelta(days=1), domains=["traffic"], now=T0)
    from store.bulk import read_frame as _frame, utc_times as _times

    # read as the job reads them: sums are taken in the order the store returns the rows
    c = obs_traffic.c
    readings = _times(_frame(engine, select(c.segment, c.time, c.speed, c.volume)
                             .where(c.time >= T0, c.time < T0 + dt.timedelta(days=1))), "time")
    expected = _traffic_rows_one_by_one(settings, readings)
    with engine.connect() as conn:
        stored = {(r.name, r.grain, r.scope_kind, r.scope, r.time): (r.value, r.level, r.category, r.detail)
                  for r in conn.execute(select(indicators).where(indicators.c.name.in_(["tpi", "speed_ratio"])))}
    assert len(expected) > 100 and stored.keys() == expected.keys()
    assert [(k, stored[k], expected[k]) for k in expected if stored[k] != expected[k]][:2] == []
    grades = {v[2] for k, v in expected.items() if k[0] == "speed_ratio"}
    assert grades >= {"基本畅通", "轻度拥堵", "中度拥堵", "严重拥堵"}, "the bounds are exercised"
