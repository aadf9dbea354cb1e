"""API v1: shapes, filters, errors, pagination, acknowledgement, rate limit, token expiry/revocation."""

from __future__ import annotations

import dataclasses
import datetime as dt

from access import audit
from access.state import EXTENSION
from access.tokens import create_token, revoke_token

UTC = dt.timezone.utc


def get(harness, path: str, user: str = "u_analyst", token: str | None = None):
    return harness.server.test_client().get(path, headers={"Authorization": f"Bearer {token or harness.tokens[user]}"})


def test_sources_shape(harness):
    body = get(harness, "/api/v1/sources").get_json()
    assert body["total"] == len(harness.settings.sources) and body["next"] is None
    assert set(body["items"][0]) == {"name", "domain", "status", "last_attempt", "last_success", "watermark",
                                     "lag_seconds", "rows_read", "rows_written", "rows_quarantined", "last_error",
                                     "field_issues"}


def test_sources_count_unusable_fields_per_field_and_rule(harness):
    """Issue 19: a field left empty because the department's value was unusable is counted
    per source, field and rule in the API as on /sources."""
    from sqlalchemy import delete, insert

    from store.schema import field_issues

    source = harness.settings.sources[0].name
    now = dt.datetime.now(UTC)
    rows = [{"source": source, "row_key": f"X|{i}", "field": "pm25", "domain": "environment", "time": now,
             "rule": "missing", "value": "NA", "reason": "NA is a missing marker", "received_at": now}
            for i in range(3)]
    with harness.engine.begin() as conn:
        conn.execute(insert(field_issues), rows)
    try:
        items = {i["name"]: i for i in get(harness, "/api/v1/sources").get_json()["items"]}
        got = [x for x in items[source]["field_issues"] if x["field"] == "pm25" and x["rule"] == "missing"]
        assert len(got) == 1 and got[0]["n"] == 3 and got[0]["last_received"].endswith("+08:00")
    finally:
        with harness.engine.begin() as conn:
            conn.execute(delete(field_issues).where(field_issues.c.row_key.like("X|%")))


def test_aqi_rows_carry_iaqi_primary_standard_and_city_times(harness):
    station = harness.settings.stations[0].code
    items = get(harness, f"/api/v1/indicators/aqi?entity={station}").get_json()["items"]
    assert len(items) == 3
    row = items[0]
    assert row["entity"] == station and row["primary"] == ["pm25"] and row["standard"] == "HJ 633-2012"
    assert row["iaqi"] == {"pm25": 80} and row["time"].endswith("+08:00")  # the city's clock (issue 19)
    assert "date" not in row and "period" not in row  # an hour row has no day or period name
    assert get(harness, "/api/v1/indicators/aqi").get_json()["items"] == []  # city-wide: none seeded


def test_vital_signs_with_contributions(harness):
    items = get(harness, "/api/v1/vital-signs", "u_leader").get_json()["items"]
    assert items and items[0]["contributions"] == {"air": 0.3}


def test_pagination(harness):
    station = harness.settings.stations[0].code
    first = get(harness, f"/api/v1/indicators/aqi?entity={station}&limit=2").get_json()
    assert len(first["items"]) == 2 and first["total"] == 3 and "cursor=" in first["next"]
    second = get(harness, first["next"]).get_json()
    assert len(second["items"]) == 1 and second["next"] is None
    assert second["total"] is None and second["offset"] is None  # not counted again: a page costs one range read
    legacy = get(harness, f"/api/v1/indicators/aqi?entity={station}&limit=2&offset=2").get_json()
    assert legacy["items"] == second["items"] and legacy["total"] == 3 and legacy["offset"] == 2


def test_errors_are_json_with_a_message(harness):
    for path, status in (("/api/v1/indicators/nope", 404), ("/api/v1/observations/air", 404),
                         ("/api/v1/warnings?level=purple", 400), ("/api/v1/warnings?from=yesterday", 400),
                         ("/api/v1/sources?limit=0", 400), ("/api/v1/nothing", 404), ("/api/v1/warnings/999999", 404)):
        r = get(harness, path)
        assert r.status_code == status and r.get_json()["message"], path
    r = harness.server.test_client().get("/api/v1/sources", headers={"Authorization": "Bearer cbt_forged"})
    assert r.status_code == 401 and "token create" in r.get_json()["message"]


