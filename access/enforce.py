"""The server-side gate: a ``before_request`` hook that every request except the API passes.

* public: sign-in, health, language switch, Dash's static bundles and assets;
* no principal: pages redirect to ``/login?next=…``, Dash endpoints answer 401 JSON;
* page URLs: the page's resource must be viewable (403 page otherwise); a district-bound
  user is redirected to the district-filtered view of a domain page;
* ``/_dash-update-component``: :func:`access.gate.decide` on the declared callback and
  the values it would receive — a malformed request gets 400, a refused one 403, both
  audited with the object they aimed at, and neither runs anything;
* other Flask routes of the app need a signed-in person (not a wall token), or the
  action/resource given with :func:`require`.

What a callback does is audited where it is done (``alerts.handling``, exports, printing),
in the same transaction as the change; this module audits only refusals.
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
from access.declare import declarations
from access.gate import Malformed, check_path, decide, parse_body
from access.identity import address, session_principal
from access.pages import normalise_path, page_for_path, page_resource
from access.roles import allowed
from access.web import forbidden_page
from citybrain import context
from citybrain.settings import DOMAINS

log = logging.getLogger("citybrain.access")
UTC = dt.timezone.utc

PUBLIC_PREFIXES = ("/_dash-component-suites/", "/assets/", "/set-lang/", "/static/")
PUBLIC_PATHS = ("/login", "/logout", "/healthz", "/_favicon.ico", "/favicon.ico", "/_reload-hash")
DASH_CALLBACK = "/_dash-update-component"
#: the routes through which Dash serves its index for any page path
DASH_PAGE_RULES = ("/", "/<path:path>")
#: a callback request larger than this is refused unread (the largest real one, a grid's
#: rows sent for export, is a few hundred KB)
MAX_CALLBACK_BYTES = 8 * 1024 * 1024


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
            # the normalised path: "//traffic?…" in a Location header is another host
            return flask.redirect(f"{normalise_path(path)}?{urlencode(args)}")
        verdict = check_path(principal, path, req.query_string.decode("latin-1"), context.settings(), context.engine())
        if verdict:
            log.info("access: %s denied %s (%s)", principal.name, path, verdict)
            return forbidden_page(principal)
        return None
    if req.url_rule is not None and req.url_rule.rule in DASH_PAGE_RULES:
        return not_found_page()  # no page has this path: an honest 404, not Dash's index with a 200
    if principal.via == "wall-token":
        return _deny_json(403, "a wall token opens its wall screen only")
    return None


def not_found_page() -> flask.Response:
    from html import escape

    from access.web import page
    from citybrain.i18n import t

    lang = context.lang()
    body = (f'<h1>{escape(t("access.notfound.title", lang))}</h1><p>{escape(t("access.notfound.body", lang))}</p>'
            f'<p><a href="/">{escape(t("access.forbidden.home", lang))}</a></p>')
    return page(t("access.notfound.title", lang), body, 404)


def _api_routing(req: flask.Request) -> Any:
    """API paths the API does not serve answer JSON, not the Dash page shell."""
    from api import allowed_methods

    if req.blueprint == "api_v1":
        return None
    methods = allowed_methods(req.path)  # the API's own routes: Dash's catch-all GET is no API resource
    if methods:
        response = _deny_json(405, f"{req.method} is not allowed here; see /api/v1/openapi.json")
        response.headers["Allow"] = ", ".join(methods)  # RFC 9110 §15.5.6
        return response
    return _deny_json(404, f"no API route {req.path}; see /api/v1/openapi.json")


def _guard_callback(principal: Any) -> Any:
    req = flask.request
    if req.content_length is not None and req.content_length > MAX_CALLBACK_BYTES:
        return _refuse(principal, 413, "the request is too large", DASH_CALLBACK, "view")
    try:
        body = parse_body(req.get_data(cache=True))
    except Malformed as exc:
        return _refuse(principal, 400, str(exc), DASH_CALLBACK, "view")
    app = flask.current_app
    dash_app = app.extensions["citybrain.access"].dash_app
    verdict = decide(principal, body, declarations(app), dash_app.callback_map if dash_app else {},
                     context.settings(), context.engine())
    if not verdict.allowed:
        return _refuse(principal, verdict.status, verdict.reason, verdict.target or str(body.get("output"))[:200],
                       verdict.action)
    flask.g.callback = verdict
    return None


def _refuse(principal: Any, status: int, reason: str, target: str | None, action: str) -> flask.Response:
    """Refuse a callback request, and write down who aimed at what."""
    log.info("access: %s refused (%s) %s: %s", principal.name, status, target, reason)
    audit.record(context.engine(), actor=principal.name, action="access.malformed" if status in (400, 413)
                 else "access.denied", target=(target or "")[:200],
                 detail={"reason": reason[:300], "action": action, "status": status}, address=address())
    return _deny_json(status, ("malformed request: " if status == 400 else "not allowed: ") + reason)


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
