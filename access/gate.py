"""The gate of ``/_dash-update-component``: a callback request checked against its declaration.

Dash passes a callback its inputs and states *by position*; the gate reads them the same
way. A request must name a declared callback (:mod:`access.declare`) and carry exactly its
registered inputs, states and outputs, in the registered order, each once, each value of
the JSON type the function's annotation admits — anything else is malformed (400). Then
the principal needs the declared action on the declared resource, and every argument
declared to carry a scope is checked against the principal as the function will receive
it (403). The router's request (Dash's own callback, rendering a page's layout) is checked
like a page URL: the path normalised as Dash normalises it, then the page's permission.

Decisions never depend on the client's claims of which page it is on; every refusal is
written to the audit log with the object it targeted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from dash.dependencies import DashDependency, Wildcard
from sqlalchemy import Engine, select

from access.declare import Declaration, conforms
from access.pages import THEME_PAGE, normalise_path, page_for_path, page_resource, path_variables
from access.roles import DISTRICT_RESOURCES, Principal, allowed, handles_everything
from citybrain.settings import DOMAINS, Settings
from store.schema import warnings as warnings_table

ROUTER_OUTPUT = "_pages_content"
ROUTER_LOCATION = "_pages_location"
#: deeper JSON than this in a callback request is refused before anything reads it
MAX_DEPTH = 48


@dataclass
class Verdict:
    """``status`` 200 (run it), 400 (malformed) or 403 (not allowed); ``target``: the object aimed at."""

    status: int
    reason: str = ""
    target: str | None = None
    action: str = "view"
    declaration: Declaration | None = None

    @property
    def allowed(self) -> bool:
        return self.status == 200


class Malformed(ValueError):
    """The request is not a well-formed call of the callback it names."""


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value, without recursion (a crafted body may be 10⁴ deep)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


def parse_body(raw: bytes) -> dict[str, Any]:
    """The JSON body of a callback request, or :class:`Malformed` (never RecursionError)."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise Malformed(f"the body is not JSON ({type(exc).__name__})") from None
    if not isinstance(body, dict):
        raise Malformed("the body is not a JSON object")
    if json_depth(body) > MAX_DEPTH:
        raise Malformed(f"the body is nested deeper than {MAX_DEPTH} levels")
    return body


# ------------------------------------------------------------------------- structure

def _dep_id(dep: DashDependency) -> Any:
    return dep.component_id


def _is_pattern(cid: Any) -> bool:
    return isinstance(cid, dict)


def _wild(v: Any) -> bool:
    return isinstance(v, Wildcard)


def _pattern_kind(cid: dict[str, Any]) -> str | None:
    """ALL, ALLSMALLER or MATCH: the wildcard of a pattern id (None: no wildcard)."""
    kinds = {v.value for v in cid.values() if _wild(v)}
    return next((k for k in ("ALL", "ALLSMALLER", "MATCH") if k in kinds), None)


def _id_matches(sent: Any, registered: Any) -> bool:
    if not _is_pattern(registered):
        return sent == registered
    if not isinstance(sent, dict) or set(sent) != set(registered):
        return False
    for k, v in registered.items():
        if _wild(v):
            if not isinstance(sent[k], (str, int, float)) or isinstance(sent[k], bool):
                return False
        elif sent[k] != v:
            return False
    return True


def _item(node: Any, dep: DashDependency, where: str, *, with_value: bool = True) -> Any:
    if not isinstance(node, dict) or "id" not in node or "property" not in node:
        raise Malformed(f"{where}: each item needs an id and a property")
    extra = set(node) - {"id", "property", "value"}
    if extra:
        raise Malformed(f"{where}: unexpected keys {sorted(extra)}")
    prop = node["property"]
    if not with_value and isinstance(prop, str):
        prop = prop.split("@", 1)[0]  # an output with allow_duplicate is named prop@<hash>
    if prop != dep.component_property or not _id_matches(node["id"], _dep_id(dep)):
        raise Malformed(f"{where}: expected {dep}, got {str(node.get('id'))[:80]}.{str(node.get('property'))[:40]}")
    return node.get("value") if with_value else None