def test_warning_detail_and_department_scope(harness):
    wid = harness.warnings["traffic_there"]
    body = get(harness, f"/api/v1/warnings/{wid}", "u_duty").get_json()
    assert body["level"] == "yellow" and body["state"] == "firing" and isinstance(body["history"], list)
    assert get(harness, f"/api/v1/warnings/{harness.warnings['env_here']}", "u_traffic").status_code == 404
    domains = {w["domain"] for w in get(harness, "/api/v1/warnings", "u_traffic").get_json()["items"]}
    assert domains == {"traffic"}


def test_ack_through_the_api(harness):
    client = harness.server.test_client()
    wid = harness.warnings["traffic_ack2"]
    head = lambda u: {"Authorization": f"Bearer {harness.tokens[u]}"}  # noqa: E731
    assert client.post(f"/api/v1/warnings/{wid}/ack", json={"note": "x"}, headers=head("u_analyst")).status_code == 403
    r = client.post(f"/api/v1/warnings/{wid}/ack", json={"note": "seen"}, headers=head("u_traffic"))
    assert r.status_code == 200 and r.get_json()["handling"] == "acknowledged"
    assert r.get_json()["history"][-1]["note"] == "seen"
    again = client.post(f"/api/v1/warnings/{wid}/ack", json={"note": "x"}, headers=head("u_duty"))
    assert again.status_code == 409 and "already" in again.get_json()["message"]
    rows = audit.read(harness.engine, action="warning.ack", actor="token:u_traffic")[0]
    assert rows and rows[0]["target"] == f"warning:{wid}"  # written with the change, naming the warning


def test_token_expiry_and_revocation(harness):
    tid, secret = create_token(harness.engine, kind="api", name="short", role="analyst", created_by="t",
                               expires_at=dt.datetime.now(UTC) + dt.timedelta(seconds=30), settings=harness.settings)
    assert get(harness, "/api/v1/sources", token=secret).status_code == 200
    revoke_token(harness.engine, tid)
    assert get(harness, "/api/v1/sources", token=secret).status_code == 401
    from access.tokens import verify_token

    _, old = create_token(harness.engine, kind="api", name="old", role="analyst", created_by="t",
                          expires_at=dt.datetime.now(UTC) + dt.timedelta(seconds=5), settings=harness.settings)
    assert verify_token(harness.engine, old, "api", now=dt.datetime.now(UTC) + dt.timedelta(seconds=6)) is None


