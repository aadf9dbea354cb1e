"""Sign-in, throttling, sessions, SSO, wall tokens, district limits, warning handling and their audit rows."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from sqlalchemy import select

from access import audit
from access.state import EXTENSION
from access.tokens import create_token, revoke_token
from access.users import add_user
from store.schema import warnings
from tests.access.harness import PASSWORD

UTC = dt.timezone.utc


def audit_rows(harness, action: str, actor: str | None = None) -> list[dict]:
    return audit.read(harness.engine, action=action, actor=actor, limit=1000)[0]


def test_login_sets_httponly_samesite_cookie_and_audits(harness):
    c = harness.server.test_client()
    r = c.post("/login", data={"username": "u_leader", "password": PASSWORD, "next": "/economy"},
               environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert r.status_code == 302 and r.headers["Location"] == "/economy"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    row = audit_rows(harness, "login", "u_leader")[0]
    assert row["address"] == "10.1.2.3"
    assert c.post("/logout").status_code == 302
    assert audit_rows(harness, "logout", "u_leader")
    assert c.get("/economy").status_code == 302  # signed out: back to the login page


def test_open_redirect_is_refused(harness):
    c = harness.server.test_client()
    r = c.post("/login", data={"username": "u_leader", "password": PASSWORD, "next": "//evil.example/"})
    assert r.headers["Location"] == "/"


def test_repeated_failures_are_slowed_then_the_right_password_works(harness):
    """No lock: after the free attempts each try waits (429 + Retry-After), the right password
    included; once the wait has passed it signs in (access/throttle.py has the timings)."""
    import time

    add_user(harness.engine, "u_lock", PASSWORD, "analyst")
    c = harness.server.test_client()
    where = {"REMOTE_ADDR": "10.66.0.1"}  # its own address: the shared harness's logins stay unthrottled
    attempts = harness.server.extensions[EXTENSION].config.lockout_attempts
    for _ in range(attempts):
        assert c.post("/login", data={"username": "u_lock", "password": "wrong-password"},
                      environ_base=where).status_code == 401
    r = c.post("/login", data={"username": "u_lock", "password": PASSWORD}, environ_base=where)
    assert r.status_code == 429 and r.headers["Retry-After"] == "1", "the right password waits its turn too"
    assert len(audit_rows(harness, "login.failed", "u_lock")) == attempts
    assert audit_rows(harness, "login.throttled", "u_lock")
    time.sleep(1.1)
    assert c.post("/login", data={"username": "u_lock", "password": PASSWORD}, environ_base=where).status_code == 302


def test_unknown_user_and_disabled_user_cannot_sign_in(harness):
    from access.users import set_disabled

    c = harness.server.test_client()
    assert c.post("/login", data={"username": "nobody", "password": PASSWORD}).status_code == 401
    add_user(harness.engine, "u_gone", PASSWORD, "leader")
    signed = harness.client("u_gone")
    assert signed.get("/economy").status_code == 200
    set_disabled(harness.engine, "u_gone")
    assert signed.get("/economy").status_code == 302, "disabling takes effect on the open session"
    assert c.post("/login", data={"username": "u_gone", "password": PASSWORD}).status_code == 401


def test_unauthenticated_callbacks_get_401_and_no_data(harness):
    r = harness.server.test_client().post("/_dash-update-component",
                                          json=harness.callback_body("traffic-kpis", {"traffic-view.data": {}}))
    assert r.status_code == 401 and "response" not in r.get_json()


def test_wall_token_bound_to_screen_expiring_and_revocable(harness):
    c = harness.server.test_client()
    screen, other = harness.wall_screen, harness.settings.wall.screens[0].name
    r = c.get(f"/wall/{screen}?token={harness.wall_token}")  # exchanged for the cookie (test_access_sessions)
    assert r.status_code == 302 and r.headers["Location"] == f"/wall/{screen}"
    assert c.get(f"/wall/{screen}").status_code == 200
    assert c.get(f"/wall/{other}").status_code == 403
    assert c.get("/traffic").status_code == 403
    config_one = {"screens": [{"name": screen}]}
    ok = c.post("/_dash-update-component", json=harness.callback_body("wall-client", {"wall-screen.data": screen}))
    assert ok.status_code == 200
    body = harness.callback_body('{"key":["ALL"],"type":"wall-text"}', {"wall-config.data": {"screens": [{"name": other}]}})
    assert c.post("/_dash-update-component", json=body).status_code == 403
    body = harness.callback_body('{"key":["ALL"],"type":"wall-text"}', {"wall-config.data": config_one})
    assert c.post("/_dash-update-component", json=body).status_code != 403
    # the page itself serves only the token's screen, so the wall's own refreshes pass
    page = c.post("/_dash-update-component", json=harness.callback_body(
        "_pages_content", {"_pages_location.pathname": f"/wall/{screen}", "_pages_location.search": ""}))
    served = json.dumps(page.get_json()["response"], ensure_ascii=False)
    assert page.status_code == 200 and f'"name": "{screen}"' in served and f'"name": "{other}"' not in served
    # revocation: the open session stops at once
    tid, secret = create_token(harness.engine, kind="wall", name="lobby", role="wall", screen=screen,
                               created_by="test", settings=harness.settings)
    c2 = harness.server.test_client()
    assert c2.get(f"/wall/{screen}?token={secret}", follow_redirects=True).status_code == 200
    revoke_token(harness.engine, tid)
    assert c2.get(f"/wall/{screen}").status_code == 302
    assert c2.post("/_dash-update-component", json=harness.callback_body("wall-client", {})).status_code == 401
    # expiry
    now = dt.datetime.now(UTC)
    tid, secret = create_token(harness.engine, kind="wall", name="old", role="wall", screen=screen, created_by="test",
                               settings=harness.settings, expires_at=now + dt.timedelta(seconds=1), now=now)
    from access.tokens import verify_token

    assert verify_token(harness.engine, secret, "wall", now=now) is not None
    assert verify_token(harness.engine, secret, "wall", now=now + dt.timedelta(seconds=2)) is None


def test_district_user_sees_only_their_district(harness):
    c = harness.client("u_traffic_d")
    d, other = harness.district, harness.other_district
    r = c.get("/traffic")
    assert r.status_code == 302 and f"district={d}" in r.headers["Location"]
    assert c.get(f"/traffic?district={d}").status_code == 200
    assert c.get(f"/traffic?district={other}").status_code == 302
    assert c.get("/").status_code == 403  # the city-wide overview
    for view, expected in (({"district": d}, 200), ({"district": other}, 403), ({"district": None}, 403)):
        body = harness.callback_body("traffic-kpis", {"traffic-view.data": {"range": "24h", **view}})
        assert c.post("/_dash-update-component", json=body).status_code == expected, view
    body = harness.callback_body("traffic-detail-box", {"traffic-view.data": {
        "district": d, "detail": next(s.code for s in harness.settings.segments if s.district != d)}})
    assert c.post("/_dash-update-component", json=body).status_code == 403
    api = harness.server.test_client()
    head = {"Authorization": f"Bearer {harness.tokens['u_traffic_d']}"}
    assert api.get(f"/api/v1/indicators/tpi?district={other}", headers=head).status_code == 403
    rows = api.get("/api/v1/indicators/tpi", headers=head).get_json()["items"]
    assert rows and {r["district"] for r in rows} == {d}
    ids = {w["id"] for w in api.get("/api/v1/warnings", headers=head).get_json()["items"]}
    assert harness.warnings["traffic_here"] in ids and harness.warnings["traffic_there"] not in ids


def act_body(harness, warning_id: int, trigger: str = "wc-ack") -> dict:
    return harness.callback_body("wc-changed", {"wc-selected.data": warning_id, "wc-note.value": "on it",
                                                "wc-department.value": "交警支队", f"{trigger}.n_clicks": 1,
                                                "wc-lang.data": "zh"},
                                 trigger=f"{trigger}.n_clicks")


def handling_of(harness, key: str) -> str:
    with harness.engine.connect() as conn:
        return conn.execute(select(warnings.c.handling).where(warnings.c.id == harness.warnings[key])).scalar_one()


def test_acknowledgement_rights_and_audit(harness):
    duty, traffic, leader = harness.client("u_duty"), harness.client("u_traffic"), harness.client("u_leader")
    # the department head acts only in their domain; the leader only reads
    r = traffic.post("/_dash-update-component", json=act_body(harness, harness.warnings["env_ack"]))
    assert r.status_code == 403 and handling_of(harness, "env_ack") == "unacknowledged"
    r = leader.post("/_dash-update-component", json=act_body(harness, harness.warnings["env_ack"]))
    assert r.status_code == 403 and handling_of(harness, "env_ack") == "unacknowledged"
    assert audit_rows(harness, "access.denied", "u_leader")
    r = traffic.post("/_dash-update-component", json=act_body(harness, harness.warnings["traffic_ack"]))
    assert r.status_code == 200 and handling_of(harness, "traffic_ack") == "acknowledged"
    row = audit_rows(harness, "warning.ack", "u_traffic")[0]
    assert row["target"] == f"warning:{harness.warnings['traffic_ack']}" and row["detail"]["to"] == "acknowledged"
    # the duty officer acts everywhere: assignment is audited too, with the actor recorded on the warning
    r = duty.post("/_dash-update-component", json=act_body(harness, harness.warnings["env_ack"], "wc-assign"))
    assert r.status_code == 200 and handling_of(harness, "env_ack") == "assigned"
    assert audit_rows(harness, "warning.assign", "u_duty")[0]["detail"]["to"] == "assigned"


def test_silence_is_audited_and_refused_to_department_heads(harness):
    values = {"wc-sil-target.value": "rule", "wc-sil-rule.value": "rule_env_here", "wc-sil-hours.value": "2",
              "wc-sil-reason.value": "maintenance", "wc-sil-add.n_clicks": 1, "wc-lang.data": "zh"}
    body = harness.callback_body("wc-sil-changed", values, trigger="wc-sil-add.n_clicks")
    assert harness.client("u_traffic").post("/_dash-update-component", json=body).status_code == 403
    r = harness.client("u_duty").post("/_dash-update-component", json=body)
    assert r.status_code == 200
    assert audit_rows(harness, "silence.add", "u_duty")


def test_export_is_audited(harness):
    from tests.access.test_access_matrix import export_body

    before = len(audit_rows(harness, "export", "u_analyst"))
    r = harness.client("u_analyst").post("/_dash-update-component", json=export_body(harness, "hotline"))
    assert r.status_code == 200
    rows = audit_rows(harness, "export", "u_analyst")
    assert len(rows) == before + 1 and rows[0]["target"] == "export:hotline:hotline"


def test_sso_header_only_from_the_configured_proxy(harness):
    state = harness.server.extensions[EXTENSION]
    saved = state.config
    state.config = dataclasses.replace(saved, sso_header="X-Remote-User", sso_proxies=("10.9.0.0/16",))
    try:
        trusted = harness.server.test_client()
        r = trusted.get("/economy", headers={"X-Remote-User": "u_leader"}, environ_base={"REMOTE_ADDR": "10.9.1.1"})
        assert r.status_code == 200
        assert audit_rows(harness, "sso.login", "u_leader")
        forged = harness.server.test_client()
        r = forged.get("/economy", headers={"X-Remote-User": "u_admin"}, environ_base={"REMOTE_ADDR": "192.168.1.5"})
        assert r.status_code == 302
    finally:
        state.config = saved


def test_secrets_never_reach_the_audit_log(harness):
    audit.record(harness.engine, actor="x", action="token.create", detail={"token": "cbt_secret", "name": "n"})
    row = audit_rows(harness, "token.create", "x")[0]
    assert row["detail"] == {"name": "n"}


def test_open_demo_only_when_enabled_and_no_users(harness):
    from access.config import access_config

    assert access_config(harness.settings, env={}).open_demo is False
    assert access_config(harness.settings, env={"CITYBRAIN_OPEN_DEMO": "1"}).open_demo is True
