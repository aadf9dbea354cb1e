"""The role × page × callback × export × API matrix: every cell asserted both ways.

Expected values come from the permission table (``access.roles.allowed``) and cells are
generated from what is registered (pages in ``dash.page_registry``, grids with exports),
so a page that lands later gets its cells without editing this file. Allowed cells must
return the data; forbidden cells must return a refusal that contains none of it.
"""

from __future__ import annotations

import json

import dash
import pytest

from access.pages import page_resource
from access.roles import Principal, allowed
from tests.access.harness import USERS

ROLES_USERS = [u for u in USERS if u != "u_traffic_d"]
#: resource → (output prefix of its main data callback, input values) — the page's "data"
DATA_CALLBACKS = {
    "overview": ("home-vital", {}),
    "traffic": ("traffic-kpis", {"traffic-view.data": {"range": "24h"}}),
    "environment": ("env-kpis", {"env-view.data": {"range": "24h"}}),
    "tourism": ("tourism-kpis", {"tourism-view.data": {"range": "24h"}}),
    "economy": ("economy-kpis", {"economy-view.data": {"range": "1y"}}),
    "hotline": ("hotline-kpis", {"hotline-view.data": {"range": "24h"}}),
    "warnings": ("wc-list", {}),
    "sources": ("ds-summary", {}),
    "audit": ("audit-rows", {}),
}
GRIDS = {"traffic": "traffic", "environment": "env", "tourism": "tourism", "economy": "economy", "hotline": "hotline"}


def principal(username: str) -> Principal:
    role, doms, _ = USERS[username]
    return Principal(username, role, tuple(doms))


def static_pages() -> list[tuple[str, str]]:
    return sorted({(p["path"], page_resource(p)) for p in dash.page_registry.values()
                   if not p.get("path_template") and page_resource(p) is not None})


def refused(response) -> None:
    assert response.status_code == 403, response.data[:200]
    body = response.get_json()
    assert set(body) == {"message", "status"} and "response" not in body


@pytest.fixture(scope="module")
def clients(harness):
    return {u: harness.client(u) for u in ROLES_USERS}


def test_every_page_by_url(harness, clients):
    pages = static_pages()
    assert len(pages) >= 9, pages
    for user in ROLES_USERS:
        for path, resource in pages:
            status = clients[user].get(path).status_code
            expected = 200 if allowed(principal(user), "view", resource) else 403
            assert status == expected, f"{user} GET {path} ({resource}): {status}, expected {expected}"


def test_every_page_layout_through_the_router(harness, clients):
    for user in ROLES_USERS:
        for path, resource in static_pages():
            body = harness.callback_body("_pages_content", {"_pages_location.pathname": path,
                                                            "_pages_location.search": ""})
            r = clients[user].post("/_dash-update-component", json=body)
            if allowed(principal(user), "view", resource):
                assert r.status_code == 200 and "_pages_content" in r.get_json()["response"], (user, path)
            else:
                refused(r)


@pytest.mark.parametrize("resource", sorted(DATA_CALLBACKS))
def test_every_data_callback(harness, clients, resource):
    prefix, values = DATA_CALLBACKS[resource]
    if not any(k.lstrip(".").startswith(prefix) for k in harness.app.callback_map):
        pytest.skip(f"the {resource} page has no callback {prefix} yet")
    for user in ROLES_USERS:
        role, doms, _ = USERS[user]
        mine = {**values, "wc-domain.value": doms[0]} if role == "department" and resource == "warnings" else values
        r = clients[user].post("/_dash-update-component", json=harness.callback_body(prefix, mine))
        if allowed(principal(user), "view", resource):
            assert r.status_code == 200, (user, resource, r.data[:300])
            assert prefix in json.dumps(r.get_json()["response"]), (user, resource)
        else:
            refused(r)


def export_body(harness, grid: str) -> dict:
    body = harness.callback_body('{"grid":["MATCH"],"type":"cb-download"}', {
        "cb-grid.virtualRowData": [{"k": "SECRET-ROW"}], "cb-grid.rowData": [{"k": "SECRET-ROW"}],
        "cb-grid.columnDefs": [{"field": "k", "headerName": "k"}], "cb-export-csv.n_clicks": 1})
    for item in body["inputs"] + body["state"]:
        item["id"] = {**item["id"], "grid": grid}
    body["outputs"] = {"id": {"grid": grid, "type": "cb-download"}, "property": "data"}
    body["changedPropIds"] = [json.dumps({"grid": grid, "type": "cb-export-csv"}, separators=(",", ":")) + ".n_clicks"]
    return body


@pytest.mark.parametrize("domain", sorted(GRIDS))
def test_every_export(harness, clients, domain):
    if not any("cb-download" in k for k in harness.app.callback_map):
        pytest.skip("no grid export registered yet (components/grid.py)")
    for user in ROLES_USERS:
        r = clients[user].post("/_dash-update-component", json=export_body(harness, GRIDS[domain]))
        p = principal(user)
        if allowed(p, "view", domain) and allowed(p, "export", domain):
            assert r.status_code == 200 and "content" in r.get_data(as_text=True), (user, domain)
        else:
            refused(r)
            assert b"SECRET-ROW" not in r.data


API_ROUTES = [  # (path, resource)
    ("/api/v1/sources", "sources"),
    *[(f"/api/v1/observations/{d}", d) for d in GRIDS],
    ("/api/v1/indicators/aqi", "environment"), ("/api/v1/indicators/tpi", "traffic"),
    ("/api/v1/indicators/crowding", "tourism"), ("/api/v1/indicators/economy", "economy"),
    ("/api/v1/indicators/hotline_calls", "hotline"), ("/api/v1/vital-signs", "overview"),
    ("/api/v1/warnings", "warnings"),
]


def test_every_api_route(harness):
    client = harness.server.test_client()
    for user, token in harness.tokens.items():
        if user == "u_traffic_d":
            continue
        for path, resource in API_ROUTES:
            r = client.get(path, headers={"Authorization": f"Bearer {token}"})
            if allowed(principal(user), "api", resource):
                assert r.status_code == 200 and "items" in r.get_json(), (user, path, r.data[:200])
            else:
                assert r.status_code == 403 and "items" not in r.get_json(), (user, path)
    for path, _ in API_ROUTES:
        assert client.get(path).status_code == 401


def test_wall_role_user_sees_only_the_wall(harness, clients):
    c = clients["u_wall"]
    assert c.get("/wall").status_code == 200
    assert c.get("/traffic").status_code == 403
    r = c.post("/_dash-update-component", json=harness.callback_body("wall-client", {}))
    assert r.status_code == 200


def test_department_head_warnings_list_is_limited_to_their_domain(harness, clients):
    c = clients["u_traffic"]
    for domain in (None, "environment"):
        refused(c.post("/_dash-update-component", json=harness.callback_body("wc-list", {"wc-domain.value": domain})))
    ok = c.post("/_dash-update-component", json=harness.callback_body("wc-list", {"wc-domain.value": "traffic"}))
    assert ok.status_code == 200