def test_rate_limit_per_token_in_the_cache(harness, tmp_path):
    from flask_caching import Cache

    state = harness.server.extensions[EXTENSION]
    saved = state.config
    from citybrain import cache as cache_mod

    backup = dict(harness.server.extensions.get("cache", {}))
    local = Cache()
    local.init_app(harness.server, config={"CACHE_TYPE": "citybrain.cache.LockingFileSystemCache",
                                         "CACHE_DIR": str(tmp_path)})  # its counter is atomic
    real = cache_mod.cache
    cache_mod.cache = local
    import api.auth as auth

    auth.cache = local
    state.config = dataclasses.replace(saved, api_rate_limit=3)
    try:
        _, secret = create_token(harness.engine, kind="api", name="busy", role="analyst", created_by="t",
                                 settings=harness.settings)
        codes = [get(harness, "/api/v1/sources", token=secret).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        r = get(harness, "/api/v1/sources", token=secret)
        assert r.headers["Retry-After"] and "rate limit" in r.get_json()["message"]
        assert get(harness, "/api/v1/sources", "u_analyst").status_code == 200  # another token's own budget
    finally:
        state.config = saved
        cache_mod.cache = real
        auth.cache = real
        harness.server.extensions["cache"] = backup


def _head(harness, user: str = "u_admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {harness.tokens[user]}"}


def test_what_the_document_forbids_is_a_400_never_a_500(harness):
    """Issue 17: empty ``to=``/``limit=``, repeated parameters, ids ≥ 2⁶³, NUL in a code."""
    for path, status in (("/api/v1/warnings?to=", 400), ("/api/v1/warnings?from=", 400),
                         ("/api/v1/sources?limit=", 400), ("/api/v1/sources?offset=", 400),
                         ("/api/v1/warnings?state=", 400), ("/api/v1/indicators/aqi?grain=", 400),
                         ("/api/v1/indicators/aqi?entity=", 400), ("/api/v1/warnings?district=", 400),
                         ("/api/v1/sources?limit=1&limit=2", 400), ("/api/v1/warnings?level=red&level=blue", 400),
                         ("/api/v1/sources?limit=%EF%BC%91", 400), ("/api/v1/sources?limit=1_0", 400),
                         ("/api/v1/sources?limit=+5", 400), ("/api/v1/warnings?district=41%0002", 400),
                         ("/api/v1/warnings?from=2026-02-30", 400), ("/api/v1/warnings?from=2026-11-01T24:00:00Z", 400),
                         ("/api/v1/warnings?from=2026-11-01%2008:00", 400), ("/api/v1/warnings?from=20261101", 400),
                         ("/api/v1/warnings?to=2026-11-01T08:00:00%2B24:00", 400),
                         ("/api/v1/warnings/248570830555696336994304", 404), ("/api/v1/warnings/2147483648", 404),
                         ("/api/v1/warnings/0", 404), ("/api/v1/warnings/-1", 404)):
        r = harness.server.test_client().get(path, headers=_head(harness))
        assert r.status_code == status and r.get_json()["message"], (path, r.status_code)
    r = harness.server.test_client().post("/api/v1/warnings/248570830555696336994304/ack", json={},
                                          headers=_head(harness, "u_duty"))
    assert r.status_code == 404


def test_times_the_document_allows_are_read(harness):
    """Every form the document's pattern allows is accepted, including the edges of the calendar."""
    for value in ("2026-11-01", "2024-02-29", "2000-02-29", "2026-11-01T08:00", "2026-11-01t08:00:00z",
                  "2026-11-01T08:00:00.123456789+08:00", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59",
                  "0000-02-29"):
        r = harness.server.test_client().get("/api/v1/warnings", query_string={"from": value}, headers=_head(harness))
        assert r.status_code == 200, (value, r.get_json())
    for value in ("2100-02-29", "1900-02-29", "2026-04-31"):
        r = harness.server.test_client().get("/api/v1/warnings", query_string={"from": value}, headers=_head(harness))
        assert r.status_code == 400, value


def test_ack_bodies_the_document_forbids(harness):
    """``null``, non-JSON, non-objects, unknown or repeated names, NUL, deep nesting: 400; other media: 415."""
    client = harness.server.test_client()
    wid = harness.warnings["env_ack"]
    url = f"/api/v1/warnings/{wid}/ack"
    before = client.get(f"/api/v1/warnings/{wid}", headers=_head(harness)).get_json()["handling"]
    json_type = {**_head(harness, "u_duty"), "Content-Type": "application/json"}
    for body in ("null", "[]", "5", '"note"', "{", "not json", '{"note": 5}', '{"note": null}', '{"x": 1}',
                 '{"note": "a", "note": "b"}', '{"note": "a\\u0000b"}', '{"note": NaN}', "[" * 30_000 + "]" * 30_000,
                 '{"a":' * 10_000 + "1" + "}" * 10_000, '{"note": "' + "x" * 2001 + '"}'):
        r = client.post(url, data=body, headers=json_type)
        assert r.status_code == 400 and r.get_json()["message"], (body[:40], r.status_code)
    r = client.post(url, data=b'{"note": "\xff"}', headers=json_type)
    assert r.status_code == 400
    r = client.post(url, data='{"note": "x"}', headers={**_head(harness, "u_duty"), "Content-Type": "text/plain"})
    assert r.status_code == 415
    r = client.post(url, data="x" * 70_000, headers=json_type)
    assert r.status_code == 413
    assert client.get(f"/api/v1/warnings/{wid}", headers=_head(harness)).get_json()["handling"] == before  # untouched


def test_405_names_the_allowed_methods(harness):
    client = harness.server.test_client()
    for method, path, allow in (("TRACE", "/api/v1/sources", "GET, HEAD, OPTIONS"),
                                ("DELETE", "/api/v1/warnings/1", "GET, HEAD, OPTIONS"),
                                ("GET", "/api/v1/warnings/1/ack", "OPTIONS, POST"),
                                ("PUT", "/api/v1/warnings/1/ack", "OPTIONS, POST")):
        r = client.open(path, method=method, headers=_head(harness))
        assert r.status_code == 405 and r.headers["Allow"] == allow and r.get_json()["status"] == 405, (method, path)
    r = client.options("/api/v1/warnings/1/ack")
    assert r.headers["Allow"] == "OPTIONS, POST"  # not Dash's catch-all GET
    assert client.open("/api/v1/nothing", method="PUT", headers=_head(harness)).status_code == 404
