"""The wall's first load: its layout is served whole, with the values a refresh would send.

``app._served_whole`` answers Dash's layout request from a wall URL with the wall itself
(inside the router's own components, so the router sends no request) and
``pages.wall.first_layout`` fills it; ``wall-shown`` then holds the fingerprints of what
the layout shows, so the first refresh sends only what changed since.
"""

from __future__ import annotations

import json
import sys

import pytest

WALL = "/wall/overview"


def _nodes(layout):
    stack = [layout]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict) and "props" in node:
            yield node
            stack.append(node["props"].get("children"))


def _by_id(layout) -> dict:
    return {json.dumps(n["props"]["id"], sort_keys=True) if isinstance(n["props"].get("id"), dict) else n["props"].get("id"): n
            for n in _nodes(layout) if n["props"].get("id") is not None}


@pytest.fixture(scope="module")
def client(pages_app):
    c = pages_app.server.test_client()
    assert c.get(WALL).status_code == 200  # Dash sets itself up (pages, router) on the first request
    return c


def first_layout(client, referrer: str) -> dict:
    r = client.get("/_dash-layout", headers={"Referer": referrer})
    assert r.status_code == 200 and "Referer" in r.headers.get("Vary", "")
    return r.get_json()


def tagged_layout(client, page: str) -> dict:
    """The layout request of a browser that loaded the lean index (no Referer needed)."""
    r = client.get("/_dash-layout", headers={"X-Citybrain-Page": page, "X-Citybrain-Lean": "1"})
    assert r.status_code == 200 and "X-Citybrain-Page" in r.headers.get("Vary", "")
    return r.get_json()


def refresh_body(pages_app, layout: dict, shown: dict | None) -> dict:
    """The refresh request a browser showing ``layout`` sends (its concrete output ids)."""
    from dash import ALL  # noqa: F401 — the key below is Dash's for the ALL outputs

    key = next(k for k in pages_app.callback_map if '"wall-text"' in k)
    ids = _by_id(layout)
    groups = []
    for kind, prop in (("wall-text", "children"), ("wall-class", "className"), ("wall-style", "style"),
                       ("wall-fig", "figure")):
        groups.append([{"id": n["props"]["id"], "property": prop} for n in ids.values()
                       if isinstance(n["props"].get("id"), dict) and n["props"]["id"].get("type") == kind])
    groups.append([{"id": n["props"]["id"], "property": "hideout"} for n in ids.values()
                   if isinstance(n["props"].get("id"), dict) and n["props"]["id"].get("type") == "citymap-layer"])
    groups.append({"id": "wall-shown", "property": "data"})
    config = ids["wall-config"]["props"]["data"]
    return {"output": key, "outputs": groups,
            "inputs": [{"id": "wall-refresh", "property": "n_intervals", "value": 1},
                       {"id": "wall-kick", "property": "n_intervals", "value": None}],
            "state": [{"id": "wall-config", "property": "data", "value": config},
                      {"id": "wall-shown", "property": "data", "value": shown}],
            "changedPropIds": ["wall-refresh.n_intervals"]}


def test_a_wall_url_gets_the_wall_whole_with_its_values(client):
    layout = first_layout(client, f"http://localhost{WALL}")
    ids = _by_id(layout)
    assert ids["_pages_location"]["props"]["pathname"] == WALL and ids["_pages_location"]["props"]["search"] == ""
    assert "_pages_content" in ids and "wall-root" in ids
    assert not any(n["namespace"] == "dash_mantine_components" for n in _nodes(layout))  # no office frame
    value = ids[json.dumps({"key": "overview.vital.value", "type": "wall-text"}, sort_keys=True)]
    assert any(ch.isdigit() for ch in str(value["props"]["children"]))
    fig = ids[json.dumps({"key": "overview.vital.trend", "type": "wall-fig"}, sort_keys=True)]["props"]["figure"]
    assert len(fig["data"][0]["x"]) > 0
    segments = ids[json.dumps({"layer": "segments", "map": "wall-map", "type": "citymap-layer"}, sort_keys=True)]
    assert segments["props"]["hideout"]["values"] and segments["props"]["hideout"]["pane"]
    shown = ids["wall-shown"]["props"]["data"]
    assert "text:overview.vital.value" in shown and "hideout:segments" in shown
    # a held screen is the only one built: no hidden screens to draw and refresh
    screens = {n["props"]["id"]["screen"] for n in _nodes(layout)
               if isinstance(n["props"].get("id"), dict) and n["props"]["id"].get("type") == "wall-screen"}
    assert screens == {"overview"}


def test_the_rotating_wall_still_holds_every_screen(client, demo_settings):
    layout = first_layout(client, "http://localhost/wall?lang=en")
    ids = _by_id(layout)
    assert ids["_pages_location"]["props"]["search"] == "?lang=en"
    assert ids["wall-config"]["props"]["data"]["lang"] == "en" and ids["wall-config"]["props"]["data"]["rotate"]
    screens = {n["props"]["id"]["screen"] for n in _nodes(layout)
               if isinstance(n["props"].get("id"), dict) and n["props"]["id"].get("type") == "wall-screen"}
    assert screens == {s.name for s in demo_settings.wall.screens}


