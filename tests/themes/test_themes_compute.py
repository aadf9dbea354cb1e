"""Hour and day values of a theme equal an independent aggregation of its source rows
(issue 20): local hours and days in a DST zone, measured, ratio, count and share."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from connectors.poll import poll
from store.schema import indicators
from tests.themes import depot, reference
from tests.themes.conftest import NOW, city_settings
from themes import compute, queries

UTC = dt.timezone.utc


def stored(engine) -> dict[tuple, float]:
    with engine.connect() as conn:
        rows = conn.execute(select(indicators).where(indicators.c.name.like("depot.%"))).all()
    return {(r.name.split(".", 1)[1], r.grain, r.scope_kind, r.scope, r.time): r.value for r in rows}


def assert_same(got: dict[tuple, float], want: dict[tuple, float]) -> None:
    assert set(got) == set(want), (sorted(set(got) - set(want))[:5], sorted(set(want) - set(got))[:5])
    wrong = [(k, got[k], want[k]) for k in want if abs(got[k] - want[k]) > 1e-9 * max(1.0, abs(want[k]))]
    assert not wrong, wrong[:5]


def test_values_equal_an_independent_aggregation(tmp_path, sqlite_store):
    url = f"sqlite:///{tmp_path}/depot.db"
    readings, events = depot.build(url)
    settings = city_settings(url, tmp_path)
    poll(settings, sqlite_store, now=NOW, parallel=False)
    compute.compute_themes(settings, sqlite_store, depot.START.replace(tzinfo=UTC), depot.END.replace(tzinfo=UTC))
    want = reference.expected(readings, events)
    assert_same(stored(sqlite_store), want)
    # the 25-hour local day of 2026-10-25 is one day, and its repeated 02:00 two hours
    day = dt.datetime(2026, 10, 24, 22, tzinfo=UTC)
    assert ("deliveries", "day", "city", "", day) in want
    assert ("stock", "hour", "entity", "D1", dt.datetime(2026, 10, 25, 0, tzinfo=UTC)) in want  # 02:00 CEST
    assert ("stock", "hour", "entity", "D1", dt.datetime(2026, 10, 25, 1, tzinfo=UTC)) in want  # 02:00 CET

    # corrections re-read and recomputed: still equal
    depot.correct(url, events, depot.END + dt.timedelta(minutes=20))
    poll(settings, sqlite_store, now=NOW + dt.timedelta(hours=1), parallel=False)
    compute.compute_themes(settings, sqlite_store, depot.START.replace(tzinfo=UTC), depot.END.replace(tzinfo=UTC))
    assert_same(stored(sqlite_store), reference.expected(readings, events))


def test_levels_and_queries(tmp_path, sqlite_store):
    url = f"sqlite:///{tmp_path}/depot.db"
    depot.build(url)
    settings = city_settings(url, tmp_path)
    theme = settings.theme("depot")
    poll(settings, sqlite_store, now=NOW, parallel=False)
    compute.compute_themes(settings, sqlite_store, depot.START.replace(tzinfo=UTC), depot.END.replace(tzinfo=UTC))
    fill = queries.values(sqlite_store, theme, "fill", grain="hour", scope_kind="entity", scopes=["D1"])
    assert len(fill) > 48 and fill["time"].is_monotonic_increasing
    fill_ind = theme.indicator("fill")
    for v, lv in zip(fill["value"], fill["level"]):
        assert lv == (4 if v >= 1.0 else 2 if v >= 0.9 else 1 if v >= 0.8 else 0)
        assert lv == queries.level_of(fill_ind, v)
    assert (fill["level"] > 0).any() and (fill["level"] == 0).any()
    newest = queries.latest(sqlite_store, theme, scope_kind="entity", indicators=["stock", "fill"])
    assert set(newest["scope"]) == {"D1", "D2", "D3"} and set(newest["indicator"]) == {"stock", "fill"}
    assert queries.data_time(sqlite_store, theme).replace(tzinfo=None) <= depot.END
    obs = queries.observations(sqlite_store, theme, start=depot.START.replace(tzinfo=UTC),
                               end=depot.END.replace(tzinfo=UTC), district="990102", settings=settings)
    assert set(obs["entity"]) == {"D3"} and {"stock", "punctual", "delayed"} <= set(obs.columns)
    ents = queries.entity_table(settings, theme)
    assert list(ents["code"]) == ["D1", "D2", "D3"] and list(ents["capacity"]) == [200.0, 100.0, 50.0]
    assert queries.level_of(fill_ind, None) is None and queries.LEVEL_NAMES[4] == "red"


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/Santiago"])
def test_periods_in_other_zones(zone):
    """Half-hour offsets and a zone whose DST change falls at midnight."""
    import pandas as pd
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    times = pd.Series(pd.date_range("2026-04-03", "2026-04-07", freq="7min", tz="UTC"))
    hour, day = compute.periods(times, tz)
    for t, h, d in zip(times, hour, day):
        local = t.to_pydatetime().astimezone(tz)
        assert h.to_pydatetime() == local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        assert d.to_pydatetime() == compute.local_midnight(local.date(), tz)
        assert d.to_pydatetime().astimezone(tz).date() == local.date()


def test_values_on_a_postgresql_store(tmp_path, pg_url):
    """The store's PostgreSQL paths: partitioned theme_obs, COPY of a clean batch, jsonb
    fields read by the database, indicator COPY — the same values."""
    from store.engine import make_engine, upgrade

    upgrade(pg_url)
    engine = make_engine(pg_url)
    try:
        url = f"sqlite:///{tmp_path}/depot.db"
        readings, events = depot.build(url)
        settings = city_settings(url, tmp_path, store_url=pg_url)
        poll(settings, engine, now=NOW, parallel=False)
        compute.compute_themes(settings, engine, depot.START.replace(tzinfo=UTC), depot.END.replace(tzinfo=UTC))
        assert_same(stored(engine), reference.expected(readings, events))
        with engine.connect() as conn:
            parts = conn.exec_driver_sql("SELECT count(*) FROM pg_inherits WHERE inhparent = 'theme_obs'::regclass")
            assert parts.scalar() >= 2  # monthly partitions and the default one
    finally:
        engine.dispose()
