"""Unit tests of the wall's queries, geometry and fill logic (no browser)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 21, 6, 30, tzinfo=UTC)  # 14:30 in the city


@pytest.fixture
def store(settings_factory):
    from store.engine import make_engine, upgrade

    settings = settings_factory()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_store_url)
    engine = make_engine(settings.resolved_store_url)
    yield settings, engine
    engine.dispose()


def _ind(name, grain, kind, scope, time, value, **kw):
    return {"name": name, "grain": grain, "scope_kind": kind, "scope": scope, "time": time, "value": value,
            "level": kw.get("level"), "category": kw.get("category"), "detail": kw.get("detail"), "computed_at": NOW}


def test_air_traffic_hotline_queries_read_the_newest_rows(store):
    from store.queries import wall as q
    from store.schema import indicators

    settings, engine = store
    hour = dt.datetime(2026, 11, 21, 5, tzinfo=UTC)
    rows = [
        _ind("aqi", "hour", "city", "", hour - dt.timedelta(hours=1), 80, level=2, category="良",
             detail={"primary": ["PM10"], "color": "#FFFF00"}),
        _ind("aqi", "hour", "city", "", hour, 120, level=3, category="轻度污染", detail={"primary": ["PM2.5"]}),
        _ind("aqi", "hour", "station", "S1", hour, 130, level=3),
        _ind("tpi", "hour", "city", "", hour, 4.2, category="轻度拥堵"),
        _ind("tpi", "hour", "district", "411002", hour, 5.1, category="轻度拥堵"),
        _ind("speed_ratio", "hour", "segment", "R001", hour, 0.45, category="轻度拥堵"),
        _ind("hotline_calls", "hour", "city", "", dt.datetime(2026, 11, 20, 17, tzinfo=UTC), 10),  # 01:00 today
        _ind("hotline_calls", "hour", "city", "", dt.datetime(2026, 11, 20, 15, tzinfo=UTC), 99),  # yesterday
        _ind("hotline_calls", "hour", "category", "城市管理", dt.datetime(2026, 11, 21, 1, tzinfo=UTC), 7),
        _ind("hotline_answer_rate", "day", "city", "", dt.datetime(2026, 11, 20, 16, tzinfo=UTC), 0.93),
    ]
    with engine.begin() as conn:
        conn.execute(insert(indicators), rows)
    air = q.air.uncached(engine, now=NOW)
    assert (air["value"], air["level"], air["primary"]) == (120, 3, ["PM2.5"])
    assert [v for _, v in air["series"]] == [80, 120] and air["stations"][0]["code"] == "S1"
    traffic = q.traffic.uncached(engine, now=NOW)
    assert traffic["grade"] == "轻度拥堵" and traffic["segments"][0]["ratio"] == 0.45
    hot = q.hotline.uncached(engine, "Asia/Shanghai", now=NOW)
    assert hot["calls"] == 10 and hot["answer_rate"] == 0.93  # yesterday's 99 is not "today"
    assert hot["categories"] == [("城市管理", 7.0)] and len(hot["yesterday"]) == 1


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_newest_row_per_scope(request, store, backend):
    """Each scope's newest non-empty row in the window, whatever the other scopes' times."""
    from store.engine import make_engine, upgrade
    from store.queries.wall import _latest_per_scope
    from store.schema import indicators

    _, engine = store
    if backend == "postgresql":
        url = request.getfixturevalue("pg_url")
        upgrade(url)
        engine = make_engine(url)
    hour = dt.datetime(2026, 11, 21, 5, tzinfo=UTC)
    h = dt.timedelta(hours=1)
    rows = [
        _ind("speed_ratio", "hour", "segment", "R1", hour - 2 * h, 0.4, category="中度拥堵"),
        _ind("speed_ratio", "hour", "segment", "R1", hour - h, 0.9, category="畅通", detail={"speed": 50}),
        _ind("speed_ratio", "hour", "segment", "R1", hour, None),  # not measured yet: not "newest"
        _ind("speed_ratio", "hour", "segment", "R2", hour - 3 * h, 0.2, category="严重拥堵"),
        _ind("speed_ratio", "hour", "segment", "R3", hour - 9 * h, 0.5),  # before the window
        _ind("speed_ratio", "hour", "district", "R1", hour, 0.1),  # another scope kind
        _ind("tpi", "hour", "segment", "R2", hour, 7.0),  # another indicator
    ]
    with engine.begin() as conn:
        conn.execute(insert(indicators), rows)
    got = _latest_per_scope(engine, "speed_ratio", "hour", "segment", NOW - 6 * h)
    assert [(r["scope"], r["time"], r["value"], r["category"]) for r in got] == [
        ("R1", hour - h, 0.9, "畅通"), ("R2", hour - 3 * h, 0.2, "严重拥堵")]
    assert got[0]["detail"] == {"speed": 50} and got[0]["time"].tzinfo is not None
    assert "detail" not in _latest_per_scope(engine, "speed_ratio", "hour", "segment", NOW - 6 * h, detail=False)[0]
    if backend == "postgresql":
        engine.dispose()


def test_warnings_ticker_orders_by_level_and_skips_resolved(store):
    from store.queries import wall as q
    from store.schema import warnings

    _, engine = store
    base = {"rule": "r", "domain": "traffic", "scope_kind": "city", "scope": "", "handling": "unacknowledged",
            "title_zh": "t", "title_en": "t", "started_at": NOW}
    with engine.begin() as conn:
        conn.execute(insert(warnings), [base | {"level": "blue", "state": "firing", "fired_at": NOW},
                                         base | {"level": "red", "state": "recovering", "fired_at": NOW},
                                         base | {"level": "orange", "state": "resolved", "fired_at": NOW},
                                         base | {"level": "yellow", "state": "pending", "fired_at": None}])
    assert [w["level"] for w in q.active_warnings.uncached(engine)] == ["red", "blue"]


def test_heartbeat_upserts_one_row_per_wall(store):
    from store.queries import wall as q

    _, engine = store
    q.record_heartbeat(engine, "lobby", "overview", address="10.0.0.5", now=NOW)
    q.record_heartbeat(engine, "lobby", "traffic", now=NOW + dt.timedelta(seconds=30))
    rows = q.wall_checkins(engine, now=NOW + dt.timedelta(seconds=60))
    assert len(rows) == 1 and rows[0]["screen"] == "traffic" and rows[0]["age_seconds"] == 30
    assert q.forget_walls(engine, older_than=dt.timedelta(seconds=10), now=NOW + dt.timedelta(minutes=5)) == 1


def test_memoized_queries_work_inside_the_app(store, settings_factory):
    from app import create_app
    from store.queries import wall as q

    settings, _ = store
    app = create_app(settings)
    with app.server.app_context():
        from citybrain import context

        assert q.freshness(context.engine()) == {}


@pytest.mark.parametrize("config", ["config/xuchang.toml", "config/panzhihua.toml"])
def test_district_outlines_cover_every_district(config):
    from citybrain.settings import PROJECT_ROOT, load_settings
    from store.queries.map import approximate_districts, bounds, district_geojson

    settings = load_settings(PROJECT_ROOT / config, env={})
    gj = district_geojson(settings)
    assert {f["id"] for f in gj["features"]} == {d.code for d in settings.districts}
    (south, west), (north, east) = bounds(settings)
    for d in settings.districts:
        assert south < d.lat < north and west < d.lon < east
    cells = approximate_districts([(d.code, d.name_zh, d.name_en, d.lat, d.lon) for d in settings.districts],
                                  [(d.lon, d.lat) for d in settings.districts])
    for f, d in zip(cells["features"], settings.districts):  # each centre lies in its own cell
        assert _inside((d.lon, d.lat), f["geometry"]["coordinates"][0])


def _inside(p, ring):
    x, y, inside = p[0], p[1], False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def test_changed_only_sends_values_once():
    from dash import no_update

    from components.wall.ids import changed_only

    ids = [{"id": {"type": "wall-text", "key": "a"}}, {"id": {"type": "wall-text", "key": "b"}}]
    first, shown = changed_only(ids, "text", {("text", "a"): "1", ("text", "b"): "2"}, {})
    assert first == ["1", "2"]
    again, shown = changed_only(ids, "text", {("text", "a"): "1", ("text", "b"): "3"}, shown)
    assert again == [no_update, "3"] and len(shown) == 2  # bounded: one fingerprint per part


def test_tile_fill_marks_stale_and_formats_for_each_domain(settings_factory):
    from components.wall.tile import tile_fill

    settings = settings_factory()
    air = {"value": 120.0, "level": 3, "primary": ["PM2.5"]}
    fresh = tile_fill("o.environment", "environment", air, settings=settings, asof=NOW - dt.timedelta(minutes=30),
                      lang="zh", now=NOW)
    assert fresh[("text", "o.environment.value")] == "120"
    assert fresh[("text", "o.environment.chip")] == "轻度污染"
    assert "PM2.5" in fresh[("text", "o.environment.right")]
    assert "cb-hidden" in fresh[("class", "o.environment.stale")]
    stale = tile_fill("o.traffic", "traffic", {"value": 4.2, "grade": "轻度拥堵", "districts": []}, settings=settings,
                      asof=NOW - dt.timedelta(minutes=40), lang="en", now=NOW)
    assert "cb-hidden" not in stale[("class", "o.traffic.stale")]
    assert "40 min ago" in stale[("text", "o.traffic.asof")] and stale[("text", "o.traffic.chip")] == "Light congestion"


def test_vital_ranking_lists_a_district_without_an_index_last(settings_factory):
    """A district whose sources cover too little of the index (min_coverage) is shown as
    such at the bottom of the ranking, not silently missing from it."""
    from components.wall.vital import vital_fill

    settings = settings_factory()
    codes = [d.code for d in settings.districts]
    ranked = [{"code": c, "value": 80.0 - i} for i, c in enumerate(codes[:-1])]
    fill = vital_fill("v", {"time": NOW, "value": 75.0, "districts": ranked}, settings=settings, lang="zh", now=NOW)
    slots = min(len(codes), 10)
    labels = [fill[("text", f"v.rank.{i}.label")] for i in range(slots)]
    values = [fill[("text", f"v.rank.{i}.value")] for i in range(slots)]
    last = next(d for d in settings.districts if d.code == codes[-1])
    assert labels[len(codes) - 1] == last.name_zh and values[len(codes) - 1] == "数据不足"
    assert values[0] == "80.0" and fill[("style", f"v.rank.{len(codes) - 1}.bar")]["width"] == "0.0%"
    en = vital_fill("v", {"districts": ranked}, settings=settings, lang="en", now=NOW)
    assert en[("text", f"v.rank.{len(codes) - 1}.value")] == "Too little data"


def test_trend_figure_is_patchable():
    from figures.trend import trend_data, trend_figure

    series = [(NOW, 1.0), (NOW + dt.timedelta(hours=1), 2.0)]
    fig = trend_figure(series, font_px=24)
    assert len(fig.data) == 2 and list(fig.data[0].y) == [1.0, 2.0]
    assert trend_data(series)[0]["y"] == [1.0, 2.0] and trend_data(series)[1] == {"x": [], "y": []}


def test_every_wall_string_has_both_languages():
    from citybrain.strings.wall import STRINGS

    assert all(k.startswith(("wall.", "map.")) and zh and en for k, (zh, en) in STRINGS.items())