@pytest.mark.parametrize("referrer", [None, "http://localhost/traffic", "http://elsewhere.example/wall/overview",
                                      "http://localhost/wall/nowhere-screen"])
def test_other_pages_keep_the_frame_and_the_router(client, referrer):
    r = client.get("/_dash-layout", headers={"Referer": referrer} if referrer else {})
    text = r.get_data(as_text=True)
    if referrer and referrer.endswith("nowhere-screen"):
        assert "cb-wall-missing" in text  # the page's own message
        return
    assert "dash_mantine_components" in text and "wall-config" not in text


def test_the_first_refresh_sends_only_what_changed(client, pages_app):
    layout = first_layout(client, f"http://localhost{WALL}")
    ids = _by_id(layout)
    shown = ids["wall-shown"]["props"]["data"]
    # what the wall showed before: the refresh would send every value …
    full = client.post("/_dash-update-component", json=refresh_body(pages_app, layout, {})).get_json()["response"]
    # … and the layout already shows exactly those (texts and classes compared as sent)
    sent = 0
    for cid, props in full.items():
        if cid == "wall-shown":
            continue
        node = ids[json.dumps(json.loads(cid), sort_keys=True) if cid.startswith("{") else cid]
        for prop, value in props.items():
            if prop in ("children", "className", "style"):
                assert node["props"].get(prop) == value, (cid, prop)
                sent += 1
    assert sent > 20
    # after the first layout, the first refresh sends (almost) nothing: only what changed
    r = client.post("/_dash-update-component", json=refresh_body(pages_app, layout, shown))
    after = r.get_json()["response"] if r.status_code == 200 else {}
    changed = [cid for cid in after if cid != "wall-shown"]
    assert len(changed) <= 3, changed  # at most a minute's age text ticking over meanwhile
    # and the fingerprints come back as a patch of those few entries, not the whole store
    update = after.get("wall-shown", {}).get("data")
    assert update is None or (update.get("__dash_patch_update") and len(update["operations"]) <= 3), update
    assert len(full["wall-shown"]["data"]["operations"]) == len(shown)  # from nothing: every entry


def _kick(layout) -> dict:
    return _by_id(layout)["wall-kick"]["props"]


def test_a_filled_wall_asks_nothing_on_load_an_empty_one_asks_at_once(client, pages_app, monkeypatch):
    """The refresh has no initial call: the layout sent filled already shows what it would
    send. A wall sent empty (the store failing, or the router's cheap layout) is kicked."""
    key = next(k for k in pages_app.callback_map if '"wall-text"' in k)
    deps = pages_app.server.test_client().get("/_dash-dependencies").get_json()
    assert next(d for d in deps if d["output"] == key)["prevent_initial_call"] is True
    kick = _kick(first_layout(client, f"http://localhost{WALL}"))
    assert kick["disabled"] is True and kick["max_intervals"] == 0

    def down(*_a, **_k):
        raise RuntimeError("store unreachable")

    monkeypatch.setattr(sys.modules["pages.wall"], "gather", down)
    kick = _kick(first_layout(client, f"http://localhost{WALL}"))
    assert kick["disabled"] is False and kick["max_intervals"] == 1
    from pages.wall import layout

    with pages_app.server.test_request_context("/wall/overview"):
        cheap = layout(screen="overview").to_plotly_json()  # what the router renders: no values
    ids = {n["props"].get("id"): n for n in _nodes(json.loads(json.dumps(cheap, default=lambda o: o.to_plotly_json())))
           if isinstance(n["props"].get("id"), str)}
    assert ids["wall-kick"]["props"]["max_intervals"] == 1


def test_a_failing_store_still_opens_the_wall_empty(client, monkeypatch):
    def down(*_a, **_k):
        raise RuntimeError("store unreachable")

    monkeypatch.setattr(sys.modules["pages.wall"], "gather", down)
    layout = first_layout(client, f"http://localhost{WALL}")
    ids = _by_id(layout)
    assert "wall-root" in ids and ids["wall-shown"]["props"]["data"] == {}
    value = ids[json.dumps({"key": "overview.vital.value", "type": "wall-text"}, sort_keys=True)]
    assert value["props"]["children"] == "—"  # the refresh fills it when the store answers


def test_the_wall_map_carries_codes_not_names(demo_settings):
    """The wall's map styles read only feature ids: the names stay home (office maps keep them)."""
    from components.citymap import city_map

    def layer(m, name):
        return next(c for c in m.children if getattr(c, "name", "").endswith(name)).children.data

    wall, office = city_map("m1", demo_settings), city_map("m2", demo_settings, interactive=True)
    for name in ("segments", "stations", "sites"):
        bare, full = layer(wall, name), layer(office, name)
        assert [f["id"] for f in bare["features"]] == [f["id"] for f in full["features"]]
        assert [f["geometry"] for f in bare["features"]] == [f["geometry"] for f in full["features"]]
        assert all(set(f["properties"]) == {"code"} for f in bare["features"])
        assert all("name_zh" in f["properties"] for f in full["features"])
    assert layer(wall, "labels") == layer(office, "labels")  # labels fall back to their names


