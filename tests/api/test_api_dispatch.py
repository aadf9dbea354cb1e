"""API v1 of 指挥调度 (issue 21): report an event, dispatch it, act on the order through its
loop, list and read orders and scorecards; malformed input is a 400, a forged id of another
department's order a 403, an id beyond the store's keys a 404, an action that does not
apply a 409 with its reason."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="module")
def h(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tests.access.harness import build

    harness = build(tmp_path_factory.mktemp("api-dispatch"))
    yield harness
    harness.engine.dispose()


def call(h, method: str, path: str, user: str, body: Any = None, **query: Any) -> Any:
    client = h.server.test_client()
    headers = {"Authorization": f"Bearer {h.tokens[user]}"}
    if method == "GET":
        return client.get(path, query_string=query or None, headers=headers)
    return client.post(path, json=body, headers=headers)


def event(h, user="u_duty", **over):
    body = {"title": "道路塌陷", "category": "roads", "district": h.district, "level": "red",
            "description": "巡查上报", "lat": 34.03, "lon": 113.85, **over}
    return call(h, "POST", "/api/v1/events", user, body)


def test_the_loop_through_the_api(h):
    import datetime as dt

    later = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    r = event(h)
    assert r.status_code == 201, r.json
    eid = r.json["id"]
    r = call(h, "POST", "/api/v1/orders", "u_duty", {"event_id": eid, "department": "traffic", "note": "请速处置"})
    assert r.status_code == 201, r.json
    order = r.json
    assert order["state"] == "dispatched" and set(order) >= {"id", "state", "respond_by", "resolve_by"}
    assert order["respond_by"].endswith("+08:00")  # the city's clock with its offset
    oid = order["id"]
    steps = [("u_traffic", {"action": "accept"}, "accepted"),
             ("u_traffic", {"action": "progress", "note": "已设围挡"}, "in_progress"),
             ("u_duty", {"action": "remind", "note": "催办"}, "in_progress"),
             ("u_traffic", {"action": "extend", "note": "需夜间施工", "until": "9999-12-31T23:59:59-23:59"}, None),
             ("u_traffic", {"action": "extend", "note": "需夜间施工", "until": later}, "in_progress"),
             ("u_admin", {"action": "approve"}, "in_progress"),
             ("u_traffic", {"action": "finish", "note": "已修复"}, "finished"),
             ("u_duty", {"action": "reopen", "note": "现场仍有积水"}, "reopened"),
             ("u_traffic", {"action": "finish", "note": "已排水"}, "finished"),
             ("u_duty", {"action": "verify"}, "closed")]
    for user, body, state in steps:
        r = call(h, "POST", f"/api/v1/orders/{oid}/actions", user, body)
        if state is None:  # more than a year away: refused with the reason
            assert r.status_code == 409 and "days away" in r.json["message"]
            continue
        assert r.status_code == 200 and r.json["state"] == state and r.json["id"] == oid, (body, r.json)
    r = call(h, "POST", f"/api/v1/orders/{oid}/actions", "u_duty", {"action": "verify"})
    assert r.status_code == 409 and "closed" in r.json["message"]
    detail = call(h, "GET", f"/api/v1/orders/{oid}", "u_traffic").json
    assert detail["resolve_by"] == later + ":00+08:00" and detail["reopened"] == 1
    assert [x["kind"] for x in detail["history"]] == ["dispatch", "accept", "progress", "remind", "extend", "approve",
                                                     "finish", "reopen", "finish", "verify"]
    ev = call(h, "GET", f"/api/v1/events/{eid}", "u_duty").json
    assert ev["open"] is False and [o["id"] for o in ev["orders"]] == [oid] and ev["lat"] == 34.03
    cards = call(h, "GET", "/api/v1/scorecards", "u_leader").json
    traffic = next(i for i in cards["items"] if i["department"] == "traffic")
    assert traffic["orders"] >= 1 and set(traffic) >= {
        "department", "orders", "accepted_on_time_rate", "resolved_on_time_rate", "mean_hours_to_resolve",
        "p90_hours_to_resolve", "reopened_rate", "returned_rate", "overdue_open"}


def test_dispatch_from_a_warning_and_scope(h):
    wid = h.warnings["traffic_here"]
    r = call(h, "POST", "/api/v1/orders", "u_traffic", {"warning_id": wid})
    assert r.status_code == 403  # departments do not dispatch
    r = call(h, "POST", "/api/v1/orders", "u_duty", {"warning_id": wid})
    assert r.status_code == 201 and r.json["department"] == "traffic"  # the domain's owner suggested
    oid = r.json["id"]
    assert call(h, "POST", "/api/v1/orders", "u_duty", {"warning_id": wid}).status_code == 409  # already open
    # a forged id: another department's order
    r = call(h, "POST", f"/api/v1/orders/{oid}/actions", "u_env", {"action": "accept"})
    assert r.status_code == 403 and "does not head" in r.json["message"]
    assert call(h, "GET", f"/api/v1/orders/{oid}", "u_env").status_code == 404
    assert call(h, "POST", f"/api/v1/orders/{oid}/actions", "u_leader", {"action": "remind"}).status_code == 403
    listed = call(h, "GET", "/api/v1/orders", "u_env").json
    assert oid not in {o["id"] for o in listed["items"]}
    assert oid in {o["id"] for o in call(h, "GET", "/api/v1/orders", "u_traffic", department="traffic").json["items"]}
    # the district-level head: their district only
    there = call(h, "POST", "/api/v1/orders", "u_duty", {"warning_id": h.warnings["traffic_there"]}).json["id"]
    assert call(h, "POST", f"/api/v1/orders/{there}/actions", "u_traffic_d", {"action": "accept"}).status_code == 403
    assert call(h, "GET", "/api/v1/orders", "u_traffic_d", district=h.other_district).status_code == 403
    ids = {o["id"] for o in call(h, "GET", "/api/v1/orders", "u_traffic_d").json["items"]}
    assert oid in ids and there not in ids
    r = call(h, "POST", f"/api/v1/orders/{oid}/actions", "u_traffic_d", {"action": "return", "note": "非本部门"})
    assert r.status_code == 200 and r.json["state"] == "returned"
    ev = call(h, "GET", f"/api/v1/orders/{oid}", "u_duty").json["event_id"]
    r = call(h, "POST", "/api/v1/orders", "u_duty", {"event_id": ev, "department": "environment",
                                                      "co_handlers": ["tourism"]})
    assert r.status_code == 201 and len(r.json["ids"]) == 2
    new = call(h, "GET", f"/api/v1/orders/{r.json['id']}", "u_env").json
    assert new["redispatch_of"] == oid and new["role"] == "lead"


def test_overdue_and_state_filters(h):
    import datetime as dt

    from sqlalchemy import update

    from store.schema import work_orders

    eid = event(h, level="blue").json["id"]
    oid = call(h, "POST", "/api/v1/orders", "u_duty", {"event_id": eid, "department": "tourism"}).json["id"]
    assert oid not in {o["id"] for o in call(h, "GET", "/api/v1/orders", "u_admin", overdue="true").json["items"]}
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    with h.engine.begin() as conn:  # its respond-by has passed
        conn.execute(update(work_orders).where(work_orders.c.id == oid).values(respond_by=past))
    items = call(h, "GET", "/api/v1/orders", "u_admin", overdue="true").json["items"]
    mine = next(o for o in items if o["id"] == oid)
    assert mine["overdue"] is True and mine["overdue_clock"] == "respond" and items[0]["overdue"] is True
    assert {o["state"] for o in call(h, "GET", "/api/v1/orders", "u_admin", state="closed").json["items"]} <= {"closed"}


@pytest.mark.parametrize("path,body,status", [
    ("/api/v1/events", {"title": "x"}, 400),
    ("/api/v1/events", {"title": " ", "category": "c", "district": "411002", "level": "red"}, 400),
    ("/api/v1/events", {"title": "x", "category": "c", "district": "nowhere", "level": "red"}, 400),
    ("/api/v1/events", {"title": "x", "category": "c", "district": "411002", "level": "purple"}, 400),
    ("/api/v1/events", {"title": "x", "category": "c", "district": "411002", "level": "red", "lat": 91, "lon": 0}, 400),
    ("/api/v1/events", {"title": "x", "category": "c", "district": "411002", "level": "red", "lat": 30}, 400),
    ("/api/v1/events", {"title": "x", "category": "c", "district": "411002", "level": "red", "lat": True,
                        "lon": 1}, 400),
    ("/api/v1/events", {"title": 5, "category": "c", "district": "411002", "level": "red"}, 400),
    ("/api/v1/events", {"title": "x", "category": "c", "district": "411002", "level": "red", "x": 1}, 400),
    ("/api/v1/orders", {}, 400),
    ("/api/v1/orders", {"event_id": 1, "warning_id": 1, "department": "traffic"}, 400),
    ("/api/v1/orders", {"event_id": 1}, 400),
    ("/api/v1/orders", {"event_id": "1", "department": "traffic"}, 400),
    ("/api/v1/orders", {"event_id": 1, "department": "police"}, 400),
    ("/api/v1/orders", {"event_id": 2**40, "department": "traffic"}, 404),
    ("/api/v1/orders", {"event_id": 999999, "department": "traffic"}, 404),
    ("/api/v1/orders", {"warning_id": 2**63, "department": "traffic"}, 404),
    ("/api/v1/orders/1/actions", {}, 400),
    ("/api/v1/orders/1/actions", {"action": "explode"}, 400),
    ("/api/v1/orders/1/actions", {"action": "accept", "until": "tomorrow"}, 400),
    ("/api/v1/orders/1/actions", {"action": "accept", "note": 3}, 400),
    ("/api/v1/orders/99999999999999999999/actions", {"action": "accept"}, 404),
    ("/api/v1/orders/999999/actions", {"action": "remind"}, 404),
])
def test_malformed_input_is_400_and_unknown_ids_404(h, path, body, status):
    r = call(h, "POST", path, "u_duty", body)
    assert r.status_code == status, r.json
    assert r.json["status"] == status and r.json["message"]


def test_bad_queries_and_reads(h):
    assert call(h, "GET", "/api/v1/orders", "u_duty", state="lost").status_code == 400
    assert call(h, "GET", "/api/v1/orders", "u_duty", overdue="yes").status_code == 400
    assert call(h, "GET", "/api/v1/orders", "u_duty", department="police").status_code == 400
    assert call(h, "GET", "/api/v1/orders", "u_duty", district="nowhere").status_code == 404
    assert call(h, "GET", "/api/v1/scorecards", "u_duty", **{"from": "2026-13-01"}).status_code == 400
    r = call(h, "GET", "/api/v1/scorecards", "u_duty", **{"from": "2026-12-02", "to": "2026-12-01"})
    assert r.status_code == 200 and {i["orders"] for i in r.json["items"]} == {0}  # an empty period
    assert call(h, "GET", "/api/v1/scorecards", "u_duty", by="street").status_code == 400
    r = call(h, "GET", "/api/v1/scorecards", "u_duty", **{"from": "2026-12-01", "to": "2026-12-02"}, by="district")
    assert r.status_code == 200 and r.json["from"] == "2026-12-01T00:00:00+08:00" and r.json["by"] == "district"
    assert call(h, "GET", "/api/v1/events/99999999999", "u_duty").status_code == 404
    assert call(h, "GET", "/api/v1/orders/2147483648", "u_duty").status_code == 404
    assert call(h, "POST", "/api/v1/orders/1/actions", "u_duty", None).status_code == 400  # no body: no action
    client = h.server.test_client()
    assert client.get("/api/v1/orders").status_code == 401
    r = client.post("/api/v1/events", data="{", headers={"Authorization": f"Bearer {h.tokens['u_duty']}",
                                                        "Content-Type": "application/json"})
    assert r.status_code == 400


def test_incomplete_actions_are_409_with_the_reason(h):
    eid = event(h).json["id"]
    oid = call(h, "POST", "/api/v1/orders", "u_duty", {"event_id": eid, "department": "traffic"}).json["id"]
    r = call(h, "POST", f"/api/v1/orders/{oid}/actions", "u_traffic", {"action": "return"})
    assert r.status_code == 409 and "needs a note" in r.json["message"]
    r = call(h, "POST", f"/api/v1/orders/{oid}/actions", "u_traffic", {"action": "finish", "note": "done"})
    assert r.status_code == 409 and "dispatched" in r.json["message"]
    r = call(h, "POST", f"/api/v1/orders/{oid}/actions", "u_duty", {"action": "remind", "until": "2030-01-01"})
    assert r.status_code == 409
    assert call(h, "POST", "/api/v1/events", "u_traffic", {"title": "x", "category": "c", "district": h.district,
                                                           "level": "red"}).status_code == 403
    assert event(h, "u_analyst").status_code == 403