def _values(nodes: Any, deps: tuple[DashDependency, ...], where: str) -> list[Any]:
    """The values the function receives from ``nodes`` (the request's list for ``deps``)."""
    if not isinstance(nodes, list) or len(nodes) != len(deps):
        raise Malformed(f"{where}: expected {len(deps)} items in the registered order")
    out = []
    for i, (node, dep) in enumerate(zip(nodes, deps)):
        cid = _dep_id(dep)
        if _is_pattern(cid) and _pattern_kind(cid) in ("ALL", "ALLSMALLER"):
            if not isinstance(node, list):
                raise Malformed(f"{where}[{i}]: a pattern with ALL takes a list")
            values = [_item(n, dep, f"{where}[{i}]") for n in node]
            ids = [json.dumps(n["id"], sort_keys=True) for n in node]
            if len(set(ids)) != len(ids):
                raise Malformed(f"{where}[{i}]: an id is repeated")
            out.append(values)
        else:
            out.append(_item(node, dep, f"{where}[{i}]"))
    return out


def _check_outputs(body_outputs: Any, decl: Declaration, multi: bool) -> None:
    """Dash sends a list of outputs for a callback with several (its key starts ``..``), else one."""
    nodes = body_outputs if multi else [body_outputs]
    if not isinstance(nodes, list) or len(nodes) != len(decl.outputs):
        raise Malformed(f"outputs: expected {len(decl.outputs)} in the registered order")
    for i, (node, dep) in enumerate(zip(nodes, decl.outputs)):
        cid = _dep_id(dep)
        if _is_pattern(cid) and _pattern_kind(cid) in ("ALL", "ALLSMALLER"):
            if not isinstance(node, list):
                raise Malformed(f"outputs[{i}]: a pattern with ALL takes a list")
            for n in node:
                _item(n, dep, f"outputs[{i}]", with_value=False)
        else:
            _item(node, dep, f"outputs[{i}]", with_value=False)


def _check_triggers(changed: Any, inputs: list[Any]) -> None:
    if changed is None:
        return
    if not isinstance(changed, list) or len(changed) > 64:
        raise Malformed("changedPropIds: a list of the inputs that changed")
    sent = []
    for node in inputs:
        for n in (node if isinstance(node, list) else [node]):
            sent.append((json.dumps(n["id"], sort_keys=True), n["property"]))
    for trig in changed:
        if not isinstance(trig, str):
            raise Malformed("changedPropIds: names of inputs")
        cid, _, prop = trig.rpartition(".")
        try:
            parsed = json.loads(cid) if cid.startswith("{") else cid
        except ValueError:
            raise Malformed(f"changedPropIds: {trig[:80]} is not an input id") from None
        if (json.dumps(parsed, sort_keys=True), prop) not in sent:
            raise Malformed(f"changedPropIds: {trig[:80]} is not one of the request's inputs")


def well_formed(body: dict[str, Any], decl: Declaration) -> list[Any]:
    """The values, in the function's argument order, of a request for ``decl`` — or :class:`Malformed`."""
    extra = set(body) - {"output", "outputs", "inputs", "state", "changedPropIds", "parsedChangedPropsIds"}
    if extra:
        raise Malformed(f"unexpected keys {sorted(extra)[:5]}")
    inputs = body.get("inputs")
    values = _values(inputs, decl.inputs, "inputs") + _values(body.get("state", []), decl.states, "state")
    _check_outputs(body.get("outputs"), decl, str(body.get("output", "")).startswith(".."))
    _check_triggers(body.get("changedPropIds"), inputs)
    for name, hint, value in zip(decl.args, decl.hints, values):
        if not conforms(value, hint):
            raise Malformed(f"{name}: {type(value).__name__} is not {hint}")
    return values


# ------------------------------------------------------------------------ permission

def resource_of(decl: Declaration) -> str | None:
    """The declared resource, else the resource of the page module ``pages.<page>``."""
    if decl.resource:
        return decl.resource
    import dash

    for page in dash.page_registry.values():
        if page["module"] == f"pages.{decl.page}":
            return page_resource(page)
    return "audit"  # a page nobody registered: admin-only (fail closed)


