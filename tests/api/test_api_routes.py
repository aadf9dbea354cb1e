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
                                     "lag_seconds", "rows_read", "rows_written", "rows_quarantined", "last_error"}


def test_aqi_rows_carry_iaqi_primary_standard_and_utc_times(harness):
    station = harness.settings.stations[0].code
    items = get(harness, f"/api/v1/indicators/aqi?entity={station}").get_json()["items"]
    assert len(items) == 3
    row = items[0]
    assert row["entity"] == station and row["primary"] == ["pm25"] and row["standard"] == "HJ 633-2012"
    assert row["iaqi"] == {"pm25": 80} and row["time"].endswith("Z")
    assert get(harness, "/api/v1/indicators/aqi").get_json()["items"] == []  # city-wide: none seeded


def test_vital_signs_with_contributions(harness):
    items = get(harness, "/api/v1/vital-signs", "u_leader").get_json()["items"]
    assert items and items[0]["contributions"] == {"air": 0.3}


def test_pagination(harness):
    station = harness.settings.stations[0].code
    first = get(harness, f"/api/v1/indicators/aqi?entity={station}&limit=2").get_json()
    assert len(first["items"]) == 2 and first["total"] == 3 and "offset=2" in first["next"]
    second = get(harness, first["next"]).get_json()
    assert len(second["items"]) == 1 and second["next"] is None


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
