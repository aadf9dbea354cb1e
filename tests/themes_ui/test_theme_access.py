"""Who may open a theme's page and run its callbacks (issue 20): the theme a callback
serves — its ``theme`` scope — is its resource, and ``/t/<code>``'s path names the page's.
On the access suite's app (the demo city and its first theme), as every role."""

from __future__ import annotations

import json

import pytest

from access.roles import Principal, allowed
from tests.access.conftest import harness  # noqa: F401 — the access suite's app, shared by name
from tests.access.harness import USERS



def theme_of(harness) -> str:  # noqa: F811
    """The demo city's first theme (read from its config: no Python names the demo's themes)."""
    return harness.settings.themes[0].code


def principal(user: str) -> Principal:
    role, doms, _ = USERS[user]
    return Principal(user, role, tuple(doms))


def may(user: str, action: str, resource: str, harness) -> bool:  # noqa: F811
    with harness.server.app_context():  # the city's themes come from the app
        return allowed(principal(user), "view", resource) and allowed(principal(user), action, resource)


def render_body(harness, code):  # noqa: F811
    return harness.callback_body("theme-kpis", {"theme-view.data": {"range": "24h"}, "theme-code.data": code})


@pytest.mark.parametrize("user", sorted(USERS))
def test_the_page_and_its_data_follow_the_theme(harness, user):  # noqa: F811
    client, theme = harness.client(user), theme_of(harness)
    expected = 200 if may(user, "view", theme, harness) else 403
    assert client.get(f"/t/{theme}").status_code == expected
    r = client.post("/_dash-update-component", json=render_body(harness, theme))
    assert r.status_code == expected, (user, r.data[:200])
    if expected == 200:
        assert "theme-kpis" in json.dumps(r.get_json()["response"])
    # a theme the city does not have is no resource: refused for everyone, admin included
    assert client.post("/_dash-update-component", json=render_body(harness, "nope")).status_code == 403
    assert client.get("/t/nope").status_code == 403


def test_a_department_head_of_another_domain_is_refused(harness):  # noqa: F811
    # the matrix above covers it; said plainly: traffic's head may not read another department's theme
    client = harness.client("u_traffic")
    assert client.post("/_dash-update-component", json=render_body(harness, theme_of(harness))).status_code == 403


@pytest.mark.parametrize("user", sorted(USERS))
def test_the_export_needs_export_on_the_theme(harness, user):  # noqa: F811
    grid = json.dumps({"grid": "theme", "type": "cb-download"}, separators=(",", ":"))
    body = harness.callback_body(grid, {
        "cb-grid.virtualRowData": [{"k": "SECRET-ROW"}], "cb-grid.rowData": [{"k": "SECRET-ROW"}],
        "cb-grid.columnDefs": [{"field": "k", "headerName": "k"}], "cb-export-csv.n_clicks": 1,
        "theme-code.data": theme_of(harness)},
        trigger=json.dumps({"grid": "theme", "type": "cb-export-csv"}, separators=(",", ":")) + ".n_clicks")
    r = harness.client(user).post("/_dash-update-component", json=body)
    if may(user, "export", theme_of(harness), harness):
        assert r.status_code == 200
        import base64

        data = next(iter(r.get_json()["response"].values()))["data"]
        assert b"SECRET-ROW" in base64.b64decode(data["content"]) and data["filename"].startswith("theme-")
    else:
        assert r.status_code == 403 and "SECRET-ROW" not in r.get_data(as_text=True)