def decide(principal: Principal, body: dict[str, Any], declarations: dict[str, Declaration],
           callback_map: dict[str, Any], settings: Settings, engine: Engine) -> Verdict:
    """May ``principal`` run the callback request ``body``? Deny unless everything checks out."""
    key = body.get("output")
    if not isinstance(key, str):
        return Verdict(400, "the request names no callback (output)")
    decl = declarations.get(key)
    if decl is None:
        if key in callback_map and ROUTER_OUTPUT in key:
            return _decide_router(principal, body, settings, engine)
        return Verdict(400, "no such callback", target=key[:200])
    try:
        values = well_formed(body, decl)
    except Malformed as exc:
        return Verdict(400, str(exc), target=_callback_name(decl), action=decl.action, declaration=decl)
    args = dict(zip(decl.args, values))
    for name, kind in decl.scope.items():
        problem = _unreadable(kind, args.get(name))
        if problem:
            return Verdict(400, f"{name}: {problem}", target=target_of(kind, args.get(name)) or _callback_name(decl),
                           action=decl.action, declaration=decl)
    resource = resource_of(decl)
    for name, kind in decl.scope.items():
        if kind == "theme":  # a theme page's callback: the theme it serves is its resource
            resource = str(args.get(name) or "")
    aimed = [target_of(kind, args.get(name)) for name, kind in decl.scope.items()]
    verdict = Verdict(200, action=decl.action, declaration=decl,
                      target=next((t for t in aimed if t), _callback_name(decl)))
    if resource is None:
        return verdict
    per_warning = any(kind == "warning" for kind in decl.scope.values())
    need = requirement(principal, decl.action, resource, per_warning=per_warning)
    if need:
        return _deny(verdict, f"{principal.role} lacks {need}")
    for name, kind in decl.scope.items():
        reason = scope_verdict(principal, kind, args.get(name), decl.action, settings, engine)
        if reason:
            verdict.target = target_of(kind, args.get(name)) or verdict.target
            return _deny(verdict, reason)
    return verdict


def requirement(principal: Principal | None, action: str, resource: str, *, per_warning: bool = False) -> str:
    """"" if ``principal`` may run a callback declared with ``action`` on ``resource``; else
    the permission it lacks (``view`` | ``handle`` | ``handle_all`` | ``export`` | ``print`` |
    ``administer``), which the UI shows as the reason a control is disabled.

    Viewing the resource is always needed. ``handle`` is per warning where the callback
    names one (checked again on that warning's domain: :func:`scope_verdict`), otherwise
    city-wide: the principal must handle every domain's warnings (silences).
    """
    if not allowed(principal, "view", resource):
        return "view"
    if action == "handle":
        if per_warning:
            return "" if any(allowed(principal, "handle", d) for d in DOMAINS) else "handle"
        return "" if handles_everything(principal) else "handle_all"
    if action != "view" and not allowed(principal, action, resource):
        return action
    return ""


def _unreadable(kind: str, value: Any) -> str:
    """Why a scoped value cannot be read at all (a malformed request), or ""."""
    if kind == "view" and value is not None:
        from components.page.view import InvalidView, parse_view

        parsed = parse_view(value)
        return parsed.reason if isinstance(parsed, InvalidView) else ""
    if kind in ("domain", "district", "screen", "theme") and value is not None and not (isinstance(value, str)
                                                                              and len(value) <= 64):
        return f"a {kind} is a code of at most 64 characters"
    if kind == "warning" and value not in (None, "") and (isinstance(value, bool) or not isinstance(value, int)
                                                          or not 0 < value < 2**63):
        return "a warning id is a positive integer"
    return ""


def _callback_name(decl: Declaration) -> str:
    return f"callback:{decl.page}.{decl.fn.__name__ if decl.fn else 'clientside'}"


def _deny(verdict: Verdict, reason: str) -> Verdict:
    verdict.status, verdict.reason = 403, reason
    return verdict


def target_of(kind: str, value: Any) -> str | None:
    """How the audit log names the object a scoped argument aims at (None: it aims at nothing)."""
    if value in (None, "", {}):
        return None
    if kind == "view":
        view = value if isinstance(value, dict) else {}
        return f"view:{view.get('district') or 'city'}/{view.get('detail') or ''}"
    if kind == "wall_config":
        screens = value.get("screens", []) if isinstance(value, dict) else []
        return "screen:" + ",".join(str(s.get("name")) for s in screens if isinstance(s, dict))
    return f"{'screen' if kind == 'screen' else kind}:{value}"


