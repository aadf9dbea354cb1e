"""One app for the access and API suites (Dash pages register globally: one app per session).

Users of every role (and a district-level department head), tokens of every role, a few
warnings and indicator rows; helpers to sign in with Flask's test client and to build
``/_dash-update-component`` bodies from the app's registered callbacks.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert

UTC = dt.timezone.utc
PASSWORD = "correct-horse-9"
NOW = dt.datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass
class Harness:
    app: Any
    settings: Any
    engine: Any
    district: str
    other_district: str
    tokens: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    wall_token: str = ""
    wall_screen: str = ""

    @property
    def server(self) -> Any:
        return self.app.server

    def client(self, username: str | None = None) -> Any:
        c = self.server.test_client()
        if username:
            r = c.post("/login", data={"username": username, "password": PASSWORD})
            assert r.status_code == 302, f"sign-in of {username} failed: {r.status_code}"
        return c

    def callback_body(self, output_prefix: str, values: dict[str, Any] | None = None,
                      outputs: list[dict] | None = None, trigger: str | None = None) -> dict[str, Any]:
        """The request Dash's renderer sends for the declared callback whose key starts with
        ``output_prefix`` (``values``: by ``id.prop``, or ``type.prop`` for a pattern id; a
        pattern with ALL takes a list of ``{"id": …, "value": …}``)."""
        from access.declare import declarations

        if output_prefix == "_pages_content":  # Dash's router: not declared by us
            values = values or {}
            return self.router_body(values.get("_pages_location.pathname", "/"),
                                    values.get("_pages_location.search", ""))
        decls = declarations(self.server)
        key = next((k for k in decls if k.lstrip(".").startswith(output_prefix)), None)
        assert key is not None, f"no declared callback writes {output_prefix}"
        return body_for(key, decls[key], values or {}, outputs, trigger)

    def router_body(self, pathname: str, search: str = "") -> dict[str, Any]:
        key = next(k for k in self.app.callback_map if "_pages_content" in k)
        return {"output": key, "outputs": [{"id": "_pages_content", "property": "children"},
                                           {"id": "_pages_store", "property": "data"}],
                "inputs": [{"id": "_pages_location", "property": "pathname", "value": pathname},
                           {"id": "_pages_location", "property": "search", "value": search}],
                "changedPropIds": ["_pages_location.pathname"]}


def _name(dep: Any) -> str:
    cid = dep.component_id
    return f"{cid}.{dep.component_property}" if isinstance(cid, str) else f"{cid.get('type')}.{dep.component_property}"


def _is_all(dep: Any) -> bool:
    cid = dep.component_id
    return isinstance(cid, dict) and any(getattr(v, "value", None) == "ALL" for v in cid.values())


def _concrete(cid: Any) -> Any:
    return cid if isinstance(cid, str) else {k: v for k, v in cid.items()}


def body_for(key: str, decl: Any, values: dict[str, Any], outputs: list | None = None,
             trigger: str | None = None) -> dict[str, Any]:
    """A well-formed request for ``decl`` (what the browser sends), values by ``id.prop``."""
    def item(dep: Any) -> Any:
        value = values.get(_name(dep))
        if _is_all(dep):
            return [{"id": v["id"], "property": dep.component_property, "value": v.get("value")}
                    for v in (value or [])]
        return {"id": _concrete(dep.component_id), "property": dep.component_property, "value": value}

    # Dash names an output with allow_duplicate prop@<hash>, in the key and in the request
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    props = [part.rpartition(".")[2] for part in parts]

    def out(dep: Any, prop: str) -> Any:
        return [] if _is_all(dep) else {"id": _concrete(dep.component_id), "property": prop}

    inputs = [item(d) for d in decl.inputs]
    outs = outputs if outputs is not None else [out(d, p) for d, p in zip(decl.outputs, props)]
    first = inputs[0] if inputs and not isinstance(inputs[0], list) else None
    trig = trigger or (f"{first['id']}.{first['property']}" if first and isinstance(first["id"], str) else None)
    return {"output": key, "outputs": outs if key.startswith("..") else outs[0],
            "inputs": inputs, "state": [item(d) for d in decl.states], "changedPropIds": [trig] if trig else []}


USERS = {  # username → (role, domains, district flag)
    "u_admin": ("admin", [], False), "u_leader": ("leader", [], False),
    "u_traffic": ("department", ["traffic"], False), "u_env": ("department", ["environment"], False),
    "u_duty": ("duty", [], False), "u_analyst": ("analyst", [], False), "u_wall": ("wall", [], False),
    "u_traffic_d": ("department", ["traffic"], True),
}


def build(tmp_dir: Any) -> Harness:
    from access.tokens import create_token
    from access.users import add_user
    from app import create_app
    from citybrain.settings import load_settings
    from store.engine import upgrade
    from store.schema import indicators, warnings

    settings = load_settings(env={}, data_dir=tmp_dir, cache_url="null")
    upgrade(settings.resolved_store_url)
    app = create_app(settings)
    engine = app.server.extensions["citybrain"].engine
    district, other = settings.districts[0].code, settings.districts[1].code
    h = Harness(app, settings, engine, district, other)
    for name, (role, doms, dist) in USERS.items():
        add_user(engine, name, PASSWORD, role, domains=doms, district=district if dist else None, settings=settings)
        if role != "wall":
            _, h.tokens[name] = create_token(engine, kind="api", name=name, role=role, domains=doms,
                                             district=district if dist else None, created_by="test",
                                             settings=settings)
    h.wall_screen = settings.wall.screens[1].name
    _, h.wall_token = create_token(engine, kind="wall", name="hall", role="wall", screen=h.wall_screen,
                                   created_by="test", settings=settings)
    with engine.begin() as conn:
        for key, domain, dist in (("traffic_here", "traffic", district), ("traffic_there", "traffic", other),
                                  ("env_here", "environment", district), ("env_ack", "environment", district),
                                  ("traffic_ack", "traffic", district), ("traffic_ack2", "traffic", district)):
            h.warnings[key] = conn.execute(insert(warnings).values(
                rule=f"rule_{key}", domain=domain, scope_kind="district", scope=dist, district=dist, level="yellow",
                state="firing", handling="unacknowledged", title_zh=key, title_en=key, value=1.0,
                started_at=NOW - dt.timedelta(hours=2), fired_at=NOW - dt.timedelta(hours=1),
                open_key=f"{key}|district|{dist}")).inserted_primary_key[0]
        station = settings.stations[0]
        for hours in range(3):
            t = NOW - dt.timedelta(hours=hours)
            conn.execute(insert(indicators).values(
                name="aqi", grain="hour", scope_kind="station", scope=station.code, time=t, value=80.0, level=2,
                category="良", detail={"iaqi": {"pm25": 80}, "primary": ["pm25"], "standard": "HJ 633-2012"},
                computed_at=NOW))
            conn.execute(insert(indicators).values(
                name="vital_signs", grain="hour", scope_kind="city", scope="", time=t, value=72.0, level=None,
                category=None, detail={"contributions": {"air": 0.3}}, computed_at=NOW))
            conn.execute(insert(indicators).values(
                name="tpi", grain="hour", scope_kind="district", scope=district, time=t, value=3.2, level=2,
                category="基本畅通", detail={"tti": 1.2}, computed_at=NOW))
    return h
