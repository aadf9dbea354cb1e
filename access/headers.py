"""What every response says about itself, and what a request's proxy may tell us.

* **Trusted proxies.** ``X-Forwarded-For``, ``-Proto``, ``-Host`` and ``-Port`` are
  believed only from the addresses in ``trusted_proxies`` (``CITYBRAIN_TRUSTED_PROXIES``;
  like Werkzeug's ``ProxyFix`` with one hop, applied only to those peers), so the client's
  address (audit log, sign-in throttling) and "came over HTTPS" are right behind nginx and
  cannot be claimed by anyone else. The peer's own address stays readable
  (:func:`access.identity.peer_address`) for the SSO proxy check.
* **Secure cookies.** The session cookie is ``Secure`` whenever the request came over
  HTTPS (directly or per a trusted proxy), and always with ``secure_cookies``.
* **Security headers** on every response: a Content-Security-Policy under which the app
  works — scripts only from this site plus the hashes of the inline scripts Dash writes
  into its index (``dash_app.csp_hashes()``: the renderer, clientside callbacks) and of the
  lean index's tagging script (``app.TAG_LAYOUT_JS``); styles may be inline (Mantine and
  Plotly write ``<style>`` elements at run time) — ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: same-origin``, and no framing (``frame-ancestors 'none'``,
  ``X-Frame-Options: DENY``) except the wall pages, which the sources in
  ``wall_frame_ancestors`` may frame (default ``'self'``). W3C CSP Level 3; RFC 7034;
  OWASP ASVS 4.0 V14.4. HSTS (RFC 6797) on responses sent over HTTPS.
* **Redirects** leave only for this site: a ``Location`` that is not a local path or
  this host's URL becomes ``/`` (:func:`access.web.local_location`) — the net under every
  redirect, whoever wrote it.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import flask
from flask.sessions import SecureCookieSessionInterface

from access.config import AccessConfig
from access.identity import PEER_ENVIRON
from access.state import EXTENSION, state
from citybrain import context

log = logging.getLogger("citybrain.access")

WALL_PREFIX = "/wall"
HSTS = "max-age=31536000"
_SCRIPT = re.compile(r"<script>(.*)</script>", re.S)


class TrustedProxies:
    """WSGI middleware: take the client's address, scheme, host and port from the
    ``X-Forwarded-*`` headers of a configured proxy, and from nobody else."""

    def __init__(self, app: Any, config: Callable[[], AccessConfig]) -> None:
        self.app, self.config = app, config  # read per request: the app's config, as it is now

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        peer = environ.get("REMOTE_ADDR")
        if self.config().forwarding_proxy(peer):
            self._apply(environ, peer)
        return self.app(environ, start_response)

    @staticmethod
    def _last(environ: dict[str, Any], header: str) -> str:
        """The value the nearest proxy added (the last of a comma-separated list)."""
        return (environ.get(header) or "").split(",")[-1].strip()

    def _apply(self, environ: dict[str, Any], peer: str) -> None:
        environ[PEER_ENVIRON] = peer
        client = self._last(environ, "HTTP_X_FORWARDED_FOR")
        try:
            environ["REMOTE_ADDR"] = str(ipaddress.ip_address(client))
        except ValueError:
            pass  # absent or not an address: the proxy's own address stays
        proto = self._last(environ, "HTTP_X_FORWARDED_PROTO").lower()
        if proto in ("http", "https"):
            environ["wsgi.url_scheme"] = proto
        host = self._last(environ, "HTTP_X_FORWARDED_HOST")
        if host and re.fullmatch(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?", host):
            environ["HTTP_HOST"] = host
        port = self._last(environ, "HTTP_X_FORWARDED_PORT")
        if port.isdigit() and environ.get("HTTP_HOST"):
            bare = re.sub(r":\d+$", "", environ["HTTP_HOST"])
            environ["HTTP_HOST"] = f"{bare}:{port}"
            environ["SERVER_PORT"] = port


class SecureWhenHttps(SecureCookieSessionInterface):
    """Flask's signed-cookie session, ``Secure`` on every response to an HTTPS request."""

    def get_cookie_secure(self, app: flask.Flask) -> bool:
        if app.config.get("SESSION_COOKIE_SECURE"):
            return True
        return flask.has_request_context() and flask.request.is_secure


def _sha256(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


def script_hashes(dash_app: Any) -> list[str]:
    """CSP hashes of every inline script the app's pages contain: Dash's own (renderer,
    clientside callbacks; computed per call since pages register theirs on first use)
    and the lean index's ``TAG_LAYOUT_JS``."""
    hashes = list(dash_app.csp_hashes()) if dash_app is not None else []
    try:
        from app import TAG_LAYOUT_JS
    except ImportError:  # access installed on an app other than citybrain's (a test's bare Flask)
        return hashes
    hashes.extend(_sha256(inner) for inner in _SCRIPT.findall(TAG_LAYOUT_JS))
    return list(dict.fromkeys(hashes))  # two callbacks with the same clientside code: one hash


def _tile_origin() -> str:
    """The origin of the configured map tile server ("" without one)."""
    try:
        url = context.settings().wall.tile_url
    except Exception:  # noqa: BLE001 — no runtime (a bare Flask app in a test): no tiles
        return ""
    if not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def is_wall_path(path: str) -> bool:
    return path == WALL_PREFIX or path.startswith(WALL_PREFIX + "/")


def content_security_policy(dash_app: Any, frame_ancestors: tuple[str, ...]) -> str:
    """The policy of one response (``frame_ancestors``: who may frame it)."""
    tiles = _tile_origin()
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes(dash_app)],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *([tiles] if tiles else [])],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": list(frame_ancestors) or ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def secure_response(response: flask.Response) -> flask.Response:
    """``after_request``: the security headers, and a redirect kept on this site."""
    from access.web import local_location

    req = flask.request
    access = state()
    if 300 <= response.status_code < 400 and "Location" in response.headers:
        location = response.headers["Location"]
        kept = local_location(location)
        if kept != location:
            log.warning("redirect to %r from %s replaced by /", location[:200], req.path)
            response.headers["Location"] = kept
    wall = is_wall_path(req.path)
    ancestors = access.config.wall_frame_ancestors if wall else ("'none'",)
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(access.dash_app, ancestors))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if not wall:
        headers.setdefault("X-Frame-Options", "DENY")
    elif tuple(ancestors) == ("'self'",):
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    if req.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def install(server: flask.Flask) -> None:
    """Wrap the WSGI app for trusted proxies; secure cookies; headers on every response."""
    server.wsgi_app = TrustedProxies(  # type: ignore[method-assign]
        server.wsgi_app, lambda: server.extensions[EXTENSION].config)
    server.session_interface = SecureWhenHttps()
    server.after_request(secure_response)
