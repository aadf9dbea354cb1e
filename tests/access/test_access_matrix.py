"""The role × page × callback × export × API matrix: every cell asserted both ways.

Expected values come from the permission table (``access.roles.allowed``) and the cells
from what is declared (pages in ``dash.page_registry``, callbacks in ``access.declare``),
so a page or callback that lands later is checked without editing this file — and a
declared page or data callback this file has no request for **fails** the matrix instead
of being skipped. Allowed cells must return the data; forbidden cells a refusal without it.
"""

from __future__ import annotations

import json

import dash
import pytest

from access.declare import declarations
from access.gate import resource_of
from access.pages import page_resource
from access.roles import PERMISSIONS, RESOURCES, ROLES, Principal, allowed
from citybrain.settings import DOMAINS
from tests.access.harness import USERS

ROLES_USERS = [u for u in USERS if u != "u_traffic_d"]
#: resource → (output prefix of its main data callback, input values) — the page's "data"
DATA_CALLBACKS = {
    "overview": ("home-vital", {"home-lang.data": "zh"}),
    "traffic": ("traffic-kpis", {"traffic-view.data": {"range": "24h"}}),
    "environment": ("env-kpis", {"env-view.data": {"range": "24h"}}),
    "tourism": ("tourism-kpis", {"tourism-view.data": {"range": "24h"}}),
    "economy": ("economy-kpis", {"economy-view.data": {"range": "1y"}}),
    "hotline": ("hotline-kpis", {"hotline-view.data": {"range": "24h"}}),
    "warnings": ("wc-list", {"wc-lang.data": "zh"}),
    "sources": ("ds-summary", {"ds-lang.data": "zh"}),
    "briefings": ("brief-rows", {"brief-lang.data": "zh"}),
    "wall": ("{\"key\":[\"ALL\"],\"type\":\"wall-text\"}", {"wall-config.data": {"screens": []}}),
    "audit": ("audit-rows", {"audit-lang.data": "zh"}),
}
GRIDS = {"traffic": "traffic", "environment": "env", "tourism": "tourism", "economy": "economy", "hotline": "hotline"}
#: every exporting grid: the domains' and the scorecards' (issue 21, on ``warnings``)
EXPORT_GRIDS = {**GRIDS, "warnings": "scorecards"}


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


def test_the_table_is_the_command_centre_s():
    """Issue 17's table: the leader reads, prints and exports and handles nothing; the duty
    officer reads every page and briefing, handles every warning, produces briefings; a
    department head works on their own department; the wall sees the wall."""
    leader, duty = Principal("l", "leader"), Principal("d", "duty")
    head = Principal("h", "department", ("traffic",))
    assert set(ROLES) == set(PERMISSIONS)
    for r in ("overview", *DOMAINS, "warnings", "sources", "briefings", "wall"):
        assert allowed(leader, "view", r) and allowed(duty, "view", r)
    assert not any(allowed(leader, "handle", d) for d in DOMAINS)
    assert all(allowed(duty, "handle", d) for d in DOMAINS) and allowed(duty, "print", "briefings")
    assert allowed(leader, "print", "traffic") and allowed(leader, "export", "traffic")
    assert [r for r in RESOURCES if allowed(head, "view", r)] == ["traffic", "warnings"]
    assert allowed(head, "handle", "traffic") and not allowed(head, "handle", "environment")
    assert allowed(head, "export", "traffic") and allowed(head, "print", "traffic")
    assert [r for r in RESOURCES if allowed(Principal("w", "wall"), "view", r)] == ["wall"]
    assert not allowed(leader, "view", "audit") and allowed(Principal("a", "admin"), "administer", "audit")


def test_every_declared_page_and_data_callback_is_in_the_matrix(harness):
    """Fails (never skips) when a page's resource or a declared data callback is missing here."""
    resources = {r for _, r in static_pages()}
    assert resources - set(DATA_CALLBACKS) == set(), "add the new page's data callback to DATA_CALLBACKS"
    decls = declarations(harness.server)
    for resource, (prefix, _) in DATA_CALLBACKS.items():
        assert any(k.lstrip(".").startswith(prefix) and resource_of(d) == resource for k, d in decls.items()), \
            f"no declared callback {prefix} on {resource}"
    # a theme page's export serves the theme its ``theme`` scope names (tests/themes_ui checks it per theme)
    exports = {resource_of(d) for d in decls.values() if d.action == "export" and "theme" not in d.scope.values()}
    assert exports == set(EXPORT_GRIDS), exports


