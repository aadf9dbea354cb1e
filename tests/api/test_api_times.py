"""Times in the city's clock on the API (issue 19), on SQLite and PostgreSQL.

A consumer asking a Chinese city for ``from=2015-12-01`` gets that day's row (the window
starts at the city's midnight, not at 08:00 Beijing time); a day row says
``2015-12-01T00:00:00+08:00`` with ``date``/``period``; explicit offsets are honoured and
old clients' explicit-UTC queries mean what they meant.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, insert

from store.schema import indicators, obs_air, obs_economy, warnings

UTC = dt.timezone.utc
CST = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CST).astimezone(UTC)


@pytest.fixture(scope="module")
def seeded(api):
    """December 2015 rows of one station, the city's statistics and a warning."""
    assert api.settings.city.timezone == "Asia/Shanghai"
    station = api.settings.stations[0].code
    now = dt.datetime.now(UTC)
    tables = (indicators, obs_air, obs_economy, warnings)
    with api.engine.begin() as conn:
        for table in tables:
            conn.execute(delete(table))
        for day in (30, 1, 2):  # 2015-11-30, 12-01, 12-02: local midnights
            start = local(2015, 11 if day == 30 else 12, day)
            conn.execute(insert(indicators).values(
                name="aqi", grain="day", scope_kind="station", scope=station, time=start, value=100.0 + day, level=2,
                category="良", detail={"iaqi": {"pm25": 100 + day}, "primary": ["pm25"], "standard": "HJ 633-2012"},
                computed_at=now))
        for month in (10, 11, 12):
            conn.execute(insert(indicators).values(
                name="economy", grain="month", scope_kind="indicator", scope="RETAIL", time=local(2015, month, 1),
                value=float(month), level=None, category=None, detail={"yoy": 0.05}, computed_at=now))
        for month in (7, 10):
            conn.execute(insert(indicators).values(
                name="economy", grain="quarter", scope_kind="indicator", scope="GDP", time=local(2015, month, 1),
                value=float(month), level=None, category=None, detail={}, computed_at=now))
        for hour in range(14, 19):  # 22:00 … 02:00 local across the city's midnight
            conn.execute(insert(obs_air).values(station=station, time=dt.datetime(2015, 11, 30, hour, tzinfo=UTC),
                                                pm25=float(hour), source="t", ingested_at=now))
        for period, start in (("2015-11", dt.date(2015, 11, 1)), ("2015-12", dt.date(2015, 12, 1))):
            conn.execute(insert(obs_economy).values(
                indicator="RETAIL", period=period, district=api.settings.city.code, freq="month", period_start=start,
                value=1.0, revision=1, source="t", ingested_at=now))
        conn.execute(insert(warnings).values(
            rule="aqi_high", domain="environment", scope_kind="station", scope=station, district=None, level="orange",
            state="resolved", handling="closed", title_zh="x", title_en="x", value=210.0,
            started_at=local(2015, 12, 1, 7, 30), fired_at=local(2015, 12, 1, 8), resolved_at=local(2015, 12, 1, 20),
            open_key=None))
    yield station
    with api.engine.begin() as conn:
        for table in tables:
            conn.execute(delete(table))


def rows(api, path: str, **query) -> list[dict]:
    r = api.get(path, **query)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["items"]


def test_a_bare_date_is_the_citys_day(api, seeded):
    got = rows(api, "/api/v1/indicators/aqi", entity=seeded, grain="day", **{"from": "2015-12-01", "to": "2015-12-02"})
    assert len(got) == 1, got
    day = got[0]
    assert day["time"] == "2015-12-01T00:00:00+08:00" and day["date"] == "2015-12-01" and day["period"] == "2015-12-01"
    assert day["value"] == 101.0


def test_naive_times_are_local_and_offsets_are_honoured(api, seeded):
    def days(**window) -> list[str]:
        return [r["date"] for r in rows(api, "/api/v1/indicators/aqi", entity=seeded, grain="day", **window)]

    assert days(**{"from": "2015-12-01T00:00"}) == ["2015-12-01", "2015-12-02"]  # the city's midnight
    assert days(**{"from": "2015-12-01T00:00:00+08:00"}) == ["2015-12-01", "2015-12-02"]
    # an old client's explicit UTC keeps its meaning: 00:00Z is 08:00 in the city, after the 12-01 row began
    assert days(**{"from": "2015-12-01T00:00:00Z"}) == ["2015-12-02"]
    assert days(**{"from": "2015-12-01T00:00:00+00:00"}) == ["2015-12-02"]
    assert days(**{"from": "2015-11-30T16:00:00Z", "to": "2015-12-01T16:00:00Z"}) == ["2015-12-01"]
    assert days(**{"to": "2015-12-01"}) == ["2015-11-30"]  # end exclusive, on the city's calendar
    assert days(**{"from": "2015-12-01T00:00:00-05:00"}) == ["2015-12-02"]


def test_month_and_quarter_rows_carry_the_citys_period(api, seeded):
    months = rows(api, "/api/v1/indicators/economy", grain="month")
    assert [(r["period"], r["time"]) for r in months] == [
        ("2015-10", "2015-10-01T00:00:00+08:00"), ("2015-11", "2015-11-01T00:00:00+08:00"),
        ("2015-12", "2015-12-01T00:00:00+08:00")]
    assert all("date" not in r for r in months)
    quarters = rows(api, "/api/v1/indicators/economy", grain="quarter", **{"from": "2015-10-01"})
    assert [r["period"] for r in quarters] == ["2015-Q4"]


def test_observations_in_the_citys_clock(api, seeded):
    got = rows(api, "/api/v1/observations/environment", entity=seeded, **{"from": "2015-12-01"})
    assert [r["time"] for r in got] == ["2015-12-01T00:00:00+08:00", "2015-12-01T01:00:00+08:00",
                                        "2015-12-01T02:00:00+08:00"]
    before = rows(api, "/api/v1/observations/environment", entity=seeded, **{"to": "2015-12-01"})
    assert [r["time"] for r in before] == ["2015-11-30T22:00:00+08:00", "2015-11-30T23:00:00+08:00"]
    econ = rows(api, "/api/v1/observations/economy", **{"from": "2015-12-01"})
    assert [(r["period"], r["period_start"]) for r in econ] == [("2015-12", "2015-12-01")]


def test_warnings_in_the_citys_clock(api, seeded):
    got = rows(api, "/api/v1/warnings", **{"from": "2015-12-01", "to": "2015-12-02"})
    assert len(got) == 1
    w = got[0]
    assert w["started_at"] == "2015-12-01T07:30:00+08:00" and w["resolved_at"] == "2015-12-01T20:00:00+08:00"
    assert rows(api, "/api/v1/warnings", **{"from": "2015-12-01T00:00:00Z", "to": "2015-12-02"}) == []
    detail = api.get(f"/api/v1/warnings/{w['id']}").get_json()
    assert detail["fired_at"] == "2015-12-01T08:00:00+08:00"


def test_the_document_says_so(api):
    doc = api.app.server.test_client().get("/api/v1/openapi.json").get_json()
    params = {p["name"]: p for p in doc["paths"]["/indicators/{name}"]["get"]["parameters"]}
    assert "Asia/Shanghai" in params["from"]["description"]
    row = doc["components"]["schemas"]["IndicatorRow"]["properties"]
    assert {"date", "period"} <= set(row) and row["date"]["format"] == "date"
    page = doc["components"]["schemas"]["IndicatorRowPage"]["properties"]
    assert "cursor" in page["next"]["description"] and page["total"]["type"] == ["integer", "null"]
