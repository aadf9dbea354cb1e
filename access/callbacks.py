"""Deciding whether a principal may run one Dash callback request (``/_dash-update-component``).

Which page a callback belongs to is decided from server-side facts only: the request names
a registered callback by its output key (Dash runs exactly that function); its registered
output ids are looked up in the component index (``access.pages``). The client's Referer
or claimed page path is never trusted.

Then the values the function will receive are checked where they carry a scope:
district (ids ending ``district``, dicts with a ``district`` key), domain (ids ending
``-domain``), a warning id (:data:`WARNING_IDS`, the router's ``/warnings/<id>``), a
drill-down entity (``detail``), a wall screen (``wall-config`` / ``wall-screen``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import Engine, select

from access.pages import ComponentIndex, page_for_path, page_resource
from access.roles import DISTRICT_RESOURCES, Principal, allowed
from citybrain.settings import DOMAINS, Settings
from store.schema import warnings as warnings_table

ROUTER_OUTPUT = "_pages_content"
ROUTER_LOCATION = "_pages_location"
#: component ids holding the id of the warning a callback acts on or shows
WARNING_IDS = ("wc-selected",)
#: an input among these makes the callback an action needing more than "view"
ACTION_INPUTS: dict[str, str] = {"wc-ack": "ack", "wc-assign": "ack", "wc-close": "ack", "wc-add-note": "ack",
                                 "wc-sil-add": "silence", "type=wc-sil-end": "silence"}
#: the audit action of each handling trigger
AUDITED_TRIGGERS: dict[str, str] = {"wc-ack": "warning.ack", "wc-assign": "warning.assign",
                                    "wc-close": "warning.close", "wc-add-note": "warning.note",
                                    "wc-sil-add": "silence.add", "wc-sil-end": "silence.end"}
DOWNLOAD_TYPES = ("dash_core_components.Download",)
SCREEN_IDS = ("wall-config", "wall-screen")


@dataclass
class Decision:
    allowed: bool
    reason: str = ""
    action: str = "view"
    resources: set[str] = field(default_factory=set)
    audit: str | None = None  # audit action to write after a successful run
    target: str | None = None


def parse_output_key(key: str) -> list[tuple[Any, str]]:
    """Dash's output key (``id.prop`` or ``..id1.prop1...id2.prop2..``) → [(id, prop)]."""
    parts = key[2:-2].split("...") if key.startswith("..") and key.endswith("..") else [key]
    out = []
    for part in parts:
        cid, _, prop = part.rpartition(".")
        if cid.startswith("{"):
            try:
                cid = json.loads(cid)
            except ValueError:
                pass
        out.append((cid, prop.split("@")[0]))
    return out


def _items(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict) and "id" in node and "property" in node:
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from _items(v)
    elif isinstance(node, list):
        for v in node:
            yield from _items(v)


def _matches(body_id: Any, registered: list[Any]) -> bool:
    for reg in registered:
        if isinstance(reg, str) and body_id == reg:
            return True
        if isinstance(reg, dict) and isinstance(body_id, dict) and set(reg) == set(body_id) and all(
                isinstance(v, list) or body_id.get(k) == v for k, v in reg.items()):
            return True
    return False


def _reg_id(spec: dict[str, Any]) -> Any:
    cid = spec.get("id")
    if isinstance(cid, str) and cid.startswith("{"):
        try:
            return json.loads(cid)
        except ValueError:
            return cid
    return cid


