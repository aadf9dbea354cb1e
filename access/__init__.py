"""Access control and the audit log: roles, users, sessions, SSO, tokens, enforcement.

``init_app(server, settings)`` wires it into the Flask server of ``create_app``. Pages
need nothing to be protected; the hooks they may use:

* ``dash.register_page(..., access="<resource>")`` — which permission column a new page is;
* :func:`access.declare.callback` — the only way to register a callback, with its page,
  action and scoped arguments (the gate checks requests against it);
* :func:`current_principal` — who is signed in (``components.center.actor`` reads ``flask.g.user``);
* :func:`visible_screens` — the wall screens the signed-in wall token may show;
* :func:`offer` — whether to offer a control to the signed-in principal, and why not;
* :func:`require` — decorator guarding a plain Flask route (PDF, file export).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import flask

from access.config import AccessConfig, access_config
from access.enforce import guard, require
from access.roles import PERMISSIONS, ROLES, Principal, allowed
from access.state import EXTENSION, AccessState

log = logging.getLogger("citybrain.access")

__all__ = ["init_app", "current_principal", "offer", "visible_screens", "require", "allowed", "Principal", "ROLES",
           "PERMISSIONS", "AccessConfig"]


def init_app(server: flask.Flask, settings: Any, *, open_demo: bool | None = None, dash_app: Any = None) -> None:
    """Install sign-in routes and the enforcement hooks on ``server``.

    ``open_demo=True`` (what ``citybrain demo`` passes) lets an empty user table mean "everyone
    is an admin" — logged loudly, and never the default.
    """
    from access.web import bp

    config = access_config(settings, open_demo=open_demo)
    server.extensions[EXTENSION] = AccessState(config=config, dash_app=dash_app)
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=config.secure_cookies,
        SESSION_COOKIE_NAME="citybrain_session", PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=config.session_hours),
    )
    from access import csrf, headers

    csrf.install(server)  # first: a cross-site request is refused before anything reads it
    headers.install(server)  # trusted proxies, Secure cookies, CSP and the other headers
    server.register_blueprint(bp)  # its wall-token exchange runs before the guard
    server.before_request(guard)
    if config.open_demo:
        log.warning("access: OPEN DEMO mode — while the store has no users, every visitor acts as an admin")
    if config.sso_header:
        log.info("access: SSO via %s from %s", config.sso_header, ", ".join(config.sso_proxies) or "(no proxy: off)")


def current_principal() -> Principal | None:
    """The signed-in principal of this request (None outside a request or when nobody is)."""
    return getattr(flask.g, "user", None) if flask.has_request_context() else None


def visible_screens(screens: list[Any]) -> list[Any]:
    """``screens`` narrowed to the one a wall token is bound to (all of them for anyone else)."""
    principal = current_principal()
    if principal is not None and principal.screen:
        return [s for s in screens if s.name == principal.screen]
    return list(screens)


def offer(action: str, resource: str, *, per_warning: bool = False) -> str:
    """"" if the signed-in principal may use a control declared with ``action`` on
    ``resource`` (the rule the gate applies to its callback: :func:`access.gate.requirement`);
    else the translation key of the reason, shown beside the control it disables.

    Outside a request (a layout built by a test or a job) there is nobody to refuse: "".
    """
    from access.gate import requirement

    if not flask.has_request_context():
        return ""
    need = requirement(current_principal(), action, resource, per_warning=per_warning)
    return f"access.need.{need}" if need else ""
