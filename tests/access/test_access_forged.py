"""Forged callback requests, generated for every declared callback that reads scoped data or
changes anything, sent as every role: reordered, repeated, missing and extra ids, wrong
JSON types, JSON nested 10,000 deep, and scoped values of another department, district
or wall screen. Each must answer 400 or 403 — never 200 or 500 — and leave an audit row
naming what it aimed at. The declarations are read from the app, so a callback declared
later is attacked without editing this file.
"""

from __future__ import annotations

import copy
import json
import typing
from typing import Any

import pytest
from sqlalchemy import select

from access.declare import conforms, declarations
from access.roles import Principal
from store.schema import audit_log, warnings
from tests.access.harness import USERS, body_for

MUTATIONS = ("reordered", "repeated", "missing", "extra", "wrong_type", "deep")


def sample(hint: Any) -> Any:
    """A value the annotation admits (None where it may be None)."""
    for candidate in (None, "zh", 1, "x", {}, []):
        if conforms(candidate, hint):
            return candidate
    args = typing.get_args(hint)
    return args[0] if args else None


def attacked(harness) -> list[tuple[str, Any]]:
    """The declared server callbacks that read scoped data or change anything."""
    return sorted(((k, d) for k, d in declarations(harness.server).items()
                   if d.fn is not None and (d.scope or d.action != "view")), key=lambda kd: kd[0])


def baseline(key: str, decl: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for dep, hint in zip((*decl.inputs, *decl.states), decl.hints):
        cid = dep.component_id
        name = f"{cid}.{dep.component_property}" if isinstance(cid, str) else f"{cid.get('type')}.{dep.component_property}"
        values[name] = sample(hint)
    return body_for(key, decl, values)


def mutate(body: dict[str, Any], how: str, decl: Any) -> dict[str, Any]:
    b = copy.deepcopy(body)
    items = b["inputs"] + b["state"]
    if how == "reordered":
        if len(b["state"]) >= 2:
            b["state"][0], b["state"][-1] = b["state"][-1], b["state"][0]
        elif len(items) >= 2:
            b["inputs"] = list(reversed(b["inputs"])) if len(b["inputs"]) >= 2 else b["inputs"]
            if len(b["inputs"]) < 2:
                b["inputs"], b["state"] = b["state"], b["inputs"]
        else:
            b["inputs"] = [{"id": "x", "property": "y", "value": None}]
    elif how == "repeated":
        (b["state"] if b["state"] else b["inputs"]).insert(0, copy.deepcopy((b["state"] or b["inputs"])[-1]))
    elif how == "missing":
        (b["state"] if b["state"] else b["inputs"]).pop()
    elif how == "extra":
        b["inputs"].append({"id": "not-registered", "property": "value", "value": 1})
    elif how == "wrong_type":  # the first argument given a JSON value its annotation does not admit
        hints = dict(zip(range(len(decl.hints)), decl.hints))
        for pos, item in enumerate(items):
            bad = next((v for v in ({"$ne": 1}, "x" * 3, 12345, True, [[["x"]]]) if not conforms(v, hints[pos])), None)
            if bad is not None and isinstance(item, dict):
                item["value"] = bad
                break
            if bad is not None:  # an ALL pattern's list: its items' values are the list's elements
                b[("inputs" if pos < len(b["inputs"]) else "state")][pos if pos < len(b["inputs"])
                                                                      else pos - len(b["inputs"])] = {"id": "x"}
                break
        else:
            b["inputs"][0] = {"id": "x", "property": "y"}
    elif how == "deep":
        target = next((i for i in items if isinstance(i, dict)), None)
        if target is not None:
            target["value"] = "__DEEP__"
        else:
            b["inputs"][0] = "__DEEP__"
        text = json.dumps(b).replace('"__DEEP__"', json.dumps(1).join(["[" * 10_000, "]" * 10_000]))
        return text  # sent as raw text: too deep for json.dumps of nested lists
    return b


def last_audit(harness, actor: str, since_id: int) -> list[dict]:
    with harness.engine.connect() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.actor == actor, audit_log.c.id > since_id)
                            .order_by(audit_log.c.id.desc())).all()
    return [dict(r._mapping) for r in rows]


def audit_mark(harness) -> int:
    with harness.engine.connect() as conn:
        return conn.execute(select(audit_log.c.id).order_by(audit_log.c.id.desc()).limit(1)).scalar() or 0


def post(client, body: Any):
    if isinstance(body, str):
        return client.post("/_dash-update-component", data=body, content_type="application/json")
    return client.post("/_dash-update-component", json=body)


@pytest.fixture(scope="module")
def clients(harness):
    return {u: harness.client(u) for u in USERS}


