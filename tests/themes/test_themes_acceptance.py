"""Issue 20 acceptance: a theme defined only in TOML (tests/themes/city.toml), polled from
SQLite, PostgreSQL and MariaDB — the values through API v1 equal an independent
aggregation of the source rows (hour and day, local days of a DST zone)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from connectors.poll import poll
from store import schema
from tests.themes import depot, reference
from tests.themes.conftest import NOW, city_settings
from themes.compute import compute_themes

UTC = dt.timezone.utc
INDICATORS = ("stock", "fill", "deliveries", "late", "on_time")


@pytest.fixture(scope="module")
def depot_app(tmp_path_factory: pytest.TempPathFactory):
    from access.tokens import create_token
    from app import create_app
    from store.engine import upgrade

    tmp = tmp_path_factory.mktemp("depot-app")
    settings = city_settings(f"sqlite:///{tmp}/unused.db", tmp, cache_url="null")
    upgrade(settings.resolved_store_url)
    app = create_app(settings)
    engine = app.server.extensions["citybrain"].engine
    _, token = create_token(engine, kind="api", name="reader", role="analyst", created_by="test", settings=settings)
    client = app.server.test_client()

    def get(path: str, **query: Any) -> Any:
        return client.get(path, query_string=query or None, headers={"Authorization": f"Bearer {token}"})

    yield app, engine, get
    engine.dispose()


def _fresh(engine) -> None:
    with engine.begin() as conn:
        for table in (schema.theme_obs, schema.indicators, schema.source_status, schema.quarantine,
                      schema.field_issues, schema.changed_spans, schema.warning_events, schema.warnings):
            conn.execute(table.delete())


def _all(get, path: str, **query: Any) -> list[dict[str, Any]]:
    """Every item of a list, following the next links."""
    body = get(path, **query)
    assert body.status_code == 200, body.get_json()
    page = body.get_json()
    items = list(page["items"])
    while page["next"]:
        resp = get(page["next"].split("?")[0].removeprefix(""), **dict(
            p.split("=", 1) for p in page["next"].split("?", 1)[1].split("&")))
        page = resp.get_json()
        items += page["items"]
    return items


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def depot_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/depot.db"
    return request.getfixturevalue("pg_url" if request.param == "postgresql" else "mysql_url")


def test_api_values_equal_an_independent_aggregation(depot_app, depot_url, tmp_path):
    app, engine, get = depot_app
    _fresh(engine)
    readings, events = depot.build(depot_url)
    settings = city_settings(depot_url, tmp_path)
    reports = poll(settings, engine, now=NOW, parallel=False)
    assert [r.status for r in reports] == ["ok", "ok"], [r.error for r in reports]
    compute_themes(settings, engine, depot.START.replace(tzinfo=UTC), depot.END.replace(tzinfo=UTC))
    want = reference.expected(readings, events)

    checked = 0
    for grain in ("hour", "day"):
        for scope_kind, query in (("city", {}), ("district", {"district": "990101"}),
                                  ("entity", {"entity": "D2"}), ("category", {"category": "food"})):
            scope = {"city": "", "district": "990101", "entity": "D2", "category": "food"}[scope_kind]
            for ind in INDICATORS:
                items = _all(get, f"/api/v1/indicators/depot.{ind}", grain=grain, limit="1000", **query)
                got = {dt.datetime.fromisoformat(i["time"]).astimezone(UTC): i["value"] for i in items}
                expected = {k[4]: v for k, v in want.items() if k[:4] == (ind, grain, scope_kind, scope)}
                assert set(got) == set(expected), (ind, grain, scope_kind)
                for t, v in expected.items():
                    assert got[t] == pytest.approx(v, rel=1e-9, abs=1e-12), (ind, grain, scope_kind, t)
                checked += len(expected)
                if items and scope_kind == "entity":
                    assert items[0]["entity"] == "D2" and items[0]["district"] == "990101"
    assert checked > 1300

    # local days: the 25-hour 2026-10-25 is one day row, asked for by the city's date
    day = get("/api/v1/indicators/depot.deliveries", grain="day", **{"from": "2026-10-25", "to": "2026-10-26"})
    rows = day.get_json()["items"]
    assert [r["date"] for r in rows] == ["2026-10-25"] and rows[0]["time"] == "2026-10-25T00:00:00+02:00"
    assert rows[0]["value"] == want[("deliveries", "day", "city", "", dt.datetime(2026, 10, 24, 22, tzinfo=UTC))]
    # keyset paging: small pages give the same rows as one big page
    small = _all(get, "/api/v1/indicators/depot.fill", grain="hour", entity="D1", limit="7")
    big = get("/api/v1/indicators/depot.fill", grain="hour", entity="D1", limit="1000").get_json()
    assert small == big["items"] and big["total"] == len(small) and big["next"] is None
    assert {"time", "grain", "value", "level", "level_name", "unit", "of", "per"} <= set(small[0])


def test_themes_list_and_observations(depot_app, tmp_path):
    app, engine, get = depot_app
    _fresh(engine)
    url = f"sqlite:///{tmp_path}/depot.db"
    readings, events = depot.build(url)
    poll(city_settings(url, tmp_path), engine, now=NOW, parallel=False)
    themes = get("/api/v1/themes").get_json()
    assert [t["code"] for t in themes["items"]] == ["depot"]
    fill = next(i for i in themes["items"][0]["indicators"] if i["code"] == "fill")
    assert fill["name"] == "depot.fill" and fill["unit"] == "%" and fill["display_factor"] == 100.0
    assert fill["levels"] == {"blue": 0.8, "yellow": 0.9, "red": 1.0} and fill["kind"] == "ratio"
    obs = _all(get, "/api/v1/observations/depot", entity="D3", limit="500",
               **{"from": "2026-10-24T00:00:00Z", "to": "2026-10-25T00:00:00Z"})
    assert obs and {o["entity"] for o in obs} == {"D3"} and all(o["district"] == "990102" for o in obs)
    times = [o["time"] for o in obs]
    assert times == sorted(times)
    ev = [o for o in obs if o["id"]]
    assert ev and {"punctual", "delayed", "category"} <= set(ev[0])
    for bad, status in (("/api/v1/indicators/depot.nope", 404), ("/api/v1/indicators/nope.fill", 404),
                        ("/api/v1/observations/nope", 404)):
        assert get(bad).status_code == status
    assert get("/api/v1/indicators/depot.fill", grain="month").get_json()["items"] == []  # hours and days only
    assert get("/api/v1/indicators/depot.fill", grain="week").status_code == 400
    assert get("/api/v1/indicators/depot.fill", entity="D9").status_code == 404
    doc = get("/api/v1/openapi.json").get_json()
    assert "/themes" in doc["paths"]
    names = doc["paths"]["/indicators/{name}"]["get"]["parameters"][0]["schema"]["enum"]
    assert "depot.fill" in names