def decide(principal: Principal, body: dict[str, Any], callback_map: dict[str, Any], index: ComponentIndex,
           settings: Settings, engine: Engine, memo: dict[Any, Any] | None = None) -> Decision:
    """May ``principal`` run the callback request ``body``? Deny unless everything checks out.

    ``memo`` (a dict kept per app, see :func:`attribute`) saves re-attributing the same
    outputs on every request; without it everything is computed afresh (same decision).
    """
    key = body.get("output")
    entry = callback_map.get(key) if isinstance(key, str) else None
    if entry is None:
        return Decision(False, "unknown callback")
    outputs = parse_output_key(key)
    registered = [_reg_id(s) for s in (*entry.get("inputs", []), *entry.get("state", []))]
    items = [*_items(body.get("inputs")), *_items(body.get("state"))]
    if any(not _matches(i["id"], registered) for i in items):
        return Decision(False, "inputs differ from the callback's registered inputs")
    values = {(json.dumps(i["id"], sort_keys=True) if isinstance(i["id"], dict) else i["id"], i["property"]): i.get("value")
              for i in items}

    if any(cid == ROUTER_OUTPUT for cid, _ in outputs):
        return _decide_router(principal, values, settings, engine)

    found = attribute(key, outputs, entry, body.get("outputs"), index, memo)
    if found.problem:
        return Decision(False, found.problem)
    if found.unowned:
        return Decision(False, f"callback output {found.unowned[0]!r} is on no known page (admin-only)") \
            if principal.role != "admin" else Decision(True, resources={"audit"})
    resources = set(found.resources)
    action = found.action
    triggers = [str(p).rsplit(".", 1)[0] for p in body.get("changedPropIds") or []]
    # a warnings-center action is allowed per the warning's domain, below; viewing needs the page
    for res in resources:
        if not allowed(principal, "view", res):
            return Decision(False, f"{principal.role} may not view {res}", action, resources)
        if action == "export" and not allowed(principal, "export", res):
            return Decision(False, f"{principal.role} may not export {res}", action, resources)

    decision = _check_values(principal, values, resources, action, settings, engine)
    if not decision.allowed:
        decision.action, decision.resources = action, resources
        return decision
    decision.resources = resources
    decision.action = action
    if action == "export":
        decision.audit = "export"
        decision.target = ",".join(sorted(resources))
    for trig in triggers:
        base = _trigger_key(trig)
        if base in AUDITED_TRIGGERS:
            decision.audit = AUDITED_TRIGGERS[base]
            decision.target = decision.target or trig
    if decision.audit and decision.audit.startswith("warning."):
        decision.target = f"warning:{values.get((WARNING_IDS[0], 'data'))}"
    return decision


@dataclass(frozen=True)
class Attribution:
    """What a callback request's outputs say about it, whoever sends it: the first problem
    (outputs not the registered ones), or the first output on no known page, or the
    resources of the pages holding its outputs and the action it performs."""

    problem: str = ""
    unowned: tuple[Any, ...] = ()  # (the first output id on no known page,)
    resources: frozenset[str] = frozenset()
    action: str = "view"


#: attributions remembered per app before the memo starts over (bounds its memory)
MEMO_SIZE = 256


def attribute(key: str, outputs: list[tuple[Any, str]], entry: dict[str, Any], body_outputs: Any,
              index: ComponentIndex, memo: dict[Any, Any] | None = None) -> Attribution:
    """Attribute the outputs ``body_outputs`` of the registered callback ``key`` to pages.

    Depends only on the callback, the concrete output ids the request names and the
    component index — never on who asks — so it is the same for every refresh of every
    wall showing the same layout (~700 id lookups for the wall's ALL outputs). ``memo``
    keeps it per (callback, exact outputs) for one index; a different request body is a
    different key, so a memo hit gives exactly what computing it would.
    """
    if memo is None:
        return _attribute(outputs, entry, body_outputs, index)
    if memo.get("index") is not index:  # built lazily once per app; never mix two
        memo.clear()
        memo["index"] = index
    mkey = (key, json.dumps(body_outputs, sort_keys=True, separators=(",", ":")))
    found = memo.get(mkey)
    if found is None:
        found = _attribute(outputs, entry, body_outputs, index)
        if len(memo) > MEMO_SIZE:  # many different output sets (crafted bodies): start over
            memo.clear()
            memo["index"] = index
        memo[mkey] = found
    return found


def _attribute(outputs: list[tuple[Any, str]], entry: dict[str, Any], body_outputs: Any,
               index: ComponentIndex) -> Attribution:
    # wildcard outputs (MATCH/ALL) are attributed by the concrete ids the request names,
    # each checked against the registered pattern; without any, by the pattern (stricter)
    patterns = [cid for cid, _ in outputs]
    concrete = [i["id"] for i in _items(body_outputs)]
    if any(not _matches(c, patterns) for c in concrete):
        return Attribution(problem="outputs differ from the callback's registered outputs")
    resources: set[str] = set()
    for cid in concrete or patterns:
        owners = index.resources_of(cid)
        if not owners:
            return Attribution(unowned=(cid,))
        resources |= {r for r in owners if r is not None}
    action = "view"
    for spec in entry.get("inputs", []):
        for k in _keys(_reg_id(spec)):
            if k in ACTION_INPUTS:
                action = ACTION_INPUTS[k]
    if any(index.type_of(cid) in DOWNLOAD_TYPES for cid in concrete or patterns):
        action = "export"
    return Attribution(resources=frozenset(resources), action=action)


def _keys(cid: Any) -> list[str]:
    if isinstance(cid, dict):
        return [f"type={cid['type']}"] if "type" in cid else []
    return [cid] if isinstance(cid, str) else []