def scope_verdict(principal: Principal, kind: str, value: Any, action: str, settings: Settings,
                  engine: Engine) -> str:
    """"" or the reason for refusing one scoped argument, as the function will receive it."""
    if kind == "warning":
        if value in (None, ""):
            return ""
        return check_warning(principal, value, engine, "handle" if action == "handle" else "view")
    if kind == "domain":
        if value in (None, ""):
            return ""  # a filter: "every domain the reader may see", narrowed where it is read
        ok = value in DOMAINS and allowed(principal, "view", str(value))
        return "" if ok else "domain outside the user's domains"
    if kind == "theme":
        ok = value in {th.code for th in settings.themes} and allowed(principal, "view", str(value))
        return "" if ok else "theme outside the user's themes"
    if kind == "district":  # a filter: None is "all the reader may see", narrowed where it is read
        return "" if value in (None, "") else _district(principal, value)
    if kind == "view":
        view = value or {}
        reason = _district(principal, view.get("district"))
        detail = view.get("detail")
        if not reason and principal.district and detail:
            if entity_district(settings, str(detail)) not in (None, principal.district):
                reason = "drill-down entity outside the user's district"
        return reason
    if kind == "screen":
        ok = not principal.screen or value in (None, principal.screen)
        return "" if ok else "wall token bound to another screen"
    if kind == "wall_config":
        shown = [s.get("name") for s in (value or {}).get("screens", []) if isinstance(s, dict)] \
            if isinstance(value, dict) else None
        ok = not principal.screen or shown == [principal.screen]
        return "" if ok else "wall token bound to another screen"
    return f"unknown scope kind {kind}"


def _district(principal: Principal, value: Any) -> str:
    if principal.district and value != principal.district:
        return "district outside the user's district"
    return ""


def entity_district(settings: Settings, code: str) -> str | None:
    for entity in (*settings.stations, *settings.segments, *settings.sites):
        if entity.code == code:
            return entity.district
    return None


def check_warning(principal: Principal, warning_id: Any, engine: Engine, action: str) -> str:
    """"" if ``principal`` may ``action`` (view | handle) warning ``warning_id``, else the reason."""
    if isinstance(warning_id, bool):
        return "not a warning id"
    try:
        wid = int(warning_id)
    except (TypeError, ValueError):
        return "not a warning id"
    if not 0 < wid < 2**63:
        return "not a warning id"
    with engine.connect() as conn:
        row = conn.execute(select(warnings_table.c.domain, warnings_table.c.district)
                           .where(warnings_table.c.id == wid)).first()
    if row is None:
        return ""  # nothing to leak; the page (or the action) says it does not exist
    if not allowed(principal, "view", row.domain):  # a department head: their own domains only
        return "warning of another domain"
    if action == "handle" and not allowed(principal, "handle", row.domain):
        return f"{principal.role} may not handle {row.domain} warnings"
    if principal.district and row.district != principal.district:
        return "warning of another district"
    return ""


# --------------------------------------------------------------------------- router

def _decide_router(principal: Principal, body: dict[str, Any], settings: Settings, engine: Engine) -> Verdict:
    """Dash's router renders a page's layout: the page's view permission, and its scope.

    Its inputs are the location's pathname and search, in that order, each once."""
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or len(inputs) != 2:
        return Verdict(400, "the router takes the location's pathname and search")
    got = []
    for node, prop in zip(inputs, ("pathname", "search")):
        if not isinstance(node, dict) or node.get("id") != ROUTER_LOCATION or node.get("property") != prop:
            return Verdict(400, "the router takes the location's pathname and search, in that order")
        value = node.get("value")
        if value is not None and not isinstance(value, str):
            return Verdict(400, f"the location's {prop} is text")
        got.append(value or "")
    pathname, search = got
    if not pathname.startswith("/") or (search and not search.startswith("?")):
        return Verdict(400, "a pathname starts with / and a search with ?", target=pathname[:200])
    reason = check_path(principal, pathname, search, settings, engine)
    return Verdict(403 if reason else 200, reason, target=f"page:{normalise_path(pathname)}")


def check_path(principal: Principal, path: str, search: str, settings: Settings, engine: Engine) -> str:
    """"" if ``principal`` may open page ``path`` with query ``search``; else the reason."""
    page = page_for_path(path)
    if page is None:
        return ""  # Dash shows its 404 page
    resource = page_resource(page)
    if resource == THEME_PAGE:
        resource = path_variables(page, path).get("code", "")
    if resource is None:
        return ""
    if not allowed(principal, "view", resource):
        return f"{principal.role} may not view {resource}"
    query = {k: v[0] for k, v in parse_qs(search.lstrip("?")).items()}
    if principal.screen and normalise_path(path) != f"/wall/{principal.screen}":
        return "wall token bound to another screen"
    if principal.district and resource in DISTRICT_RESOURCES and resource in DOMAINS \
            and query.get("district") != principal.district:
        return "district outside the user's district"
    if page.get("path_template") and resource == "warnings":
        wid = normalise_path(path).rsplit("/", 1)[-1]
        return check_warning(principal, wid, engine, "view")
    return ""