def test_every_page_by_url(harness, clients):
    pages = static_pages()
    assert len(pages) >= 10, pages
    for user in ROLES_USERS:
        for path, resource in pages:
            status = clients[user].get(path).status_code
            expected = 200 if allowed(principal(user), "view", resource) else 403
            assert status == expected, f"{user} GET {path} ({resource}): {status}, expected {expected}"


def test_every_page_layout_through_the_router(harness, clients):
    for user in ROLES_USERS:
        for path, resource in static_pages():
            r = clients[user].post("/_dash-update-component", json=harness.router_body(path))
            if allowed(principal(user), "view", resource):
                assert r.status_code == 200 and "_pages_content" in r.get_json()["response"], (user, path)
            else:
                refused(r)


@pytest.mark.parametrize("resource", sorted(DATA_CALLBACKS))
def test_every_data_callback(harness, clients, resource):
    prefix, values = DATA_CALLBACKS[resource]
    for user in ROLES_USERS:
        r = clients[user].post("/_dash-update-component", json=harness.callback_body(prefix, values))
        if allowed(principal(user), "view", resource):
            assert r.status_code == 200, (user, resource, r.data[:300])
            assert "response" in r.get_json(), (user, resource)
        else:
            refused(r)


def export_body(harness, grid: str) -> dict:
    return harness.callback_body(json.dumps({"grid": grid, "type": "cb-download"}, separators=(",", ":")), {
        "cb-grid.virtualRowData": [{"k": "SECRET-ROW"}], "cb-grid.rowData": [{"k": "SECRET-ROW"}],
        "cb-grid.columnDefs": [{"field": "k", "headerName": "k"}], "cb-export-csv.n_clicks": 1},
        trigger=json.dumps({"grid": grid, "type": "cb-export-csv"}, separators=(",", ":")) + ".n_clicks")


@pytest.mark.parametrize("domain", sorted(EXPORT_GRIDS))
def test_every_export(harness, clients, domain):
    for user in ROLES_USERS:
        r = clients[user].post("/_dash-update-component", json=export_body(harness, EXPORT_GRIDS[domain]))
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
    """"Everything" for a department head is their own domains: the list is cut when read."""
    c = clients["u_traffic"]
    refused(c.post("/_dash-update-component", json=harness.callback_body(
        "wc-list", {"wc-domain.value": "environment", "wc-lang.data": "zh"})))
    for domain in (None, "traffic"):
        ok = c.post("/_dash-update-component", json=harness.callback_body(
            "wc-list", {"wc-domain.value": domain, "wc-lang.data": "zh"}))
        assert ok.status_code == 200
        text = json.dumps(ok.get_json()["response"], ensure_ascii=False)
        assert "traffic_here" in text and "env_here" not in text


def test_every_callback_is_declared_and_nothing_reads_dash_s_registries(harness):
    """access.declare is the only way in: every server callback of the app is declared or is
    Dash's own router; no module outside the tests touches Dash's private callback state."""
    from pathlib import Path

    decls = declarations(harness.server)
    for key, entry in harness.app.callback_map.items():
        assert key in decls or "_pages_content" in key or "_pages_dummy" in key, f"undeclared callback {key}"
    import re

    private = re.compile(r"GLOBAL_CALLBACK|dash\._callback(?!\w)|from dash import .*\b_callback\b")
    root = Path(__file__).resolve().parents[2]
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if "tests" not in p.relative_to(root).parts and ".git" not in p.parts
                 and private.search(p.read_text(encoding="utf-8"))]
    assert offenders == [], offenders


def test_page_urls_are_found_as_the_router_finds_them(harness):
    """//x, /x/ and ///x// are the page /x (and checked as it); a path no page has is a 404."""
    c = harness.client("u_traffic")
    for path, status in (("/nothing", 404), ("/a//b", 404), ("//audit", 403), ("///audit//", 403),
                         ("/audit/", 403), ("//traffic", 200), ("/traffic/", 200), ("/warnings/1", 200)):
        assert c.get("/", environ_overrides={"PATH_INFO": path}).status_code == status, path
    d = harness.client("u_traffic_d")
    r = d.get("/", environ_overrides={"PATH_INFO": "//traffic"})
    assert r.status_code == 302 and r.headers["Location"].startswith("/traffic?")  # never "//traffic": another host


def test_switching_language_without_a_page_lands_on_the_reader_s_own_start(harness):
    """No Referer, no next: a department head goes to their own page, not to a 403 on "/"."""
    c = harness.client("u_traffic")
    r = c.get("/set-lang/en")
    assert r.status_code == 302 and r.headers["Location"].startswith("/traffic")
    assert c.get(r.headers["Location"]).status_code == 200
    assert harness.client("u_admin").get("/set-lang/zh").headers["Location"] == "/"
