"""Cross-site request refusal: a state-changing request must come from a page of this site.

Every POST, PUT, PATCH and DELETE to a browser route — ``/_dash-update-component`` (the
callbacks that acknowledge warnings, export, print), ``/login``, ``/logout`` and any
other — must name this site as its ``Origin`` (or, when a browser sent no ``Origin``, as
its ``Referer``); a ``Sec-Fetch-Site`` other than ``same-origin``/``none`` is refused as
well. Browsers set these headers themselves and a page of another site cannot forge them,
so a form or script elsewhere cannot act with the reader's session cookie (OWASP CSRF
Prevention Cheat Sheet, "Verifying Origin with standard headers"; Fetch Standard §3.1
``Origin``, W3C Fetch Metadata ``Sec-Fetch-Site``). The session cookie is also
``SameSite=Lax``; this check does not rely on it.

Exempt: the API (``/api/``), which authenticates by bearer token only and reads no
cookie — another site's request carries no credential there, and one without a token gets
the API's own 401. Refusals answer 403 (JSON for ``/_dash-*``, a page otherwise) and are
audited as ``request.cross_site``.
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any
from urllib.parse import urlsplit

import flask

from access import audit
from access.identity import SESSION_USER, address
from citybrain import context
from citybrain.i18n import t

log = logging.getLogger("citybrain.access")

#: RFC 9110 §9.2.1: every method but these may change something
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _origin_of(url: str) -> tuple[str, str] | None:
    """(scheme, host[:port]) of ``url``, lower-cased, default port dropped; None if unreadable."""
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:  # an IPv6 literal keeps its brackets in a Host header
        host = f"[{host}]"
    return scheme, host + (f":{port}" if port is not None and str(port) != _DEFAULT_PORTS[scheme] else "")


def this_origin() -> tuple[str, str] | None:
    """This request's own origin (after a trusted proxy's ``X-Forwarded-Proto/-Host``)."""
    req = flask.request
    return _origin_of(f"{req.scheme}://{req.host}")


def cross_site_reason() -> str | None:
    """Why this request is refused as cross-site, or None when it may go on."""
    req = flask.request
    if req.method in SAFE_METHODS:
        return None
    if req.path.startswith("/api/"):
        return None  # bearer tokens only (api.auth): a cross-site sender has no credential to borrow
    fetch_site = req.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return f"Sec-Fetch-Site: {fetch_site[:40]}"
    ours = this_origin()
    origin = req.headers.get("Origin")
    if origin is not None:
        return None if ours is not None and _origin_of(origin) == ours else f"Origin {origin[:100]!r} is not this site"
    referer = req.headers.get("Referer")
    if referer is not None:
        return None if ours is not None and _origin_of(referer) == ours else "Referer is not this site"
    return "neither Origin nor Referer names this site"


def refuse_cross_site() -> Any:
    """``before_request``: 403 for a state-changing request another site may have sent."""
    reason = cross_site_reason()
    if reason is None:
        return None
    req = flask.request
    actor = flask.session.get(SESSION_USER) or "?"  # signed cookie; who would have acted
    log.warning("refused cross-site %s %s from %s: %s", req.method, req.path, address(), reason)
    audit.record(context.engine(), actor=str(actor), action="request.cross_site", target=f"{req.method} {req.path}"[:200],
                 detail={"reason": reason, "origin": (req.headers.get("Origin") or "")[:200],
                         "referer": (req.headers.get("Referer") or "")[:200]}, address=address())
    if req.path.startswith("/_dash-") or req.is_json:
        response = flask.jsonify({"message": f"cross-site request refused: {reason}", "status": 403})
        response.status_code = 403
        return response
    from access.web import page

    lang = context.lang()
    body = (f'<h1>{escape(t("request.cross_site.title", lang))}</h1>'
            f'<p>{escape(t("request.cross_site.body", lang))}</p>'
            f'<p><a href="/">{escape(t("request.cross_site.back", lang))}</a></p>')
    return page(t("request.cross_site.title", lang), body, 403)


def install(server: flask.Flask) -> None:
    """Run the check before anything else reads the request (the access guard included)."""
    server.before_request(refuse_cross_site)