def test_there_are_callbacks_to_attack(harness):
    names = {d.fn.__name__ for _, d in attacked(harness)}
    assert {"act", "add_silence", "end_silence", "refresh_list", "show_detail", "render_view", "export_grid",
            "produce", "refresh", "heartbeat"} <= names, names


def test_the_baseline_is_well_formed(harness, clients):
    """The generator sends what the browser sends: the unmutated request is never a 400."""
    for key, decl in attacked(harness):
        r = post(clients["u_admin"], baseline(key, decl))
        assert r.status_code != 400, (key, r.data[:300])
        assert r.status_code < 500, (key, r.data[:300])


@pytest.mark.parametrize("how", MUTATIONS)
def test_malformed_requests_get_400_and_an_audit_row(harness, clients, how):
    for user in USERS:
        for key, decl in attacked(harness):
            body = mutate(baseline(key, decl), how, decl)
            mark = audit_mark(harness)
            r = post(clients[user], body)
            assert r.status_code in (400, 403), (user, how, key, r.status_code, r.data[:200])
            rows = last_audit(harness, user, mark)
            assert rows and rows[0]["action"] in ("access.malformed", "access.denied"), (user, how, key)
            assert rows[0]["target"], (user, how, key)


def _values_for(decl: Any, **override: Any) -> dict[str, Any]:
    values = {}
    for dep, hint, arg in zip((*decl.inputs, *decl.states), decl.hints, decl.args):
        cid = dep.component_id
        name = f"{cid}.{dep.component_property}" if isinstance(cid, str) else f"{cid.get('type')}.{dep.component_property}"
        values[name] = override.get(arg, sample(hint))
    return values


def _scoped(harness, kind: str) -> list[tuple[str, Any, str]]:
    return [(k, d, arg) for k, d in attacked(harness) for arg, kd in d.scope.items() if kd == kind]


def _refused_with_target(harness, client, user, body, target_part: str) -> None:
    mark = audit_mark(harness)
    r = post(client, body)
    assert r.status_code == 403, (user, body["output"], r.status_code, r.data[:200])
    rows = last_audit(harness, user, mark)
    assert rows and rows[0]["action"] == "access.denied" and target_part in (rows[0]["target"] or ""), rows[:1]


def test_another_department_s_warning_is_refused_by_every_warning_callback(harness, clients):
    env = harness.warnings["env_here"]
    before = _handling(harness, "env_here")  # other suites share the harness and may have acted on it
    for key, decl, arg in _scoped(harness, "warning"):
        body = body_for(key, decl, _values_for(decl, **{arg: env}))
        _refused_with_target(harness, clients["u_traffic"], "u_traffic", body, f"warning:{env}")
        if decl.action == "handle":  # the leader reads it but handles nothing
            _refused_with_target(harness, clients["u_leader"], "u_leader", body, f"warning:{env}")
    assert _handling(harness, "env_here") == before


def test_another_district_s_warning_is_refused_to_a_district_user(harness, clients):
    there = harness.warnings["traffic_there"]
    before = _handling(harness, "traffic_there")
    for key, decl, arg in _scoped(harness, "warning"):
        body = body_for(key, decl, _values_for(decl, **{arg: there}))
        _refused_with_target(harness, clients["u_traffic_d"], "u_traffic_d", body, f"warning:{there}")
    assert _handling(harness, "traffic_there") == before


def test_other_domains_and_districts_as_filters_and_views(harness, clients):
    for key, decl, arg in _scoped(harness, "domain"):
        body = body_for(key, decl, _values_for(decl, **{arg: "environment"}))
        _refused_with_target(harness, clients["u_traffic"], "u_traffic", body, "domain:environment")
    for key, decl, arg in _scoped(harness, "district"):
        body = body_for(key, decl, _values_for(decl, **{arg: harness.other_district}))
        _refused_with_target(harness, clients["u_traffic_d"], "u_traffic_d", body, f"district:{harness.other_district}")
    for key, decl, arg in _scoped(harness, "view"):
        if decl.page != "traffic":
            continue
        for view in ({"range": "30d"}, {"district": harness.other_district, "range": "24h"}):
            body = body_for(key, decl, _values_for(decl, **{arg: view}))
            _refused_with_target(harness, clients["u_traffic_d"], "u_traffic_d", body, "view:")


