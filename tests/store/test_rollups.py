"""Rollups equal the raw aggregation: maintained by window, rebuilt, and read by the pages' queries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import sqlalchemy as sa

from store import rollups
from store.engine import make_engine, upgrade
from store.queries.domains import _hotline_tickets, _hotline_volume, _tourism_obs
from store.schema import obs_traffic, rollup_daily, rollup_hourly
from store.upsert import upsert

UTC = dt.timezone.utc
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """The demo city, 3 days simulated and polled (SQLite), rollups caught up once."""
    from rich.console import Console

    from citybrain import demo
    from citybrain.settings import load_settings

    settings = load_settings(env={}, data_dir=tmp_path_factory.mktemp("rollup-demo"))
    demo.prepare(settings, days=3, console=Console(quiet=True))
    engine = make_engine(settings.resolved_store_url)
    assert rollups.catch_up(engine, settings.tz) > 0
    assert rollups.catch_up(engine, settings.tz) == 0  # nothing left to cover
    yield settings, engine
    engine.dispose()


def _frame(engine: sa.Engine, stmt: sa.Select) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(stmt)
        return pd.DataFrame(result.all(), columns=list(result.keys()))


def _hourly(engine: sa.Engine, metric: str) -> pd.DataFrame:
    h = rollup_hourly.c
    df = _frame(engine, sa.select(h.entity, h.time, h.n, h.value_sum, h.value_max).where(h.metric == metric))
    df["time"] = pd.to_datetime(df["time"], utc=True)
    return df.set_index(["entity", "time"]).sort_index()


def test_hourly_and_daily_rollups_equal_the_raw_aggregation(demo_store):
    settings, engine = demo_store
    raw = _frame(engine, sa.select(obs_traffic.c.segment, obs_traffic.c.time, obs_traffic.c.speed, obs_traffic.c.volume))
    raw["time"] = pd.to_datetime(raw["time"], utc=True)
    raw["hour"] = raw["time"].dt.floor("h")
    want = raw.groupby(["segment", "hour"]).agg(n=("speed", "count"), mean=("speed", "mean"), max=("speed", "max"))
    got = _hourly(engine, "traffic.speed")
    assert len(got) == len(want) > 500
    assert (got["n"].to_numpy() == want["n"].to_numpy()).all()
    mean = got["value_sum"] / got["n"]
    assert mean.to_numpy() == pytest.approx(want["mean"].to_numpy(), rel=1e-12, nan_ok=True)
    assert got["value_max"].to_numpy() == pytest.approx(want["max"].to_numpy(), nan_ok=True)
    # daily = the city-local day (Asia/Shanghai midnight = 16:00 UTC), summed from the raw rows
    raw["day"] = raw["time"].dt.tz_convert(settings.tz).dt.tz_localize(None).dt.normalize()
    flow = raw.groupby(["segment", "day"])["volume"].sum()
    d = rollup_daily.c
    daily = _frame(engine, sa.select(d.entity, d.time, d.value_sum).where(d.metric == "traffic.volume"))
    daily["day"] = pd.to_datetime(daily["time"], utc=True).dt.tz_convert(settings.tz).dt.tz_localize(None)
    assert (daily["day"] == daily["day"].dt.normalize()).all()  # rows start at local midnight
    assert daily.set_index(["entity", "day"])["value_sum"].sort_index().to_numpy() == pytest.approx(flow.to_numpy())


def test_long_range_queries_read_rollups_and_return_the_raw_totals(demo_store):
    settings, engine = demo_store
    with engine.connect() as conn:
        last = conn.execute(sa.select(sa.func.max(rollup_hourly.c.time))).scalar().replace(tzinfo=UTC)
    # odd minutes at both ends: partial hours come from raw rows, whole hours from rollups
    start, end = last - dt.timedelta(days=2, hours=20, minutes=13), last + dt.timedelta(minutes=27)
    via_rollups, via_raw = _tourism_obs(engine, start, end), _tourism_obs(engine, start, end, use_rollups=False)
    assert len(via_rollups) < len(via_raw) / 5  # it really read hourly rows
    for grain in ("h", "D"):
        def buckets(df: pd.DataFrame) -> pd.Series:
            local = df["time"].dt.tz_convert(settings.tz).dt.floor(grain)
            return df.assign(k=local).groupby(["site", "k"])["entries"].sum()
        assert buckets(via_rollups).to_dict() == buckets(via_raw).to_dict()
    assert via_rollups["entries"].sum() == via_raw["entries"].sum() > 0
    volume = _hotline_volume(engine, start, end)
    assert volume.equals(_hotline_volume(engine, start, end, use_rollups=False))
    tickets = _hotline_tickets(engine, start, end)
    assert volume["tickets"].sum() == len(tickets) > 0
    assert volume["closed"].sum() == tickets["closed_at"].notna().sum()
    by_category = volume.groupby("category")["tickets"].sum()
    assert by_category.to_dict() == tickets["category"].value_counts().to_dict()
    quiet = dt.datetime(2001, 1, 1, 0, 7, tzinfo=UTC)  # a long range with nothing stored: empty, not an error
    assert _hotline_volume(engine, quiet, quiet + dt.timedelta(days=5)).empty
    assert _tourism_obs(engine, quiet, quiet + dt.timedelta(days=5)).empty


def test_hours_the_rollups_do_not_cover_yet_are_read_raw(demo_store):
    """An upgraded store or a fresh demo before its catch-up: the pages must not show a hole."""
    settings, engine = demo_store
    with engine.connect() as conn:
        first, last = (t.replace(tzinfo=UTC) for t in conn.execute(sa.select(
            sa.func.min(rollup_hourly.c.time), sa.func.max(rollup_hourly.c.time))).one())
    start, end = first - dt.timedelta(minutes=50), last + dt.timedelta(hours=1)
    expected = _tourism_obs(engine, start, end, use_rollups=False)["entries"].sum()
    with engine.begin() as conn:  # only the newest day rolled up so far
        conn.execute(sa.delete(rollup_hourly).where(rollup_hourly.c.time < last - dt.timedelta(days=1)))
    assert _tourism_obs(engine, start, end)["entries"].sum() == expected > 0
    assert rollups.catch_up(engine, settings.tz) > 0  # the maintenance step fills the gap
    assert _tourism_obs(engine, start, end)["entries"].sum() == expected


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    url = f"sqlite:///{tmp_path}/store.db" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def reading(segment: str, t: dt.datetime, speed: float | None, volume: float) -> dict:
    return {"segment": segment, "time": t, "speed": speed, "volume": volume, "occupancy": None, "source": "t",
            "source_updated_at": t, "ingested_at": t}


def rows(engine: sa.Engine, table: sa.Table, metric: str) -> dict:
    c = table.c
    with engine.connect() as conn:
        return {(r.entity, r.time): (r.n, r.value_sum, r.value_min, r.value_max)
                for r in conn.execute(sa.select(table).where(c.metric == metric))}


def test_a_poll_window_recomputes_its_hours_and_a_re_poll_replaces_them(store):
    t = dt.datetime(2026, 10, 1, 15, 55, tzinfo=UTC)  # 23:55 local: the day boundary too
    h15, h16 = dt.datetime(2026, 10, 1, 15, tzinfo=UTC), dt.datetime(2026, 10, 1, 16, tzinfo=UTC)
    batch = [reading("S1", t, 40.0, 10), reading("S1", t + dt.timedelta(minutes=5), 20.0, 4),
             reading("S1", t + dt.timedelta(minutes=10), None, 6), reading("S2", t, 60.0, 1)]
    with store.begin() as conn:
        upsert(conn, obs_traffic, batch)
    assert rollups.refresh(store, "traffic", t, t + dt.timedelta(minutes=10), TZ) > 0
    speed = rows(store, rollup_hourly, "traffic.speed")
    assert speed == {("S1", h15): (1, 40.0, 40.0, 40.0), ("S1", h16): (1, 20.0, 20.0, 20.0),
                     ("S2", h15): (1, 60.0, 60.0, 60.0)}
    assert rows(store, rollup_hourly, "traffic.volume")[("S1", h16)] == (2, 10.0, 4.0, 6.0)
    day1, day2 = dt.datetime(2026, 9, 30, 16, tzinfo=UTC), h16  # local midnights of Oct 1 and Oct 2
    assert rows(store, rollup_daily, "traffic.volume") == {("S1", day1): (1, 10.0, 10.0, 10.0),
                                                           ("S1", day2): (2, 10.0, 4.0, 6.0),
                                                           ("S2", day1): (1, 1.0, 1.0, 1.0)}
    # the department corrects the 00:00 reading: the re-poll touches only that instant
    fixed = reading("S1", t + dt.timedelta(minutes=5), 30.0, 9)
    with store.begin() as conn:
        upsert(conn, obs_traffic, [fixed])
    rollups.refresh(store, "traffic", fixed["time"], fixed["time"], TZ)
    assert rows(store, rollup_hourly, "traffic.speed")[("S1", h16)] == (1, 30.0, 30.0, 30.0)
    assert rows(store, rollup_daily, "traffic.volume")[("S1", day2)] == (2, 15.0, 6.0, 9.0)
    assert rows(store, rollup_hourly, "traffic.speed")[("S1", h15)] == (1, 40.0, 40.0, 40.0)  # untouched hour kept
    # rebuilding the whole range changes nothing
    before = rows(store, rollup_hourly, "traffic.volume"), rows(store, rollup_daily, "traffic.volume")
    rollups.rebuild(store, TZ, h15 - dt.timedelta(days=2), h16 + dt.timedelta(days=2))
    assert (rows(store, rollup_hourly, "traffic.volume"), rows(store, rollup_daily, "traffic.volume")) == before