# ------------------------------------------------------------------------- the lean index

def _scripts(html: str) -> list[str]:
    import re

    return re.findall(r'<script src="([^"]+)"', html)


def test_a_wall_url_gets_an_index_without_the_office_bundles(client):
    wall = client.get(WALL).get_data(as_text=True)
    office = client.get("/traffic").get_data(as_text=True)
    assert any("dash_mantine_components" in s for s in _scripts(office))
    assert any("dash_ag_grid" in s for s in _scripts(office))
    assert not any("dash_mantine_components" in s or "dash_ag_grid" in s for s in _scripts(wall))
    assert any("dash_renderer" in s for s in _scripts(wall)) and any("dash_leaflet" in s for s in _scripts(wall))
    assert "X-Citybrain-Page" in wall and "X-Citybrain-Page" not in office
    assert 'rel="preload"' in wall and 'rel="preload"' not in office
    # the way back: ?_full=1 is always the whole index
    full = client.get(WALL + "?_full=1").get_data(as_text=True)
    assert any("dash_mantine_components" in s for s in _scripts(full)) and "X-Citybrain-Page" not in full


def test_the_tagged_layout_request_needs_no_referer(client):
    ids = _by_id(tagged_layout(client, "/wall?lang=en"))
    assert ids["_pages_location"]["props"]["pathname"] == "/wall"
    assert ids["_pages_location"]["props"]["search"] == "?lang=en"
    assert ids["wall-config"]["props"]["data"]["lang"] == "en"
    # the header names the page even when a Referer says otherwise (a proxy may rewrite it)
    r = client.get("/_dash-layout", headers={"X-Citybrain-Page": WALL, "X-Citybrain-Lean": "1",
                                             "Referer": "http://localhost/traffic"})
    assert "wall-root" in _by_id(r.get_json())


@pytest.mark.parametrize("page", ["/traffic", "//elsewhere.example/wall/overview", "http://elsewhere.example/wall"])
def test_a_lean_browser_that_cannot_get_the_wall_goes_to_the_full_index(client, page):
    """A lean browser has no Mantine: it must never be sent the office frame, only a way
    to the full index of the same URL (which then shows the frame: login, 403, the page)."""
    text = json.dumps(tagged_layout(client, page))
    assert "dash_mantine_components" not in text and "wall-root" not in text
    reload = next(n for n in _nodes(tagged_layout(client, page)) if n["props"].get("id") == "cb-full-reload")
    assert reload["props"]["refresh"] is True and reload["props"]["href"].endswith("_full=1")
    if page == "/traffic":
        assert reload["props"]["href"] == "/traffic?_full=1"


def test_a_reader_without_the_wall_gets_the_full_index_and_a_reload(pages_app, monkeypatch):
    """Access decides before leanness: a reader who may not open the wall gets the whole
    index (the frame's bundles), and a layout request tagged lean meanwhile (rights taken
    away between the index and the layout) is sent to the full index, not the frame."""
    import access.gate

    c = pages_app.server.test_client()
    assert c.get(WALL).status_code == 200
    monkeypatch.setattr(access.gate, "check_path", lambda *a, **k: "forbidden")
    html = c.get(WALL).get_data(as_text=True)
    assert any("dash_mantine_components" in s for s in _scripts(html))
    reload = next(n for n in _nodes(tagged_layout(c, WALL)) if n["props"].get("id") == "cb-full-reload")
    assert reload["props"]["href"] == WALL + "?_full=1"


def test_a_lean_page_gets_only_the_callbacks_its_components_trigger(client):
    every = client.get("/_dash-dependencies").get_json()
    r = client.get("/_dash-dependencies", headers={"X-Citybrain-Page": WALL, "X-Citybrain-Lean": "1"})
    assert r.status_code == 200 and "X-Citybrain-Page" in r.headers.get("Vary", "")
    lean = r.get_json()
    assert 0 < len(lean) < len(every) and all(d in every for d in lean)
    inputs = {i["id"] for d in lean for i in d["inputs"]}
    for wall_input in ("wall-refresh", "wall-kick", "wall-rotate", "wall-tick"):
        assert wall_input in inputs, wall_input
    assert not any("traffic" in json.dumps(d) or "cb-grid" in json.dumps(d) for d in lean)
    # not a lean page (an office URL, or a page this reader may not open): everything, as Dash sends it
    office = client.get("/_dash-dependencies", headers={"X-Citybrain-Page": "/traffic", "X-Citybrain-Lean": "1"})
    assert office.get_json() == every