def test_a_wall_token_shows_its_own_screen_only(harness):
    c = harness.server.test_client()
    assert c.get(f"/wall/{harness.wall_screen}?token={harness.wall_token}").status_code in (200, 302)
    other = next(s.name for s in harness.settings.wall.screens if s.name != harness.wall_screen)
    for key, decl, arg in _scoped(harness, "wall_config"):
        body = body_for(key, decl, _values_for(decl, **{arg: {"screens": [{"name": other}]}}))
        assert post(c, body).status_code == 403
        body = body_for(key, decl, _values_for(decl, **{arg: {"screens": [{"name": harness.wall_screen}]}}))
        assert post(c, body).status_code == 200
    for key, decl, arg in _scoped(harness, "screen"):
        body = body_for(key, decl, _values_for(decl, **{arg: other}))
        assert post(c, body).status_code == 403


def test_the_reported_attacks(harness, clients):
    """Issue 17's critical findings, replayed exactly."""
    from tests.access.harness import body_for as _b

    decls = declarations(harness.server)
    key = next(k for k in decls if k.startswith("..wc-changed.data"))
    decl = decls[key]
    traffic_warning = harness.warnings["traffic_ack2"]
    before = {k: _handling(harness, k) for k in ("traffic_ack2", "traffic_there")}
    # wc-note first carrying a traffic warning id, wc-selected second as null (environment head)
    body = _b(key, decl, _values_for(decl, selected=None, note=str(traffic_warning)), trigger="wc-ack.n_clicks")
    body["state"][0], body["state"][1] = body["state"][1], body["state"][0]
    body["state"][0]["value"] = traffic_warning
    r = post(clients["u_env"], body)
    assert r.status_code == 400 and _handling(harness, "traffic_ack2") == before["traffic_ack2"]
    # wc-selected twice: another district's id first, the user's own last (district user)
    body = _b(key, decl, _values_for(decl, selected=harness.warnings["traffic_ack2"]), trigger="wc-ack.n_clicks")
    body["state"].insert(0, {**body["state"][0], "value": harness.warnings["traffic_there"]})
    assert post(clients["u_traffic_d"], body).status_code == 400
    assert _handling(harness, "traffic_there") == before["traffic_there"]
    # the router: pathname and search swapped, repeated slashes
    swapped = harness.router_body("/audit")
    swapped["inputs"].reverse()
    assert post(clients["u_traffic"], swapped).status_code == 400
    for path in ("//audit", "///audit//", "/audit/", "//sources"):
        r = post(clients["u_traffic"], harness.router_body(path))
        assert r.status_code == 403, path
        # by URL too (PATH_INFO as a proxy would pass it: the test client reads "//x" as a host)
        assert clients["u_traffic"].get("/", environ_overrides={"PATH_INFO": path}).status_code == 403, path


def test_a_forged_call_that_reaches_the_action_is_refused_there(harness):
    """Defence in depth: alerts.handling checks the principal itself and audits the refusal."""
    from alerts import handling
    from citybrain.errors import AccessRefused

    env = harness.warnings["env_here"]
    before = _handling(harness, "env_here")
    for who in (Principal("u_traffic", "department", ("traffic",)), Principal("u_leader", "leader"),
                Principal("u_traffic_d", "department", ("traffic",), district=harness.district)):
        mark = audit_mark(harness)
        with pytest.raises(AccessRefused):
            handling.acknowledge(harness.engine, env, actor=who, note="forged")
        rows = last_audit(harness, who.name, mark)
        assert rows[0]["action"] == "warning.refused" and rows[0]["target"] == f"warning:{env}"
    with pytest.raises(AccessRefused):
        handling.add_silence(harness.engine, rule="r", reason="x", created_by=Principal("u_traffic", "department",
                                                                                        ("traffic",)),
                             starts_at=handling._now(None), ends_at=handling._now(None).replace(year=2100))
    assert _handling(harness, "env_here") == before


def test_huge_and_malformed_values_are_400_not_500(harness, clients):
    decls = declarations(harness.server)
    key = next(k for k in decls if k.startswith("..wc-changed.data"))
    decl = decls[key]
    c = clients["u_duty"]
    for selected in (2**63, -1, "1; DROP TABLE warnings", 1.5, True, [1], {"id": 1}):
        body = body_for(key, decl, _values_for(decl, selected=selected), trigger="wc-ack.n_clicks")
        r = post(c, body)
        assert r.status_code == 400, (selected, r.status_code)
    for raw in ("", "null", "[]", "{", '{"output": 5}', '{"output": "nope"}', "\x00" * 10):
        assert post(c, raw).status_code == 400, raw
    big = {"output": key, "inputs": [{"id": "x" * 100, "property": "y", "value": "z" * (9 * 1024 * 1024)}]}
    assert post(c, big).status_code in (400, 413)


def _handling(harness, key: str) -> str:
    with harness.engine.connect() as conn:
        return conn.execute(select(warnings.c.handling).where(warnings.c.id == harness.warnings[key])).scalar_one()
