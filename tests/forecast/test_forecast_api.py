"""The forecast routes: points with intervals after the last observation in the city's
clock, accuracy, the envelope, 400 for malformed input, 403 outside a token's scope."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, insert

from access.tokens import create_token
from store.schema import forecast_points, forecast_series
from tests.api.conftest import api  # noqa: F401 — the API app on SQLite and PostgreSQL

UTC = timezone.utc
LAST = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # 14:00 in Xuchang


def _put(engine, indicator: str, scope_kind: str, scope: str, *, model: str = "mstl_ses", n: int = 48) -> None:
    key = {"indicator": indicator, "grain": "hour", "scope_kind": scope_kind, "scope": scope}
    acc = {"model": model, "fallback": model == "seasonal_naive", "mase": 0.52, "smape": 12.5,
           "coverage80": 0.81, "coverage95": 0.94, "origins": 29, "horizon": 24, "weeks": 4,
           "baseline_mase": 0.68, "better_than_baseline": 0.235,
           "first_origin": "2026-11-16T06:00:00+00:00", "last_origin": "2026-11-29T06:00:00+00:00"}
    with engine.begin() as conn:
        for t in (forecast_points, forecast_series):
            conn.execute(delete(t).where(t.c.indicator == indicator, t.c.scope == scope))
        conn.execute(insert(forecast_series).values(**key, model=model, params={}, accuracy=acc, last_obs=LAST,
                                                    made_at=LAST, backtested_at=LAST))
        conn.execute(insert(forecast_points), [
            {**key, "time": LAST + timedelta(hours=i + 1), "value": 100.0 + i, "lo80": 90.0 + i, "hi80": 110.0 + i,
             "lo95": 80.0 + i, "hi95": 120.0 + i} for i in range(n)])


def _token(api, **kw) -> str:
    return create_token(api.engine, kind="api", name="t", created_by="test", settings=api.settings, **kw)[1]


def _get(api, path: str, token: str | None = None, **query):
    return api.app.server.test_client().get(path, query_string=query or None,
                                            headers={"Authorization": f"Bearer {token or api.token}"})


@pytest.fixture
def served(api):  # noqa: F811
    _put(api.engine, "tourism_present", "site", "TS01")
    _put(api.engine, "tpi", "district", "411002", model="seasonal_naive")
    _put(api.engine, "tpi", "district", "411003")
    return api


def test_points_start_after_the_last_observation_in_the_city_clock(served) -> None:
    r = _get(served, "/api/v1/forecasts/tourism_present", entity="TS01", horizon="4")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert [i["time"] for i in body["items"]] == ["2026-11-30T15:00:00+08:00", "2026-11-30T16:00:00+08:00",
                                                  "2026-11-30T17:00:00+08:00", "2026-11-30T18:00:00+08:00"]
    first = body["items"][0]
    assert first == {"time": "2026-11-30T15:00:00+08:00", "value": 100.0, "lo80": 90.0, "hi80": 110.0,
                     "lo95": 80.0, "hi95": 120.0}
    assert body["total"] == 4 and body["next"] is None
    assert body["last_observation"] == "2026-11-30T14:00:00+08:00" and body["age_seconds"] > 0
    assert body["model"] == "mstl_ses" and body["baseline_serves"] is False
    assert body["entity"] == "TS01" and body["district"] is not None
    assert body["accuracy"]["baseline"] == "seasonal_naive" and body["accuracy"]["mase"] == 0.52
    assert len(_get(served, "/api/v1/forecasts/tourism_present", entity="TS01").get_json()["items"]) == 24


def test_accuracy(served) -> None:
    body = _get(served, "/api/v1/forecasts/tpi/accuracy", district="411002").get_json()
    for key in ("model", "baseline", "mase", "smape", "coverage80", "coverage95", "origins", "horizon"):
        assert key in body
    assert body["baseline"] == "seasonal_naive" and body["model"] == "seasonal_naive"
    assert body["baseline_serves"] is True and body["origins"] == 29 and body["horizon"] == 24
    assert body["weeks"] == 4 and body["days"] == 14.0  # asked for 4 weeks; the history covered two


def test_a_series_without_forecast_is_an_empty_list(served) -> None:
    body = _get(served, "/api/v1/forecasts/pm25", entity="XC01").get_json()
    assert body["items"] == [] and body["last_observation"] is None and body["model"] is None
    assert body["note_zh"] and "weather" in body["note_en"]  # what accuracy air quality can have


@pytest.mark.parametrize("path, query, status", [
    ("/api/v1/forecasts/tourism_present", {"entity": "TS01", "horizon": "abc"}, 400),
    ("/api/v1/forecasts/tourism_present", {"entity": "TS01", "horizon": "0"}, 400),
    ("/api/v1/forecasts/tourism_present", {"entity": "TS01", "horizon": "49"}, 400),
    ("/api/v1/forecasts/tourism_present", {"entity": "TS01", "grain": "week"}, 400),
    ("/api/v1/forecasts/tourism_present", {"entity": "TS01", "limit": "0"}, 400),
    ("/api/v1/forecasts/tourism_present", {}, 404),  # no city-wide series: which site?
    ("/api/v1/forecasts/tourism_present", {"entity": "TS01", "grain": "day"}, 404),
    ("/api/v1/forecasts/tpi", {"entity": "R001"}, 404),
    ("/api/v1/forecasts/hotline_calls", {"entity": "教育", "district": "411002"}, 404),
    ("/api/v1/forecasts/tourism_present", {"entity": "x" * 500}, 400),
    ("/api/v1/forecasts/tourism_present", {"entity": "NOPE"}, 404),
    ("/api/v1/forecasts/tpi", {"district": "999999"}, 404),
    ("/api/v1/forecasts/speed", {}, 404),
    ("/api/v1/forecasts/speed/accuracy", {}, 404),
    # the bounds the OpenAPI document states (schemathesis sent limit=267635 as schema-valid once)
    ("/api/v1/forecasts/tourism_present", {"entity": "TS01", "limit": "1001"}, 400),
    ("/api/v1/forecasts/tourism_present", {"entity": "TS01", "offset": "-1"}, 400),
    ("/api/v1/forecast-warnings/hit-rate", {"days": "abc"}, 400),
    ("/api/v1/forecast-warnings/hit-rate", {"days": "-1"}, 400),
    ("/api/v1/forecast-warnings/hit-rate", {"days": "9" * 40}, 400),
    ("/api/v1/forecast-warnings/hit-rate", {"days": "30.5"}, 400),
])
def test_malformed_and_unknown(served, path, query, status) -> None:
    r = _get(served, path, **query)
    assert r.status_code == status, r.get_json()
    assert r.get_json()["status"] == status and r.get_json()["message"]


def test_scope_of_department_and_district_tokens(served) -> None:
    traffic = _token(served, role="department", domains=["traffic"])
    assert _get(served, "/api/v1/forecasts/tpi", traffic, district="411003").status_code == 200
    assert _get(served, "/api/v1/forecasts/tourism_present", traffic, entity="TS01").status_code == 403
    assert _get(served, "/api/v1/forecasts/tourism_present/accuracy", traffic, entity="TS01").status_code == 403
    local = _token(served, role="department", domains=["traffic"], district="411002")
    assert _get(served, "/api/v1/forecasts/tpi", local, district="411002").status_code == 200
    assert _get(served, "/api/v1/forecasts/tpi", local, district="411003").status_code == 403
    assert _get(served, "/api/v1/forecasts/tpi", local).status_code == 403  # the city is not its district
    assert _get(served, "/api/v1/forecasts/tpi").status_code in (200,)  # analyst: the city (no forecast yet → [])
    assert _get(served, "/api/v1/forecasts/tpi", "cbt_nope").status_code == 401


def test_openapi_and_hit_rate(served) -> None:
    doc = _get(served, "/api/v1/openapi.json").get_json()
    assert {"/forecasts/{indicator}", "/forecasts/{indicator}/accuracy", "/forecast-warnings/hit-rate"} \
        <= set(doc["paths"])
    assert "ForecastPoint" in doc["components"]["schemas"]
    body = _get(served, "/api/v1/forecast-warnings/hit-rate").get_json()
    assert set(body) >= {"fired", "scored", "confirmed", "hit_rate"} and body["days"] is None
    assert _get(served, "/api/v1/forecast-warnings/hit-rate", days="30").get_json()["days"] == 30
    assert _get(served, "/api/v1/forecast-warnings/hit-rate", days="0").get_json()["days"] is None  # 0: all
    doc_limit = next(p for p in doc["paths"]["/forecasts/{indicator}"]["get"]["parameters"] if p["name"] == "limit")
    assert doc_limit["schema"]["maximum"] == 1000