def _trigger_key(trig: str) -> str:
    if trig.startswith("{"):
        try:
            return str(json.loads(trig).get("type", ""))
        except ValueError:
            return ""
    return trig


def _check_values(principal: Principal, values: dict[tuple[str, str], Any], resources: set[str], action: str,
                  settings: Settings, engine: Engine) -> Decision:
    carried_district = False
    for (cid, _prop), value in values.items():
        name = cid if isinstance(cid, str) else ""
        if principal.district:
            if name.endswith("district"):
                carried_district = True
                if value != principal.district:
                    return Decision(False, "district outside the user's district")
            if isinstance(value, dict) and "district" in value:
                carried_district = True
                if value.get("district") != principal.district:
                    return Decision(False, "district outside the user's district")
                detail = value.get("detail")
                if detail and _entity_district(settings, detail) not in (None, principal.district):
                    return Decision(False, "drill-down entity outside the user's district")
        if principal.role == "department" and name.endswith("-domain") and "warnings" in resources:
            if value not in principal.domains:
                return Decision(False, "domain filter outside the user's domains")
        if name in WARNING_IDS and value not in (None, ""):
            carried_district = True
            verdict = check_warning(principal, value, engine, "ack" if action == "ack" else "view")
            if verdict:
                return Decision(False, verdict)
        if principal.screen and name in SCREEN_IDS:
            if name == "wall-screen" and value not in (None, principal.screen):
                return Decision(False, "wall token bound to another screen")
            if name == "wall-config":
                shown = [s.get("name") for s in (value or {}).get("screens", []) if isinstance(s, dict)]
                if shown != [principal.screen]:
                    return Decision(False, "wall token bound to another screen")
    if principal.district and not carried_district and resources & set(DISTRICT_RESOURCES):
        return Decision(False, "nothing limits this callback to the user's district")
    if action in ("ack", "silence") and not any(allowed(principal, action, d) for d in DOMAINS):
        return Decision(False, f"{principal.role} may not {action}")
    if action == "silence" and not all(allowed(principal, "silence", d) for d in DOMAINS):
        return Decision(False, "silences are city-wide; only duty officers and admins set them")
    return Decision(True)


def _entity_district(settings: Settings, code: str) -> str | None:
    for entity in (*settings.stations, *settings.segments, *settings.sites):
        if entity.code == code:
            return entity.district
    return None


def check_warning(principal: Principal, warning_id: Any, engine: Engine, action: str) -> str:
    """"" if ``principal`` may ``action`` (view | ack) warning ``warning_id``, else the reason."""
    try:
        wid = int(warning_id)
    except (TypeError, ValueError):
        return "not a warning id"
    with engine.connect() as conn:
        row = conn.execute(select(warnings_table.c.domain, warnings_table.c.district)
                           .where(warnings_table.c.id == wid)).first()
    if row is None:
        return ""  # nothing to leak; the page says it does not exist
    if action == "view" and principal.role == "department" and row.domain not in principal.domains:
        return "warning of another domain"
    if action == "ack" and not allowed(principal, "ack", row.domain):
        return f"{principal.role} may not handle {row.domain} warnings"
    if principal.district and row.district != principal.district:
        return "warning of another district"
    return ""


def _decide_router(principal: Principal, values: dict[tuple[str, str], Any], settings: Settings,
                   engine: Engine) -> Decision:
    """The pages router renders a page's layout: the page's view permission, and its scope."""
    pathname = values.get((ROUTER_LOCATION, "pathname")) or "/"
    search = values.get((ROUTER_LOCATION, "search")) or ""
    verdict = check_path(principal, str(pathname), str(search), settings, engine)
    return Decision(not verdict, verdict, "view")


def check_path(principal: Principal, path: str, search: str, settings: Settings, engine: Engine) -> str:
    """"" if ``principal`` may open page ``path`` with query ``search``; else the reason."""
    page = page_for_path(path)
    if page is None:
        return ""  # Dash shows its 404 page
    resource = page_resource(page)
    if resource is None:
        return ""
    if not allowed(principal, "view", resource):
        return f"{principal.role} may not view {resource}"
    query = {k: v[0] for k, v in parse_qs(search.lstrip("?")).items()}
    if principal.screen and path.rstrip("/") != f"/wall/{principal.screen}":
        return "wall token bound to another screen"
    if principal.district and resource in DOMAINS and query.get("district") != principal.district:
        return "district outside the user's district"
    if page.get("path_template") and resource == "warnings":
        wid = path.rstrip("/").rsplit("/", 1)[-1]
        verdict = check_warning(principal, wid, engine, "view")
        if verdict:
            return verdict
    return ""
