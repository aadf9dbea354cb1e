"""The server-side gate: a ``before_request`` hook that every request except the API passes.

* public: sign-in, health, language switch, Dash's static bundles and assets;
* no principal: pages redirect to ``/login?next=…``, Dash endpoints answer 401 JSON;
* page URLs: the page's resource must be viewable (403 page otherwise); a district-bound
  user is redirected to the district-filtered view of a domain page;
* ``/_dash-update-component``: :func:`access.callbacks.decide` on the registered callback
  and the values it would receive — refused callbacks get a 403 JSON and run nothing;
* other Flask routes of the app need a signed-in person (not a wall token), or the
  action/resource given with :func:`require`.

An ``after_request`` hook writes the audit rows of exports, warning handling and silences
once the callback has actually run.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import flask
from sqlalchemy import select

from access import audit
from access.callbacks import check_path, decide
from access.identity import address, session_principal
from access.pages import page_for_path, page_resource
from access.roles import allowed
from access.state import state
from access.web import forbidden_page
from citybrain import context
from citybrain.settings import DOMAINS
from store.schema import silences, warning_events

log = logging.getLogger("citybrain.access")
UTC = dt.timezone.utc

PUBLIC_PREFIXES = ("/_dash-component-suites/", "/assets/", "/set-lang/", "/static/")
PUBLIC_PATHS = ("/login", "/logout", "/healthz", "/_favicon.ico", "/favicon.ico", "/_reload-hash")
DASH_CALLBACK = "/_dash-update-component"
ATTRIBUTIONS = "citybrain.access.attributions"


def _deny_json(status: int, message: str) -> flask.Response:
    response = flask.jsonify({"message": message, "status": status})
    response.status_code = status
    return response


def guard() -> Any:
    """``before_request``: decide, and refuse before any page or callback code runs."""
    req = flask.request
    path = req.path
    if path.startswith("/api/"):
        return _api_routing(req)
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
        return None
    principal = session_principal()
    flask.g.user = principal
    if principal is None:
        if path.startswith("/_dash-"):
            return _deny_json(401, "sign in first: your session has ended or the token was revoked")
        return flask.redirect("/login?" + urlencode({"next": req.full_path.rstrip("?")}))
    if path == DASH_CALLBACK and req.method == "POST":
        return _guard_callback(principal)
    if path.startswith("/_dash-"):
        return None  # layout shell and dependency list: no city data
    page = page_for_path(path)
    if page is not None:
        resource = page_resource(page)
        if principal.district and resource in DOMAINS and req.args.get("district") != principal.district \
                and allowed(principal, "view", resource):
            args = {**req.args.to_dict(), "district": principal.district}
            return flask.redirect(f"{path}?{urlencode(args)}")
        verdict = check_path(principal, path, req.query_string.decode("latin-1"), context.settings(), context.engine())
        if verdict:
            log.info("access: %s denied %s (%s)", principal.name, path, verdict)
            return forbidden_page(principal)
        return None
    if principal.via == "wall-token":
        return _deny_json(403, "a wall token opens its wall screen only")
    return None


def _api_routing(req: flask.Request) -> Any:
    """API paths the API does not serve answer JSON, not the Dash page shell."""
    from werkzeug.exceptions import MethodNotAllowed

    if req.blueprint == "api_v1":
        return None
    if isinstance(req.routing_exception, MethodNotAllowed):
        return _deny_json(405, f"{req.method} is not allowed here; see /api/v1/openapi.json")
    return _deny_json(404, f"no API route {req.path}; see /api/v1/openapi.json")


def _attributions() -> dict[Any, Any]:
    """This app's memo of callback attributions (:func:`access.callbacks.attribute`): per
    app in its extensions, like the component index it is derived from."""
    return flask.current_app.extensions.setdefault(ATTRIBUTIONS, {})


def _guard_callback(principal: Any) -> Any:
    body = flask.request.get_json(silent=True)
    if not isinstance(body, dict):
        return _deny_json(400, "a callback request needs a JSON body")
    st = state()
    decision = decide(principal, body, st.callback_map(), st.component_index(), context.settings(), context.engine(),
                      memo=_attributions())
    if not decision.allowed:
        log.info("access: %s denied callback %s (%s)", principal.name, str(body.get("output"))[:120], decision.reason)
        if decision.action != "view":
            audit.record(context.engine(), actor=principal.name, action="access.denied",
                         target=str(body.get("output"))[:200], detail={"reason": decision.reason,
                                                                        "action": decision.action}, address=address())
        return _deny_json(403, f"not allowed: {decision.reason}")
    flask.g.cb_decision = decision
    flask.g.cb_started = dt.datetime.now(UTC)
    return None


def audit_after(response: flask.Response) -> flask.Response:
    """``after_request``: audit rows for callbacks that acted (exports, handling, silences)."""
    decision = getattr(flask.g, "cb_decision", None)
    if decision is None or not decision.audit or response.status_code != 200:
        return response
    principal = flask.g.user
    engine = context.engine()
    started = flask.g.cb_started
    detail: dict[str, Any] = {"resources": sorted(decision.resources)}
    action = decision.audit
    if action.startswith("warning."):
        wid = _int(decision.target)
        with engine.connect() as conn:
            done = conn.execute(select(warning_events.c.id).where(
                warning_events.c.actor == principal.name, warning_events.c.at >= started,
                *([warning_events.c.warning_id == wid] if wid is not None else [])).limit(1)).first()
        detail["outcome"] = "done" if done else "refused"
    elif action == "silence.add":
        with engine.connect() as conn:
            done = conn.execute(select(silences.c.id).where(silences.c.created_by == principal.name,
                                                            silences.c.created_at >= started).limit(1)).first()
        detail["outcome"] = "done" if done else "refused"
    elif action == "export":
        detail["bytes"] = response.calculate_content_length()
    audit.record(engine, actor=principal.name, action=action, target=decision.target, detail=detail, address=address())
    return response


def _int(value: Any) -> int | None:
    try:
        return int(str(value).rsplit(":", 1)[-1])
    except (TypeError, ValueError):
        return None


def require(action: str, resource: str | Callable[..., str], *, audit_as: str | None = None) -> Callable:
    """Decorator for a Flask route of another module (PDF downloads, file exports):

        @server.get("/briefings/<int:bid>.pdf")
        @access.require("pdf", "overview", audit_as="pdf")
        def briefing_pdf(bid): ...

    ``resource`` may be a function of the route's arguments (e.g. ``lambda page: page``).
    Refuses with 401/403 JSON and writes the audit row when the route answered 200.
    """
    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            principal = getattr(flask.g, "user", None) or session_principal()
            res = resource(**kwargs) if callable(resource) else resource
            if principal is None:
                return _deny_json(401, "sign in first")
            if not allowed(principal, action, res):
                return _deny_json(403, f"{principal.role} may not {action} {res}")
            response = flask.make_response(fn(*args, **kwargs))
            if audit_as and response.status_code == 200:
                audit.record(context.engine(), actor=principal.name, action=audit_as, target=flask.request.path,
                             detail={"resource": res}, address=address())
            return response
        return inner
    return wrap
